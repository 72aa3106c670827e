"""Reference solution of 2.3.2d (Broadcasting challenges: simplified attention)."""

import math

import torch


def simplified_attention(Q, K, V):
    """Q, K, V (batch, seq_len, d_model) -> (weights (batch, seq, seq), attended (batch, seq, d))."""
    d_model = Q.shape[-1]
    scores = torch.matmul(Q, K.transpose(-2, -1)) / math.sqrt(d_model)
    weights = torch.softmax(scores, dim=-1)
    return weights, torch.matmul(weights, V)
