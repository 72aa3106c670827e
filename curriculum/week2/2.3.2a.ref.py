"""Reference solution of 2.3.2a (NLP data: padding variable-length sequences + attention mask)."""

import torch


def pad_sequences(sequences, max_length=None, pad_value=0):
    """List of 1-D token tensors -> (padded (B, L), attention_mask (B, L) float32)."""
    if max_length is None:
        max_length = max(len(seq) for seq in sequences)
    batch_size = len(sequences)
    padded = torch.full((batch_size, max_length), pad_value, dtype=sequences[0].dtype)
    attention_mask = torch.zeros(batch_size, max_length)
    for i, seq in enumerate(sequences):
        n = min(len(seq), max_length)      # truncate sequences that are too long
        padded[i, :n] = seq[:n]
        attention_mask[i, :n] = 1
    return padded, attention_mask
