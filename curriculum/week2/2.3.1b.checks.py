"""Checks of 2.3.1b: patches of the seed's example and of hidden batches.

Hidden batches have random patch sizes, and at least two of them have H and/or
W not divisible by the patch size (the seed's "images that don't divide
evenly": the remainder is cropped). One case uses the default patch_size, and
one is float64 (the result keeps the input's dtype).
"""

import torch

from curriculum.judges.cases import each_case, labels_for, shuffled
from curriculum.judges.compare import close
from curriculum.judges.data import randn
from curriculum.judges.values import problem


def _case(rng, divisible):
    p = int(rng.choice([2, 3, 4, 5, 8]))
    gh, gw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    h, w = gh * p, gw * p
    if not divisible:
        h += int(rng.integers(1, p)) if rng.random() < 0.7 else 0
        w += int(rng.integers(1, p))
    b, c = int(rng.integers(1, 4)), int(rng.choice([1, 3]))
    return (randn(rng, b, c, h, w),), {"patch_size": p}


def make_cases(rng):
    cases = [((randn(rng, 2, 3, 224, 224),), {})]  # seed's size, default patch_size=16
    (f64,), f64_kw = _case(rng, bool(rng.integers(0, 2)))
    cases += [_case(rng, True), _case(rng, False), _case(rng, False),
              ((randn(rng, int(rng.integers(1, 3)), 3, 40, 50),), {}),  # default p, 40x50
              ((f64.double(),), f64_kw)]  # "same dtype as the input"
    return shuffled(rng, cases, examples=1)


def judge_patches(learner, reference, inputs, ctx):
    """cases.results, with the fault named when the values are off but the shape and dtype
    are right: the patches transposed, the right patches in another order, or no p×p
    blocks at all (a reshape without the permute)."""
    def compare(found, expected, where):
        bad = problem(found, expected, f"{where}: the result")
        if (bad and bad[0] == "value" and isinstance(found, torch.Tensor)
                and isinstance(expected, torch.Tensor) and found.shape == expected.shape
                and found.dtype == expected.dtype and found.numel() > 0):
            hint = _patch_hint(found, expected)
            if hint:
                return "value", f"{bad[1]} — {hint}"
        return bad

    n = len(reference.value) if isinstance(reference.value, list) else 0
    return each_case(learner, reference, "extract_image_patches", compare,
                     labels_for(n, 1), stop_at_first=True)


def _patch_hint(found, expected):
    f, e = found.to(torch.float64), expected.to(torch.float64)
    if close(f, e.transpose(-1, -2), rtol=1e-5, atol=1e-6):
        return ("each patch has its rows and columns swapped: keep the pixel order of "
                "the image inside a patch")
    b, num = e.shape[:2]
    same_blocks = True
    for i in range(b):
        mine, theirs = f[i].reshape(num, -1), e[i].reshape(num, -1)
        nearest = torch.cdist(mine, theirs).argmin(dim=1)  # then compared exactly
        if not close(mine, theirs[nearest], rtol=1e-5, atol=1e-6):
            same_blocks = False
            break
    if same_blocks:
        return ("the patches are the right blocks in another order: number them row by "
                "row, patch i·(W//p) + j is rows i·p…(i+1)·p, columns j·p…(j+1)·p")
    return ("the patches do not hold p×p blocks of the image: a reshape alone mixes "
            "rows of different blocks; split H and W into (H//p, p) and (W//p, p) and "
            "move the two grid dims in front of C (permute) before merging them")
