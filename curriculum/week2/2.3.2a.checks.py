"""Checks of 2.3.2a: the seed's sample_sequences plus hidden random batches.

Hidden batches vary the count and lengths of the sequences (one may be
empty), pass a max_length shorter than the longest sequence (truncation) or
longer (extra padding), and use non-zero pad values.
"""

import torch

from curriculum.lib.week2 import calls_probe, function_judge

PROBE = calls_probe("pad_sequences")

SEED_SEQUENCES = [[1, 2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12], [13, 14], [15, 16, 17, 18, 19, 20, 21]]


def _batch(rng, allow_empty=False):
    count = int(rng.integers(2, 7))
    lengths = [int(rng.integers(0 if allow_empty else 1, 11)) for _ in range(count)]
    lengths[int(rng.integers(0, count))] = max(max(lengths), 1)
    return [torch.from_numpy(rng.integers(1, 30000, size=n)).long() for n in lengths]


def make_cases(rng):
    seed = [torch.tensor(s) for s in SEED_SEQUENCES]
    cases = [((seed,), {})]                                          # the seed's test
    b1 = _batch(rng, allow_empty=True)
    cases.append(((b1,), {"pad_value": int(rng.choice([-1, 99]))}))
    b2 = _batch(rng)
    longest = max(len(s) for s in b2)
    cases.append(((b2,), {"max_length": max(1, longest - int(rng.integers(1, 4)))}))  # truncation
    b3 = _batch(rng)
    cases.append(((b3, max(len(s) for s in b3) + int(rng.integers(1, 4))), {"pad_value": 0}))
    return cases


judge = function_judge("pad_sequences", 1)
