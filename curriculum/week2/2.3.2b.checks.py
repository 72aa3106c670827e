"""Checks of 2.3.2b: the seed's examples plus hidden random sequences.

create_ngrams gets sequences shorter than n (the seed's edge case), exactly n
long, n = 1, and float sequences (dtype kept — float32 and float64, one of each
shorter than n, so the empty ``(0, n)`` result must keep it too: one of those two is
empty and the other is not, on every seed, as an empty float sequence given a long
result passed on about half of the seeds when both lengths were drawn from 0..n-1);
prepare_for_transformer gets hidden batches and custom special tokens. Float values
come from the grading's seed (``rng``), not torch's global RNG.
"""

import torch

from curriculum.judges.cases import shuffled

SEED_SEQUENCES = [[1, 2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12]]


def _floats(rng, length, dtype=torch.float32):
    return torch.from_numpy(rng.standard_normal(length)).to(dtype)


def _tokens(rng, length):
    return torch.from_numpy(rng.integers(1, 30000, size=length)).long()


def make_ngram_cases(rng):
    n = int(rng.integers(2, 6))
    cases = [
        ((torch.tensor([1, 2, 3, 4, 5, 6, 7, 8]),), {"n": 3}),          # the seed's test
        ((_tokens(rng, int(rng.integers(n, 15))),), {"n": n}),
        ((_tokens(rng, int(rng.integers(0, n))),), {"n": n}),          # shorter than n
        ((_tokens(rng, n),), {"n": n}),                                 # exactly one n-gram
        ((_tokens(rng, int(rng.integers(3, 9))),), {}),                 # default n=3
        ((_tokens(rng, int(rng.integers(1, 6))),), {"n": 1}),
        ((_floats(rng, int(rng.integers(4, 10))),), {"n": 2}),          # float tokens
        ((_floats(rng, int(rng.integers(4, 10)), torch.float64),), {"n": n}),
    ]
    # float, shorter than n: one float32 and one float64, one of them empty
    empty, short = ((torch.float32, torch.float64) if rng.random() < 0.5
                    else (torch.float64, torch.float32))
    cases += [((_floats(rng, 0, empty),), {"n": n}),
              ((_floats(rng, int(rng.integers(1, n)), short),), {"n": n})]
    return shuffled(rng, cases, examples=1)


def make_transformer_cases(rng):
    seed = [torch.tensor(s) for s in SEED_SEQUENCES]
    batch = [_tokens(rng, int(rng.integers(1, 9))) for _ in range(int(rng.integers(2, 6)))]
    batch2 = [_tokens(rng, int(rng.integers(0, 6))) for _ in range(int(rng.integers(1, 4)))]
    batch3 = [_tokens(rng, int(rng.integers(1, 12))) for _ in range(int(rng.integers(4, 8)))]
    return [((seed,), {}), ((batch,), {}),
            ((batch2,), {"cls_token": int(rng.integers(1, 9)), "sep_token": 2}),
            ((batch3,), {"sep_token": int(rng.integers(103, 200))})]
