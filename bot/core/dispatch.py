"""Grading dispatch: when, where and how many submissions are graded at once.

A submission is a row first (:mod:`bot.core.submissions`); the dispatcher
hands queued rows to the job engine (:mod:`bot.core.jobs`) and the engine's
workers run :meth:`Dispatcher.run` for them:

* **concurrently, bounded** — each lane of a process has its own worker slots
  (:class:`~bot.core.lanes.LaneSlots`); beyond them the grader's own queue and
  its 503/``Retry-After`` back-pressure apply (the submission is requeued);
* **in order per member, one at a time** — the engine's per-member lock, and
  :meth:`run` itself grades a member's older submissions first;
* **fair** — priorities round-robin across members (a member with 20 queued
  takes one slot, and a newcomer goes before their second);
* **in lanes** — a drill never waits for a training check's slot;
* **without losing or doubling anything** — the row is the record: a job
  lost with its process is rebuilt by the sweeper, a submission claimed by a
  worker that died is given back (engine heartbeats, then the lease), and a
  second verdict for one submission is refused by the database.

The sweeper (:meth:`sweep`) runs in every process that serves chat or
grades: woken at once by :meth:`kick` (after a submission, after a job), and
every :data:`SWEEP_S` for retries that came due and for jobs of dead workers.
Verdicts reach members through the notices (:mod:`bot.core.notices`), never
through the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.core.context import CoreContext
from bot.core.jobs import GRACE_S, HEARTBEAT_S, STALLED_S, JobEngine
from bot.core.lanes import LANES, LaneSlots, lane_of
from bot.core.queue import NOT_DUE, GradingQueue
from bot.core.types import SubmissionNotice
from bot.db import Submission

log = logging.getLogger(__name__)

#: How often the sweeper looks for due retries and dead workers' jobs.
SWEEP_S = 2.0
#: How often expired grading leases are looked for (a last resort: engine
#: heartbeats find dead workers much sooner).
RECOVER_S = 30.0
#: Submissions handed to the engine per database round trip.
SWEEP_BATCH = 500
#: A grading that failed for a reason of ours (not the grader's) is retried after this.
ERROR_RETRY_S = 5.0
#: How long a stopping process waits for the engine's own last words with the
#: database (fetch, unregister) once no grading runs here, before closing its
#: connections under it: while the database is unreachable each of those waits
#: for a pooled connection (30 s), and SIGTERM must stop a worker in seconds.
CLOSE_S = 3.0


def _retrieve(task: asyncio.Task[None]) -> None:
    """Done callback of a replaced lane worker: its failure on the way out is
    logged here, not as an exception never retrieved."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("a replaced grading worker failed while stopping: %r", task.exception())


