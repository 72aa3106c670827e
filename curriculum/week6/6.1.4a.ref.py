"""Reference solution of 6.1.4a (NER 1: tagger, padding-aware loss, BIO spans, P/R/F1)."""

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
