"""Wires one bot process together: settings → database (migrated) → curriculum
→ grader → job engine → core. Adapters (console, Discord, Slack) and grading
workers (``torchdojo worker``) start from here so every entry point applies
migrations on start, recovers interrupted gradings, grades and delivers
verdicts the same way.

The grader (without ``GRADER_URL``: the bot's own grader process,
:mod:`bot.local_grader`) is started while the database is migrated and the
curriculum loaded, and is warm before :meth:`Runtime.start` returns:
the first submission after a start does not wait for it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.config import Settings, load_settings
from bot.core.clock import Clock
from bot.core.dojo import Dojo
from bot.core.jobs import JobEngine
from bot.core.lanes import LaneSlots, parse_lanes
from bot.core.posts import Planner
from bot.core.storage import open_database
from bot.core.types import Outbox
from bot.grader_client import GraderClient, client_from_env

if TYPE_CHECKING:
    from bot.core.dispatch import Dispatcher

log = logging.getLogger(__name__)


#: Longest wait for the grader's health when sizing the lanes at start.
HEALTH_WAIT_S = 5.0
#: How often a process whose grader did not answer at start asks it again.
HEALTH_RETRY_S = 5.0
#: How often a process asks a grader that answered whether its size changed.
HEALTH_RECHECK_S = 60.0


async def _capacity(grader: GraderClient) -> dict[str, Any] | None:
    """The grader's health (its size), or None when it does not answer in time."""
    try:
        return await asyncio.wait_for(grader.health(), HEALTH_WAIT_S)
    except Exception as exc:  # unreachable, refusing, malformed: not known yet
        log.debug("the grader's capacity is unknown: %s", exc)
        return None


async def grader_slots(grader: GraderClient, overrides: str | None) -> LaneSlots | None:
    """The lanes' slots for this process: sized to what the grader says it can
    take (:meth:`LaneSlots.for_grader`), then ``overrides``
    (``TORCHDOJO_LANE_SLOTS``) for the lanes it names; None when the grader
    does not answer within :data:`HEALTH_WAIT_S`."""
    health = await _capacity(grader)
    return None if health is None else LaneSlots.parse(overrides,
                                                       base=LaneSlots.for_grader(health))


async def follow_grader_size(grader: GraderClient, dispatcher: Dispatcher,
                             overrides: str | None, *, known: bool) -> None:
    """Keep the lanes sized to the grader for the process's whole life: a
    grader that did not answer at start (compose starts the workers and the
    graders side by side) is asked again every :data:`HEALTH_RETRY_S`, one that
    did every :data:`HEALTH_RECHECK_S`; whenever its answer gives other slots
    (it was restarted with more or fewer workers), the lanes are resized. A
    grader that stops answering changes nothing: its last size stands.
    ``known``: the grader answered at start."""
    while True:
        await asyncio.sleep(HEALTH_RECHECK_S if known else HEALTH_RETRY_S)
        slots = await grader_slots(grader, overrides)
        if slots is None:
            continue
        known = True
        if slots != dispatcher.slots:
            log.info("the grader's size changed: lanes %s", slots.describe(dispatcher.lanes))
            try:
                await dispatcher.resize(slots)
            except Exception:  # the next look tries again
                log.exception("resizing the grading lanes failed")


async def warm_up(grader: GraderClient) -> None:
    """Start the grader client (the in-process pool imports torch in its
    workers: seconds); a grader that cannot start is reported, not fatal —
    gradings then report it to the member."""
    start = getattr(grader, "start", None)
    if start is None:
        return
    try:
        await start()
    except Exception as exc:
        log.error("the grader could not start: %s", exc)


def freeze_start_heap() -> None:
    """Move everything alive after start-up (the curriculum, SQLAlchemy's
    mappers and caches, the chat client's state: ~150,000 objects) out of
    the cyclic garbage collector's sight. Without it each full collection
    walked all of them — 100 ms with the event loop stopped, measured in the
    middle of a chat burst (benchmarks/bench_slack.py); with it a collection
    sees only what was made since."""
    gc.collect()
    gc.freeze()


