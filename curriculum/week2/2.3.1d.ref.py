"""Reference solution of 2.3.1d (Time-series reshaping: weeks, months, seasons by truncation)."""

import torch


def reshape_to_weeks(data):
    """(cities, days) -> (cities, 52, 7): the first 364 days as 52 whole weeks."""
    return data[:, :364].reshape(data.shape[0], 52, 7)


def reshape_to_months(data):
    """(cities, days) -> (cities, 12, 30): the first 360 days as 12 months of 30 days."""
    return data[:, :360].reshape(data.shape[0], 12, 30)


def seasonal_analysis(data):
    """(cities, days) -> (cities, 4, 91): the first 364 days as 4 seasons of 91 days."""
    return data[:, :364].reshape(data.shape[0], 4, 91)
