"""Checks of 2.3.1c: the prompt's worked example plus hidden random sequences.

Hidden cases vary B, L, F, window and stride (strides that don't fit L exactly
included), one sequence is shorter than the window (empty result) and one exactly
as long as it (one window). The prompt
promises the input's dtype, empty result included: on every seed one ordinary and
one too-short sequence are float64, so a result built with the default dtype
(``torch.empty(B, 0, W, F)``) fails.
"""

import torch

from curriculum.judges.cases import each_case, labels_for
from curriculum.judges.compare import close
from curriculum.judges.data import randn
from curriculum.judges.values import problem


def _case(rng, short=False, dtype=torch.float32, default_stride=False):
    b, f = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    window = int(rng.integers(2, 6))
    length = int(rng.integers(1, window)) if short else int(rng.integers(window, 20))
    stride = 1 if default_stride else int(rng.integers(1, 4))
    kwargs = {"stride": stride} if not default_stride and (
        stride != 1 or rng.random() < 0.5) else {}
    return (randn(rng, b, length, f, dtype=dtype), window), kwargs


def make_cases(rng):
    example = ((torch.arange(20.0).reshape(1, 10, 2), 3), {"stride": 2})
    # one ordinary case on every seed uses the default stride (no stride passed): a
    # signature with another default fails it
    cases = [_case(rng, default_stride=True), _case(rng), _case(rng), _case(rng, short=True),
             _case(rng, dtype=torch.float64), _case(rng, short=True, dtype=torch.float64)]
    order = rng.permutation(len(cases))
    hidden = [cases[i] for i in order]
    # drawn after all the above (each seed's other cases stay as they were): a sequence
    # exactly as long as the window, which holds one window (`L <= window_size` -> none
    # passed while no length equalled the window)
    hidden.insert(int(rng.integers(0, len(hidden) + 1)), _exact_case(rng))
    return [example, *hidden]


def _exact_case(rng):
    b, f = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    window = int(rng.integers(2, 6))
    dtype = torch.float64 if rng.random() < 0.5 else torch.float32
    return (randn(rng, b, window, f, dtype=dtype), window), {"stride": int(rng.integers(1, 4))}


def judge_windows(learner, reference, inputs, ctx):
    """cases.results, with the fault named when each window's values are in (feature,
    time) order — unfold's (B, n, F, window) relabelled by a reshape instead of
    transposed."""
    def compare(found, expected, where):
        bad = problem(found, expected, f"{where}: the result")
        if (bad and isinstance(found, torch.Tensor) and isinstance(expected, torch.Tensor)
                and found.dim() == 4 and expected.dim() == 4 and found.shape[1] == 0
                and expected.shape[1] > 0):
            return bad[0], (f"{bad[1]} — the sequence holds {expected.shape[1]} window(s): "
                            "only L < window_size gives none (a sequence exactly as long "
                            "as the window holds one)")
        if (bad and bad[0] == "value" and isinstance(found, torch.Tensor)
                and isinstance(expected, torch.Tensor) and found.shape == expected.shape
                and found.dim() == 4 and found.numel() > 0):
            relabelled = expected.transpose(2, 3).reshape(expected.shape)
            if close(found.to(torch.float64), relabelled.to(torch.float64), rtol=1e-5,
                     atol=1e-6):
                return "value", (f"{bad[1]} — each window holds its values in (feature, "
                                 "time) order: unfold gives (B, num_windows, F, "
                                 "window_size), and a reshape/view only relabels those "
                                 "dims; swap them (transpose the last two)")
        return bad

    n = len(reference.value) if isinstance(reference.value, list) else 0
    return each_case(learner, reference, "create_sliding_windows", compare,
                     labels_for(n, 1), stop_at_first=True)
