"""Checks of 2.3.1e: the seed's (10, 365) temperatures plus hidden years.

"Results keep the input's float dtype": every function also gets a float64 year
on every seed (dtypes are compared), so a result forced to float32 fails.
"""

import torch

from curriculum.judges.cases import shuffled
from curriculum.judges.data import randn


def _temps(rng, cities, days, dtype=torch.float32):
    return randn(rng, cities, days, dtype=dtype) * 5 + 20


def _cities(rng):
    return int(rng.integers(1, 16))


def make_pad_cases(rng):
    return shuffled(rng, [
        ((_temps(rng, 10, 365),), {}),                                      # the example's data
        ((_temps(rng, _cities(rng), 366),), {"pad_value": float("nan")}),
        ((_temps(rng, _cities(rng), 364),), {}),                            # nothing to pad
        ((_temps(rng, _cities(rng), int(rng.integers(20, 100))),), {"pad_value": -1.0}),
        ((_temps(rng, _cities(rng), int(rng.integers(20, 100)), torch.float64),), {}),
    ], examples=1)


def make_month_cases(rng):
    return [((_temps(rng, 10, 365),), {}), ((_temps(rng, _cities(rng), 366),), {}),
            ((_temps(rng, _cities(rng), 365),), {}), ((_temps(rng, _cities(rng), 366),), {}),
            ((_temps(rng, _cities(rng), 366, torch.float64),), {})]


def make_season_cases(rng):
    return [((_temps(rng, 10, 365),), {}), ((_temps(rng, _cities(rng), 366),), {}),
            ((_temps(rng, _cities(rng), 365),), {}), ((_temps(rng, _cities(rng) + 10, 365),), {}),
            ((_temps(rng, _cities(rng), 365, torch.float64),), {})]
