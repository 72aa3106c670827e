"""``Dojo``: the core's services wired over one database, curriculum, grader
and clock — the one object the chat layer, adapters, scheduler and dashboard
are given.

It holds no rules of its own. Each service has one home
(:mod:`~bot.core.cohorts`, :mod:`~bot.core.submissions`,
:mod:`~bot.core.queue`, :mod:`~bot.core.scoring`, :mod:`~bot.core.streaks`,
:mod:`~bot.core.challenges`, :mod:`~bot.core.posts`, :mod:`~bot.core.notices`,
:mod:`~bot.core.export`, and the learning loop's :mod:`~bot.core.reviews`,
:mod:`~bot.core.hints`, :mod:`~bot.core.bests`); the short methods below are the verbs callers use
most, delegating to them, so a caller does not need to know which service
owns a verb. Every method is one or a few short transactions and returns
plain view objects."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bot.core.bests import BestsService
from bot.core.catalog import Catalog
from bot.core.challenges import ChallengeService
from bot.core.clock import Clock, SystemClock
from bot.core.cohorts import CohortService
from bot.core.console_state import ConsoleStateStore
from bot.core.context import CoreContext
from bot.core.dispatch import Dispatcher
from bot.core.export import ExportService
from bot.core.hints import HintService
from bot.core.jobs import JobEngine
from bot.core.notices import NoticeService
from bot.core.posts import Planner
from bot.core.queue import GradingQueue
from bot.core.reviews import ReviewService
from bot.core.scoring import ScoringService
from bot.core.streaks import StreakService
from bot.core.submissions import SubmissionService
from bot.core.types import Actor, BoardRow, SubmissionNotice
from bot.core.views import (
    ChallengeInfo,
    CohortInfo,
    CohortView,
    HintStep,
    JoinResult,
    ProgressData,
    ReviewQueue,
    StreakInfo,
    SubmitReceipt,
    TimerStarted,
    TodayView,
    WindowView,
)
from bot.db import Database
from bot.grader_client import GraderClient


class Dojo:
    """The core services of one process."""

    def __init__(self, db: Database, curriculum: Any, grader: GraderClient,
                 clock: Clock | None = None, *, engine: JobEngine | None = None) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.catalog = Catalog(curriculum)
        self.ctx = CoreContext(db, self.catalog, self.clock)
        self.cohorts = CohortService(self.ctx)
        self.streaks = StreakService(self.ctx)
        self.scoring = ScoringService(self.ctx)
        self.challenges = ChallengeService(self.ctx, self.scoring)
        self.notices = NoticeService(self.ctx)
        self.submissions = SubmissionService(self.ctx, self.challenges, self.notices)
        self.reviews = ReviewService(self.ctx)
        self.bests = BestsService(self.ctx)
        self.hints = HintService(self.ctx, self.scoring)
        self.queue = GradingQueue(self.ctx, grader, self.scoring, self.streaks, self.notices,
                                  reviews=self.reviews, bests=self.bests, hints=self.hints)
        self.dispatcher = Dispatcher(self.ctx, self.queue, engine)
        self.planner = Planner(self.ctx, self.scoring, self.streaks, self.reviews)
        self.exports = ExportService(self.ctx)
        self.console_state = ConsoleStateStore(self.ctx)

    @property
    def grader(self) -> GraderClient:
        return self.queue.grader

    @grader.setter
    def grader(self, grader: GraderClient) -> None:
        self.queue.grader = grader

    @property
    def curriculum(self) -> Any:
        return self.catalog.curriculum

    def now(self) -> datetime:
        return self.clock.now()

    # ---- cohorts ----------------------------------------------------------------------

    async def create_cohort(self, actor: Actor, name: str, tz: str = "UTC",
                            start: date | None = None, post_time: str = "09:00") -> CohortView:
        return await self.cohorts.create(actor, name, tz, start, post_time)

    async def get_cohort(self, platform: str, channel_id: str) -> CohortView | None:
        return await self.cohorts.find(platform, channel_id)

    async def join(self, actor: Actor, tz: str | None = None) -> JoinResult:
        return await self.cohorts.join(actor, tz)

    async def leave(self, actor: Actor) -> CohortView:
        return await self.cohorts.leave(actor)

    async def cohort_info(self, actor: Actor) -> CohortInfo:
        return await self.cohorts.info(actor)

    async def today(self, actor: Actor) -> TodayView:
        return await self.cohorts.today(actor)

    async def pause(self, actor: Actor) -> CohortView:
        return await self.cohorts.pause(actor)

    async def resume(self, actor: Actor) -> CohortView:
        return await self.cohorts.resume(actor)

    # ---- submissions and grading ---------------------------------------------------------

    async def submit(self, actor: Actor, exercise_id: str, code: str,
                     origin_message_id: str | None = None, *,
                     status_coming: bool = False) -> SubmitReceipt:
        receipt = await self.submissions.receive(actor, exercise_id, code, origin_message_id,
                                                 status_coming=status_coming)
        self.dispatcher.kick()
        return receipt

    async def grade_pending(self, *, member_id: int | None = None,
                            force: bool = False) -> list[SubmissionNotice]:
        return await self.dispatcher.grade_pending(member_id=member_id, force=force)

    async def recover(self, *, all_grading: bool = False) -> int:
        return await self.queue.recover(all_grading=all_grading)

    async def regrade(self, actor: Actor, submission_id: int) -> int:
        new_id = await self.submissions.regrade(actor, submission_id)
        self.dispatcher.kick()
        return new_id

    # ---- standings -----------------------------------------------------------------------

    async def streak(self, actor: Actor) -> StreakInfo:
        return await self.streaks.streak(actor)

    async def progress(self, actor: Actor) -> ProgressData:
        """Calendar and points, with the review queue and challenge times."""
        data = await self.streaks.progress(actor)
        data.reviews = await self.reviews.queue(actor)
        data.bests = await self.bests.of(actor)
        return data

    async def review(self, actor: Actor) -> ReviewQueue:
        return await self.reviews.queue(actor)

    async def hint(self, actor: Actor, exercise_id: str, *, reveal: bool = False) -> HintStep:
        if reveal:
            return await self.hints.reveal(actor, exercise_id)
        return await self.hints.next(actor, exercise_id)

    async def ask_hint(self, actor: Actor, exercise_id: str, *, confirm: bool = False
                       ) -> HintStep:
        """``/dojo hint ID [yes]``: the cost is offered first; ``yes`` confirms only
        the offer made last and still current (see :meth:`HintService.ask`)."""
        return await self.hints.ask(actor, exercise_id, confirm=confirm)

    async def leaderboard(self, actor: Actor, scope: str = "week",
                          limit: int = 20) -> tuple[CohortView, str, list[BoardRow]]:
        return await self.scoring.leaderboard(actor, scope, limit)

    # ---- challenges ------------------------------------------------------------------------

    async def open_challenge(self, actor: Actor, exercise_id: str,
                             start: datetime | None = None,
                             duration: timedelta | None = None) -> tuple[CohortView, WindowView]:
        return await self.challenges.open_window(actor, exercise_id, start, duration)

    async def start_timer(self, actor: Actor, exercise_id: str) -> TimerStarted:
        return await self.challenges.start_timer(actor, exercise_id)

    async def challenge_status(self, actor: Actor,
                               exercise_id: str | None = None) -> list[ChallengeInfo]:
        return await self.challenges.status(actor, exercise_id)

    # ---- export --------------------------------------------------------------------------

    async def export_csv(self, actor: Actor) -> tuple[str, bytes]:
        return await self.exports.submissions_csv(actor)
