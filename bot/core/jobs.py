"""The job engine under grading dispatch: Procrastinate.

One task, ``torchdojo.grade(submission_id, member_id)``, deferred per
submission with

* ``queue`` = the exercise's lane (:mod:`bot.core.lanes`), so each lane has
  its own worker slots;
* ``lock`` = ``member:<id>``: a member's jobs run one at a time, in order of
  priority then age (the engine's own rule, across lanes);
* ``priority`` = the submission's dispatch priority (fair across members,
  strictly decreasing within one member's queue: see
  :meth:`bot.core.queue.GradingQueue.take_for_dispatch`);
* ``queueing_lock`` = ``submission:<id>``: never two waiting jobs for one
  submission, so re-dispatching is idempotent.

Where the jobs live follows the database:

* PostgreSQL — :class:`procrastinate.PsycopgConnector`, the engine's tables
  in their own schema :data:`JOBS_SCHEMA` (applied by migration 0007, out of
  the way of the bot's models). Workers in any number of processes and
  machines pull jobs (LISTEN/NOTIFY wake-ups), send heartbeats, and jobs of a
  worker that died are found by :meth:`JobEngine.stalled` and retried.
* SQLite (the embedded default, one process) — :class:`EmbeddedConnector`,
  the engine's in-memory connector with the same task code, workers and
  locks. It holds nothing durable: the submission rows are the record and the
  dispatcher rebuilds every job from them on start.

Why the job is not deferred in the submission's transaction: the bot talks to
PostgreSQL through asyncpg, Procrastinate through psycopg, and the embedded
engine has no database at all. Instead the submission row is the durable
record (queued, with its retry time) and a job is only its transport: it is
deferred right after the commit, and a sweeper defers one for every due row
that has none (``dispatched_at``), so a crash between the two delays a
submission by one sweep and loses nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import procrastinate
from procrastinate import exceptions as pexc
from procrastinate import utils as putils
from procrastinate import worker as pworker
from procrastinate.testing import InMemoryConnector
from sqlalchemy.engine import make_url

from bot.core.lanes import LaneSlots

log = logging.getLogger(__name__)

#: The PostgreSQL schema holding the engine's tables and functions.
JOBS_SCHEMA = "torchdojo_jobs"
TASK = "torchdojo.grade"
#: How often a worker says it is alive, and after how long without a word its
#: running jobs are someone else's to retry.
HEARTBEAT_S = 5.0
STALLED_S = 15.0
#: A job blocked behind another job of the same member is not announced by the
#: engine when that job ends; workers look again this often (each look is a
#: query per lane and process on PostgreSQL).
POLL_S = 0.5
#: How long a stopping worker lets running gradings finish before cancelling
#: them (their submissions go back to the queue).
GRACE_S = 10.0
#: A lane's worker that stopped on its own (Procrastinate stops a worker whose
#: heartbeat or job fetch met a lost connection) is started again after this,
#: doubling up to :data:`RESTART_MAX_S` while it keeps failing (the database is down).
RESTART_S = 0.5
RESTART_MAX_S = 8.0
#: A worker run that lasted this long was healthy: the next restart waits
#: :data:`RESTART_S` again.
HEALTHY_S = 30.0

RunJob = Callable[[int, str], Awaitable[None]]


class EmbeddedConnector(InMemoryConnector):
    """Procrastinate's in-memory connector, made to behave like its PostgreSQL
    one for a long-running single process:

    * the lock rule of ``procrastinate_fetch_job_v2``: a job waits while its
      lock has a running job *or a waiting job ahead of it* (higher priority,
      or the same priority and older) — upstream's test double only looks at
      running jobs, which would let a member's later submission overtake an
      earlier one;
    * every worker of the process hears about new jobs (upstream keeps one
      listener, the last worker's; we run one worker per lane);
    * a deleted job leaves no event history behind (upstream keeps it forever).
    """

    def reset(self) -> None:
        super().reset()
        self.listeners: list[tuple[Any, frozenset[str]]] = []

    async def listen_notify(self, on_notification: Any, channels: Iterable[str]) -> None:
        entry = (on_notification, frozenset(channels))
        self.listeners.append(entry)
        try:
            await asyncio.Event().wait()  # like PostgreSQL's: until the worker stops
        finally:
            self.listeners.remove(entry)

    async def _notify(self, queue_name: str, notification: Any) -> None:
        targets = {"procrastinate_any_queue_v1", f"procrastinate_queue_v1#{queue_name}"}
        payload = json.dumps(notification)
        for callback, channels in list(self.listeners):
            for channel in channels & targets:
                await callback(channel=channel, payload=payload)

    async def fetch_job_one(self, queues: Iterable[str] | None,
                            worker_id: int) -> dict[str, Any]:
        assert worker_id in self.workers, f"Worker {worker_id} not found"
        now = putils.utcnow()
        running = {j["lock"] for j in self.jobs.values() if j["status"] == "doing"}
        waiting = sorted((j for j in self.jobs.values() if j["status"] == "todo"),
                         key=lambda j: (-j["priority"], j["id"]))
        first_of_lock: dict[str, int] = {}
        for job in waiting:
            if job["lock"] is not None:
                first_of_lock.setdefault(job["lock"], job["id"])
        wanted = None if queues is None else set(queues)
        for job in waiting:
            if wanted is not None and job["queue_name"] not in wanted:
                continue
            if job["scheduled_at"] and job["scheduled_at"] > now:
                continue
            lock = job["lock"]
            if lock is not None and (lock in running or first_of_lock[lock] != job["id"]):
                continue
            job["status"] = "doing"
            job["worker_id"] = worker_id
            self.events[job["id"]].append({"type": "started", "at": now})
            return job
        return {"id": None}

    async def finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        await super().finish_job_run(job_id, status, delete_job)
        if delete_job:
            self.events.pop(job_id, None)


class GradingWorker(pworker.Worker):
    """Procrastinate's worker, stopped when one of its side tasks fails.

    Upstream's monitor of the side tasks (heartbeat, listener, abort poller,
    periodic deferrer) returns as soon as *any* of them ends — and the deferrer
    ends at once where there is no periodic task, as here. So a heartbeat that
    met a lost connection (a database restart) ended unnoticed: the worker ran
    on with a stale heartbeat, and every sweeper took its running jobs for a
    dead worker's and ran them again. Here the monitor keeps watching the
    others and stops the worker at the first failure; the engine then starts a
    fresh one (:meth:`JobEngine._keep_working`)."""

    async def _monitor_side_tasks(self, side_tasks: list[asyncio.Task[Any]]) -> None:
        pending = set(side_tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and (exc := task.exception()) is not None:
                    log.warning("the %s of grading worker %s failed (%s: %s); stopping it",
                                task.get_name(), self.worker_name, type(exc).__name__,
                                str(exc).strip())
                    self.stop()
                    return


def psycopg_conninfo(database_url: str) -> str:
    """The libpq URL of the bot's (SQLAlchemy, asyncpg) database URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@dataclass(frozen=True)
