"""Checks of 2.3.2c: the seed's sizes plus hidden random sizes and values.

pairwise_distances is compared with exact float64 distances within atol=1e-2,
rtol=1e-4: the seed's |a|² + |b|² - 2a·b method loses about 1e-3 on the
diagonal (up to ~4e-3 measured) in float32 (sqrt of a rounding error), which must
still pass; wrong formulas are off by O(1). Without the clamp it gives NaN where that
rounding error is negative: on few small points it may not be, so a hidden input of 40
points in 16-D (a NaN among its diagonal on every draw measured) makes sure.

The values come from the grading's seed (``rng``), not torch's global RNG: that holds
whatever the last reference left in it, so a grading was not reproduced by its seed.
"""

import numpy as np
import torch

from curriculum.judges.cases import results, with_case_hint
from curriculum.judges.compare import all_finite, close


def _randn(rng, *shape):
    """Standard normal float32 values drawn from the grading's seed."""
    return torch.from_numpy(rng.standard_normal(shape, dtype=np.float32))


def _b_f(rng):
    return int(rng.integers(1, 40)), int(rng.integers(1, 70))


def make_bias_cases(rng):
    cases = [((_randn(rng, 32, 128), _randn(rng, 128)), {})]          # the seed's sizes
    for _ in range(3):
        b, f = _b_f(rng)
        cases.append(((_randn(rng, b, f), _randn(rng, f)), {}))
    return cases


def make_scale_cases(rng):
    cases = [((_randn(rng, 32, 128), _randn(rng, 32, 1)), {})]
    for _ in range(3):
        b, f = _b_f(rng)
        cases.append(((_randn(rng, b, f), _randn(rng, b, 1)), {}))
    return cases


def make_dist_cases(rng):
    cases = [((_randn(rng, 20, 3),), {})]                              # the seed's points
    for _ in range(3):
        n, d = int(rng.integers(2, 30)), int(rng.integers(1, 9))
        cases.append(((_randn(rng, n, d) * float(rng.uniform(0.5, 1.5)),), {}))
    # the |a|² + |b|² - 2a·b trick without its clamp gives NaN on some diagonal entry of
    # 40 points in 16-D on every draw (the clamped one stays within ~4e-3 of 0)
    cases.append(((_randn(rng, 40, 16),), {}))
    return cases


DIST_FORBID = ["torch.cdist", "torch.pdist", "torch.nn.functional.pairwise_distance", ".repeat",
               ".tile", "torch.tile", ".repeat_interleave", "torch.repeat_interleave"]


def judge_distances(learner, reference, inputs, ctx):
    """cases.results, then — when a result is off — what is wrong with it, read from the
    case's own points: NaN from a negative squared distance (no clamp before sqrt),
    squared distances (no sqrt), or the L1 distance. No expected values are shown."""
    verdict = results(learner, reference, inputs, ctx, fn="pairwise_distances", examples=1,
                      rtol=1e-4, atol=1e-2, forbid=DIST_FORBID)
    return with_case_hint(verdict, learner, reference, inputs, rtol=1e-4, atol=1e-2,
                          hint=lambda args, found: _distance_hint(args[0], found))


def _distance_hint(points, found):
    p = points.double()
    if not isinstance(found, torch.Tensor) or tuple(found.shape) != (len(p), len(p)):
        return None
    diff = p[:, None, :] - p[None, :, :]
    squared = (diff**2).sum(dim=-1)
    if bool(torch.isnan(found).any()):
        return ("some distances are NaN: rounding leaves a few squared distances (the "
                "diagonal's) slightly below 0 — clamp(min=0) before the sqrt")
    if not all_finite(found):
        return None
    if close(found.double(), squared, rtol=1e-4, atol=1e-2):
        return "these are squared distances: take the square root"
    if close(found.double(), diff.abs().sum(dim=-1), rtol=1e-4, atol=1e-2):
        return ("this is the sum of absolute differences (L1); the Euclidean distance is the "
                "square root of the sum of squared differences")
    return None
