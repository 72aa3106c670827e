"""Creation drills whose numbers come from the call's arguments (Exercise 1.1's
``torch.arange`` and ``torch.linspace`` sets): the value, then the call that built it,
then that the value *is* that call's result — not arithmetic on it or ``.flip()``.

The value is the reference's (same probe, same names), compared exactly for integer
tensors and within ``rtol``/``atol`` for floating ones; the API and form are judged
on the source (:func:`curriculum.judges.source.direct_call_problem`).
"""

from __future__ import annotations

from typing import Any

from curriculum.judges.source import api_problem, direct_call_problem
from curriculum.judges.values import tensor_problem
from grader.checks.base import Outcome, Verdict


def sequence(learner: Outcome, reference: Outcome, inputs: Any, ctx: Any, *, name: str,
             function: str, rtol: float = 1e-5, atol: float = 1e-6) -> Verdict:
    """``name`` equals the reference's tensor and is ``torch.<function>(…)``'s own result."""
    got = learner.value.get(name) if isinstance(learner.value, dict) else None
    want = reference.value[name]
    bad = tensor_problem(got, want, f"`{name}`", rtol=rtol, atol=atol)
    if bad:
        return Verdict(False, *bad)
    api = api_problem(ctx, name, [f"torch.{function}"])
    if api:
        return Verdict(False, "api", api)
    form = direct_call_problem(ctx, name, function)
    if form:
        return Verdict(False, "api", form)
    return Verdict(True, "value")
