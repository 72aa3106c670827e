"""Points: the first-pass award (with a timed challenge's window, speed bonus,
late policy and the hints used) and the leaderboards built from awards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.catalog import kind_of
from bot.core.context import CoreContext
from bot.core.types import Actor, BoardRow
from bot.core.views import CohortView
from bot.db import Award, ChallengeWindow, Cohort, HintUse, Member, Submission


async def windows_of(
    s: AsyncSession, cohort_id: int, exercise_id: str, member_id: int | None
) -> list[ChallengeWindow]:
    """The cohort's windows for an exercise, plus the member's own timer."""
    cond = ChallengeWindow.member_id.is_(None)
    if member_id is not None:
        cond = or_(cond, ChallengeWindow.member_id == member_id)
    rows = await s.scalars(
        select(ChallengeWindow)
        .where(ChallengeWindow.cohort_id == cohort_id,
               ChallengeWindow.exercise_id == exercise_id, cond)
        .order_by(ChallengeWindow.opens_at)
    )
    return list(rows.all())


# Built once: every passing grading runs them (see bot.core.context).
#: The member's award for an exercise (one at most).
AWARD_OF = select(Award.id).where(Award.member_id == bindparam("member"),
                                  Award.exercise_id == bindparam("exercise"))
_HINT_COSTS = select(HintUse.cost).where(HintUse.member_id == bindparam("member"),
                                         HintUse.exercise_id == bindparam("exercise"))


@dataclass(frozen=True)
class FirstPass:
    """What a first pass scored (the award as written, speed bonus included)."""

    points: int
    bonus: int
    late: bool
    #: Points the member's revealed hints took off.
    hinted: int


class ScoringService:
    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx

    # ---- awards --------------------------------------------------------------------

    async def award(self, s: AsyncSession, cohort: Cohort, member: Member, sub: Submission,
                    ex: Any, max_score: int) -> FirstPass | None:
        """Write the first-pass award; for a challenge apply window, bonus and late
        policy. None when this exercise was already scored for the member."""
        scored = await s.scalar(AWARD_OF, {"member": member.id, "exercise": sub.exercise_id})
        if scored is not None:
            return None
        window: ChallengeWindow | None = None
        late = False
        points = max_score
        elapsed: float | None = None
        if ex is not None and kind_of(ex) == "challenge":
            windows = await windows_of(s, cohort.id, ex.id, member.id)
            inside = [w for w in windows if w.opens_at <= sub.received_at < w.closes_at]
            inside.sort(key=lambda w: (w.member_id is not None, w.opens_at))
            if inside:
                window = inside[0]
                elapsed = (sub.received_at - window.opens_at).total_seconds()
            elif any(w.closes_at <= sub.received_at for w in windows):
                late = True
                points = rules.late_points(max_score)
        hinted = await self.hint_deduction(s, member.id, sub.exercise_id, max_score)
        points = max(points - hinted, 0)
        award = Award(
            cohort_id=cohort.id,
            member_id=member.id,
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
            await self._rerank(s, cohort, window)  # sets this award's bonus too
        return FirstPass(award.points, award.bonus, award.late, hinted)

    async def _rerank(self, s: AsyncSession, cohort: Cohort, window: ChallengeWindow) -> None:
        """Speed bonus N − r, recomputed for every passer of the window whenever one
        is added, so a submission graded late (outage) still gets its true rank.

        A cohort window ranks by pass time; personal timers rank by time taken."""
        members = await s.scalar(
            select(func.count(Member.id)).where(
                Member.cohort_id == cohort.id, Member.left_at.is_(None)
            )
        ) or 0
        if window.member_id is None:
            query = (select(Award).where(Award.window_id == window.id)
                     .order_by(Award.passed_at, Award.submission_id))
        else:
            personal = select(ChallengeWindow.id).where(
                ChallengeWindow.cohort_id == cohort.id,
                ChallengeWindow.exercise_id == window.exercise_id,
                ChallengeWindow.member_id.is_not(None),
            )
            query = (select(Award).where(Award.window_id.in_(personal))
                     .order_by(Award.elapsed_s, Award.submission_id))
        for rank, award in enumerate((await s.scalars(query)).all()):
            award.bonus = rules.speed_bonus(members, rank)

    @staticmethod
    async def hint_deduction(s: AsyncSession, member_id: int, exercise_id: str,
                             max_score: int) -> int:
        """Points the hints the member revealed take off this exercise's first pass."""
        costs = (await s.scalars(_HINT_COSTS, {"member": member_id,
                                               "exercise": exercise_id})).all()
        return rules.hint_deduction(max_score, costs)

    # ---- boards ----------------------------------------------------------------------

    def week_bounds(self, cohort: Cohort,
                    now: datetime | None = None) -> tuple[int, datetime, datetime]:
        day = max(self.ctx.cohort_day(cohort, now), 1)
        week = rules.week_of_day(day)
        first = rules.date_of_day(cohort.start_date, (week - 1) * 7 + 1, cohort.paused_days)
        return (
            week,
            rules.local_midnight_utc(first, cohort.tz),
            rules.local_midnight_utc(first + timedelta(days=7), cohort.tz),
        )

    async def leaderboard(self, actor: Actor, scope: str = "week", limit: int = 20, *,
                          everyone: bool = False) -> tuple[CohortView, str, list[BoardRow]]:
        """The cohort's standings; ``everyone`` adds the members without points
        (after the others, in the order they joined) — the picture shows them."""
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            if scope == "week":
                week, start, end = self.week_bounds(cohort)
                label = f"week {week}"
                # week 1 also holds the points earned before the start (a pass then
                # scores, and would otherwise show on no weekly board)
                rows = await self.board(s, cohort.id, start if week > 1 else None, end, limit)
            else:
                label = "all time"
                rows = await self.board(s, cohort.id, None, None, limit)
            if everyone:
                rows += await self._pointless(s, cohort.id, rows, limit)
            return self.ctx.cohort_view(cohort), label, rows

    @staticmethod
    async def _pointless(s: AsyncSession, cohort_id: int, rows: list[BoardRow],
                         limit: int) -> list[BoardRow]:
        """Active members missing from ``rows`` (no points in its scope), as 0 rows."""
        listed = {r.user_id for r in rows}
        members = (await s.execute(
            select(Member.user_id, Member.display_name)
            .where(Member.cohort_id == cohort_id, Member.left_at.is_(None))
            .order_by(Member.joined_at, Member.id))).all()
        rank = len(rows) + 1
        out = []
        for user_id, name in members:
            if user_id in listed or len(rows) + len(out) >= limit:
                continue
            out.append(BoardRow(rank, user_id, name, 0, None, 0))
        return out

    async def board(self, s: AsyncSession, cohort_id: int, start: datetime | None,
                    end: datetime | None, limit: int | None) -> list[BoardRow]:
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
        query = (
            select(sub.c.total, sub.c.reached, sub.c.n, Member.user_id, Member.display_name)
            .join(Member, Member.id == sub.c.member_id)
            .order_by(sub.c.total.desc(), sub.c.reached.asc(), sub.c.member_id.asc())
        )
        if limit:
            query = query.limit(limit)
        out = []
        for rank, (points, at, count, user_id, name) in enumerate(
                (await s.execute(query)).all(), 1):
            if isinstance(at, str):  # max() over a subquery may come back as text on SQLite
                at = datetime.fromisoformat(at)
            if at is not None and at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            out.append(BoardRow(rank, user_id, name, int(points or 0), at, count))
        return out

    async def window_results(self, s: AsyncSession, window_id: int) -> list[BoardRow]:
        """Passers of one cohort window in pass order."""
        rows = (
            await s.execute(
                select(Award, Member.display_name, Member.user_id)
                .join(Member, Member.id == Award.member_id)
                .where(Award.window_id == window_id)
                .order_by(Award.passed_at, Award.submission_id)
            )
        ).all()
        return [BoardRow(i, uid, name, a.points + a.bonus, a.passed_at)
                for i, (a, name, uid) in enumerate(rows, 1)]

    async def challenge_rows(self, s: AsyncSession, cohort_id: int,
                             exercise_id: str) -> list[BoardRow]:
        """Everyone who passed a challenge: in-window passers by time taken, then late."""
        rows = (
            await s.execute(
                select(Award, Member.display_name, Member.user_id)
                .join(Member, Member.id == Award.member_id)
                .where(Award.cohort_id == cohort_id, Award.exercise_id == exercise_id)
                .order_by(Award.late, Award.elapsed_s, Award.passed_at)
            )
        ).all()
        return [BoardRow(i, uid, name + (" (late)" if a.late else ""), a.points + a.bonus,
                         a.passed_at)
                for i, (a, name, uid) in enumerate(rows, 1)]
