"""Streaks and the member's progress calendar, computed from passes in the
member's local days (rules in :mod:`bot.core.rules`)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.context import CoreContext
from bot.core.types import Actor
from bot.core.views import ProgressData, StreakInfo
from bot.db import Award, Cohort, CohortPause, Member, Submission


class StreakService:
    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx

    async def streak(self, actor: Actor) -> StreakInfo:
        async with self.ctx.db.session() as s:
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
                cohort = await self.ctx.cohort_of(s, actor)  # raises if there is no cohort
                member, _ = await self.ctx.member_of(s, cohort, actor)  # raises: not a member
            else:
                cohort, member = row
            return await self.of_member(s, cohort, member)

    async def of_member(self, s: AsyncSession, cohort: Cohort, member: Member) -> StreakInfo:
        """The member's streak as of now, inside an open transaction."""
        tz = member.tz or cohort.tz
        times = (
            await s.scalars(
                select(Submission.received_at).where(
                    Submission.member_id == member.id, Submission.passed.is_(True)
                )
            )
        ).all()
        now = self.ctx.now()
        today = rules.local_date(now, tz)
        neutral: set[date] = set()
        if cohort.paused_days or cohort.paused_since is not None:  # the usual case skips it
            pauses = (
                await s.execute(
                    select(CohortPause.start_date, CohortPause.end_date).where(
                        CohortPause.cohort_id == cohort.id
                    )
                )
            ).all()
            neutral = rules.paused_dates([(a, b) for a, b in pauses], today)
        result = rules.compute_streak(rules.pass_days_local(times, tz), today, neutral)
        end = rules.local_midnight_utc(today + timedelta(days=1), tz)
        return StreakInfo(
            name=member.display_name,
            tz=tz,
            local_now=now.astimezone(rules.zone(tz)),
            streak=result,
            hours_left_today=(end - now).total_seconds() / 3600,
        )

    async def progress(self, actor: Actor) -> ProgressData:
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member, _ = await self.ctx.member_of(s, cohort, actor)
            info = await self.of_member(s, cohort, member)
            awards = (
                await s.execute(
                    select(Award.passed_at, Award.points + Award.bonus)
                    .where(Award.member_id == member.id)
                    .order_by(Award.passed_at)
                )
            ).all()
        tz = info.tz
        today = rules.local_date(self.ctx.now(), tz)
        joined = rules.local_date(member.joined_at, tz)
        days: list[tuple[int, date, rules.DayState]] = []
        for n in range(1, max(self.ctx.cohort_day(cohort), 0) + 1):
            day = rules.date_of_day(cohort.start_date, n, cohort.paused_days)
            state = info.streak.days.get(day)
            if state is None:
                if day < joined:
                    state = rules.DayState.before
                else:
                    state = rules.DayState.open if day >= today else rules.DayState.missed
            days.append((n, day, state))
        total = 0
        per_day: dict[date, int] = {}
        for at, points in awards:
            total += int(points or 0)
            per_day[rules.local_date(at, tz)] = total
        return ProgressData(
            name=member.display_name,
            tz=tz,
            days=days,
            points=sorted(per_day.items()),
            total=total,
            streak=info.streak,
        )
