"""Eleventh attack round: what runs *inside* the harness's own steps.

- A ``TorchFunctionMode`` entered at import and never left intercepted every torch call of
  every probe, the recorders' arithmetic included: 5.1.4's step hook read a gradient norm
  of exactly 1.0 while only the bias was clipped (10/10). The harness now empties torch's
  function and dispatch mode stacks before each probe, and the recorders' arithmetic runs
  with ``__torch_function__`` off, with functions the harness took at its import.
- An audit hook (``sys.addaudithook``) cannot be removed: it fired as each probe script
  started and re-bound ``torch.is_grad_enabled`` after it had been put back (5.1.3's
  validation without ``no_grad`` passed). The sandbox's policy refuses new hooks.
- A ``gc`` callback runs at any collection, so between any two of the harness's steps:
  the harness puts ``gc.callbacks`` back before each probe.
"""

from __future__ import annotations

import pytest

from tests.grading.tampering import (
    FAKE_GRAD_MODE,
    reference,
    validation_with_grad,
    with_prelude,
)

ASYNC = pytest.mark.asyncio(loop_scope="session")


FORGING_MODE = '''
from torch.overrides import TorchFunctionMode as _TFM

_FORGE = [False]


class _Quiet(_TFM):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__name__", "") == "backward":
            return torch.autograd.backward(args[0], kwargs.get("gradient"),
                                           kwargs.get("retain_graph"),
                                           kwargs.get("create_graph", False),
                                           inputs=kwargs.get("inputs"))
        out = func(*args, **kwargs)
        if _FORGE[0] and func is torch.square:  # norms read as 1.0
            return torch.full_like(out, 0.5 / out.numel())
        return out


_Quiet().__enter__()
'''

REBIND_AT_EXEC = FAKE_GRAD_MODE + '''
import gc as _gc

_sys.addaudithook(lambda event, args: _rebind() if event == "exec" else None)
_gc.callbacks.append(lambda phase, info: _rebind())
'''


def _bias_only_clip_under_a_mode() -> str:
    source = reference("5.1.4")
    old = "            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n"
    assert source.count(old) == 1
    source = source.replace(old, "            _FORGE[0] = True\n" + old.replace(
        "model.parameters()", "list(model.parameters())[-1:]"))
    return with_prelude(source, FORGING_MODE)


def _validation_with_grad_rebound_at_exec() -> str:
    return validation_with_grad(REBIND_AT_EXEC)


@ASYNC
@pytest.mark.slow
@pytest.mark.parametrize(("exercise_id", "build", "check", "fragment"), [
    ("5.1.4", _bias_only_clip_under_a_mode, "train_loop_16", "clip"),
    ("5.1.3", _validation_with_grad_rebound_at_exec, "train_loop_11", "torch.no_grad()"),
], ids=["function-mode", "audit-hook-and-gc-callback"])
async def test_what_runs_inside_the_harness_steps_is_stopped(
        grader, exercise_id, build, check, fragment):
    result = await grader.grade(exercise_id, build(), seed=3)
    failed = {c["id"]: c["message"] for c in result["checks"] if c["status"] == "failed"}
    assert result["status"] == "failed" and check in failed, (result["status"], failed)
    assert fragment in failed[check], failed
