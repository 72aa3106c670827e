"""Checks of 2.3.2a: the seed's sample_sequences plus hidden random batches.

Hidden batches vary the count and lengths of the sequences (one may be
empty), pass a max_length shorter than the longest sequence (truncation) or
longer (extra padding), and use non-zero pad values. Every hidden batch
whose pad value could be a token id (0 or 99; not -1) has real tokens equal to
the pad value, so a mask derived from the values (``padded != pad_value``)
fails on every seed: the mask marks positions, not values.
"""

import torch

from curriculum.judges.cases import shuffled

SEED_SEQUENCES = [[1, 2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12], [13, 14], [15, 16, 17, 18, 19, 20, 21]]


def _batch(rng, longest, allow_empty=False, token=None, keep=None):
    """2-6 random token sequences, the longest exactly ``longest`` tokens and another one
    shorter where ``longest`` allows it (all of one length would need no padding, and a
    pad value written as 0 would pass). With ``token``, the longest sequence and maybe
    others hold it among their first ``keep`` tokens (those kept after truncation) — a
    real token that equals the pad value."""
    count = int(rng.integers(2, 7))
    shortest = 0 if allow_empty else 1
    lengths = [int(rng.integers(shortest, longest + 1)) for _ in range(count)]
    longest_at = int(rng.integers(0, count))
    lengths[longest_at] = longest
    if longest > shortest and min(lengths) == longest:
        short_at = (longest_at + int(rng.integers(1, count))) % count
        lengths[short_at] = int(rng.integers(shortest, longest))
    batch = [rng.integers(1, 30000, size=n) for n in lengths]
    if token is not None:
        keep = longest if keep is None else keep
        for i, seq in enumerate(batch):
            if len(seq) and (i == longest_at or rng.random() < 0.5):
                seq[int(rng.integers(0, min(len(seq), keep)))] = token
    return [torch.from_numpy(seq).long() for seq in batch]


def make_cases(rng):
    seed = [torch.tensor(s) for s in SEED_SEQUENCES]
    cases = [((seed,), {})]                                          # the seed's test
    # default max_length: longer and shorter than the seed's 7, so 7 can't be hard-coded
    pad = int(rng.choice([-1, 99]))
    cases.append(((_batch(rng, int(rng.integers(8, 13)), allow_empty=True,
                          token=pad if pad >= 0 else None),), {"pad_value": pad}))
    cases.append(((_batch(rng, int(rng.integers(1, 7)), token=0),), {}))
    longest = int(rng.integers(2, 11))
    max_length = longest - int(rng.integers(1, longest))
    cases.append(((_batch(rng, longest, token=0, keep=max_length),),
                  {"max_length": max_length}))  # truncation
    longest = int(rng.integers(1, 11))
    cases.append(((_batch(rng, longest, token=0), longest + int(rng.integers(1, 4))),
                  {"pad_value": 0}))
    return shuffled(rng, cases, examples=1)
