"""Checks of 2.3.1c: the prompt's worked example plus hidden random sequences.

Hidden cases vary B, L, F, window and stride (strides that don't fit L exactly
included) and one sequence is shorter than the window (empty result). The prompt
promises the input's dtype, empty result included: on every seed one ordinary and
one too-short sequence are float64, so a result built with the default dtype
(``torch.empty(B, 0, W, F)``) fails.
"""

import torch


def _case(rng, short=False, dtype=torch.float32):
    b, f = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    window = int(rng.integers(2, 6))
    length = int(rng.integers(1, window)) if short else int(rng.integers(window, 20))
    stride = int(rng.integers(1, 4))
    kwargs = {"stride": stride} if stride != 1 or rng.random() < 0.5 else {}
    return (torch.randn(b, length, f, dtype=dtype), window), kwargs


def make_cases(rng):
    example = ((torch.arange(20.0).reshape(1, 10, 2), 3), {"stride": 2})
    cases = [_case(rng), _case(rng), _case(rng), _case(rng, short=True),
             _case(rng, dtype=torch.float64), _case(rng, short=True, dtype=torch.float64)]
    order = rng.permutation(len(cases))
    return [example, *(cases[i] for i in order)]
