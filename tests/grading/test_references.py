"""A service's heavy per-grading references run in a low-priority process of
their own (grader/references.py), not on a thread of the service: the same
verdicts, a niced child in its own session, replaced when it dies."""

from __future__ import annotations

import os
import signal
import time

import pytest

from grader.grading import Grader

pytestmark = pytest.mark.asyncio(loop_scope="session")

TRAINING = "5.1.1"  # heavy lane, fresh inputs per grading: its reference trains every time


async def test_heavy_references_run_niced_in_their_own_process(grader: Grader) -> None:
    service = Grader(grader.curriculum, grader.pool, grader.settings, separate_references=True)
    assert service.references is not None
    await service.references.start()
    try:
        reference = grader.curriculum.get(TRAINING).reference
        first = await service.grade(TRAINING, reference)
        assert first["status"] == "passed", first
        pid = service.references.pid()
        assert pid is not None and pid != os.getpid()
        assert os.getpriority(os.PRIO_PROCESS, pid) == grader.settings.heavy_nice
        assert os.getsid(pid) == pid  # its own session (and autogroup)

        # a loop that never steps is judged against the reference: failed
        wrong = await service.grade(TRAINING, reference.replace("optimizer.step()", "pass"))
        assert wrong["status"] == "failed", wrong

        os.kill(pid, signal.SIGKILL)  # the reference process dies …
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        again = await service.grade(TRAINING, reference)  # … and is replaced
        assert again["status"] == "passed", again
        assert service.references.restarts == 1
        assert service.references.pid() not in (None, pid)
    finally:
        service.references.close()


async def test_drills_and_one_off_graders_keep_references_here(grader: Grader) -> None:
    """Only a service gets the process; a drill's reference never goes there."""
    assert grader.references is None  # the fixture is a one-off Grader
    service = Grader(grader.curriculum, grader.pool, grader.settings, separate_references=True)
    try:
        code = grader.curriculum.get("1.1.1").reference
        result = await service.grade("1.1.1", code)
        assert result["status"] == "passed"
        assert service.references is not None and service.references.pid() is None
    finally:
        assert service.references is not None
        service.references.close()


async def test_without_a_reference_process_references_run_here(
        grader: Grader, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine where no process can be started for them (no /dev/shm for its
    queues, say) still grades training loops: on a thread, as before."""
    from grader import references

    def refused(*args: object, **kwargs: object) -> None:
        raise OSError(38, "Function not implemented: no /dev/shm")

    monkeypatch.setattr(references, "ProcessPoolExecutor", refused)
    service = Grader(grader.curriculum, grader.pool, grader.settings, separate_references=True)
    result = await service.grade(TRAINING, grader.curriculum.get(TRAINING).reference)
    assert result["status"] == "passed", result
    assert service.references is None  # given up for this grader's life
