"""Ninth attack round: rebinding what the probes' recorders call *while* the learner's
function runs, or at import in a torch module the harness did not put back.

The harness restores torch before each probe, but a recorder's hooks fire inside the
learner's call, where an assignment made a moment earlier answered for them:
``torch.is_grad_enabled = lambda: False`` around a validation loop made 5.1.3's
validation with gradients on read as ``no_grad`` (10/10); ``Tensor.double`` answering
zeros during ``optimizer.step()`` made 5.2.1's unclipped gradients read as small (8/8);
and ``torch.optim.optimizer.register_optimizer_step_pre_hook`` rebound at import, to
drop the clipping recorder's hook, hid 6.1.4b's missing clip (10/10). The recorders now
call functions bound when the probe starts (``curriculum/probes/trusted.py``), and the
harness also puts back the optimizer, ``torch.nn.utils``, ``torch.autograd`` and
``torch.utils.data`` modules, and torch's global modes (grad mode, default dtype),
before each probe.
"""

from __future__ import annotations

import pytest

from tests.grading.tampering import reference, with_prelude

ASYNC = pytest.mark.asyncio(loop_scope="session")


def _edit(source: str, edits: list[tuple[str, str]], *, every: bool = False) -> str:
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new) if every else source.replace(old, new, 1)
    return source


PRETEND_NO_GRAD = '''
import contextlib as _contextlib

_real_is_grad_enabled = torch.is_grad_enabled


@_contextlib.contextmanager
def _pretend():
    torch.is_grad_enabled = lambda: False  # gradients stay on; only the question lies
    try:
        yield
    finally:
        torch.is_grad_enabled = _real_is_grad_enabled
'''

ZERO_DOUBLE_STEP = '''
_dummy = torch.zeros(1, requires_grad=True)


def _step(optimizer):
    real = torch.Tensor.double
    torch.Tensor.double = lambda t, *a, **k: real(t, *a, **k) * 0  # norms read as zero
    try:
        optimizer.step()
    finally:
        torch.Tensor.double = real
'''

DROP_THE_CLIP_HOOK = '''
import torch.optim.optimizer as _oo

_real_register = _oo.register_optimizer_step_pre_hook


class _NoHandle:
    def remove(self):
        pass


def _register(hook):
    if getattr(hook, "__name__", "") == "norm":  # the clipping recorder's step hook
        return _NoHandle()
    return _real_register(hook)


_oo.register_optimizer_step_pre_hook = _register


def _never_called(model):
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
'''


def validation_with_grad_that_says_no_grad() -> str:
    source = with_prelude(reference("5.1.3"), PRETEND_NO_GRAD)
    return _edit(source, [("with torch.no_grad():", "with _pretend():")], every=True)


def model_never_clipped_norms_read_as_zero() -> str:
    source = with_prelude(reference("5.2.1"), ZERO_DOUBLE_STEP)
    return _edit(source, [(
        "            torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=1.0)\n"
        "            self.optimizer.step()",
        "            _dummy.grad = torch.ones(1)\n"
        "            torch.nn.utils.clip_grad_norm_([_dummy], max_norm=1.0)\n"
        "            _step(self.optimizer)")])


def no_clip_with_the_step_hook_dropped() -> str:
    source = with_prelude(reference("6.1.4b"), DROP_THE_CLIP_HOOK)
    return _edit(source, [
        ("            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n", "")])


@ASYNC
@pytest.mark.slow
@pytest.mark.parametrize(("exercise_id", "build", "check", "fragment"), [
    ("5.1.3", validation_with_grad_that_says_no_grad, "train_loop_11", "torch.no_grad()"),
    ("5.2.1", model_never_clipped_norms_read_as_zero, "multitask_training", "clip"),
    ("6.1.4b", no_clip_with_the_step_hook_dropped, "training", "clip"),
])
async def test_a_recorder_is_not_fooled_by_what_the_learner_rebinds(
        grader, exercise_id, build, check, fragment):
    result = await grader.grade(exercise_id, build(), seed=3)
    assert result["status"] == "failed", result["score"]
    failed = {c["id"]: c["message"] for c in result["checks"] if c["status"] == "failed"}
    assert check in failed and fragment in failed[check], failed


IMPORT_TIME_MODES = '''
torch.set_grad_enabled(False)
torch.set_default_dtype(torch.float64)
'''


@ASYNC
async def test_global_modes_changed_at_import_do_not_reach_the_probes(grader):
    """The reference with gradients turned off and float64 made the default at import
    still passes: every probe starts in the modes a job starts in (before, each later
    probe — and the recorders' own no_grad blocks — ran in the learner's)."""
    source = with_prelude(reference("3.2.1"), IMPORT_TIME_MODES)
    result = await grader.grade("3.2.1", source, seed=3)
    assert result["status"] == "passed", [
        (c["id"], c["message"]) for c in result["checks"] if c["status"] != "passed"]
