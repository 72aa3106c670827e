"""The grading lifecycle of a queued submission: claim it with a lease, grade
it between transactions (so a slow or dead grader never holds a lock), and
finish it — graded (with points, streak, review schedule, challenge time and
the hint on offer), requeued after an outage, or "could not be graded" —
writing the notice for the member in the same transaction as the state
change. A long grading reports its progress on the way
(:mod:`bot.core.progress`). A crash at any point loses nothing: an expired
lease puts the submission back in the queue (:meth:`recover`).

Which submissions are graded when, where and how many at once is the
dispatcher's business (:mod:`bot.core.dispatch`, over the job engine of
:mod:`bot.core.jobs`); this module holds the row-level rules it relies on:
which of a member's submissions comes next and claiming it
(:meth:`GradingQueue.take_turn`: one grading per member, enforced by a partial
unique index), the
hand-over to the engine (:meth:`GradingQueue.take_for_dispatch`: fair
priorities, ``dispatched_at``), and giving a submission back (:meth:`park`,
:meth:`release`). A verdict is written once: a second one for the same
submission (a worker presumed dead that was not) is refused by the database
(``uq_notices_one_verdict``) and dropped.

One module of about 500 lines on purpose: every state change of a submission
row (queued, handed over, claimed, graded, requeued, failed) is here, so the
invariants between them (one grading per member, a verdict once, a lease
that always ends) are read in one place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.bests import BestsService
from bot.core.context import CoreContext
from bot.core.hints import HintService
from bot.core.lanes import lane_of
from bot.core.notices import COULD_NOT_GRADE, DELAYED, GRADED, NoticeService, learning_payload
from bot.core.progress import SHOW_AFTER_S, ProgressTracker
from bot.core.reviews import ReviewService
from bot.core.scoring import ScoringService
from bot.core.streaks import StreakService
from bot.core.types import SubmissionNotice
from bot.db import Cohort, Member, Notice, Submission, SubmissionStatus
from bot.grader_client import GraderClient, GraderUnavailable, GradingFailed, UnknownExercise
from grader.result import GradeResult, ResultFormatError

log = logging.getLogger(__name__)

GRADING_LEASE = timedelta(minutes=10)
GRADE_TIMEOUT_S = 300.0
MAX_RETRY_DELAY_S = 300.0
#: Gradings that fail because of the submission (grader errors, bugs) before
#: it is reported as "could not be graded".
MAX_FAILURES = 3
#: A queued submission whose job was handed to the engine this long ago and
#: that is still queued is handed over again (its job was lost; the engine's
#: queueing lock makes this a no-op while the job still waits).
REDISPATCH_AFTER = timedelta(minutes=2)
#: Priorities: a member's first waiting submission gets 0, each further one
#: one less; an instructor's regrade starts below every live submission.
REGRADE_PRIORITY = -1000
#: Notices that are a submission's verdict: at most one each (a unique index).
VERDICT_KINDS = (GRADED, COULD_NOT_GRADE)


#: The lowest priority among the other waiting submissions of a row's member
#: (built once: an alias's columns are made anew each time it is built, which
#: cost a sweep more than its query).
_WAITING = Submission.__table__.alias("waiting")
_LOWEST_OF_MEMBER = (
    select(func.min(_WAITING.c.priority))
    .where(_WAITING.c.member_id == Submission.member_id,
           _WAITING.c.status.in_(SubmissionStatus.pending),
           _WAITING.c.priority.is_not(None))
    .scalar_subquery().label("lowest"))


_PENDING = (SubmissionStatus.queued, SubmissionStatus.grading)
#: The oldest pending submission of a submission's member, up to that one.
_HEAD_OF_MEMBER = (
    select(Submission)
    .where(Submission.member_id == select(Submission.member_id)
           .where(Submission.id == bindparam("sid"), Submission.status.in_(_PENDING))
           .scalar_subquery(),
           Submission.id <= bindparam("sid"), Submission.status.in_(_PENDING))
    .order_by(Submission.id).limit(1))
#: A submission's first dispatch priority (executemany: a sweep sets many).
_SET_PRIORITY = (Submission.__table__.update()
                 .where(Submission.__table__.c.id == bindparam("sid"))
                 .values(priority=bindparam("prio")))
#: A graded submission with its cohort and member: one statement, not three.
_WITH_COHORT_AND_MEMBER = (
    select(Submission, Cohort, Member)
    .join(Cohort, Cohort.id == Submission.cohort_id)
    .join(Member, Member.id == Submission.member_id)
    .where(Submission.id == bindparam("sid")))
#: Claiming a queued submission for grading (no row changed: someone else did).
_CLAIM = (update(Submission)
          .where(Submission.id == bindparam("sid"), Submission.status == SubmissionStatus.queued)
          .values(status=SubmissionStatus.grading, started_at=bindparam("now"),
                  lease_until=bindparam("lease"), attempts=Submission.attempts + 1)
          .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Head:
    """The submission a member's queue is at (the oldest pending one)."""

    id: int
    member_id: int
    exercise_id: str
    status: str
    next_attempt_at: datetime | None


