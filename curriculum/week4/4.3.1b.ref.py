"""Reference solution of 4.3.1b (ResidualBlock, as the seed writes it)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ResidualBlock(nn.Module):
    """
    Residual block with configurable architecture:
    - Support different activation functions
    - Optional batch normalization
    - Configurable dropout
    """

    def __init__(self, dim, activation='relu', use_batchnorm=True, dropout=0.0):
        super().__init__()

        # Build configurable residual block
        self.use_batchnorm = use_batchnorm
        self.dropout_rate = dropout

        # First layer
        self.linear1 = nn.Linear(dim, dim)
        if use_batchnorm:
            self.bn1 = nn.BatchNorm1d(dim)

        # Second layer
        self.linear2 = nn.Linear(dim, dim)
        if use_batchnorm:
            self.bn2 = nn.BatchNorm1d(dim)

        # Handle different activation functions
        if activation == 'relu':
            self.activation = nn.ReLU()
        elif activation == 'gelu':
            self.activation = nn.GELU()
        elif activation == 'tanh':
            self.activation = nn.Tanh()
        elif activation == 'leaky_relu':
            self.activation = nn.LeakyReLU(0.01)
        else:
            self.activation = nn.ReLU()  # Default

        # Add optional batch normalization
        # Include dropout if specified
        if dropout > 0:
            self.dropout = nn.Dropout(dropout)
        else:
            self.dropout = None

    def forward(self, x):
        # Implement residual connection
        identity = x

        # First transformation
        out = self.linear1(x)
        if self.use_batchnorm:
            out = self.bn1(out)
        out = self.activation(out)

        if self.dropout is not None:
            out = self.dropout(out)

        # Second transformation
        out = self.linear2(out)
        if self.use_batchnorm:
            out = self.bn2(out)

        # Handle dimension mismatches
        # Add residual connection
        out = out + identity
        out = self.activation(out)

        return out
