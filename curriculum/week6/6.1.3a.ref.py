"""Reference solution of 6.1.3a (sentiment pipeline, part 1: preprocessing and the model)."""

from collections import Counter

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


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
