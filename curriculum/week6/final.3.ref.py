"""Reference solution of final.3 (Phase 1 final test, part 3: integration project, 90 minutes).

A topic tagger for token streams, end to end: a config dataclass, a dataset with a
padding collate function, a GRU classifier that ignores padding, a training function
(AdamW, OneCycle LR schedule, gradient clipping, early stopping, checkpoints,
seeding), loading from a checkpoint and batched prediction.
"""

import copy
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset


@dataclass
class Config:
    """Every hyperparameter in one place; saved with each checkpoint."""

    vocab_size: int = 100
    embed_dim: int = 32
    hidden_dim: int = 64
    num_classes: int = 4
    lr: float = 0.01
    weight_decay: float = 0.01
    epochs: int = 30
    batch_size: int = 32
    patience: int = 3
    max_grad_norm: float = 1.0
    seed: int = 0


class SequenceDataset(Dataset):
    """Variable-length token sequences (1-D int64 tensors, 0 = padding) and their labels."""

    def __init__(self, sequences, labels):
        self.sequences = [torch.as_tensor(s, dtype=torch.long) for s in sequences]
        self.labels = torch.as_tensor(labels, dtype=torch.long)

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, idx):
        return self.sequences[idx], self.labels[idx]


def collate(batch):
    """[(tokens, label), ...] -> (tokens [B, T] padded with 0, lengths [B], labels [B])."""
    sequences, labels = zip(*batch, strict=True)
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    tokens = pad_sequence(list(sequences), batch_first=True, padding_value=0)
    return tokens, lengths, torch.stack([torch.as_tensor(y, dtype=torch.long) for y in labels])


class SequenceClassifier(nn.Module):
    """Embedding -> GRU over the packed (real) tokens -> Linear on the last hidden state."""

    def __init__(self, config):
        super().__init__()
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=0)
        self.gru = nn.GRU(config.embed_dim, config.hidden_dim, batch_first=True)
        self.fc = nn.Linear(config.hidden_dim, config.num_classes)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.embedding(tokens), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, hidden = self.gru(packed)        # hidden: [1, B, hidden_dim], in batch order
        return self.fc(hidden[-1])          # [B, num_classes]


def evaluate_loss(model, loader):
    """Mean cross-entropy over every sequence of the loader (eval mode, no_grad)."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for tokens, lengths, labels in loader:
            total += F.cross_entropy(model(tokens, lengths), labels, reduction="sum").item()
            count += len(labels)
    return total / count


def train(config, train_tokens, train_labels, val_tokens, val_labels, checkpoint_path):
    torch.manual_seed(config.seed)
    train_loader = DataLoader(SequenceDataset(train_tokens, train_labels),
                              batch_size=config.batch_size, shuffle=True, collate_fn=collate)
    val_loader = DataLoader(SequenceDataset(val_tokens, val_labels), batch_size=256,
                            collate_fn=collate)
    model = SequenceClassifier(config)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=config.epochs * len(train_loader))
    history, best_loss, best_state, bad_epochs = [], float("inf"), None, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        total, count = 0.0, 0
        for tokens, lengths, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(tokens, lengths), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(labels)
            count += len(labels)
        val_loss = evaluate_loss(model, val_loader)
        history.append({"epoch": epoch, "train_loss": total / count, "val_loss": val_loss,
                        "lr": optimizer.param_groups[0]["lr"]})
        if val_loss < best_loss:
            best_loss, bad_epochs = val_loss, 0
            best_state = copy.deepcopy(model.state_dict())
            torch.save({"model_state_dict": model.state_dict(),
                        "optimizer_state_dict": optimizer.state_dict(),
                        "epoch": epoch, "val_loss": val_loss, "config": asdict(config)},
                       checkpoint_path)
        else:
            bad_epochs += 1
            if bad_epochs >= config.patience:
                break
    model.load_state_dict(best_state)
    return model, history


def load_model(checkpoint_path):
    checkpoint = torch.load(checkpoint_path, weights_only=True)
    model = SequenceClassifier(Config(**checkpoint["config"]))
    model.load_state_dict(checkpoint["model_state_dict"])
    model.eval()
    return model


def predict(model, sequences, batch_size=256):
    """Class ids for a list of variable-length sequences, in the order given."""
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(sequences), batch_size):
            chunk = list(sequences[i:i + batch_size])
            lengths = torch.tensor([len(s) for s in chunk], dtype=torch.long)
            preds.append(model(pad_sequence(chunk, batch_first=True), lengths).argmax(dim=1))
    return torch.cat(preds)