#: Why :meth:`GradingQueue.take_turn` claimed nothing (or that it did).
CLAIMED, DONE, BUSY, NOT_DUE, OTHER_LANE = "claimed", "done", "busy", "not_due", "other_lane"


@dataclass(frozen=True)
class Turn:
    head: Head | None
    sub: Submission | None
    outcome: str


@dataclass(frozen=True)
class DispatchItem:
    """A queued submission handed to the job engine."""

    id: int
    member_id: int
    exercise_id: str
    priority: int


class GradingQueue:
    def __init__(self, ctx: CoreContext, grader: GraderClient, scoring: ScoringService,
                 streaks: StreakService, notices: NoticeService, *, reviews: ReviewService,
                 bests: BestsService, hints: HintService) -> None:
        self.ctx = ctx
        self.grader = grader
        self.scoring = scoring
        self.streaks = streaks
        self.notices = notices
        self.reviews = reviews
        self.bests = bests
        self.hints = hints
        #: When a grading's progress is first shown, and how often after that
        #: (None: the platform's interval); see :mod:`bot.core.progress`.
        self.progress_after_s = SHOW_AFTER_S
        self.progress_every_s: float | None = None
        self._platforms: dict[int, str] = {}  # cohort id → its platform

    async def recover(self, *, all_grading: bool = False) -> int:
        """Put submissions whose grading was interrupted back in the queue.

        With one process per database (the SQLite default) every ``grading`` row
        at start is an orphan of the previous run (``all_grading``); with several
        processes only rows whose lease ran out are taken back."""
        now = self.ctx.now()
        cond = Submission.status == SubmissionStatus.grading
        if not all_grading:
            cond = and_(cond, Submission.lease_until < now)
        async with self.ctx.db.session() as s:
            res = await s.execute(
                update(Submission)
                .where(cond)
                .values(status=SubmissionStatus.queued, next_attempt_at=now, lease_until=None,
                        dispatched_at=None)
            )
            # "received" and "queued" are written in one transaction; rows of older
            # versions stuck in received are queued too.
            res2 = await s.execute(
                update(Submission)
                .where(Submission.status == SubmissionStatus.received)
                .values(status=SubmissionStatus.queued, next_attempt_at=now, dispatched_at=None)
            )
            if all_grading:  # the only process: its in-memory jobs died with it
                await s.execute(update(Submission)
                                .where(Submission.status == SubmissionStatus.queued)
                                .values(dispatched_at=None))
            return (res.rowcount or 0) + (res2.rowcount or 0)

    async def ready_ids(self, *, member_id: int | None = None, force: bool = False,
                        limit: int = 1000) -> list[int]:
        """Queued submissions that may be graded now, oldest first."""
        now = self.ctx.now()
        query = select(Submission.id).where(Submission.status == SubmissionStatus.queued)
        if member_id is not None:
            query = query.where(Submission.member_id == member_id)
        if not force:
            query = query.where(
                or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= now))
        async with self.ctx.db.session() as s:
            return list((await s.scalars(query.order_by(Submission.id).limit(limit))).all())

    async def take_turn(self, submission_id: int, *, lane: str | None = None,
                        force: bool = False) -> Turn:
        """Claim what must be graded next for ``submission_id``: the oldest pending
        submission of its member up to and including it (a member's submissions
        are graded in order), when it is queued, due (or ``force``) and — for a
        job of ``lane`` — of that lane if it is not the submission itself. One
        transaction; the partial unique index settles races between processes."""
        now = self.ctx.now()
        head: Head | None = None
        try:
            async with self.ctx.db.session() as s:
                row = await s.scalar(_HEAD_OF_MEMBER, {"sid": submission_id})
                if row is None:
                    return Turn(None, None, DONE)
                head = Head(row.id, row.member_id, row.exercise_id, row.status,
                            row.next_attempt_at)
                if head.status == SubmissionStatus.grading:
                    return Turn(head, None, BUSY)
                if not force and head.next_attempt_at is not None \
                        and head.next_attempt_at > now:
                    return Turn(head, None, NOT_DUE)
                if lane is not None and head.id != submission_id \
                        and lane_of(self.ctx.catalog.get(head.exercise_id)) != lane:
                    return Turn(head, None, OTHER_LANE)
                won = await s.execute(_CLAIM, {"sid": head.id, "now": now,
                                               "lease": now + GRADING_LEASE})
                if won.rowcount != 1:
                    return Turn(head, None, BUSY)
                s.expunge(row)  # a detached copy for the grader; the row is the truth
                row.status, row.attempts = SubmissionStatus.grading, row.attempts + 1
                return Turn(head, row, CLAIMED)
        except IntegrityError:  # another process claimed one of this member's submissions
            return Turn(head, None, BUSY)

    async def claim(self, member_id: int, force: bool = False) -> Submission | None:
        """Take the member's oldest queued submission (none while one of theirs is
        being graded: a member's submissions are graded in order)."""
        now = self.ctx.now()
        try:
            async with self.ctx.db.session() as s:
                busy = await s.scalar(
                    select(Submission.id).where(
                        Submission.member_id == member_id,
                        Submission.status == SubmissionStatus.grading,
                    )
                )
                if busy:
                    return None
                query = select(Submission).where(
                    Submission.member_id == member_id,
                    Submission.status == SubmissionStatus.queued,
                )
                if not force:
                    query = query.where(or_(Submission.next_attempt_at.is_(None),
                                            Submission.next_attempt_at <= now))
                sub = await s.scalar(query.order_by(Submission.id).limit(1))
                if sub is None:
                    return None
                won = await s.execute(_CLAIM, {"sid": sub.id, "now": now,
                                               "lease": now + GRADING_LEASE})
                if won.rowcount != 1:
                    return None
                s.expunge(sub)  # a detached copy for the grader; the row is the truth
                sub.attempts += 1
                sub.status = SubmissionStatus.grading
                return sub
        except IntegrityError:
            return None  # another process claimed one of this member's submissions

    # ---- handing submissions to the job engine, and back ---------------------------------

    async def take_for_dispatch(self, *, limit: int = 500) -> list[DispatchItem]:
        """Queued submissions that are due and have no job — never
        handed over, given back, or handed over long ago — marked as handed over
        now, oldest first. Each gets its priority the first time: 0 for a member
        with nothing else waiting, else one below the lowest of theirs that waits,
        so priorities are fair across members (round robin) and strictly
        decreasing within one member's queue (the engine runs a member's jobs by
        priority, then age)."""
        now = self.ctx.now()
        cond = and_(Submission.status == SubmissionStatus.queued,
                    or_(Submission.dispatched_at.is_(None),
                        Submission.dispatched_at < now - REDISPATCH_AFTER),
                    or_(Submission.next_attempt_at.is_(None),
                        Submission.next_attempt_at <= now))
        async with self.ctx.db.session() as s:
            rows = (await s.execute(
                select(Submission.id, Submission.member_id, Submission.exercise_id,
                       Submission.priority, Submission.regrade_of, _LOWEST_OF_MEMBER)
                .where(cond).order_by(Submission.id).limit(limit)
                .with_for_update(of=Submission, skip_locked=True))).all()
            if not rows:
                return []
            lowest: dict[int, int] = {r.member_id: r.lowest for r in rows
                                      if r.lowest is not None}
            items, first = [], []
            for r in rows:
                priority = r.priority
                if priority is None:
                    base = REGRADE_PRIORITY if r.regrade_of else 0
                    below = lowest.get(r.member_id)
                    priority = base if below is None else min(base, below - 1)
                    lowest[r.member_id] = priority
                    first.append({"sid": r.id, "prio": priority})
                items.append(DispatchItem(r.id, r.member_id, r.exercise_id, priority))
            if first:  # one executemany, not a statement per submission
                await s.execute(_SET_PRIORITY, first)
            await s.execute(update(Submission).where(Submission.id.in_([r.id for r in rows]))
                            .values(dispatched_at=now)
                            .execution_options(synchronize_session=False))
            return items

    async def has_verdict(self, submission_id: int) -> bool:
        """Whether the submission's verdict is written (after the database refused
        a second one: ``uq_notices_one_verdict``)."""
        async with self.ctx.db.session() as s:
            return await s.scalar(select(Notice.id).where(
                Notice.submission_id == submission_id,
                Notice.kind.in_(VERDICT_KINDS)).limit(1)) is not None

    async def finished_among(self, submission_ids: Iterable[int]) -> set[int]:
        """Those of ``submission_ids`` that are no longer pending (graded, or
        could not be graded)."""
        ids = list(submission_ids)
        if not ids:
            return set()
        async with self.ctx.db.session() as s:
            return set((await s.scalars(select(Submission.id).where(
                Submission.id.in_(ids),
                Submission.status.not_in(SubmissionStatus.pending)))).all())

    async def expedite(self) -> int:
        """Every queued submission waiting out a retry delay is due now (the
        console, whose clock only moves when told)."""
        now = self.ctx.now()
        async with self.ctx.db.session() as s:
            res = await s.execute(
                update(Submission)
                .where(Submission.status == SubmissionStatus.queued,
                       Submission.next_attempt_at > now)
                .values(next_attempt_at=now, dispatched_at=None)
                .execution_options(synchronize_session=False))
            return res.rowcount or 0

    async def undispatch(self, submission_ids: list[int]) -> None:
        """The engine did not take these: the next sweep hands them over again."""
        async with self.ctx.db.session() as s:
            await s.execute(update(Submission).where(Submission.id.in_(submission_ids))
                            .values(dispatched_at=None)
                            .execution_options(synchronize_session=False))

    async def park(self, submission_id: int, until: datetime | None = None) -> None:
        """A job found its submission must wait (an older one of the member comes
        first): back to the sweeper, not before ``until``."""
        values: dict[str, object] = {"dispatched_at": None}
        async with self.ctx.db.session() as s:
            if until is not None:
                current = await s.scalar(select(Submission.next_attempt_at)
                                         .where(Submission.id == submission_id))
                values["next_attempt_at"] = until if current is None else max(current, until)
            await s.execute(update(Submission)
                            .where(Submission.id == submission_id,
                                   Submission.status == SubmissionStatus.queued)
                            .values(**values))

    async def release(self, *, submission_id: int | None = None,
                      member_id: int | None = None, delay_s: float = 0.0) -> int:
        """Give a claimed submission back to the queue: its grading was
        interrupted (the job was cancelled or failed, or its worker died — then
        by ``member_id``: a member has at most one grading)."""
        cond = Submission.status == SubmissionStatus.grading
        if submission_id is not None:
            cond = and_(cond, Submission.id == submission_id)
        if member_id is not None:
            cond = and_(cond, Submission.member_id == member_id)
        async with self.ctx.db.session() as s:
            res = await s.execute(
                update(Submission).where(cond).values(
                    status=SubmissionStatus.queued, lease_until=None, dispatched_at=None,
                    next_attempt_at=self.ctx.now() + timedelta(seconds=delay_s))
                .execution_options(synchronize_session=False))
            return res.rowcount or 0

    async def grade(self, sub: Submission) -> tuple[list[SubmissionNotice], bool]:
        """Grade one claimed submission; (events, whether to stop this member's
        queue for now because the grader is unavailable)."""
        tracker = ProgressTracker(self.ctx, self.notices, sub, await self._platform(sub),
                                  show_after_s=self.progress_after_s,
                                  every_s=self.progress_every_s)
        try:
            raw = await asyncio.wait_for(
                self.grader.grade(sub.exercise_id, sub.code, progress=tracker.report),
                GRADE_TIMEOUT_S)
        except GraderUnavailable as exc:
            return await self._requeue(sub, str(exc), exc.retry_after), True
        except UnknownExercise:
            return await self._could_not_grade(sub, "the grader does not know this exercise"), \
                False
        except GradingFailed as exc:
            return await self._failed(sub, str(exc), exc.retry)
        except TimeoutError:
            return await self._failed(sub, "the grader did not answer in time", True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a grader client must not eat the submission
            log.exception("grading submission %s failed", sub.id)
            return await self._failed(sub, f"grading failed: {exc}", True)
        finally:
            await tracker.stop()
        try:
            result = GradeResult.from_dict(raw)
        except ResultFormatError as exc:
            return await self._could_not_grade(sub, f"the grader sent an unreadable result "
                                                    f"({exc})"), False
        return await self._finish(sub, raw, result), False

    async def _platform(self, sub: Submission) -> str:
        """The platform of the submission's cohort (how often its progress may be
        shown); a cohort never changes platform, so it is read once per cohort."""
        platform = self._platforms.get(sub.cohort_id)
        if platform is None:
            async with self.ctx.db.session() as s:
                platform = await s.scalar(
                    select(Cohort.platform).where(Cohort.id == sub.cohort_id)) or ""
            self._platforms[sub.cohort_id] = platform
        return platform

    async def _failed(self, sub: Submission, reason: str,
                      retry: bool) -> tuple[list[SubmissionNotice], bool]:
        """A grading that failed because of this submission: a few tries, then the
        member is told and instructors can see why (the CSV and dashboard)."""
        if retry and sub.failures + 1 < MAX_FAILURES:
            async with self.ctx.db.session() as s:
                await s.execute(update(Submission).where(Submission.id == sub.id)
                                .values(failures=Submission.failures + 1))
            return await self._requeue(sub, reason, 2.0, tell=False), False
        return await self._could_not_grade(sub, reason, failed=True), False

    async def _requeue(self, sub: Submission, reason: str, retry_after: float,
                       tell: bool = True) -> list[SubmissionNotice]:
        delay = min(max(retry_after, 1.0) * (2 ** max(sub.attempts - 1, 0)), MAX_RETRY_DELAY_S)
        async with self.ctx.db.session() as s:
            row = await s.get(Submission, sub.id)
            assert row is not None
            if row.status != SubmissionStatus.grading:
                return []  # finished by another worker meanwhile: nothing to put back
            row.status = SubmissionStatus.queued
            row.lease_until = None
            row.dispatched_at = None
            row.last_error = reason[:2000]
            row.next_attempt_at = self.ctx.now() + timedelta(seconds=delay)
            if not tell or row.delay_notified:
                return []
            row.delay_notified = True
            events = await self._tell(s, DELAYED, row, {"reason": reason[:500]})
        self.notices.notify()
        return events

    async def _could_not_grade(self, sub: Submission, reason: str,
                               failed: bool = False) -> list[SubmissionNotice]:
        async with self.ctx.db.session() as s:
            row = await s.get(Submission, sub.id)
            assert row is not None
            if row.status != SubmissionStatus.grading:
                return []  # finished by another worker meanwhile
            row.status = SubmissionStatus.could_not_grade
            row.last_error = reason[:2000]
            row.lease_until = None
            row.graded_at = self.ctx.now()
            if failed:
                row.failures += 1
            events = await self._tell(s, COULD_NOT_GRADE, row, {"reason": reason[:500]})
        self.notices.notify()
        return events

    async def _finish(self, sub: Submission, raw: dict,
                      result: GradeResult) -> list[SubmissionNotice]:
        ex = self.ctx.catalog.get(sub.exercise_id)
        max_score = ex.max_score if ex else result.max_score
        points = bonus = hinted = 0
        late = first = False
        async with self.ctx.db.session() as s:
            found = (await s.execute(_WITH_COHORT_AND_MEMBER, {"sid": sub.id})).first()
            assert found is not None
            row, cohort, member = found
            row.status = SubmissionStatus.graded
            row.result = result.to_dict()  # what from_dict validated and capped, not raw
            row.result_status = result.status.value
            row.score = result.score
            row.max_score = result.max_score or max_score
            row.passed = result.passed
            row.graded_at = self.ctx.now()
            row.lease_until = None
            if result.passed:
                scored = await self.scoring.award(s, cohort, member, row, ex, max_score)
                if scored is not None:
                    first = True
                    points, bonus, late, hinted = (scored.points, scored.bonus, scored.late,
                                                   scored.hinted)
            best = await self.bests.record(s, cohort, member, row)
            review = await self.reviews.record(
                s, cohort, member, row, result.passed, elapsed_s=best.elapsed_s if best else None,
                limit_s=ex.time_limit_min * 60 if ex is not None and ex.time_limit_min else None)
            info, news = await self.streaks.after_grading(s, cohort, member, row,
                                                          review is not None and review.was_due)
            hint = None if result.passed else await self.hints.offer(s, cohort, member, row,
                                                                     result)
            events = await self._tell(s, GRADED, row, {
                "points": points, "bonus": bonus, "late": late, "first_pass": first,
                "delayed": row.delay_notified, "hinted": hinted,
                "streak": info.streak.current if result.passed else 0,
                **learning_payload(
                    counted=row.counts, review=review, best=best, hint=hint, news=news,
                    looks_like=None if result.passed else self.ctx.catalog.looks_like(
                        row.code, row.exercise_id)),
            })
        self.notices.notify()
        return events

    async def _tell(self, s: AsyncSession, kind: str, row: Submission,
                    payload: dict[str, Any]) -> list[SubmissionNotice]:
        """Write the member's notice in the transaction of the state change; the
        event it will be delivered as (callers get it too: tests, the CLI)."""
        notice = self.notices.add(s, kind, row, payload)
        await s.flush()
        event = await self.notices.event(s, notice)
        return [event] if event else []
