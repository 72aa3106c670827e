"""Reference solution of 2.3.1e (Time-series reshaping: padding, real months, seasonal stats)."""

import math

import torch

MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def pad_to_weeks(data, pad_value=0.0):
    """(cities, days) -> (cities, ceil(days / 7), 7), the last week padded with pad_value."""
    cities, days = data.shape
    weeks = math.ceil(days / 7)
    padded = torch.full((cities, weeks * 7), pad_value, dtype=data.dtype)
    padded[:, :days] = data
    return padded.view(cities, weeks, 7)


def monthly_means(data):
    """(cities, 365 or 366) -> (cities, 12): mean of each real calendar month."""
    lengths = list(MONTH_DAYS)
    if data.shape[1] == 366:
        lengths[1] = 29
    months = torch.split(data, lengths, dim=1)
    return torch.stack([m.mean(dim=1) for m in months], dim=1)


def seasonal_means(data):
    """(cities, days) -> (cities, 4): mean of each 91-day season of the first 364 days."""
    return data[:, :364].reshape(data.shape[0], 4, 91).mean(dim=2)
