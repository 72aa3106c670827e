"""The study-group domain: cohorts, members, submissions, scoring, challenges.

``Dojo`` is the one entry point adapters reach (through ``bot.chat``). Every
method is a short database transaction; grading happens *between*
transactions so a slow or dead grader never holds a lock, and every state
change of a submission is committed before the next step, which is what lets a
restart or an outage lose nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.clock import Clock, SystemClock
from bot.core.errors import DojoError, NotAllowed, NotFound
from bot.core.types import (
    Actor,
    BoardRow,
    CouldNotGradeNotice,
    DelayNotice,
    Event,
    ExerciseItem,
    GradedNotice,
    Target,
)
from bot.db import (
    Award,
    ChallengeWindow,
    Cohort,
    CohortPause,
    Database,
    Member,
    Submission,
    SubmissionStatus,
)
from bot.grading import GraderClient, GraderUnavailable, UnknownExercise

log = logging.getLogger(__name__)

MAX_CODE_BYTES = 64 * 1024
MAX_PENDING_PER_MEMBER = 3
GRADING_LEASE = timedelta(minutes=10)
GRADE_TIMEOUT_S = 300.0
MAX_RETRY_DELAY_S = 300.0
MAX_BROKEN_ATTEMPTS = 5
RESULT_STATUSES = {"passed", "failed", "error", "timeout", "oom", "rejected"}


@dataclass
class SubmitReceipt:
    submission_id: int
    exercise_id: str
    ahead: int  # own submissions still waiting before this one
    joined: bool  # the member was added to the cohort by this submission


@dataclass
class StreakInfo:
    name: str
    tz: str
    local_now: datetime
    streak: rules.StreakResult
    hours_left_today: float


@dataclass
class CohortInfo:
    name: str
    platform: str
    channel_id: str
    tz: str
    start_date: date
    post_time: str
    paused: bool
    day: int
    week: int
    members: list[tuple[str, str | None]]  # (name, own tz)
    next_post_at: datetime | None
    paused_days: int = 0


@dataclass
class ProgressData:
    name: str
    tz: str
    days: list[tuple[int, date, rules.DayState]]  # cohort day n, local date, state
    points: list[tuple[date, int]]  # cumulative points per local day
    total: int
    streak: rules.StreakResult


@dataclass
class ChallengeInfo:
    item: ExerciseItem
    windows: list[tuple[str, datetime, datetime]]  # ("cohort"|"personal", opens, closes)
    passers: list[BoardRow]
    prompt: str | None = None


class Dojo:
    """Domain services over one database, one curriculum and one grader."""

    def __init__(
        self,
        db: Database,
        curriculum: Any,
        grader: GraderClient,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.curriculum = curriculum
        self.grader = grader
        self.clock: Clock = clock or SystemClock()
        self._drain_lock = asyncio.Lock()

    def now(self) -> datetime:
        return self.clock.now()

    # ---- curriculum helpers -----------------------------------------------------

    def exercise(self, exercise_id: str) -> Any:
        ex = self.curriculum.get(exercise_id)
        if ex is None:
            close = self.curriculum.closest(exercise_id)
            hint = f"did you mean {', '.join(close)}?" if close else "see /dojo today"
            raise NotFound(f"no exercise {exercise_id!r}", hint)
        return ex

    @staticmethod
    def item(ex: Any, status: str = "") -> ExerciseItem:
        return ExerciseItem(
            id=ex.id,
            title=ex.title,
            kind=getattr(ex.kind, "value", str(ex.kind)),
            max_score=ex.max_score,
            summary=ex.summary,
            time_limit_min=ex.time_limit_min,
            status=status,
        )

    @staticmethod
    def is_challenge(ex: Any) -> bool:
        return getattr(ex.kind, "value", str(ex.kind)) == "challenge"

    # ---- cohorts and members ----------------------------------------------------

    @staticmethod
    def target(c: Cohort) -> Target:
        return Target(c.platform, c.channel_id, c.id, c.name, c.tz)

    async def _cohort(self, s: AsyncSession, actor: Actor) -> Cohort:
        c = await s.scalar(
            select(Cohort).where(
                Cohort.platform == actor.platform, Cohort.channel_id == actor.channel_id
            )
        )
        if c is None:
            raise NotFound(
                "this channel has no cohort yet",
                "an instructor can start one with /dojo cohort create NAME",
            )
        return c

    async def get_cohort(self, platform: str, channel_id: str) -> Cohort | None:
        async with self.db.session() as s:
            return await s.scalar(
                select(Cohort).where(Cohort.platform == platform, Cohort.channel_id == channel_id)
            )

    async def _member(
        self, s: AsyncSession, c: Cohort, actor: Actor, *, join: bool = False
    ) -> tuple[Member, bool]:
        m = await s.scalar(
            select(Member).where(Member.cohort_id == c.id, Member.user_id == actor.user_id)
        )
        if m is not None and m.left_at is None:
            if actor.name and m.display_name != actor.name:
                m.display_name = actor.name
            return m, False
        if not join:
            raise NotFound("you are not in this cohort", "join with /dojo cohort join")
        if m is None:
            m = Member(
                cohort_id=c.id,
                user_id=actor.user_id,
                display_name=actor.name or actor.user_id,
                joined_at=self.now(),
                reminders=True,
            )
            s.add(m)
        else:
            m.left_at = None
            m.joined_at = self.now()
        await s.flush()
        return m, True

    @staticmethod
    def require_instructor(actor: Actor, what: str) -> None:
        if not actor.role.can_instruct:
            raise NotAllowed(
                f"only instructors can {what}", "ask an instructor of this channel to do it"
            )

    async def create_cohort(
        self,
        actor: Actor,
        name: str,
        tz: str = "UTC",
        start: date | None = None,
        post_time: str = "09:00",
    ) -> Cohort:
        self.require_instructor(actor, "create a cohort")
        rules.zone(tz)
        rules.parse_hhmm(post_time)
        name = name.strip() or "Cohort"
        start = start or rules.local_date(self.now(), tz)
        async with self.db.session() as s:
            exists = await s.scalar(
                select(Cohort.id).where(
                    Cohort.platform == actor.platform, Cohort.channel_id == actor.channel_id
                )
            )
            if exists:
                raise DojoError("this channel already has a cohort", "see /dojo cohort info")
            c = Cohort(
                platform=actor.platform,
                channel_id=actor.channel_id,
                name=name[:200],
                tz=tz,
                start_date=start,
                post_time=rules.parse_hhmm(post_time).strftime("%H:%M"),
                paused_days=0,
                created_at=self.now(),
                created_by=actor.user_id,
            )
            s.add(c)
            try:
                await s.flush()
            except IntegrityError:
                raise DojoError("this channel already has a cohort") from None
            return c

    async def join(self, actor: Actor, tz: str | None = None) -> tuple[Cohort, Member, bool]:
        if tz:
            rules.zone(tz)
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            m, new = await self._member(s, c, actor, join=True)
            if tz:
                m.tz = tz
            return c, m, new

    async def leave(self, actor: Actor) -> Cohort:
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            m, _ = await self._member(s, c, actor)
            m.left_at = self.now()
            return c

    async def set_member_tz(self, actor: Actor, tz: str | None) -> str:
        if tz:
            rules.zone(tz)
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            m, _ = await self._member(s, c, actor, join=True)
            m.tz = tz or None
            return m.tz or c.tz

    async def set_reminders(self, actor: Actor, on: bool) -> None:
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            m, _ = await self._member(s, c, actor, join=True)
            m.reminders = on

    def cohort_day(self, c: Cohort, now: datetime | None = None) -> int:
        now = now or self.now()
        today = rules.local_date(now, c.tz)
        if c.paused_since is not None:
            today = min(today, rules.local_date(c.paused_since, c.tz))
        return rules.day_number(c.start_date, today, c.paused_days)

    def post_instant(self, c: Cohort, n: int) -> datetime:
        day = rules.date_of_day(c.start_date, n, c.paused_days)
        return rules.local_at_utc(day, rules.parse_hhmm(c.post_time), c.tz)

    async def cohort_info(self, actor: Actor) -> CohortInfo:
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            rows = (
                await s.execute(
                    select(Member.display_name, Member.tz)
                    .where(Member.cohort_id == c.id, Member.left_at.is_(None))
                    .order_by(Member.joined_at, Member.id)
                )
            ).all()
        n = self.cohort_day(c)
        next_post = None
        if c.paused_since is None:
            for k in (max(n, 1), max(n, 1) + 1):
                at = self.post_instant(c, k)
                if at > self.now():
                    next_post = at
                    break
        return CohortInfo(
            name=c.name,
            platform=c.platform,
            channel_id=c.channel_id,
            tz=c.tz,
            start_date=c.start_date,
            post_time=c.post_time,
            paused=c.paused_since is not None,
            day=n,
            week=rules.week_of_day(n),
            members=[(r[0], r[1]) for r in rows],
            next_post_at=next_post,
            paused_days=c.paused_days,
        )

    async def update_schedule(
        self,
        actor: Actor,
        *,
        post_time: str | None = None,
        tz: str | None = None,
        start: date | None = None,
    ) -> Cohort:
        self.require_instructor(actor, "change the schedule")
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            if post_time is not None:
                c.post_time = rules.parse_hhmm(post_time).strftime("%H:%M")
            if tz is not None:
                rules.zone(tz)
                c.tz = tz
            if start is not None:
                c.start_date = start
                c.paused_days = 0
            return c

    async def pause(self, actor: Actor) -> Cohort:
        self.require_instructor(actor, "pause the cohort")
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            if c.paused_since is not None:
                raise DojoError("the cohort is already paused", "resume with /dojo schedule resume")
            c.paused_since = self.now()
            s.add(CohortPause(cohort_id=c.id, start_date=rules.local_date(self.now(), c.tz)))
            return c

    async def resume(self, actor: Actor) -> Cohort:
        """Resuming shifts the rest of the schedule by the whole local days paused."""
        self.require_instructor(actor, "resume the cohort")
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            if c.paused_since is None:
                raise DojoError("the cohort is not paused")
            paused = (
                rules.local_date(self.now(), c.tz) - rules.local_date(c.paused_since, c.tz)
            ).days
            c.paused_days += max(paused, 0)
            c.paused_since = None
            for row in (
                await s.scalars(
                    select(CohortPause).where(
                        CohortPause.cohort_id == c.id, CohortPause.end_date.is_(None)
                    )
                )
            ).all():
                row.end_date = rules.local_date(self.now(), c.tz)
            return c

    # ---- what is on today -------------------------------------------------------

    async def today(self, actor: Actor) -> tuple[Cohort, int, list[ExerciseItem], bool]:
        """The current day's items (or the previous day's before today's post time).

        Returns (cohort, day shown, items with the member's status, posted yet)."""
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            m = await s.scalar(
                select(Member).where(Member.cohort_id == c.id, Member.user_id == actor.user_id)
            )
            n = self.cohort_day(c)
            posted = n >= 1 and self.post_instant(c, n) <= self.now()
            shown = n if posted else n - 1
            ids = self.curriculum.schedule.get(shown, []) if shown >= 1 else []
            statuses: dict[str, str] = {}
            if m is not None and ids:
                for ex_id, passed in (
                    await s.execute(
                        select(
                            Submission.exercise_id,
                            # max() of a boolean is not portable (PostgreSQL has none)
                            func.max(case((Submission.passed.is_(True), 1), else_=0)),
                        )
                        .where(Submission.member_id == m.id, Submission.exercise_id.in_(ids))
                        .group_by(Submission.exercise_id)
                    )
                ).all():
                    statuses[ex_id] = "passed" if passed else "tried"
        items = [
            self.item(self.curriculum.get(i), statuses.get(i, ""))
            for i in ids
            if self.curriculum.get(i) is not None
        ]
        return c, shown, items, posted

    # ---- submissions ------------------------------------------------------------

    async def submit(
        self,
        actor: Actor,
        exercise_id: str,
        code: str,
        origin_message_id: str | None = None,
    ) -> SubmitReceipt:
        ex = self.exercise(exercise_id)
        size = len(code.encode("utf-8", "surrogatepass"))
        if size > MAX_CODE_BYTES:
            raise DojoError(
                f"your code is {size / 1024:.0f} KB; the limit is {MAX_CODE_BYTES // 1024} KB",
                "submit only the code the exercise asks for",
            )
        if not code.strip():
            raise DojoError("the code block is empty", "paste your solution inside ```python … ```")
        now = self.now()
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            m, joined = await self._member(s, c, actor, join=True)
            if self.is_challenge(ex):
                await self._check_challenge_submittable(s, c, m, ex, now)
            pending = (
                await s.scalars(
                    select(Submission.id).where(
                        Submission.member_id == m.id,
                        Submission.status.in_(SubmissionStatus.pending),
                    )
                )
            ).all()
            if len(pending) >= MAX_PENDING_PER_MEMBER:
                raise DojoError(
                    f"you already have {len(pending)} submissions waiting "
                    f"({', '.join('#' + str(p) for p in pending)})",
                    "wait for their results, then submit again",
                )
            sub = Submission(
                cohort_id=c.id,
                member_id=m.id,
                exercise_id=ex.id,
                code=code,
                status=SubmissionStatus.received,
                received_at=now,
                attempts=0,
                origin_message_id=origin_message_id,
            )
            s.add(sub)
            await s.flush()
            # Stored first (received), then handed to the queue: both states are durable.
            sub.status = SubmissionStatus.queued
            sub.next_attempt_at = now
            return SubmitReceipt(sub.id, ex.id, len(pending), joined)

    async def _check_challenge_submittable(
        self, s: AsyncSession, c: Cohort, m: Member, ex: Any, now: datetime
    ) -> None:
        windows = await self._windows(s, c.id, ex.id, m.id)
        if not windows:
            raise DojoError(
                f"{ex.id} is a timed challenge and no window is open",
                f"start your timer with /dojo challenge start {ex.id}",
            )
        if all(w.opens_at > now for w in windows):
            first = min(w.opens_at for w in windows)
            local = first.astimezone(rules.zone(c.tz))
            raise DojoError(f"the {ex.id} window opens at {local:%Y-%m-%d %H:%M} ({c.tz})")

    async def _windows(
        self, s: AsyncSession, cohort_id: int, exercise_id: str, member_id: int | None
    ) -> list[ChallengeWindow]:
        cond = ChallengeWindow.member_id.is_(None)
        if member_id is not None:
            cond = or_(cond, ChallengeWindow.member_id == member_id)
        return list(
            (
                await s.scalars(
                    select(ChallengeWindow)
                    .where(
                        ChallengeWindow.cohort_id == cohort_id,
                        ChallengeWindow.exercise_id == exercise_id,
                        cond,
                    )
                    .order_by(ChallengeWindow.opens_at)
                )
            ).all()
        )

    async def recover(self, *, all_grading: bool = False) -> int:
        """Put submissions whose grading was interrupted back in the queue.

        With one process per database (the SQLite default) every ``grading`` row
        at start is an orphan of the previous run (``all_grading``); with several
        processes only rows whose lease ran out are taken back."""
        now = self.now()
        cond = Submission.status == SubmissionStatus.grading
        if not all_grading:
            cond = and_(cond, Submission.lease_until < now)
        async with self.db.session() as s:
            res = await s.execute(
                update(Submission)
                .where(cond)
                .values(status=SubmissionStatus.queued, next_attempt_at=now, lease_until=None)
            )
            # A crash between "received" and "queued" is impossible (same transaction),
            # but older rows stuck in received are queued too.
            res2 = await s.execute(
                update(Submission)
                .where(Submission.status == SubmissionStatus.received)
                .values(status=SubmissionStatus.queued, next_attempt_at=now)
            )
            return (res.rowcount or 0) + (res2.rowcount or 0)

    async def _claim(self, member_id: int, force: bool) -> Submission | None:
        now = self.now()
        try:
            async with self.db.session() as s:
                busy = await s.scalar(
                    select(Submission.id).where(
                        Submission.member_id == member_id,
                        Submission.status == SubmissionStatus.grading,
                    )
                )
                if busy:
                    return None
                q = select(Submission).where(
                    Submission.member_id == member_id,
                    Submission.status == SubmissionStatus.queued,
                )
                if not force:
                    q = q.where(
                        or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= now)
                    )
                sub = await s.scalar(q.order_by(Submission.id).limit(1))
                if sub is None:
                    return None
                res = await s.execute(
                    update(Submission)
                    .where(Submission.id == sub.id, Submission.status == SubmissionStatus.queued)
                    .values(
                        status=SubmissionStatus.grading,
                        started_at=now,
                        lease_until=now + GRADING_LEASE,
                        attempts=Submission.attempts + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
                if res.rowcount != 1:
                    return None
                s.expunge(sub)  # a detached copy for the grader; the row is the truth
                sub.attempts += 1
                sub.status = SubmissionStatus.grading
                return sub
        except IntegrityError:
            return None  # another process claimed one of this member's submissions

    async def grade_pending(
        self, *, member_id: int | None = None, force: bool = False, limit: int = 1000
    ) -> list[Event]:
        """Grade queued submissions (oldest first, one at a time per member).

        ``force`` ignores retry back-off (the console after ``/dojo clock``)."""
        events: list[Event] = []
        async with self._drain_lock:
            now = self.now()
            async with self.db.session() as s:
                q = select(Submission.member_id).where(
                    Submission.status == SubmissionStatus.queued
                )
                if member_id is not None:
                    q = q.where(Submission.member_id == member_id)
                if not force:
                    q = q.where(
                        or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= now)
                    )
                members = list(
                    dict.fromkeys(
                        (
                            await s.scalars(
                                q.order_by(Submission.id).limit(limit)
                            )
                        ).all()
                    )
                )
            for mid in members:
                while True:
                    sub = await self._claim(mid, force)
                    if sub is None:
                        break
                    evs, retry_later = await self._grade_one(sub)
                    events.extend(evs)
                    if retry_later:
                        break
        return events

    async def _grade_one(self, sub: Submission) -> tuple[list[Event], bool]:
        try:
            result = await asyncio.wait_for(
                self.grader.grade(sub.exercise_id, sub.code), GRADE_TIMEOUT_S
            )
        except GraderUnavailable as exc:
            return await self._requeue(sub, str(exc), exc.retry_after), True
        except TimeoutError:
            return await self._requeue(sub, "the grader took too long to answer", 5.0), True
        except UnknownExercise:
            return await self._could_not_grade(sub, "the grader does not know this exercise"), False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a grader client must not eat the submission
            log.exception("grading submission %s failed", sub.id)
            if sub.attempts >= MAX_BROKEN_ATTEMPTS:
                return await self._could_not_grade(sub, f"grading kept failing: {exc}"), False
            return await self._requeue(sub, f"grading failed: {exc}", 5.0), True
        if not isinstance(result, dict) or result.get("status") not in RESULT_STATUSES:
            return await self._could_not_grade(sub, "the grader sent an unreadable result"), False
        return await self._finish(sub, result), False

    async def _requeue(self, sub: Submission, reason: str, retry_after: float) -> list[Event]:
        delay = min(max(retry_after, 1.0) * (2 ** max(sub.attempts - 1, 0)), MAX_RETRY_DELAY_S)
        now = self.now()
        async with self.db.session() as s:
            row = await s.get(Submission, sub.id)
            assert row is not None
            row.status = SubmissionStatus.queued
            row.lease_until = None
            row.last_error = reason
            row.next_attempt_at = now + timedelta(seconds=delay)
            tell = not row.delay_notified
            row.delay_notified = True
            c = await s.get(Cohort, row.cohort_id)
            m = await s.get(Member, row.member_id)
            assert c is not None and m is not None
            if tell:
                return [DelayNotice(self.target(c), m.user_id, row.id, row.exercise_id, reason)]
        return []

    async def _could_not_grade(self, sub: Submission, reason: str) -> list[Event]:
        async with self.db.session() as s:
            row = await s.get(Submission, sub.id)
            assert row is not None
            row.status = SubmissionStatus.could_not_grade
            row.last_error = reason
            row.lease_until = None
            row.graded_at = self.now()
            c = await s.get(Cohort, row.cohort_id)
            m = await s.get(Member, row.member_id)
            assert c is not None and m is not None
            return [CouldNotGradeNotice(self.target(c), m.user_id, row.id, row.exercise_id, reason)]

    async def _finish(self, sub: Submission, result: dict[str, Any]) -> list[Event]:
        ex = self.curriculum.get(sub.exercise_id)
        max_score = ex.max_score if ex else int(result.get("max_score") or 0)
        passed = result.get("status") == "passed"
        points = bonus = 0
        late = first = False
        async with self.db.session() as s:
            row = await s.get(Submission, sub.id)
            assert row is not None
            row.status = SubmissionStatus.graded
            row.result = result
            row.result_status = str(result.get("status"))
            row.score = int(result.get("score") or 0)
            row.max_score = int(result.get("max_score") or max_score)
            row.passed = passed
            row.graded_at = self.now()
            row.lease_until = None
            c = await s.get(Cohort, row.cohort_id)
            m = await s.get(Member, row.member_id)
            assert c is not None and m is not None
            if passed:
                had = await s.scalar(
                    select(Award.id).where(
                        Award.member_id == m.id, Award.exercise_id == row.exercise_id
                    )
                )
                if had is None:
                    award = await self._award(s, c, m, row, ex, max_score)
                    if award is not None:
                        first = True
                        await s.flush()
                        await s.refresh(award)
                        points, bonus, late = award.points, award.bonus, award.late
            delayed = row.delay_notified
            target, user_id, name = self.target(c), m.user_id, m.display_name
            streak = (await self._streak(s, c, m)).streak.current if passed else 0
        return [
            GradedNotice(
                target=target,
                user_id=user_id,
                member_name=name,
                submission_id=sub.id,
                exercise_id=sub.exercise_id,
                exercise_title=ex.title if ex else sub.exercise_id,
                result=result,
                points=points,
                bonus=bonus,
                late=late,
                first_pass=first,
                delayed=delayed,
                streak=streak,
            )
        ]

    async def _award(
        self, s: AsyncSession, c: Cohort, m: Member, sub: Submission, ex: Any, max_score: int
    ) -> Award | None:
        """Write the first-pass award; for a challenge apply window, bonus and late policy."""
        window: ChallengeWindow | None = None
        late = False
        points = max_score
        elapsed: float | None = None
        if ex is not None and self.is_challenge(ex):
            windows = await self._windows(s, c.id, ex.id, m.id)
            inside = [w for w in windows if w.opens_at <= sub.received_at < w.closes_at]
            inside.sort(key=lambda w: (w.member_id is not None, w.opens_at))
            if inside:
                window = inside[0]
                elapsed = (sub.received_at - window.opens_at).total_seconds()
            elif any(w.closes_at <= sub.received_at for w in windows):
                late = True
                points = rules.late_points(max_score)
        award = Award(
            cohort_id=c.id,
            member_id=m.id,
            exercise_id=sub.exercise_id,
            submission_id=sub.id,
            window_id=window.id if window else None,
            points=points,
            bonus=0,
            late=late,
            elapsed_s=elapsed,
            passed_at=sub.received_at,
        )
        try:
            async with s.begin_nested():
                s.add(award)
                await s.flush()
        except IntegrityError:
            return None  # a concurrent grading of the same exercise scored first
        if window is not None:
            await self._rerank(s, c, window)
        return award

    async def _rerank(self, s: AsyncSession, c: Cohort, window: ChallengeWindow) -> None:
        """Speed bonus N − r, recomputed for every passer of the window whenever one
        is added, so a submission graded late (outage) still gets its true rank.

        A cohort window ranks by pass time; personal timers rank by time taken."""
        n = await s.scalar(
            select(func.count(Member.id)).where(
                Member.cohort_id == c.id, Member.left_at.is_(None)
            )
        ) or 0
        if window.member_id is None:
            awards = (
                await s.scalars(
                    select(Award)
                    .where(Award.window_id == window.id)
                    .order_by(Award.passed_at, Award.submission_id)
                )
            ).all()
        else:
            personal = select(ChallengeWindow.id).where(
                ChallengeWindow.cohort_id == c.id,
                ChallengeWindow.exercise_id == window.exercise_id,
                ChallengeWindow.member_id.is_not(None),
            )
            awards = (
                await s.scalars(
                    select(Award)
                    .where(Award.window_id.in_(personal))
                    .order_by(Award.elapsed_s, Award.submission_id)
                )
            ).all()
        for rank, a in enumerate(awards):
            a.bonus = rules.speed_bonus(n, rank)

    async def submission(self, actor: Actor, submission_id: int) -> Submission:
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            sub = await s.get(Submission, submission_id)
            if sub is None or sub.cohort_id != c.id:
                raise NotFound(f"no submission #{submission_id} in this cohort")
            return sub

    async def member_id(self, actor: Actor) -> int | None:
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            return await s.scalar(
                select(Member.id).where(Member.cohort_id == c.id, Member.user_id == actor.user_id)
            )

    # ---- streaks, leaderboards, progress ---------------------------------------

    async def streak(self, actor: Actor) -> StreakInfo:
        async with self.db.session() as s:
            # one round trip for cohort and member: this is the hot path
            row = (
                await s.execute(
                    select(Cohort, Member)
                    .join(Member, Member.cohort_id == Cohort.id)
                    .where(
                        Cohort.platform == actor.platform,
                        Cohort.channel_id == actor.channel_id,
                        Member.user_id == actor.user_id,
                        Member.left_at.is_(None),
                    )
                )
            ).first()
            if row is None:
                c = await self._cohort(s, actor)  # raises if there is no cohort
                m, _ = await self._member(s, c, actor)  # raises: not a member
            else:
                c, m = row
            return await self._streak(s, c, m)

    async def _streak(self, s: AsyncSession, c: Cohort, m: Member) -> StreakInfo:
        tz = m.tz or c.tz
        times = (
            await s.scalars(
                select(Submission.received_at).where(
                    Submission.member_id == m.id, Submission.passed.is_(True)
                )
            )
        ).all()
        now = self.now()
        today = rules.local_date(now, tz)
        neutral: set[date] = set()
        if c.paused_days or c.paused_since is not None:  # skip the query in the usual case
            pauses = (
                await s.execute(
                    select(CohortPause.start_date, CohortPause.end_date).where(
                        CohortPause.cohort_id == c.id
                    )
                )
            ).all()
            neutral = rules.paused_dates([(a, b) for a, b in pauses], today)
        res = rules.compute_streak(rules.pass_days_local(times, tz), today, neutral)
        end = rules.local_midnight_utc(today + timedelta(days=1), tz)
        return StreakInfo(
            name=m.display_name,
            tz=tz,
            local_now=now.astimezone(rules.zone(tz)),
            streak=res,
            hours_left_today=(end - now).total_seconds() / 3600,
        )

    def week_bounds(self, c: Cohort, now: datetime | None = None) -> tuple[int, datetime, datetime]:
        n = max(self.cohort_day(c, now), 1)
        week = rules.week_of_day(n)
        first = rules.date_of_day(c.start_date, (week - 1) * 7 + 1, c.paused_days)
        return (
            week,
            rules.local_midnight_utc(first, c.tz),
            rules.local_midnight_utc(first + timedelta(days=7), c.tz),
        )

    async def leaderboard(
        self, actor: Actor, scope: str = "week", limit: int = 20
    ) -> tuple[Cohort, str, list[BoardRow]]:
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            if scope == "week":
                week, start, end = self.week_bounds(c)
                label = f"week {week}"
                rows = await self._board(s, c.id, start, end, limit)
            else:
                label = "all time"
                rows = await self._board(s, c.id, None, None, limit)
            return c, label, rows

    async def _board(
        self,
        s: AsyncSession,
        cohort_id: int,
        start: datetime | None,
        end: datetime | None,
        limit: int | None,
    ) -> list[BoardRow]:
        """Sum of points + bonus per member; ties go to whoever got there first
        (the earlier time of the pass that completed their total)."""
        total = func.sum(Award.points + Award.bonus).label("total")
        reached = func.max(Award.passed_at).label("reached")
        inner = select(Award.member_id, total, reached, func.count(Award.id).label("n")).where(
            Award.cohort_id == cohort_id
        )
        if start is not None:
            inner = inner.where(Award.passed_at >= start)
        if end is not None:
            inner = inner.where(Award.passed_at < end)
        sub = inner.group_by(Award.member_id).subquery()
        q = (
            select(sub.c.member_id, sub.c.total, sub.c.reached, sub.c.n, Member.user_id,
                   Member.display_name)
            .join(Member, Member.id == sub.c.member_id)
            .order_by(sub.c.total.desc(), sub.c.reached.asc(), sub.c.member_id.asc())
        )
        if limit:
            q = q.limit(limit)
        rows = (await s.execute(q)).all()
        out = []
        for i, (_mid, pts, at, cnt, uid, name) in enumerate(rows, 1):
            if isinstance(at, str):  # max() over a subquery may come back as text on SQLite
                at = datetime.fromisoformat(at)
            if at is not None and at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            out.append(BoardRow(i, uid, name, int(pts or 0), at, cnt))
        return out

    async def progress(self, actor: Actor) -> ProgressData:
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            m, _ = await self._member(s, c, actor)
            info = await self._streak(s, c, m)
            awards = (
                await s.execute(
                    select(Award.passed_at, Award.points + Award.bonus)
                    .where(Award.member_id == m.id)
                    .order_by(Award.passed_at)
                )
            ).all()
        tz = info.tz
        today = rules.local_date(self.now(), tz)
        joined = rules.local_date(m.joined_at, tz)
        days: list[tuple[int, date, rules.DayState]] = []
        n_today = self.cohort_day(c)
        for n in range(1, max(n_today, 0) + 1):
            d = rules.date_of_day(c.start_date, n, c.paused_days)
            state = info.streak.days.get(d)
            if state is None:
                if d < joined:
                    state = rules.DayState.before
                else:
                    state = rules.DayState.open if d >= today else rules.DayState.missed
            days.append((n, d, state))
        cum = 0
        per_day: dict[date, int] = {}
        for at, pts in awards:
            cum += int(pts or 0)
            per_day[rules.local_date(at, tz)] = cum
        return ProgressData(
            name=m.display_name,
            tz=tz,
            days=days,
            points=sorted(per_day.items()),
            total=cum,
            streak=info.streak,
        )

    # ---- timed challenges -------------------------------------------------------

    async def open_challenge(
        self,
        actor: Actor,
        exercise_id: str,
        start: datetime | None = None,
        duration: timedelta | None = None,
    ) -> tuple[Cohort, ChallengeWindow, ExerciseItem]:
        self.require_instructor(actor, "open a challenge window")
        ex = self.exercise(exercise_id)
        if not self.is_challenge(ex):
            raise DojoError(
                f"{ex.id} is a {self.item(ex).kind}, not a timed challenge",
                "challenges are the exercises marked 'challenge' in /dojo show",
            )
        start = start or self.now()
        duration = duration or timedelta(minutes=ex.time_limit_min or 60)
        if duration <= timedelta(0):
            raise DojoError("the window must last longer than zero minutes")
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            for w in await self._windows(s, c.id, ex.id, None):
                if w.member_id is None and w.opens_at < start + duration and start < w.closes_at:
                    raise DojoError(f"a {ex.id} window already overlaps that time")
            w = ChallengeWindow(
                cohort_id=c.id,
                exercise_id=ex.id,
                member_id=None,
                opens_at=start,
                closes_at=start + duration,
                created_by=actor.user_id,
                created_at=self.now(),
            )
            s.add(w)
            await s.flush()
            return c, w, self.item(ex)

    async def start_timer(self, actor: Actor, exercise_id: str) -> tuple[ChallengeWindow, Any]:
        """A personal timer: the prompt is revealed now; the deadline is the time limit."""
        ex = self.exercise(exercise_id)
        if not self.is_challenge(ex):
            raise DojoError(f"{ex.id} is not a timed challenge", f"just /dojo show {ex.id}")
        now = self.now()
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            m, _ = await self._member(s, c, actor, join=True)
            existing = await s.scalar(
                select(ChallengeWindow).where(
                    ChallengeWindow.member_id == m.id, ChallengeWindow.exercise_id == ex.id
                )
            )
            if existing is not None:
                raise DojoError(
                    f"your {ex.id} timer started at {existing.opens_at:%Y-%m-%d %H:%M} UTC "
                    f"and {'ends' if existing.closes_at > now else 'ended'} at "
                    f"{existing.closes_at:%H:%M} UTC",
                    f"see /dojo challenge status {ex.id}",
                )
            w = ChallengeWindow(
                cohort_id=c.id,
                exercise_id=ex.id,
                member_id=m.id,
                opens_at=now,
                closes_at=now + timedelta(minutes=ex.time_limit_min or 60),
                created_by=actor.user_id,
                created_at=now,
            )
            s.add(w)
            try:
                await s.flush()
            except IntegrityError:
                raise DojoError(f"your {ex.id} timer is already running") from None
            return w, ex

    async def can_see_prompt(self, actor: Actor, ex: Any) -> bool:
        """A challenge prompt is shown once its window opened or the timer started."""
        if not self.is_challenge(ex) or actor.role.can_instruct:
            return True
        now = self.now()
        async with self.db.session() as s:
            c = await s.scalar(
                select(Cohort).where(
                    Cohort.platform == actor.platform, Cohort.channel_id == actor.channel_id
                )
            )
            if c is None:
                return False
            mid = await s.scalar(
                select(Member.id).where(Member.cohort_id == c.id, Member.user_id == actor.user_id)
            )
            return any(w.opens_at <= now for w in await self._windows(s, c.id, ex.id, mid))

    async def challenge_status(self, actor: Actor, exercise_id: str | None) -> list[ChallengeInfo]:
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            mid = await s.scalar(
                select(Member.id).where(Member.cohort_id == c.id, Member.user_id == actor.user_id)
            )
            if exercise_id:
                ids = [self.exercise(exercise_id).id]
            else:
                ids = list(
                    dict.fromkeys(
                        (
                            await s.scalars(
                                select(ChallengeWindow.exercise_id)
                                .where(ChallengeWindow.cohort_id == c.id)
                                .order_by(ChallengeWindow.opens_at.desc())
                            )
                        ).all()
                    )
                )[:5]
            out = []
            for ex_id in ids:
                ex = self.curriculum.get(ex_id)
                if ex is None:
                    continue
                ws = await self._windows(s, c.id, ex_id, mid)
                passers = await self._challenge_rows(s, c.id, ex_id)
                out.append(
                    ChallengeInfo(
                        item=self.item(ex),
                        windows=[
                            (
                                "cohort" if w.member_id is None else "personal",
                                w.opens_at,
                                w.closes_at,
                            )
                            for w in ws
                        ],
                        passers=passers,
                    )
                )
            return out

    async def _challenge_rows(self, s: AsyncSession, cohort_id: int, ex_id: str) -> list[BoardRow]:
        rows = (
            await s.execute(
                select(Award, Member.display_name, Member.user_id)
                .join(Member, Member.id == Award.member_id)
                .where(Award.cohort_id == cohort_id, Award.exercise_id == ex_id)
                .order_by(Award.late, Award.elapsed_s, Award.passed_at)
            )
        ).all()
        return [
            BoardRow(i, uid, name + (" (late)" if a.late else ""), a.points + a.bonus, a.passed_at)
            for i, (a, name, uid) in enumerate(rows, 1)
        ]

    # ---- export -------------------------------------------------------------

    async def export_csv(self, actor: Actor) -> tuple[str, bytes]:
        """Every submission of the cohort with its grading outcome and points."""
        import csv
        import io

        self.require_instructor(actor, "export the cohort's results")
        async with self.db.session() as s:
            c = await self._cohort(s, actor)
            rows = (
                await s.execute(
                    select(Submission, Member.user_id, Member.display_name, Award)
                    .join(Member, Member.id == Submission.member_id)
                    .outerjoin(Award, Award.submission_id == Submission.id)
                    .where(Submission.cohort_id == c.id)
                    .order_by(Submission.id)
                )
            ).all()
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(
            [
                "submission", "user_id", "member", "exercise", "status", "result", "score",
                "max_score", "points", "bonus", "late", "received_at", "graded_at", "reason",
            ]
        )
        for sub, uid, name, award in rows:
            w.writerow(
                [
                    sub.id, uid, name, sub.exercise_id, sub.status, sub.result_status or "",
                    "" if sub.score is None else sub.score,
                    "" if sub.max_score is None else sub.max_score,
                    award.points if award else 0, award.bonus if award else 0,
                    int(bool(award and award.late)),
                    sub.received_at.isoformat(),
                    sub.graded_at.isoformat() if sub.graded_at else "",
                    sub.last_error or "" if sub.status == "could_not_grade" else "",
                ]
            )
        slug = "".join(ch if ch.isalnum() else "-" for ch in c.name.lower()).strip("-") or "cohort"
        return f"{slug}-submissions.csv", buf.getvalue().encode("utf-8")
