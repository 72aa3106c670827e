"""Reference solution of 2.3.1c (Image batch processing: sliding windows over sequences)."""

import torch


def create_sliding_windows(sequence, window_size, stride=1):
    """(B, L, F) -> (B, num_windows, window_size, F), num_windows = (L - window_size)//stride + 1."""
    b, length, f = sequence.shape
    if length < window_size:
        return sequence.new_empty((b, 0, window_size, f))
    windows = sequence.unfold(1, window_size, stride)   # (B, num_windows, F, window_size)
    return windows.transpose(2, 3)                      # (B, num_windows, window_size, F)