class RunningJob:
    """A job marked running (``doing``) and the submission it grades."""

    job_id: int
    submission_id: int
    member_id: int


class JobEngine:
    """One Procrastinate app with the grading task, over one connector."""

    def __init__(self, connector: Any, *, durable: bool) -> None:
        self.connector = connector
        #: PostgreSQL: jobs outlive this process and other processes work on them.
        self.durable = durable
        self.app = procrastinate.App(connector=connector)
        self._run: RunJob | None = None
        self._opened = False

        @self.app.task(name=TASK, pass_context=True)
        async def grade(context: Any, submission_id: int, member_id: int) -> None:
            if self._run is None:  # pragma: no cover - wiring error
                raise RuntimeError("the job engine has no dispatcher bound")
            await self._run(submission_id, context.job.queue)

        self.task = grade

    @classmethod
    def embedded(cls) -> JobEngine:
        return cls(EmbeddedConnector(), durable=False)

    @classmethod
    def postgres(cls, database_url: str, *, pool_size: int = 4) -> JobEngine:
        connector = procrastinate.PsycopgConnector(
            conninfo=psycopg_conninfo(database_url),
            kwargs={"options": f"-c search_path={JOBS_SCHEMA}"},
            min_size=1, max_size=pool_size,
        )
        return cls(connector, durable=True)

    @classmethod
    def for_database(cls, database_url: str, *, is_sqlite: bool) -> JobEngine:
        """The engine that lives where the database lives."""
        return cls.embedded() if is_sqlite else cls.postgres(database_url)

    def bind(self, run: RunJob) -> None:
        """The coroutine a job runs: ``run(submission_id, lane)``."""
        self._run = run

    async def open(self) -> None:
        if not self._opened:
            await self.connector.open_async()
            self._opened = True

    async def close(self) -> None:
        if self._opened:
            self._opened = False
            await self.connector.close_async()

    # ---- deferring ------------------------------------------------------------------------

    def _job(self, submission_id: int, member_id: int, lane: str, priority: int) -> Any:
        """The job of one submission: its lane's queue, its member's lock, one
        waiting job per submission."""
        return self.task.configure(
            queue=lane, lock=f"member:{member_id}", priority=priority,
            queueing_lock=f"submission:{submission_id}",
        ).make_new_job(submission_id=submission_id, member_id=member_id)

    async def defer(self, submission_id: int, member_id: int, lane: str,
                    priority: int) -> bool:
        """Hand one submission to the engine; False when a job for it already waits."""
        await self.open()
        try:
            await self.app.job_manager.defer_job_async(
                self._job(submission_id, member_id, lane, priority))
        except pexc.AlreadyEnqueued:
            return False
        return True

    async def defer_many(self, items: Sequence[tuple[int, int, str, int]]) -> None:
        """Hand submissions ``(id, member, lane, priority)`` to the engine in one
        query (a burst's sweep: one round trip instead of one per submission).
        One whose job already waits fails the whole query, so then each goes
        on its own and that one is skipped."""
        if not items:
            return
        await self.open()
        try:
            await self.app.job_manager.batch_defer_jobs_async([self._job(*i) for i in items])
        except pexc.AlreadyEnqueued:
            for item in items:
                await self.defer(*item)

    # ---- working ----------------------------------------------------------------------------

    def start_workers(self, lanes: Iterable[str], slots: LaneSlots, *,
                      heartbeat_s: float = HEARTBEAT_S, stalled_s: float = STALLED_S,
                      grace_s: float = GRACE_S) -> list[asyncio.Task[None]]:
        """One worker per lane, each with its lane's slots, until cancelled."""
        return [
            asyncio.get_running_loop().create_task(
                self._keep_working(lane, slots.of(lane), heartbeat_s=heartbeat_s,
                                   stalled_s=stalled_s, grace_s=grace_s),
                name=f"grading worker ({lane})",
            )
            for lane in lanes
        ]

    async def _keep_working(self, lane: str, concurrency: int, *, heartbeat_s: float,
                            stalled_s: float, grace_s: float) -> None:
        """Run the lane's worker, and start it again whenever it stops on its own:
        a worker ends when its job fetch, or one of its side tasks (the heartbeat,
        the listener), meets a lost connection (a database restart, a failover),
        and the process would otherwise go on without grading that lane. The old
        worker finishes its running jobs first (or, past the grace, gives them
        back) and unregisters; if it could not, its jobs are a dead worker's, found
        by the heartbeat rule and retried."""
        loop = asyncio.get_running_loop()
        wait = RESTART_S
        while True:
            started = loop.time()
            try:
                await GradingWorker(
                    app=self.app, queues=[lane], concurrency=concurrency, name=f"grade-{lane}",
                    install_signal_handlers=False, listen_notify=True,
                    delete_jobs="successful", fetch_job_polling_interval=POLL_S,
                    update_heartbeat_interval=heartbeat_s,
                    stalled_worker_timeout=stalled_s, shutdown_graceful_timeout=grace_s,
                ).run()
                reason = "stopped"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"failed ({type(exc).__name__}: {exc})"
            # stopping: the engine was closed under the worker, or the worker's shutdown
            # replaced a cancel's CancelledError with another error
            me = asyncio.current_task()
            if not self._opened or (me is not None and me.cancelling()):
                return
            if loop.time() - started >= HEALTHY_S:
                wait = RESTART_S
            log.warning("the grading worker of lane %s %s; starting it again in %.1f s",
                        lane, reason, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, RESTART_MAX_S)

    async def drain(self, lanes: Iterable[str], slots: LaneSlots) -> None:
        """Run every job that can run now, in this task, and return when none is
        left (for callers without background workers: tests, scripts)."""
        lanes = list(lanes)
        while await self.busy():
            await self.app.run_worker_async(
                queues=lanes, concurrency=max(slots.of(lane) for lane in lanes),
                name="grade-drain", wait=False, install_signal_handlers=False,
                listen_notify=False, delete_jobs="successful",
            )

    async def busy(self) -> bool:
        """Whether any job waits or runs.

        Waiting is asked first: a job only moves from ``todo`` to ``doing`` to
        done, so one that was not waiting when asked and not running a moment
        later is done. (Asked the other way round, a job taken by a worker
        between the two questions was in neither answer, and the console went
        on before its verdict was written.)"""
        await self.open()
        manager = self.app.job_manager
        for status in ("todo", "doing"):
            if list(await manager.list_jobs_async(status=status)):
                return True
        return False

    # ---- jobs whose worker died, or whose end was lost ----------------------------------

    async def stalled(self, stalled_s: float = STALLED_S) -> list[RunningJob]:
        """Jobs running on workers that stopped sending heartbeats."""
        if not self.durable:
            return []  # in-memory jobs die with their only process
        await self.open()
        jobs = await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_s)
        return _grading_jobs(jobs)

    async def running(self) -> list[RunningJob]:
        """Jobs marked running (``doing``), on any worker."""
        if not self.durable:
            return []  # in memory, a job's end is never lost
        await self.open()
        return _grading_jobs(await self.app.job_manager.list_jobs_async(status="doing",
                                                                        task=TASK))

    async def retry(self, job_id: int) -> bool:
        """Put a stalled job back in its queue, in its place (same id, lock and
        priority); False when another process did it first."""
        try:
            await self.app.job_manager.retry_job_by_id_async(job_id, putils.utcnow())
        except pexc.ConnectorException as exc:
            log.info("stalled job %s was retried elsewhere (%s)", job_id, exc)
            return False
        return True


def _grading_jobs(jobs: Iterable[Any]) -> list[RunningJob]:
    """The grading jobs among Procrastinate's ``jobs``, with their submissions."""
    return [RunningJob(job.id, int(job.task_kwargs["submission_id"]),
                       int(job.task_kwargs["member_id"]))
            for job in jobs if job.task_name == TASK and job.id is not None]
