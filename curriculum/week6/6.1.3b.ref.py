"""Reference solution of 6.1.3b (sentiment pipeline 2: training, F1, early stopping, save/load)."""

from collections import Counter

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence


def tokenize(text):
    return text.lower().split()


def build_vocab(texts, min_freq=1):
    counts = Counter(word for text in texts for word in tokenize(text))
    vocab = {"<PAD>": 0, "<UNK>": 1}
    for word, count in counts.items():
        if count >= min_freq:
            vocab[word] = len(vocab)
    return vocab


def numericalize(text, vocab):
    return torch.tensor([vocab.get(w, vocab["<UNK>"]) for w in tokenize(text)], dtype=torch.long)


class SentimentModel(nn.Module):
    def __init__(self, vocab_size, embed_dim=64, hidden_dim=32):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.attention = nn.Linear(2 * hidden_dim, 1)
        self.fc = nn.Linear(2 * hidden_dim, 1)

    def forward(self, x):
        mask = x != 0                                   # (batch, seq_len) True on real tokens
        lengths = mask.sum(dim=1)
        packed = pack_padded_sequence(self.embedding(x), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        scores = self.attention(out).squeeze(-1)        # (batch, seq_len)
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)          # padding gets exactly 0
        context = (weights.unsqueeze(-1) * out).sum(dim=1)
        probs = torch.sigmoid(self.fc(context)).squeeze(-1)
        return probs, weights


def f1_score(preds, labels):
    preds, labels = preds.long(), labels.long()
    tp = ((preds == 1) & (labels == 1)).sum().item()
    fp = ((preds == 1) & (labels == 0)).sum().item()
    fn = ((preds == 0) & (labels == 1)).sum().item()
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall)


def encode(texts, vocab):
    return pad_sequence([numericalize(t, vocab) for t in texts], batch_first=True)


def predict(model, vocab, texts):
    model.eval()
    with torch.no_grad():
        probs, _ = model(encode(texts, vocab))
    return (probs > 0.5).long()


def train_sentiment(train_texts, train_labels, val_texts, val_labels, path,
                    max_epochs=20, patience=3, lr=0.01):
    vocab = build_vocab(train_texts)
    model = SentimentModel(len(vocab))
    x, y = encode(train_texts, vocab), torch.tensor(train_labels, dtype=torch.float32)
    criterion = nn.BCELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    best_f1, bad_epochs, history = -1.0, 0, []
    for epoch in range(max_epochs):
        model.train()
        for i in range(0, len(x), 32):
            optimizer.zero_grad()
            probs, _ = model(x[i:i + 32])
            loss = criterion(probs, y[i:i + 32])
            loss.backward()
            optimizer.step()
        preds = predict(model, vocab, val_texts)
        val = torch.tensor(val_labels)
        f1 = f1_score(preds, val)
        history.append({"epoch": epoch + 1, "val_f1": f1,
                        "val_acc": (preds == val).float().mean().item()})
        if f1 > best_f1:
            best_f1, bad_epochs = f1, 0
            torch.save(model.state_dict(), path)
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                print(f"early stopping at epoch {epoch + 1}")
                break
    model.load_state_dict(torch.load(path))
    return model, vocab, history
