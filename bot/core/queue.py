"""The grading lifecycle of a queued submission: claim it with a lease, grade
it between transactions (so a slow or dead grader never holds a lock), and
finish it — graded (with points and streak), requeued after an outage, or
"could not be graded" — writing the notice for the member in the same
transaction as the state change. A crash at any point loses nothing: an
expired lease puts the submission back in the queue (:meth:`recover`).

Which submissions are graded when, and how many at once, is the dispatcher's
business (:mod:`bot.core.dispatch`); this module grades one claimed
submission at a time and knows nothing about concurrency."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import CoreContext
from bot.core.notices import COULD_NOT_GRADE, DELAYED, GRADED, NoticeService
from bot.core.scoring import ScoringService
from bot.core.streaks import StreakService
from bot.core.types import SubmissionNotice
from bot.db import Cohort, Member, Submission, SubmissionStatus
from bot.grader_client import GraderClient, GraderUnavailable, GradingFailed, UnknownExercise
from grader.result import GradeResult, ResultFormatError

log = logging.getLogger(__name__)

GRADING_LEASE = timedelta(minutes=10)
GRADE_TIMEOUT_S = 300.0
MAX_RETRY_DELAY_S = 300.0
#: Gradings that fail because of the submission (grader errors, bugs) before
#: it is reported as "could not be graded".
MAX_FAILURES = 3


class GradingQueue:
    def __init__(self, ctx: CoreContext, grader: GraderClient, scoring: ScoringService,
                 streaks: StreakService, notices: NoticeService) -> None:
        self.ctx = ctx
        self.grader = grader
        self.scoring = scoring
        self.streaks = streaks
        self.notices = notices

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
                .values(status=SubmissionStatus.queued, next_attempt_at=now, lease_until=None)
            )
            # "received" and "queued" are written in one transaction; rows of older
            # versions stuck in received are queued too.
            res2 = await s.execute(
                update(Submission)
                .where(Submission.status == SubmissionStatus.received)
                .values(status=SubmissionStatus.queued, next_attempt_at=now)
            )
            return (res.rowcount or 0) + (res2.rowcount or 0)

    async def ready_members(self, *, member_id: int | None = None, force: bool = False,
                            limit: int = 1000) -> list[int]:
        """Members with a queued submission that may be graded now, oldest first."""
        now = self.ctx.now()
        query = select(Submission.member_id).where(Submission.status == SubmissionStatus.queued)
        if member_id is not None:
            query = query.where(Submission.member_id == member_id)
        if not force:
            query = query.where(
                or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= now))
        async with self.ctx.db.session() as s:
            rows = await s.scalars(query.order_by(Submission.id).limit(limit))
            return list(dict.fromkeys(rows.all()))

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
                won = await s.execute(
                    update(Submission)
                    .where(Submission.id == sub.id, Submission.status == SubmissionStatus.queued)
                    .values(status=SubmissionStatus.grading, started_at=now,
                            lease_until=now + GRADING_LEASE, attempts=Submission.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount != 1:
                    return None
                s.expunge(sub)  # a detached copy for the grader; the row is the truth
                sub.attempts += 1
                sub.status = SubmissionStatus.grading
                return sub
        except IntegrityError:
            return None  # another process claimed one of this member's submissions

    async def grade_member(self, member_id: int, force: bool = False) -> list[SubmissionNotice]:
        """Grade the member's queue in order until it is empty or the grader is away."""
        events: list[SubmissionNotice] = []
        while True:
            sub = await self.claim(member_id, force)
            if sub is None:
                return events
            outcome, retry_later = await self.grade(sub)
            events.extend(outcome)
            if retry_later:
                return events

    async def grade(self, sub: Submission) -> tuple[list[SubmissionNotice], bool]:
        """Grade one claimed submission; (events, whether to stop this member's
        queue for now because the grader is unavailable)."""
        try:
            raw = await asyncio.wait_for(self.grader.grade(sub.exercise_id, sub.code),
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
        try:
            result = GradeResult.from_dict(raw)
        except ResultFormatError as exc:
            return await self._could_not_grade(sub, f"the grader sent an unreadable result "
                                                    f"({exc})"), False
        return await self._finish(sub, raw, result), False

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
            row.status = SubmissionStatus.queued
            row.lease_until = None
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
        points = bonus = 0
        late = first = False
        async with self.ctx.db.session() as s:
            row = await s.get(Submission, sub.id)
            assert row is not None
            row.status = SubmissionStatus.graded
            row.result = raw
            row.result_status = result.status.value
            row.score = result.score
            row.max_score = result.max_score or max_score
            row.passed = result.passed
            row.graded_at = self.ctx.now()
            row.lease_until = None
            cohort = await s.get(Cohort, row.cohort_id)
            member = await s.get(Member, row.member_id)
            assert cohort is not None and member is not None
            if result.passed:
                award = await self.scoring.award(s, cohort, member, row, ex, max_score)
                if award is not None:
                    first = True
                    await s.flush()
                    await s.refresh(award)
                    points, bonus, late = award.points, award.bonus, award.late
            streak = (await self.streaks.of_member(s, cohort, member)).streak.current \
                if result.passed else 0
            events = await self._tell(s, GRADED, row, {
                "points": points, "bonus": bonus, "late": late, "first_pass": first,
                "delayed": row.delay_notified, "streak": streak,
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
