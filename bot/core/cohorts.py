"""Cohorts and their members: create, join, leave, settings, the schedule
(post time, zone, start, pause/resume) and "what is on today"."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from bot.core import rules
from bot.core.catalog import item_of
from bot.core.context import CoreContext
from bot.core.errors import DojoError
from bot.core.types import Actor
from bot.core.views import CohortInfo, CohortView, JoinResult, ScheduleDay, TodayView
from bot.db import Cohort, CohortPause, Member, Submission


class CohortService:
    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx

    async def find(self, platform: str, channel_id: str) -> CohortView | None:
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.find_cohort(s, platform, channel_id)
            return self.ctx.cohort_view(cohort) if cohort else None

    async def get(self, actor: Actor) -> CohortView:
        """The actor's channel's cohort (NotFound when there is none)."""
        async with self.ctx.db.session() as s:
            return self.ctx.cohort_view(await self.ctx.cohort_of(s, actor))

    async def channels_of(self, platform: str, user_id: str) -> list[str]:
        """The channels of every cohort this user is an active member of."""
        async with self.ctx.db.session() as s:
            rows = await s.scalars(
                select(Cohort.channel_id)
                .join(Member, Member.cohort_id == Cohort.id)
                .where(Cohort.platform == platform, Member.user_id == user_id,
                       Member.left_at.is_(None))
                .order_by(Cohort.id)
            )
            return list(rows.all())

    async def create(
        self,
        actor: Actor,
        name: str,
        tz: str = "UTC",
        start: date | None = None,
        post_time: str = "09:00",
    ) -> CohortView:
        self.ctx.require_instructor(actor, "create a cohort")
        tz = rules.zone_name(tz)
        at = rules.parse_hhmm(post_time)
        # NUL and other controls out; a lone surrogate (bytes that were not UTF-8) raises
        # UnicodeEncodeError here, on every database ("that message is not UTF-8 text"),
        # not a driver's error after the fact (PostgreSQL stores neither)
        name = "".join(ch if ch >= " " else " " for ch in name).strip()
        name.encode("utf-8")
        if not name:
            raise DojoError("a cohort needs a name")
        today = rules.local_date(self.ctx.now(), tz)
        if start is not None:
            rules.check_near(start, today, "the start date")
        start = start or today
        async with self.ctx.db.session() as s:
            if await self.ctx.find_cohort(s, actor.platform, actor.channel_id) is not None:
                raise DojoError("this channel already has a cohort", "see /dojo cohort info")
            cohort = Cohort(
                platform=actor.platform,
                channel_id=actor.channel_id,
                name=name[:200],
                tz=tz,
                start_date=start,
                post_time=at.strftime("%H:%M"),
                paused_days=0,
                created_at=self.ctx.now(),
                created_by=actor.user_id,
            )
            s.add(cohort)
            try:
                await s.flush()
            except IntegrityError:
                raise DojoError("this channel already has a cohort") from None
            return self.ctx.cohort_view(cohort)

    async def join(self, actor: Actor, tz: str | None = None) -> JoinResult:
        if tz:
            tz = rules.zone_name(tz)
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            known = await self.ctx.member_id(s, cohort, actor.user_id) is not None
            member, new = await self.ctx.member_of(s, cohort, actor, join=True)
            if tz:
                member.tz = tz
            return JoinResult(self.ctx.cohort_view(cohort), self.ctx.member_view(member), new,
                              returning=new and known)

    async def leave(self, actor: Actor) -> CohortView:
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member, _ = await self.ctx.member_of(s, cohort, actor)
            member.left_at = self.ctx.now()
            return self.ctx.cohort_view(cohort)

    async def set_member_tz(self, actor: Actor, tz: str | None) -> str:
        """The member's own zone for streaks (None: follow the cohort's)."""
        if tz:
            tz = rules.zone_name(tz)
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member, _ = await self.ctx.member_of(s, cohort, actor, join=True)
            member.tz = tz or None
            return member.tz or cohort.tz

    async def member_tz(self, actor: Actor) -> tuple[str | None, str]:
        """The member's own zone (None: none set, or not a member) and the cohort's."""
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member = await s.scalar(select(Member).where(
                Member.cohort_id == cohort.id, Member.user_id == actor.user_id,
                Member.left_at.is_(None)))
            return (member.tz if member is not None else None), cohort.tz

    async def reminders(self, actor: Actor) -> bool:
        """Whether the member gets streak reminders and review nudges (a
        newcomer who has not joined yet: the default, on)."""
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            on = await s.scalar(select(Member.reminders).where(
                Member.cohort_id == cohort.id, Member.user_id == actor.user_id,
                Member.left_at.is_(None)))
            return True if on is None else bool(on)

    async def set_reminders(self, actor: Actor, on: bool) -> None:
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member, _ = await self.ctx.member_of(s, cohort, actor, join=True)
            member.reminders = on

    async def info(self, actor: Actor) -> CohortInfo:
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            rows = (
                await s.execute(
                    select(Member.display_name, Member.tz)
                    .where(Member.cohort_id == cohort.id, Member.left_at.is_(None))
                    .order_by(Member.joined_at, Member.id)
                )
            ).all()
        day = self.ctx.cohort_day(cohort)
        next_post = None
        if cohort.paused_since is None:
            for n in (max(day, 1), max(day, 1) + 1):
                at = self.ctx.post_instant(cohort, n)
                if at > self.ctx.now():
                    next_post = at
                    break
        return CohortInfo(
            **asdict(self.ctx.cohort_view(cohort)),
            week=rules.week_of_day(day),
            members=[(name, tz) for name, tz in rows],
            next_post_at=next_post,
        )

    async def schedule_days(self, actor: Actor, count: int = 7) -> tuple[CohortInfo,
                                                                          list[ScheduleDay]]:
        """The next ``count`` cohort days from today with their exercises."""
        info = await self.info(actor)
        first = max(info.day, 1)
        days = [
            ScheduleDay(n, rules.date_of_day(info.start_date, n, info.paused_days),
                        list(self.ctx.catalog.schedule.get(n, [])))
            for n in range(first, first + count)
        ]
        return info, days

    async def update_schedule(
        self,
        actor: Actor,
        *,
        post_time: str | None = None,
        tz: str | None = None,
        start: date | None = None,
    ) -> CohortView:
        self.ctx.require_instructor(actor, "change the schedule")
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            if post_time is not None:
                cohort.post_time = rules.parse_hhmm(post_time).strftime("%H:%M")
            if tz is not None:
                cohort.tz = rules.zone_name(tz)
            if start is not None:
                today = rules.local_date(self.ctx.now(), cohort.tz)
                rules.check_near(start, today, "the start date")
                cohort.start_date = start
                cohort.paused_days = 0
            return self.ctx.cohort_view(cohort)

    async def pause(self, actor: Actor) -> CohortView:
        self.ctx.require_instructor(actor, "pause the cohort")
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            if cohort.paused_since is not None:
                raise DojoError("the cohort is already paused", "resume with /dojo schedule resume")
            cohort.paused_since = self.ctx.now()
            s.add(CohortPause(cohort_id=cohort.id,
                              start_date=rules.local_date(self.ctx.now(), cohort.tz)))
            return self.ctx.cohort_view(cohort)

    async def resume(self, actor: Actor) -> CohortView:
        """Resuming shifts the rest of the schedule by the whole local days paused."""
        self.ctx.require_instructor(actor, "resume the cohort")
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            if cohort.paused_since is None:
                raise DojoError("the cohort is not paused")
            today = rules.local_date(self.ctx.now(), cohort.tz)
            paused = (today - rules.local_date(cohort.paused_since, cohort.tz)).days
            cohort.paused_days += max(paused, 0)
            cohort.paused_since = None
            open_pauses = await s.scalars(
                select(CohortPause).where(
                    CohortPause.cohort_id == cohort.id, CohortPause.end_date.is_(None)
                )
            )
            for row in open_pauses.all():
                row.end_date = today
            return self.ctx.cohort_view(cohort)

    async def today(self, actor: Actor) -> TodayView:
        """The current day's items (or the previous day's before today's post time)
        with the member's status on each."""
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            found = (await s.execute(select(Member.id, Member.left_at).where(
                Member.cohort_id == cohort.id, Member.user_id == actor.user_id))).first()
            member_id = found[0] if found is not None and found[1] is None else None
            day = self.ctx.cohort_day(cohort)
            posted = day >= 1 and self.ctx.post_instant(cohort, day) <= self.ctx.now()
            shown = day if posted else day - 1
            ids = self.ctx.catalog.schedule.get(shown, []) if shown >= 1 else []
            statuses: dict[str, str] = {}
            if member_id is not None and ids:
                rows = await s.execute(
                    select(
                        Submission.exercise_id,
                        # max() of a boolean is not portable (PostgreSQL has none)
                        func.max(case((Submission.passed.is_(True), 1), else_=0)),
                    )
                    .where(Submission.member_id == member_id, Submission.exercise_id.in_(ids))
                    .group_by(Submission.exercise_id)
                )
                statuses = {ex_id: "passed" if ok else "tried" for ex_id, ok in rows.all()}
        items = [
            item_of(ex, statuses.get(ex.id, ""))
            for ex in (self.ctx.catalog.get(i) for i in ids)
            if ex is not None
        ]
        return TodayView(self.ctx.cohort_view(cohort), shown, items, posted,
                         member=member_id is not None)
