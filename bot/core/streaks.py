"""Honest streaks and the member's progress calendar, computed in the
member's local days (rules in :mod:`bot.core.rules`).

A day counts when the member passes something new or due that day — that
day's item, a due review, an item not passed before — never a re-submission
of an old pass: each pass is judged once, when it is graded
(:meth:`StreakService.after_grading` sets ``submissions.counts``), and streaks
are walked over counting passes only. Days the cohort was paused or had
nothing scheduled are neutral. Freezes earned and used are announced to the
member once (``streak_notes``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.context import CoreContext
from bot.core.types import Actor, FreezeNews
from bot.core.views import ProgressData, StreakInfo
from bot.db import Award, Cohort, CohortPause, Member, StreakNote, Submission

#: Freezes earned or used longer ago than this are history, not news.
NEWS_DAYS = 3


# Built once: every grading runs them (see bot.core.context).
_COUNTED_TIMES = select(Submission.received_at).where(
    Submission.member_id == bindparam("member"), Submission.counts.is_(True))
_PASSED_BEFORE = select(Submission.id).where(
    Submission.member_id == bindparam("member"), Submission.exercise_id == bindparam("exercise"),
    Submission.passed.is_(True), Submission.id != bindparam("sid"),
    Submission.received_at <= bindparam("at")).limit(1)


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
            info = await self.of_member(s, cohort, member)
            info.news = await self.announce(s, member, info)
            return info

    async def of_member(self, s: AsyncSession, cohort: Cohort, member: Member) -> StreakInfo:
        """The member's streak as of now, inside an open transaction."""
        tz = member.tz or cohort.tz
        times = (await s.scalars(_COUNTED_TIMES, {"member": member.id})).all()
        now = self.ctx.now()
        today = rules.local_date(now, tz)
        days = rules.pass_days_local(times, tz)
        rest = rules.rest_dates(cohort.start_date, self.ctx.catalog.schedule, today,
                                cohort.paused_days, since=min(days, default=None))
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
        result = rules.compute_streak(days, today, neutral, rest)
        end = rules.local_midnight_utc(today + timedelta(days=1), tz)
        return StreakInfo(
            name=member.display_name,
            tz=tz,
            local_now=now.astimezone(rules.zone(tz)),
            streak=result,
            hours_left_today=(end - now).total_seconds() / 3600,
        )

    # ---- after a grading (inside its transaction) --------------------------------------

    async def after_grading(self, s: AsyncSession, cohort: Cohort, member: Member,
                            sub: Submission, review_due: bool) -> tuple[StreakInfo,
                                                                        list[FreezeNews]]:
        """Decide whether this pass keeps the streak alive (new or due that day),
        then the streak as it now stands and the freeze news to tell with it."""
        if sub.passed:
            sub.counts = rules.counts_for_streak(
                passed=True,
                scheduled_today=sub.exercise_id in self.items_at(cohort, sub.received_at),
                review_due=review_due,
                passed_before=await self._passed_before(s, sub),
            )
            await s.flush()
        info = await self.of_member(s, cohort, member)
        return info, await self.announce(s, member, info)

    def items_at(self, cohort: Cohort, at: datetime) -> set[str]:
        """The exercises that are "that day's items" at ``at``: the cohort day's,
        and the previous day's before today's post time (what /dojo today shows)."""
        day = self.ctx.cohort_day(cohort, at)
        schedule = self.ctx.catalog.schedule
        ids = set(schedule.get(day, []))
        if day >= 1 and self.ctx.post_instant(cohort, day) > at:
            ids |= set(schedule.get(day - 1, []))
        return ids

    @staticmethod
    async def _passed_before(s: AsyncSession, sub: Submission) -> bool:
        return await s.scalar(_PASSED_BEFORE, {
            "member": sub.member_id, "exercise": sub.exercise_id, "sid": sub.id,
            "at": sub.received_at}) is not None

    async def announce(self, s: AsyncSession, member: Member,
                       info: StreakInfo) -> list[FreezeNews]:
        """Freezes earned or used in the last few days that the member has not
        been told about; recorded as told (the unique row makes it once, also
        when two processes race)."""
        today = info.local_now.date()
        st = info.streak
        events = [("earned", d) for d in st.earned_days] + [("used", d) for d in st.frozen_days]
        recent = [(k, d) for k, d in events if (today - d).days <= NEWS_DAYS]
        if not recent:
            return []
        told = set((await s.execute(select(StreakNote.kind, StreakNote.day).where(
            StreakNote.member_id == member.id,
            StreakNote.day >= today - timedelta(days=NEWS_DAYS)))).all())
        news = []
        for kind, day in recent:
            if (kind, day) in told:
                continue
            try:
                async with s.begin_nested():
                    s.add(StreakNote(member_id=member.id, kind=kind, day=day,
                                     created_at=self.ctx.now()))
            except IntegrityError:
                continue  # another process told it first
            news.append(FreezeNews(kind, day, st.freezes, st.current))
        return news

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
                if not self.ctx.catalog.schedule.get(n):
                    state = rules.DayState.rest
                elif day < joined:
                    state = rules.DayState.before
                else:
                    state = rules.DayState.open if day >= today else rules.DayState.missed
            days.append((n, day, state))
        gained: dict[date, int] = {}
        for at, points in awards:
            day = rules.local_date(at, tz)
            gained[day] = gained.get(day, 0) + int(points or 0)
        return ProgressData(
            name=member.display_name,
            tz=tz,
            days=days,
            points=rules.cumulative_by_day(gained, cohort.start_date, today),
            total=sum(gained.values()),
            streak=info.streak,
        )