class Dispatcher:
    def __init__(self, ctx: CoreContext, queue: GradingQueue,
                 engine: JobEngine | None = None) -> None:
        self.ctx = ctx
        self.queue = queue
        self.engine = engine or JobEngine.embedded()
        self.engine.bind(self.run_job)
        self.lanes: tuple[str, ...] = LANES
        self.slots = LaneSlots()
        self.stalled_s = STALLED_S
        self.sweep_s = SWEEP_S
        self._workers: list[asyncio.Task[None]] = []
        self._retired: list[asyncio.Task[None]] = []  # replaced by resize, still stopping
        self._sweeper: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._sweep_lock = asyncio.Lock()
        self._stalled_checked = 0.0
        self._parked: set[int] = set()  # members with a submission waiting for an older one
        self._unfinished: set[int] = set()  # jobs seen running for a finished submission
        self._started = False
        self._grace_s = GRACE_S
        self._heartbeat_s = HEARTBEAT_S
        self._running = 0  # gradings running in this process's engine workers

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self, *, lanes: Iterable[str] = LANES, slots: LaneSlots | None = None,
                    heartbeat_s: float = HEARTBEAT_S, stalled_s: float = STALLED_S,
                    grace_s: float = GRACE_S, sweep_s: float = SWEEP_S) -> None:
        """Grade ``lanes`` in this process (none: only hand work to other
        processes) and sweep, until :meth:`close`."""
        self.lanes = tuple(lanes)
        self.slots = slots or self.slots
        self.stalled_s, self.sweep_s, self._grace_s = stalled_s, sweep_s, grace_s
        self._heartbeat_s = heartbeat_s
        await self.engine.open()
        self._workers = self._start_lanes(self.lanes)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever(),
                                                               name="grading sweeper")
        self._started = True

    def _start_lanes(self, lanes: Iterable[str]) -> list[asyncio.Task[None]]:
        return self.engine.start_workers(lanes, self.slots, heartbeat_s=self._heartbeat_s,
                                         stalled_s=self.stalled_s, grace_s=self._grace_s)

    async def resize(self, slots: LaneSlots) -> None:
        """Grade with new slots per lane (the grader's size became known after
        the start, or changed): each lane whose count changed gets a new worker
        at once, and its old worker stops taking jobs and finishes its running
        gradings within the grace (or gives them back to the queue, as at
        :meth:`close`) on its own — :meth:`close` still waits for it. A member's
        jobs stay one at a time across the two: that is the engine's lock."""
        if not self._started or slots == self.slots:
            return
        changed = [i for i, lane in enumerate(self.lanes) if slots.of(lane) != self.slots.of(lane)]
        previous, self.slots = self.slots, slots
        try:
            fresh = self._start_lanes([self.lanes[i] for i in changed])
        except BaseException:
            self.slots = previous  # asked again later
            raise
        for i, task in zip(changed, fresh, strict=True):
            old, self._workers[i] = self._workers[i], task
            old.cancel()
            old.add_done_callback(_retrieve)
            self._retired.append(old)
        self._retired = [t for t in self._retired if not t.done()]

    async def close(self) -> None:
        """Stop: running gradings get the grace to finish (then they go back to
        the queue); the stop is bounded also while the database is unreachable —
        past :data:`CLOSE_S` (after the grace, if a grading ran) the engine's
        connections are closed under it, its waits fail and its workers end (their
        jobs are then another worker's, by the heartbeats)."""
        tasks = [t for t in (self._sweeper, *self._workers, *self._retired) if t is not None]
        for task in tasks:
            task.cancel()
        late = set(tasks)
        if tasks:
            _, late = await asyncio.wait(
                tasks, timeout=CLOSE_S + (self._grace_s if self._running else 0.0))
        if late:
            log.warning("the job engine did not stop within %.0f s (is the database "
                        "reachable?): closing its connections", CLOSE_S)
            await self.engine.close()
            await asyncio.wait(late, timeout=CLOSE_S)
        for task in tasks:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: an engine that failed on its way out
        self._sweeper, self._workers, self._retired, self._started = None, [], [], False
        await self.engine.close()

    @property
    def grades_here(self) -> bool:
        return self._started and bool(self.lanes)

    # ---- handing work to the engine -------------------------------------------------------

    def kick(self) -> None:
        """Something was queued: sweep now rather than at the next tick. A no-op
        where no sweeper runs (there, :meth:`settle` sweeps)."""
        self._wake.set()

    async def sweep(self) -> int:
        """Hand every due queued submission without a job to the engine (and, now
        and then, put jobs of dead workers back in their queues); returns how
        many were handed over."""
        async with self._sweep_lock:
            loop = asyncio.get_running_loop()
            if loop.time() - self._stalled_checked >= self.sweep_s:
                self._stalled_checked = loop.time()
                await self._retry_stalled()
            handed = 0
            while True:
                items = await self.queue.take_for_dispatch(limit=SWEEP_BATCH)
                try:
                    await self.engine.defer_many([
                        (item.id, item.member_id, lane_of(self.ctx.catalog.get(item.exercise_id)),
                         item.priority) for item in items])
                except Exception:
                    log.exception("the job engine did not take submissions %s",
                                  ", ".join(str(item.id) for item in items[:20]))
                    await self.queue.undispatch([item.id for item in items])
                    return handed
                handed += len(items)
                if len(items) < SWEEP_BATCH:
                    return handed

    async def _retry_stalled(self) -> None:
        """Jobs running on a worker that stopped sending heartbeats (killed,
        frozen, cut off): give the submission back and retry the job in its
        place. If that worker was only slow, the verdict it writes later is
        refused (one verdict per submission).

        And jobs still marked running, at two looks in a row, for a submission
        that is no longer pending: their worker lives (its heartbeats go on), but
        the query marking the job done was lost with its connection (a database
        restart right after the verdict). Such a job holds its member's lock, so
        the member's next submission would wait for ever; retried, it runs again,
        finds its submission graded and ends."""
        for job in await self.engine.stalled(self.stalled_s):
            await self.queue.release(member_id=job.member_id)
            if await self.engine.retry(job.job_id):
                log.warning("grading of submission %s was interrupted (its worker stopped); "
                            "retrying it", job.submission_id)
        running = await self.engine.running()
        finished = await self.queue.finished_among({job.submission_id for job in running})
        unfinished = {job.job_id for job in running if job.submission_id in finished}
        seen_twice = unfinished & self._unfinished
        for job in running:
            if job.job_id in seen_twice and await self.engine.retry(job.job_id):
                log.warning("the job of submission %s was left running after its verdict (its "
                            "end was lost with a database connection); ending it",
                            job.submission_id)
        self._unfinished = unfinished

    async def _sweep_forever(self) -> None:
        loop = asyncio.get_running_loop()
        recovered = loop.time()
        while True:
            self._wake.clear()
            try:
                await self.sweep()
                if loop.time() - recovered >= RECOVER_S:
                    recovered = loop.time()
                    await self.queue.recover()  # leases that ran out
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("grading sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.sweep_s)

    # ---- one job ------------------------------------------------------------------------------

    async def run_job(self, submission_id: int, lane: str) -> None:
        """The engine's task body."""
        self._running += 1
        try:
            await self.run(submission_id, lane)
        finally:
            self._running -= 1

    async def run(self, submission_id: int, lane: str | None = None, *,
                  force: bool = False) -> list[SubmissionNotice]:
        """Grade this submission after every older pending one of its member,
        grading those here when they are due (and, for a job, of its lane);
        returns what the member will be told.

        ``lane`` set: this is a job of that lane. A submission that cannot go yet
        is *parked* — handed back to the sweeper, which gives it a new job when
        the older one is done — and a grading interrupted by an error or by the
        worker stopping is given back to the queue. Without a lane (tests, the
        console) the caller loops itself."""
        job = lane is not None
        events: list[SubmissionNotice] = []
        while True:
            turn = await self.queue.take_turn(submission_id, lane=lane, force=force)
            head, sub = turn.head, turn.sub
            if head is None:
                return events  # graded already (by another job or process)
            mine = head.id == submission_id
            if sub is None:
                if turn.outcome == NOT_DUE:  # a retry delay: wait it out
                    await self._park(head.member_id, submission_id, head.next_attempt_at)
                elif job and not mine:  # an older one is graded elsewhere, or in its lane
                    await self._park(head.member_id, submission_id)
                return events
            outcome, unavailable = await self._grade(sub, release=job)
            events.extend(outcome)
            if outcome and head.member_id in self._parked:
                self._parked.discard(head.member_id)
                self.kick()  # the member's parked submission may go now
            if mine:
                return events
            if unavailable:
                if job:
                    await self._park(head.member_id, submission_id)
                return events

    async def _park(self, member_id: int, submission_id: int,
                    until: datetime | None = None) -> None:
        self._parked.add(member_id)
        await self.queue.park(submission_id, until)

    async def _grade(self, sub: Submission, *, release: bool
                     ) -> tuple[list[SubmissionNotice], bool]:
        submission_id = sub.id
        try:
            try:
                return await self.queue.grade(sub)
            except IntegrityError:
                if not await self.queue.has_verdict(submission_id):
                    raise
                log.warning("submission %s already has its verdict (a worker presumed dead "
                            "finished it); this grading is dropped", submission_id)
                return [], False
        except BaseException as exc:
            if release:  # back to the queue: at once if the worker stops, later if it failed
                delay = 0.0 if isinstance(exc, asyncio.CancelledError) else ERROR_RETRY_S
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.queue.release(submission_id=submission_id,
                                                            delay_s=delay))
            raise

    # ---- in this task, now (tests, the console) ---------------------------------------------

    async def grade_pending(self, *, member_id: int | None = None,
                            force: bool = False) -> list[SubmissionNotice]:
        """Grade what is queued now, here, oldest first (in order per member), with
        the same job body the workers run, and return what the members will be
        told. ``force`` ignores retry delays."""
        events: list[SubmissionNotice] = []
        while True:
            progressed = False
            for sid in await self.queue.ready_ids(member_id=member_id, force=force):
                outcome = await self.run(sid, force=force)
                progressed = progressed or bool(outcome)
                events.extend(outcome)
            if not progressed:
                return events

    async def settle(self, *, force: bool = False) -> None:
        """Hand out what is due (``force``: also what waits out a retry delay) and
        wait until it is graded — what the console does after every line.
        Without background workers the jobs run in this task."""
        if force:
            await self.queue.expedite()
        for _ in range(5):
            handed = await self.sweep()
            if self.grades_here:
                while await self.engine.busy():
                    await asyncio.sleep(0.005)
            else:
                await self.engine.drain(self.lanes or LANES, self.slots)
            if not handed:
                return
