"""Reference solution of 6.1.2 (speed challenge 2: LSTM text classifier, 15 minutes)."""

import torch
import torch.nn as nn
import torch.optim as optim
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence


class TextClassifier(nn.Module):
    def __init__(self, vocab_size=10000, embed_dim=128, hidden_dim=64, num_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True)
        self.fc1 = nn.Linear(hidden_dim, 32)
        self.fc2 = nn.Linear(32, num_classes)

    def forward(self, x, lengths):
        embedded = self.embedding(x)  # (batch, seq_len, embed_dim)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, (hidden, _) = self.lstm(packed)
        return self.fc2(torch.relu(self.fc1(hidden[-1])))  # (batch, num_classes)


def collate_batch(batch):
    texts, labels = zip(*batch, strict=True)
    lengths = torch.tensor([len(t) for t in texts], dtype=torch.long)
    padded = pad_sequence(texts, batch_first=True, padding_value=0)
    return padded, lengths, torch.tensor(labels, dtype=torch.long)


def evaluate(model, loader, criterion):
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for texts, lengths, labels in loader:
            outputs = model(texts, lengths)
            total += criterion(outputs, labels).item() * len(labels)
            correct += (outputs.argmax(dim=1) == labels).sum().item()
            count += len(labels)
    return total / count, correct / count


def train_text_classifier(model, train_loader, val_loader, num_epochs=5, lr=0.001):
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(num_epochs):
        model.train()
        for texts, lengths, labels in train_loader:
            optimizer.zero_grad()
            outputs = model(texts, lengths)
            loss = criterion(outputs, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        history.append({"epoch": epoch + 1, "val_loss": val_loss, "val_acc": val_acc})
        print(f"epoch {epoch + 1}: val loss {val_loss:.4f} acc {val_acc:.3f}")
    return history
