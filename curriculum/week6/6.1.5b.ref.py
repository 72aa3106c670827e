"""Reference solution of 6.1.5b (mini Transformer LM 2: next-token training, perplexity, save/load)."""

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


def lm_loss(logits, tokens):
    """Next-token cross-entropy: position t predicts token t + 1."""
    return nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)),
                                       tokens[:, 1:].reshape(-1))


def perplexity(loss):
    return float(torch.exp(torch.as_tensor(loss)))


def save_lm(model, path):
    """DataParallel-safe: always save the plain module's state_dict (no 'module.' prefix)."""
    module = model.module if isinstance(model, nn.DataParallel) else model
    torch.save(module.state_dict(), path)


def load_lm(path, vocab_size, **kwargs):
    model = MiniTransformerLM(vocab_size, **kwargs)
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model


def train_lm(sequences, vocab_size, num_steps=200, batch_size=16, lr=0.003):
    import time

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = MiniTransformerLM(vocab_size).to(device)
    if torch.cuda.device_count() > 1:
        model = nn.DataParallel(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    data = sequences.to(device)
    generator = torch.Generator().manual_seed(0)
    start, tokens, loss = time.perf_counter(), 0, None
    model.train()
    for _ in range(num_steps):
        idx = torch.randint(0, len(data), (batch_size,), generator=generator).to(device)
        batch = data[idx]
        optimizer.zero_grad()
        logits = model(batch)
        loss = lm_loss(logits, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        tokens += batch.numel()
    elapsed = time.perf_counter() - start
    stats = {"tokens_per_sec": tokens / elapsed, "perplexity": perplexity(loss.item())}
    module = model.module if isinstance(model, nn.DataParallel) else model
    return module.cpu(), stats
