"""Reference solution of 6.1.5a (mini Transformer LM, part 1: the causal decoder)."""

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint


def causal_mask(seq_len):
    """[T, T] bool, True above the diagonal: position i may not attend to j > i."""
    return torch.triu(torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=1)


class MiniTransformerLM(nn.Module):
    def __init__(self, vocab_size, d_model=32, n_heads=4, n_layers=2, max_len=64,
                 use_checkpoint=False):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, d_model)
        self.position_embedding = nn.Embedding(max_len, d_model)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=4 * d_model,
                                       dropout=0.0, batch_first=True)
            for _ in range(n_layers)
        ])
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)
        self.use_checkpoint = use_checkpoint

    def forward(self, x):
        seq_len = x.size(1)
        positions = torch.arange(seq_len, device=x.device)
        h = self.token_embedding(x) + self.position_embedding(positions)
        mask = causal_mask(seq_len).to(x.device)
        for layer in self.layers:
            if self.use_checkpoint and self.training:
                h = checkpoint(layer, h, mask, use_reentrant=False)
            else:
                h = layer(h, src_mask=mask)
        return self.head(self.norm(h))  # (batch, seq_len, vocab_size)
