"""Errors the grader raises to its callers (CLI exit 2, HTTP 4xx/503)."""

from __future__ import annotations


class UnknownExercise(LookupError):
    """No exercise with this id."""

    def __init__(self, exercise_id: str, suggestions: list[str] | None = None) -> None:
        self.exercise_id = exercise_id
        self.suggestions = suggestions or []
        hint = f" Did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        shown = exercise_id if len(exercise_id) <= 40 else exercise_id[:40] + "…"
        super().__init__(f"unknown exercise {shown!r}.{hint}")  # the id is the caller's text


class PoolBusy(RuntimeError):
    """Every worker is busy and the waiting queue is full."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"the grader is busy; retry in {retry_after:.0f} s")


class PoolUnavailable(PoolBusy):
    """No worker can take a job: those that died could not be restarted (they are
    tried again with back-off). Answered like a full queue (503, ``Retry-After``):
    the job was never run, so it is no verdict on the submission."""

    def __init__(self, retry_after: float, reason: str = "") -> None:
        super().__init__(retry_after)
        self.reason = reason
        self.args = (f"the grader cannot start a sandbox right now; retry in "
                     f"{retry_after:.0f} s",)


class WorkerLost(RuntimeError):
    """A warm worker died or stopped answering (it is restarted)."""


class WorkerUnclean(WorkerLost):
    """A worker's cgroup is not clean: memory a job left is still charged to it,
    or its limits cannot be written (EBUSY). It is replaced, never reused."""
