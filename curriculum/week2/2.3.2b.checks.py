"""Checks of 2.3.2b: the seed's examples plus hidden random sequences.

create_ngrams gets sequences shorter than n (the seed's edge case), exactly n
long, n = 1, and float sequences (dtype kept — float32 and float64, one of each
shorter than n, so the empty ``(0, n)`` result must keep it too); prepare_for_transformer gets
hidden batches and custom special tokens.
"""

import torch

from curriculum.judges.cases import shuffled

SEED_SEQUENCES = [[1, 2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12]]


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
        ((torch.randn(int(rng.integers(4, 10))),), {"n": 2}),           # float tokens
        ((torch.randn(int(rng.integers(4, 10)), dtype=torch.float64),), {"n": n}),
        ((torch.randn(int(rng.integers(0, n))),), {"n": n}),           # float, shorter than n
        ((torch.randn(int(rng.integers(0, n)), dtype=torch.float64),), {"n": n}),
    ]
    return shuffled(rng, cases, examples=1)


def make_transformer_cases(rng):
    seed = [torch.tensor(s) for s in SEED_SEQUENCES]
    batch = [_tokens(rng, int(rng.integers(1, 9))) for _ in range(int(rng.integers(2, 6)))]
    batch2 = [_tokens(rng, int(rng.integers(0, 6))) for _ in range(int(rng.integers(1, 4)))]
    batch3 = [_tokens(rng, int(rng.integers(1, 12))) for _ in range(int(rng.integers(4, 8)))]
    return [((seed,), {}), ((batch,), {}),
            ((batch2,), {"cls_token": int(rng.integers(1, 9)), "sep_token": 2}),
            ((batch3,), {"sep_token": int(rng.integers(103, 200))})]