@dataclass
class Runtime:
    settings: Settings
    dojo: Dojo
    grader: GraderClient
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def planner(self) -> Planner:
        return self.dojo.planner

    @classmethod
    async def start(
        cls,
        settings: Settings | None = None,
        *,
        database_url: str | None = None,
        grader: GraderClient | None = None,
        clock: Clock | None = None,
        curriculum: Any = None,
        exclusive: bool | None = None,
        lanes: Iterable[str] | None = None,
        slots: LaneSlots | None = None,
        slot_overrides: str | None = None,
        serving: bool = False,
        **dispatch: float,
    ) -> Runtime:
        """``exclusive``: this is the only process on the database, so every
        submission left in ``grading`` is an orphan (default: true for SQLite).
        ``lanes``: what this process grades (default: the settings; every
        lane); ``slots``: how many at once (default: sized to the grader, with
        ``slot_overrides`` or else the settings' ``TORCHDOJO_LANE_SLOTS`` on
        top: :func:`grader_slots`, and kept sized to it: :func:`follow_grader_size`);
        ``dispatch``: timings
        for :meth:`Dispatcher.start`.
        ``serving``: a long-running process (a chat adapter, a worker, the
        dashboard): its start-up heap is frozen (:func:`freeze_start_heap`)."""
        logging.getLogger("procrastinate").setLevel(logging.WARNING)  # a line per job
        settings = settings or load_settings()
        grader = grader or client_from_env(settings.grader_url,
                                           in_process=settings.grader_in_process)
        warming = asyncio.get_running_loop().create_task(warm_up(grader))
        try:
            db = await open_database(database_url or settings.database_url)
            if curriculum is None:
                from curriculum import load_curriculum

                curriculum = load_curriculum()
        except BaseException:
            warming.cancel()
            await grader.close()
            raise
        engine = JobEngine.for_database(db.url, is_sqlite=db.is_sqlite)
        dojo = Dojo(db, curriculum, grader, clock, engine=engine)
        await dojo.recover(all_grading=db.is_sqlite if exclusive is None else exclusive)
        await warming
        graded = parse_lanes(settings.lanes) if lanes is None else tuple(lanes)
        overrides = settings.lane_slots if slot_overrides is None else slot_overrides
        # a process that grades nothing does not ask the grader
        sized = slots or (await grader_slots(grader, overrides) if graded else None)
        late = bool(graded) and sized is None  # the grader does not answer yet
        if late:
            log.warning("the grader does not answer yet: default lane slots until it does")
        await dojo.dispatcher.start(lanes=graded, slots=sized or LaneSlots.parse(overrides),
                                    **dispatch)
        rt = cls(settings, dojo, grader)
        if graded and slots is None:  # sized to the grader: kept so
            rt.tasks.append(asyncio.get_running_loop().create_task(
                follow_grader_size(grader, dojo.dispatcher, overrides, known=not late),
                name="lane sizing"))
        if serving:
            freeze_start_heap()
        return rt

    def scheduler(self, outbox: Outbox) -> Any:
        """The APScheduler wiring for a long-running adapter (Discord, Slack):
        ``await runtime.scheduler(outbox).start()`` after the adapter connects."""
        from bot.scheduler import BotScheduler

        return BotScheduler(self.dojo, outbox)

    def deliver_forever(self, platform: str, outbox: Outbox,
                        owns: Callable[[str], bool] | None = None) -> asyncio.Task[None]:
        """Start delivering this platform's verdicts and notices (the one delivery
        path); stopped by :meth:`close`."""
        task = asyncio.get_running_loop().create_task(
            self.dojo.notices.run(platform, outbox, owns=owns))
        self.tasks.append(task)
        return task

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        await self.dojo.dispatcher.close()
        try:
            await self.grader.close()
        finally:
            await self.dojo.db.close()
