"""Checks of 2.3.1e: the seed's (10, 365) temperatures plus hidden years."""

import torch

from curriculum.judges.cases import shuffled


def _temps(cities, days):
    return torch.randn(cities, days) * 5 + 20


def _cities(rng):
    return int(rng.integers(1, 16))


def make_pad_cases(rng):
    return shuffled(rng, [
        ((_temps(10, 365),), {}),                                      # the example's data
        ((_temps(_cities(rng), 366),), {"pad_value": float("nan")}),
        ((_temps(_cities(rng), 364),), {}),                            # nothing to pad
        ((_temps(_cities(rng), int(rng.integers(20, 100))),), {"pad_value": -1.0}),
    ], examples=1)


def make_month_cases(rng):
    return [((_temps(10, 365),), {}), ((_temps(_cities(rng), 366),), {}),
            ((_temps(_cities(rng), 365),), {}), ((_temps(_cities(rng), 366),), {})]


def make_season_cases(rng):
    return [((_temps(10, 365),), {}), ((_temps(_cities(rng), 366),), {}),
            ((_temps(_cities(rng), 365),), {}), ((_temps(_cities(rng) + 10, 365),), {})]
