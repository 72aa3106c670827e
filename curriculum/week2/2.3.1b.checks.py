"""Checks of 2.3.1b: patches of the seed's example and of hidden batches.

Hidden batches have random patch sizes, and at least two of them have H and/or
W not divisible by the patch size (the seed's "images that don't divide
evenly": the remainder is cropped). One case uses the default patch_size, and
one is float64 (the result keeps the input's dtype).
"""

import torch

from curriculum.judges.cases import shuffled


def _case(rng, divisible):
    p = int(rng.choice([2, 3, 4, 5, 8]))
    gh, gw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    h, w = gh * p, gw * p
    if not divisible:
        h += int(rng.integers(1, p)) if rng.random() < 0.7 else 0
        w += int(rng.integers(1, p))
    b, c = int(rng.integers(1, 4)), int(rng.choice([1, 3]))
    return (torch.randn(b, c, h, w),), {"patch_size": p}


def make_cases(rng):
    cases = [((torch.randn(2, 3, 224, 224),), {})]  # seed's size, default patch_size=16
    (f64,), f64_kw = _case(rng, bool(rng.integers(0, 2)))
    cases += [_case(rng, True), _case(rng, False), _case(rng, False),
              ((torch.randn(int(rng.integers(1, 3)), 3, 40, 50),), {}),  # default p, 40x50
              ((f64.double(),), f64_kw)]  # "same dtype as the input"
    return shuffled(rng, cases, examples=1)
