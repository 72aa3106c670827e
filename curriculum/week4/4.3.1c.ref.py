"""Reference solution of 4.3.1c (AttentionLayer, as the seed writes it)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class AttentionLayer(nn.Module):
    """
    Simple attention mechanism:
    - Compute attention weights
    - Apply to input sequence
    - Support different attention types
    """

    def __init__(self, input_dim, attention_dim):
        super().__init__()

        # Initialize attention parameters
        self.input_dim = input_dim
        self.attention_dim = attention_dim

        # Define attention computation layers
        self.query_projection = nn.Linear(input_dim, attention_dim)
        self.key_projection = nn.Linear(input_dim, attention_dim)
        self.value_projection = nn.Linear(input_dim, attention_dim)

        # Output projection
        self.output_projection = nn.Linear(attention_dim, input_dim)

        # Scale factor for stable gradients
        self.scale = 1.0 / (attention_dim ** 0.5)

    def forward(self, sequence):
        # Compute attention weights
        # sequence shape: (batch_size, seq_length, input_dim)
        _batch_size, _seq_length, _ = sequence.shape

        # Project to query, key, value
        Q = self.query_projection(sequence)  # (batch, seq_len, attention_dim)
        K = self.key_projection(sequence)    # (batch, seq_len, attention_dim)
        V = self.value_projection(sequence)  # (batch, seq_len, attention_dim)

        # Compute attention scores
        attention_scores = torch.matmul(Q, K.transpose(-2, -1)) * self.scale  # (batch, seq_len, seq_len)

        # Apply softmax to get attention weights
        attention_weights = F.softmax(attention_scores, dim=-1)  # (batch, seq_len, seq_len)

        # Apply attention to sequence
        attended_values = torch.matmul(attention_weights, V)  # (batch, seq_len, attention_dim)

        # Project back to input dimension
        output = self.output_projection(attended_values)  # (batch, seq_len, input_dim)

        # Return attended output
        return output, attention_weights
