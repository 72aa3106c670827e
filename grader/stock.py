"""References computed ahead of time, in quiet moments, for fresh seeds.

A heavy exercise (a training loop) draws fresh hidden inputs for every
grading, so its reference solution trains again each time — as much CPU as
the learner's own run, spent while the learner waits and while everyone
else's drills compete for the same cores. Its inputs depend only on the
exercise and the seed, never on the learner's code, so the reference for a
grading can be computed before the grading arrives.

:class:`ReferenceStock` keeps a few such gradings' plans — a seed drawn from
:mod:`secrets`, the probes and hidden inputs made from it, and the reference's
result — for each heavy exercise that was graded since the grader started.
A grading takes one (each is used once: every grading still gets inputs no
one saw before), and the stock is refilled only when no grading has run for
:data:`QUIET_S`, one reference at a time, in the low-priority reference
process — so a burst's CPU goes to the burst. A refill still running when a
grading starts is *paused* (``pause``: the reference process is stopped) until
it is quiet again, unless a grading needs that process for its own reference
(:meth:`ReferenceStock.reference_needed`). With an empty stock a grading
computes its reference itself, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

#: Plans kept per exercise: two trainings submitted together both find one.
PER_EXERCISE = 2
#: How long no grading must have run before a reference is computed ahead.
QUIET_S = 0.5
#: A reference result larger than this is not kept (memory; computed per grading).
MAX_BYTES = 8 * 1024 * 1024


def fresh_seed() -> int:
    """A new grading's seed: 63 random bits. Its hidden inputs are drawn from it, and the
    code in the sandbox runs under a hash of it (``grader.grading.run_seed``): from a
    space this large no job can search its way back (2**31 seeds, hashed on 32 processes
    for a heavy exercise's minutes, could be)."""
    return secrets.randbits(63)


@dataclass
class Plan:
    """One grading, planned: its seed, probes (with the index of each probe's
    check), hidden inputs and secrets, and the reference's result."""

    seed: int
    probes: list[dict]
    owners: list[int]
    inputs: dict[str, Any]
    secrets: dict[str, Any]
    reference: tuple[dict, list[bytes]] = field(repr=False)


#: Plans a grading for (exercise id, seed), reference included; None when the
#: exercise has nothing to plan ahead (no per-grading inputs: its reference
#: is computed once and cached).
MakePlan = Callable[[str, int], Awaitable["Plan | None"]]


class ReferenceStock:
    def __init__(self, make: MakePlan, *, per_exercise: int = PER_EXERCISE,
                 quiet_s: float = QUIET_S, pause: Callable[[], None] | None = None,
                 resume: Callable[[], None] | None = None) -> None:
        """``pause``/``resume``: stop and continue what ``make`` runs on (the
        reference process) while gradings run."""
        self._make = make
        self._pause, self._resume = pause, resume
        self._refilling = False
        self._paused = False
        self._needing = 0  # gradings waiting for the reference process themselves
        self.per_exercise = per_exercise
        self.quiet_s = quiet_s
        self._plans: dict[str, deque[Plan]] = {}
        self._wanted: dict[str, None] = {}  # exercises to keep stocked, oldest first
        self._never: set[str] = set()  # nothing to plan ahead, or planning failed
        self._running = 0
        self._last_activity = 0.0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Plans handed out, and made ahead (health, tests, benchmarks).
        self.taken = 0
        self.made = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._refill_forever(),
                                                                name="reference stock")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def take(self, exercise_id: str) -> Plan | None:
        """A planned grading of this exercise, never handed out before (None:
        none in stock); the exercise is kept stocked from now on."""
        if exercise_id not in self._never and exercise_id not in self._wanted:
            self._wanted[exercise_id] = None
            self._wake.set()
        elif self.stocked(exercise_id) < self.per_exercise:
            self._wake.set()
        plans = self._plans.get(exercise_id)
        if not plans:
            return None
        self.taken += 1
        return plans.popleft()

    def stocked(self, exercise_id: str) -> int:
        return len(self._plans.get(exercise_id, ()))

    @contextlib.contextmanager
    def grading(self) -> Iterator[None]:
        """Around every grading: the stock is refilled only when none runs."""
        loop = asyncio.get_running_loop()
        self._running += 1
        self._quiet.clear()
        if self._refilling and not self._paused and not self._needing \
                and self._pause is not None:
            self._pause()
            self._paused = True
        try:
            yield
        finally:
            self._running -= 1
            self._last_activity = loop.time()
            if self._running == 0:
                self._quiet.set()

    @contextlib.contextmanager
    def reference_needed(self) -> Iterator[None]:
        """Around a grading's own use of the reference process: a paused refill
        goes on (it holds the process; the grading's reference comes next)."""
        self._needing += 1
        self._continue()
        try:
            yield
        finally:
            self._needing -= 1

    def _continue(self) -> None:
        if self._paused:
            self._paused = False
            if self._resume is not None:
                self._resume()

    async def _until_quiet(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._quiet.wait()
            left = self._last_activity + self.quiet_s - loop.time()
            if left <= 0 and self._running == 0:
                return
            await asyncio.sleep(max(left, 0.01))

    def _short(self) -> str | None:
        for exercise_id in self._wanted:
            if self.stocked(exercise_id) < self.per_exercise:
                return exercise_id
        return None

    async def _refill_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while (exercise_id := self._short()) is not None:
                await self._until_quiet()
                try:
                    plan = await self._make_paused_while_busy(exercise_id)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("could not plan a grading of %s ahead; its gradings "
                                  "compute their own references", exercise_id)
                    plan = None
                if plan is None or _size(plan) > MAX_BYTES:  # failed, nothing to gain, too big
                    self._wanted.pop(exercise_id, None)
                    self._never.add(exercise_id)
                    continue
                self._plans.setdefault(exercise_id, deque()).append(plan)
                self.made += 1

    async def _make_paused_while_busy(self, exercise_id: str) -> Plan | None:
        making = asyncio.ensure_future(self._make(exercise_id, fresh_seed()))
        self._refilling = True
        try:
            while not making.done():
                await asyncio.wait({making}, timeout=self.quiet_s)
                if self._paused and self._running == 0:
                    await self._until_quiet()
                    self._continue()
            return making.result()
        finally:
            self._refilling = False
            self._continue()
            making.cancel()


def _size(plan: Plan) -> int:
    header, blobs = plan.reference
    return sum(len(b) for b in blobs) + len(repr(header))
