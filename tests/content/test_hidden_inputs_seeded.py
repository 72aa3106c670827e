"""Hidden inputs are a function of the grading's seed, and of nothing else.

Eight exercises drew their hidden tensors' values from torch's global random
generator instead of the grading's ``rng``: the same seed gave other values on
every grading (a verdict could not be reproduced from its seed, and a value-
dependent mutant passed on some draws: 2.3.2c's unclamped ``sqrt``), and, worse,
drawing them moved the global generator that a reference solution running on the
grader's reference thread was drawing its own values from at that moment. Every
input function of every exercise is checked here, so a new one cannot slip back.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_hidden_case_order import hidden_inputs

from curriculum.loader import load_curriculum

SEED = 4242


def _with_inputs() -> list[str]:
    return [e.id for e in load_curriculum().ordered()
            if any(c.kind == "python" and c.inputs for c in e.checks)]


def _same(a: object, b: object) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape \
            and bool(torch.equal(a.nan_to_num(0.5), b.nan_to_num(0.5))) \
            and bool(torch.equal(a.isnan(), b.isnan()))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # NaN
    return a == b


@pytest.mark.parametrize("exercise_id", _with_inputs())
def test_hidden_inputs_come_from_the_seed_alone(curriculum, exercise_id: str) -> None:
    exercise = curriculum.get(exercise_id)
    torch.manual_seed(1)
    before = torch.get_rng_state()
    first = hidden_inputs(exercise, SEED)
    assert torch.equal(before, torch.get_rng_state()), (
        f"{exercise_id}: drawing the hidden inputs moved torch's global generator; "
        "draw from the grading's rng (curriculum.judges.data.randn)")
    torch.manual_seed(2)  # another global state: the same seed must give the same inputs
    assert _same(first, hidden_inputs(exercise, SEED)), \
        f"{exercise_id}: the same seed gave other hidden inputs"
