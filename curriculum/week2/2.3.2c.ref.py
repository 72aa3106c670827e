"""Reference solution of 2.3.2c (Broadcasting challenges: bias, per-sample scaling, distances)."""

import torch


def batch_bias_addition(features, bias):
    """(B, F) + (F,) -> (B, F): the same bias added to every sample."""
    return features + bias


def per_sample_scaling(features, scales):
    """(B, F) * (B, 1) -> (B, F): sample i scaled by scales[i]."""
    return features * scales


def pairwise_distances(points):
    """(N, D) -> (N, N) Euclidean distances, by broadcasting (computed in float64)."""
    p = points.double()
    diff = p.unsqueeze(1) - p.unsqueeze(0)            # (N, 1, D) - (1, N, D) -> (N, N, D)
    return diff.pow(2).sum(dim=-1).sqrt().to(points.dtype)
