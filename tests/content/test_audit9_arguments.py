"""Ninth audit: arguments only ever tried at one value, and a side effect nobody looked at.

- 5.1.4 (train_loop_18): the loop was only called with its default accumulation_steps=4,
  so a loop that typed in ``/ 4`` and ``% 4 == 0`` passed. The check's own probe
  (``week5/5.1.4.probe.py``) now calls it again with accumulation_steps=2, which must update
  like plain SGD on batches of 16, with 100 optimizer steps.
- final.2: ``integrated_gradients`` was called with steps=20 on a linear model (any step
  count is exact there) and steps=200 on a tanh network within 3 %, so a fixed 50 steps
  passed. It is now also called with steps=2 on the tanh network, where the sum over
  exactly 2 steps (left, right, midpoint or trapezoid) is far from the integral.
- 6.2.1: ``saliency`` got a copy of the probe's x, so one that called
  ``x.requires_grad_(True)`` on the caller's tensor (the contract: a copy of x) passed. The
  probe now hands over a tensor of its own and checks afterwards that it neither requires
  grad nor holds a .grad.
"""

from __future__ import annotations

import pytest
from audit_support import fails_with_its_cause, passes

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEEDS = (3, 17)

_ACC_MSG = "called with accumulation_steps=2"
_IG_LOOP = "    for k in range(1, steps + 1):\n"
_IG_POINT = ("        point = (baseline + k / steps * (x - baseline))"
             ".detach().requires_grad_(True)\n")
_IG_RETURN = "    return (x - baseline) * total / steps\n"
_COPY = "    x = x.clone().requires_grad_(True)\n"

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: only the default accumulation_steps=4 was ever used
    "5.1.4-accumulation-steps-typed-in": ("5.1.4", [
        ("            loss = criterion(output, target) / accumulation_steps\n",
         "            loss = criterion(output, target) / 4\n"),
        ("            if (batch_idx + 1) % accumulation_steps == 0:\n",
         "            if (batch_idx + 1) % 4 == 0:\n")],
        "train_loop_18", [_ACC_MSG, "plain SGD on batches of 16", "not a typed-in 4"]),
    "5.1.4-accumulation-steps-typed-in-modulo": ("5.1.4", [
        ("            if (batch_idx + 1) % accumulation_steps == 0:\n",
         "            if (batch_idx + 1) % 4 == 0:\n")],
        "train_loop_18", [_ACC_MSG, "not a typed-in 4"]),
    # passed: steps=20 on a linear model and steps=200 within 3 % cannot tell 50 steps
    "final.2-integrated-gradients-ignores-steps": ("final.2", [
        (_IG_LOOP, "    for k in range(1, 51):\n"),
        (_IG_POINT, _IG_POINT.replace("k / steps", "k / 50")),
        (_IG_RETURN, _IG_RETURN.replace("/ steps", "/ 50"))],
        "interpretability", ["steps=2", "match no sum with that many steps",
                             "use the `steps` argument"]),
    # passed: the probe handed saliency a copy, so the side effect was never seen
    "6.2.1-saliency-mutates-the-callers-x": ("6.2.1", [
        (_COPY, "    x.requires_grad_(True)\n")],
        "saliency", ["saliency changed the x it was given", "work on a copy",
                     "x.clone().requires_grad_(True)"]),
}

# (exercise, edits of the reference): right, written another way
CORRECT = {
    "5.1.4-reference": ("5.1.4", []),
    "final.2-reference": ("final.2", []),
    "final.2-midpoint-rule": ("final.2", [
        (_IG_POINT, _IG_POINT.replace("k / steps", "(k - 0.5) / steps"))]),
    "final.2-left-rule": ("final.2", [(_IG_LOOP, "    for k in range(steps):\n")]),
    "6.2.1-reference": ("6.2.1", []),
    "6.2.1-saliency-on-a-detached-tensor": ("6.2.1", [
        (_COPY, "    x = x.detach().requires_grad_(True)\n")]),
}


@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_solution_fails_with_its_cause(grader, curriculum, name):
    await fails_with_its_cause(grader, curriculum, WRONG[name], SEEDS, name)


@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    await passes(grader, curriculum, CORRECT[name], SEEDS, name)


async def test_ig_standard_sums_with_two_steps_are_told_from_fifty(curriculum) -> None:
    """On the hidden tanh networks of many seeds, every standard rule with steps=2 is
    accepted and none with another step count is (a fixed 50 is ≈ the integral). Not 3:
    the trapezoid over linspace(0, 1, 3) is the trapezoid over 2 intervals — the two
    readings of `steps` (points or intervals) both pass."""
    import numpy as np
    import torch

    from grader.grading import _checks_module

    checks = _checks_module(curriculum.get("final.2"))
    for seed in range(20):
        inputs = checks["make_ig"](np.random.default_rng(seed))
        m = inputs["mlp"]
        x, base, col = m["x"], m["base"], m["column"]
        for steps, ok in ((2, True), (4, False), (50, False)):
            for attr in checks["coarse_sums"](inputs, x, base, col, steps).values():
                problem = checks["_coarse_problem"](attr.float(), inputs, x, base, col)
                assert (problem is None) is ok, (seed, steps)
        assert checks["_coarse_problem"](torch.zeros_like(x), inputs, x, base, col)
