"""Personal bests on timed challenges: the time each member took to pass a
challenge in each window (the cohort's, or a timer of their own), so a
challenge can be brought "from 20 minutes down to 10" and the member sees it:
the best, the previous and the improvement.

A time is the pass's arrival minus the window's opening, once per run of a
window (the first pass in it). Practice runs — timers started again after the challenge
was passed — record times like any other and score nothing (scoring knows
that already: only a first pass scores)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.catalog import item_of, kind_of
from bot.core.context import CoreContext
from bot.core.scoring import windows_of
from bot.core.types import Actor, BestNote
from bot.core.views import BestView
from bot.db import Award, ChallengeTime, ChallengeWindow, Cohort, Member, Submission


def timing_window(windows: list[ChallengeWindow], sub: Submission) -> ChallengeWindow | None:
    """The window a pass is timed in: the member's own timer if its current run
    was open when the pass arrived, else the cohort window, else none."""
    inside = [w for w in windows if w.opens_at <= sub.received_at < w.closes_at]
    inside.sort(key=lambda w: (w.member_id is None, w.opens_at))
    return inside[0] if inside else None


class BestsService:
    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx

    async def record(self, s: AsyncSession, cohort: Cohort, member: Member,
                     sub: Submission) -> BestNote | None:
        """Keep the time of a challenge pass made inside a window (inside the
        grading's transaction); None for anything else."""
        ex = self.ctx.catalog.get(sub.exercise_id)
        if ex is None or kind_of(ex) != "challenge" or not sub.passed or sub.regrade_of:
            return None  # a regrade re-judges an old run; its time was kept then
        window = timing_window(await windows_of(s, cohort.id, ex.id, member.id), sub)
        if window is None:
            return None  # late: no time to keep
        first = await s.scalar(select(Award.submission_id).where(
            Award.member_id == member.id, Award.exercise_id == ex.id))
        kept = await s.scalar(select(ChallengeTime).where(
            ChallengeTime.member_id == member.id, ChallengeTime.window_id == window.id,
            ChallengeTime.attempt == window.attempt))
        if kept is None:
            kept = ChallengeTime(
                cohort_id=cohort.id, member_id=member.id, exercise_id=ex.id,
                window_id=window.id, attempt=window.attempt, submission_id=sub.id,
                elapsed_s=(sub.received_at - window.opens_at).total_seconds(),
                passed_at=sub.received_at, practice=first is not None and first != sub.id)
            s.add(kept)
            await s.flush()
        times = await self._times(s, member.id, ex.id)
        mine = [t for t in times if (t.passed_at, t.id) <= (kept.passed_at, kept.id)]
        previous = mine[-2].elapsed_s if len(mine) > 1 else None
        return BestNote(kept.elapsed_s, previous, min(t.elapsed_s for t in mine), kept.practice)

    async def of(self, actor: Actor) -> list[BestView]:
        """The member's times on every challenge they have a time for."""
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member, _ = await self.ctx.member_of(s, cohort, actor)
            return await self.of_member(s, member.id)

    async def of_member(self, s: AsyncSession, member_id: int) -> list[BestView]:
        """:meth:`of` for a member known by id (the instructor dashboard's member page)."""
        rows = (await s.scalars(select(ChallengeTime)
                                .where(ChallengeTime.member_id == member_id)
                                .order_by(ChallengeTime.passed_at, ChallengeTime.id))).all()
        by_exercise: dict[str, list[float]] = {}
        for row in rows:
            by_exercise.setdefault(row.exercise_id, []).append(row.elapsed_s)
        out = []
        for ex_id, times in by_exercise.items():
            ex = self.ctx.catalog.get(ex_id)
            if ex is None:
                continue
            out.append(BestView(item_of(ex), times, min(times), times[-1],
                                times[-2] if len(times) > 1 else None))
        out.sort(key=lambda b: b.item.id)
        return out

    @staticmethod
    async def _times(s: AsyncSession, member_id: int, exercise_id: str) -> list[ChallengeTime]:
        return list((await s.scalars(
            select(ChallengeTime)
            .where(ChallengeTime.member_id == member_id,
                   ChallengeTime.exercise_id == exercise_id)
            .order_by(ChallengeTime.passed_at, ChallengeTime.id))).all())
