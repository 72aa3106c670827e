"""Checks of 2.3.2a: the seed's sample_sequences plus hidden random batches.

Hidden batches vary the count and lengths of the sequences (one may be
empty), pass a max_length shorter than the longest sequence (truncation) or
longer (extra padding), and use non-zero pad values.
"""

import torch

from curriculum.judges.cases import shuffled

SEED_SEQUENCES = [[1, 2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12], [13, 14], [15, 16, 17, 18, 19, 20, 21]]


def _batch(rng, longest, allow_empty=False):
    """2-6 random token sequences, the longest exactly ``longest`` tokens."""
    count = int(rng.integers(2, 7))
    lengths = [int(rng.integers(0 if allow_empty else 1, longest + 1)) for _ in range(count)]
    lengths[int(rng.integers(0, count))] = longest
    return [torch.from_numpy(rng.integers(1, 30000, size=n)).long() for n in lengths]


def make_cases(rng):
    seed = [torch.tensor(s) for s in SEED_SEQUENCES]
    cases = [((seed,), {})]                                          # the seed's test
    # default max_length: longer and shorter than the seed's 7, so 7 can't be hard-coded
    cases.append(((_batch(rng, int(rng.integers(8, 13)), allow_empty=True),),
                  {"pad_value": int(rng.choice([-1, 99]))}))
    cases.append(((_batch(rng, int(rng.integers(1, 7))),), {}))
    longest = int(rng.integers(2, 11))
    cases.append(((_batch(rng, longest),),
                  {"max_length": longest - int(rng.integers(1, longest))}))  # truncation
    longest = int(rng.integers(1, 11))
    cases.append(((_batch(rng, longest), longest + int(rng.integers(1, 4))), {"pad_value": 0}))
    return shuffled(rng, cases, examples=1)
