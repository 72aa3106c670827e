"""Indexing drills (Exercise 1.2): a name bound by indexing syntax on the learner's base.

The base tensors are random (``x = torch.randn(4, 5, 6)``), so the expected
value is the drill's own expression evaluated here, on the trusted side, on
the learner's own base — then compared exactly (indexing copies no numbers,
it selects them) — and the binding must be pure indexing syntax.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from curriculum.judges.source import index_form_problem, pure_indexing_problem
from curriculum.judges.text import dtype_name, fmt_shape, type_name
from grader.checks.base import Outcome, Verdict


def _base_problem(bases: dict[str, Any], shapes: dict[str, list[int]]) -> str | None:
    for name, shape in shapes.items():
        value, want = bases.get(name), tuple(shape)
        if not isinstance(value, torch.Tensor):
            return (f"it is compared with your own base tensor `{name}`, which should be a "
                    f"torch.Tensor of shape {fmt_shape(want)}; found {type_name(value)}")
        if tuple(value.shape) != want:
            return (f"it is compared with your own base tensor `{name}`, which should have "
                    f"shape {fmt_shape(want)}; found {fmt_shape(value.shape)}")
    return None


def indexed(learner: Outcome, reference: Outcome, inputs: Any, ctx: Any, *, name: str,
            expr: str, bases: dict[str, list[int]], form: str | None = None,
            quiz: bool = False) -> Verdict:
    """``name`` must equal ``expr`` (e.g. ``x[0, 1, 2]``) taken from the learner's own
    bases (``{"x": [4, 5, 6]}``), written with indexing syntax only — and, with
    ``form``, in the form the variant practises (``negative``, ``slice``).

    With ``quiz`` (a question whose prompt does not show the expression) no message
    shows ``expr``: a wrong answer is told what is wrong, not the answer."""
    verdict = _indexed(learner, ctx, name=name, expr=expr, bases=bases, form=form, quiz=quiz)
    if quiz and not verdict.ok:
        verdict.message = verdict.message.replace(expr, _hidden(expr))
    return verdict


def _hidden(expr: str) -> str:
    """``x[1:3]`` → ``x[…]``: the base named, the answer left out."""
    return expr.split("[", 1)[0] + "[…]"


def _indexed(learner: Outcome, ctx: Any, *, name: str, expr: str,
             bases: dict[str, list[int]], form: str | None, quiz: bool) -> Verdict:
    data = learner.value
    if not isinstance(data, dict):
        return Verdict(False, "value", "could not read your values")
    used = {b: shape for b, shape in bases.items() if re.search(rf"\b{b}\[", expr)}
    own = {b: data.get(b) for b in used}
    bad = _base_problem(own, used)
    if bad:
        return Verdict(False, "value", f"can't check `{name}`: {bad}")
    value = data.get(name)
    if not isinstance(value, torch.Tensor):
        return Verdict(False, "type", f"`{name}` should be a torch.Tensor (indexing a tensor "
                                      f"gives a tensor — a 0-d one for a single element; don't "
                                      f"call .item() or .tolist()); found {type_name(value)}")
    expected = eval(expr, {"__builtins__": {}}, dict(own))  # our own expression, their data
    if tuple(value.shape) != tuple(expected.shape):
        if quiz:
            return Verdict(False, "shape", f"`{name}`: the answer has shape "
                                           f"{fmt_shape(expected.shape)}; yours has "
                                           f"{fmt_shape(value.shape)} — re-read which dims "
                                           "the question indexes and which it keeps")
        return Verdict(False, "shape", f"`{name}` should be `{expr}`, of shape "
                                       f"{fmt_shape(expected.shape)}; found "
                                       f"{fmt_shape(value.shape)}")
    if value.dtype != expected.dtype:
        return Verdict(False, "dtype", f"`{name}` should keep the base tensor's dtype "
                                       f"{dtype_name(expected)}; found {dtype_name(value)}")
    if not torch.equal(value, expected):
        wrong = int((value != expected).sum().item())
        what = "the ones the question asks for," if quiz else f"those of `{expr}`"
        return Verdict(False, "value", f"`{name}` has the right shape but {wrong} of "
                                       f"{value.numel()} values are not {what} taken "
                                       f"from your own `{next(iter(used))}`")
    bad = pure_indexing_problem(ctx, name, expr) or (
        index_form_problem(ctx, name, expr, form) if form else None)
    if bad:
        return Verdict(False, "api", bad)
    return Verdict(True, "value")
