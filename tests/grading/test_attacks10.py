"""Tenth attack round: what a submission leaves behind to act between the harness's
steps, and work hidden in a thread.

- Extra training on validation rows, in batches of 16 with two steps each, run in a
  thread the learner joins: the week-5 recorders counted only the probe's own thread
  (5.1.3 passed 10/10). In the jail, where the job is the only one, they now count every
  thread (``SANDBOXED``); in the judge, references of other jobs run in other threads.
- A trace function (``sys.settrace``) or an interval timer's signal handler that
  re-bound ``torch.is_grad_enabled`` after the harness put it back, before the probe took
  its functions (5.1.3's validation without ``no_grad`` passed). The harness now clears
  trace and profile functions, interval timers and signal handlers before each probe.
- A fake ``torch.optim.optimizer`` in ``sys.modules``, whose step-hook registration made
  the recorder see clipped gradients while the step used the unclipped ones (5.1.4
  passed without a clip). ``sys.modules`` entries, and modules held as attributes, are
  put back too.
- A thread still running after the module or a checked call returns would do all of
  this at any moment: the job, or the check, now ends with an error that says so.
"""

from __future__ import annotations

import pytest

from tests.grading.tampering import FAKE_GRAD_MODE, reference, validation_with_grad

ASYNC = pytest.mark.asyncio(loop_scope="session")


def _edit(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)


TRACER = FAKE_GRAD_MODE + '''

def _tracer(frame, event, arg):
    if event == "call" and frame.f_code.co_filename == "<probe>":
        _rebind()


_sys.settrace(_tracer)
'''

TIMER = FAKE_GRAD_MODE + '''
_signal.signal(_signal.SIGALRM, _rebind)
_signal.setitimer(_signal.ITIMER_REAL, 0.0002, 0.0002)
'''

THREAD_LEAK = (
    "        train_loss = 0.0\n        for data, target in train_loader:\n",
    "        train_loss = 0.0\n"
    "        def _leak():  # extra steps on the validation rows, two per batch of 16\n"
    "            for data, target in DataLoader(TensorDataset(X_val, y_val), batch_size=16):\n"
    "                optimizer.zero_grad()\n"
    "                criterion(model(data), target).backward()\n"
    "                optimizer.step()\n"
    "                optimizer.step()\n"
    "        _t = __import__('threading').Thread(target=_leak)\n"
    "        _t.start()\n"
    "        _t.join()\n"
    "        for data, target in train_loader:\n")

FAKE_OPTIMIZER_MODULE = '''
import sys as _sys
import types as _types
import torch.optim.optimizer as _real_oo

_fake = _types.ModuleType("torch.optim.optimizer")
_fake.__dict__.update(_real_oo.__dict__)
_real_reg = _real_oo.register_optimizer_step_pre_hook


def _reg(hook):
    def wrapped(opt, args, kwargs):  # the recorder sees gradients scaled under 1
        grads = [p.grad for g in opt.param_groups for p in g["params"] if p.grad is not None]
        saved = [g.clone() for g in grads]
        with torch.no_grad():
            total = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
            for g in grads:
                g.mul_(0.999 / max(total, 1.0))
        try:
            return hook(opt, args, kwargs)
        finally:
            with torch.no_grad():
                for g, s in zip(grads, saved):
                    g.copy_(s)
    return _real_reg(wrapped)


_fake.register_optimizer_step_pre_hook = _reg
_sys.modules["torch.optim.optimizer"] = _fake
'''


def _thread_leak() -> str:
    return _edit(reference("5.1.3"), *THREAD_LEAK)


def _unclipped_with_fake_module() -> str:
    source = _edit(reference("5.1.4"),
                   "            torch.nn.utils.clip_grad_norm_(model.parameters(), "
                   "max_norm=1.0)\n", "")
    return source + FAKE_OPTIMIZER_MODULE


@ASYNC
@pytest.mark.slow
@pytest.mark.parametrize(("exercise_id", "build", "check", "fragment"), [
    ("5.1.3", lambda: validation_with_grad(TRACER), "train_loop_11", "torch.no_grad()"),
    ("5.1.3", lambda: validation_with_grad(TIMER), "train_loop_11", "torch.no_grad()"),
    ("5.1.3", _thread_leak, "train_loop_11", ""),
    ("5.1.4", _unclipped_with_fake_module, "train_loop_16", "clip"),
], ids=["settrace", "signal-timer", "thread-leak", "fake-sys-modules"])
async def test_what_acts_between_the_harness_steps_is_undone(
        grader, exercise_id, build, check, fragment):
    result = await grader.grade(exercise_id, build(), seed=3)
    failed = {c["id"]: c["message"] for c in result["checks"] if c["status"] == "failed"}
    assert result["status"] == "failed" and check in failed, (result["status"], failed)
    assert fragment in failed[check], failed


STILL_RUNNING = '''
import threading as _threading
import time as _time


def _forever():
    while True:
        _time.sleep(0.01)


_threading.Thread(target=_forever, daemon=True).start()
'''


@ASYNC
async def test_a_thread_left_running_ends_the_job_with_a_clear_error(grader, curriculum):
    result = await grader.grade("1.1.1", curriculum.get("1.1.1").reference + STILL_RUNNING)
    assert result["status"] == "error", result["status"]
    assert "left 1 thread running" in result["message"], result["message"]
    assert "join" in result["message"]


@ASYNC
async def test_threads_joined_before_returning_are_fine(grader, curriculum):
    joined = ("\nimport threading as _threading\n"
              "_t = _threading.Thread(target=lambda: None)\n_t.start()\n_t.join()\n")
    result = await grader.grade("1.1.1", curriculum.get("1.1.1").reference + joined)
    assert result["status"] == "passed", result["message"]


def test_the_guard_puts_back_what_the_probes_import_and_torch_s_module_attributes():
    """The job guard keeps the ``sys.modules`` entries of every module a probe of the job
    imports (and the watched torch modules), and restore_pristine puts back a watched
    module attribute (``torch.optim`` pointed at a fake) — each only what probes use, as
    each object read in a freshly forked job costs it a copied memory page."""
    import sys
    import types

    import torch

    from grader.sandbox import harness

    probe = {"op": "script", "code": "import json\n    from tempfile import x\n"}
    guard = harness._JobGuard([probe])
    real_tempfile, real_optimizer, real_optim = (sys.modules["tempfile"],
                                                 sys.modules["torch.optim.optimizer"], torch.optim)
    harness._JOB = guard
    try:
        sys.modules["tempfile"] = types.ModuleType("tempfile")
        sys.modules["torch.optim.optimizer"] = types.ModuleType("torch.optim.optimizer")
        torch.optim = types.ModuleType("torch.optim")
        harness.restore_pristine()
        assert sys.modules["tempfile"] is real_tempfile
        assert sys.modules["torch.optim.optimizer"] is real_optimizer
        assert torch.optim is real_optim
    finally:
        harness._JOB = None
        sys.modules["tempfile"], sys.modules["torch.optim.optimizer"] = (real_tempfile,
                                                                         real_optimizer)
        torch.optim = real_optim


def test_restore_pristine_puts_back_sys_getframe():
    """The entry recorders (curriculum/probes/rows.py) read the call stack with
    ``sys._getframe``: a submission rebinding it could make every forward look nested."""
    import sys

    from grader.sandbox import harness

    real = sys._getframe
    try:
        sys._getframe = lambda depth=0: None
        harness.restore_pristine()
        assert sys._getframe is real
    finally:
        sys._getframe = real
