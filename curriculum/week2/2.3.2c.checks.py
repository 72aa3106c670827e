"""Checks of 2.3.2c: the seed's sizes plus hidden random sizes and values.

pairwise_distances is compared with exact float64 distances within atol=1e-2,
rtol=1e-4: the seed's |a|² + |b|² - 2a·b method loses about 1e-3 on the
diagonal (up to ~4e-3 measured) in float32 (sqrt of a rounding error), which must
still pass; wrong formulas are off by O(1).
"""

import torch


def _b_f(rng):
    return int(rng.integers(1, 40)), int(rng.integers(1, 70))


def make_bias_cases(rng):
    cases = [((torch.randn(32, 128), torch.randn(128)), {})]          # the seed's sizes
    for _ in range(3):
        b, f = _b_f(rng)
        cases.append(((torch.randn(b, f), torch.randn(f)), {}))
    return cases


def make_scale_cases(rng):
    cases = [((torch.randn(32, 128), torch.randn(32, 1)), {})]
    for _ in range(3):
        b, f = _b_f(rng)
        cases.append(((torch.randn(b, f), torch.randn(b, 1)), {}))
    return cases


def make_dist_cases(rng):
    cases = [((torch.randn(20, 3),), {})]                              # the seed's points
    for _ in range(3):
        n, d = int(rng.integers(2, 30)), int(rng.integers(1, 9))
        cases.append(((torch.randn(n, d) * float(rng.uniform(0.5, 1.5)),), {}))
    return cases
