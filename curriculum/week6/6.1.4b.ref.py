"""Reference solution of 6.1.4b (NER 2: StepLR, clipping, checkpoints every 5 epochs, resume)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD_TAG = -100


class NERTagger(nn.Module):
    def __init__(self, vocab_size, num_tags, embed_dim=32, hidden_dim=32):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_dim, num_tags)

    def forward(self, x):
        out, _ = self.lstm(self.embedding(x))  # (batch, seq_len, 2 * hidden_dim)
        return self.fc(out)                    # (batch, seq_len, num_tags)


def ner_loss(logits, tags, pad_tag=PAD_TAG):
    """Mean cross-entropy over real tokens only (tags == pad_tag are ignored)."""
    mask = tags != pad_tag
    return F.cross_entropy(logits[mask], tags[mask])


def bio_spans(tags):
    """BIO tag strings -> set of (type, start, end) with end exclusive."""
    spans, start, kind = set(), None, None
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.startswith("I-") and kind == tag[2:]
        if start is not None and not inside:
            spans.add((kind, start, i))
            start, kind = None, None
        if tag.startswith("B-") or (tag.startswith("I-") and not inside):
            start, kind = i, tag[2:]
    return spans


def entity_prf(pred_sequences, gold_sequences):
    """Per entity type: (precision, recall, f1) over exact span matches."""
    pred, gold = set(), set()
    for n, (p, g) in enumerate(zip(pred_sequences, gold_sequences, strict=True)):
        pred |= {(n, *s) for s in bio_spans(p)}
        gold |= {(n, *s) for s in bio_spans(g)}
    result = {}
    for kind in sorted({s[1] for s in pred | gold}):
        p = {s for s in pred if s[1] == kind}
        g = {s for s in gold if s[1] == kind}
        tp = len(p & g)
        precision = tp / len(p) if p else 0.0
        recall = tp / len(g) if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        result[kind] = (precision, recall, f1)
    return result


def train_ner(seqs, tags, vocab_size, num_tags, ckpt_dir, num_epochs=10, lr=0.01,
              step_size=10, batch_size=32, resume_from=None):
    import os

    from torch.nn.utils.rnn import pad_sequence

    x = pad_sequence(seqs, batch_first=True, padding_value=0)
    y = pad_sequence(tags, batch_first=True, padding_value=PAD_TAG)
    model = NERTagger(vocab_size, num_tags)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=0.1)
    start_epoch = 0
    if resume_from is not None:
        checkpoint = torch.load(resume_from)
        model.load_state_dict(checkpoint["model_state_dict"])
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
        scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
        start_epoch = checkpoint["epoch"]
    try:  # TensorBoard where available; never required
        from torch.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(os.path.join(ckpt_dir, "runs"))
    except Exception:
        writer = None
    for epoch in range(start_epoch, num_epochs):
        model.train()
        for i in range(0, len(x), batch_size):  # fixed order: a resumed run repeats exactly
            optimizer.zero_grad()
            logits = model(x[i:i + batch_size])
            loss = ner_loss(logits, y[i:i + batch_size])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
        scheduler.step()
        if writer is not None:
            writer.add_scalar("loss/train", loss.item(), epoch + 1)
        if (epoch + 1) % 5 == 0:
            torch.save({"epoch": epoch + 1,
                        "model_state_dict": model.state_dict(),
                        "optimizer_state_dict": optimizer.state_dict(),
                        "scheduler_state_dict": scheduler.state_dict()},
                       os.path.join(ckpt_dir, f"checkpoint_epoch_{epoch + 1}.pt"))
    if writer is not None:
        writer.close()
    return model
