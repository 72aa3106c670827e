"""What every core service shares: the database, the curriculum, the clock,
and the lookups of "this channel's cohort" and "this user in it" that nearly
every operation starts with. Services take a :class:`CoreContext` instead of
each other's internals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.catalog import Catalog
from bot.core.clock import Clock
from bot.core.errors import NotAllowed, NotFound
from bot.core.types import Actor, Target
from bot.core.views import CohortView, MemberView
from bot.db import Cohort, Database, Member

# The lookups nearly every operation starts with, built once: building a
# statement (its comparisons, bound parameters, columns) costs more CPU than
# SQLite takes to run it, and a chat burst runs them hundreds of times a second.
_COHORT_OF_CHANNEL = select(Cohort).where(Cohort.platform == bindparam("platform"),
                                          Cohort.channel_id == bindparam("channel"))
_MEMBER_OF_COHORT = select(Member).where(Member.cohort_id == bindparam("cohort"),
                                         Member.user_id == bindparam("user"))
_MEMBER_ID = select(Member.id).where(Member.cohort_id == bindparam("cohort"),
                                     Member.user_id == bindparam("user"))


@dataclass
class CoreContext:
    db: Database
    catalog: Catalog
    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()

    # ---- lookups inside a transaction ------------------------------------------------

    async def cohort_of(self, s: AsyncSession, actor: Actor) -> Cohort:
        """The cohort of the actor's channel, or a NotFound that says how to start one."""
        cohort = await self.find_cohort(s, actor.platform, actor.channel_id)
        if cohort is None:
            raise NotFound(
                "this channel has no cohort yet",
                "an instructor can start one with /dojo cohort create NAME",
            )
        return cohort

    @staticmethod
    async def find_cohort(s: AsyncSession, platform: str, channel_id: str) -> Cohort | None:
        return await s.scalar(_COHORT_OF_CHANNEL, {"platform": platform, "channel": channel_id})

    async def member_of(
        self, s: AsyncSession, cohort: Cohort, actor: Actor, *, join: bool = False
    ) -> tuple[Member, bool]:
        """The actor's membership (and whether this call created it). ``join``
        adds (or re-adds) the actor instead of refusing a non-member."""
        member = await s.scalar(_MEMBER_OF_COHORT, {"cohort": cohort.id, "user": actor.user_id})
        if member is not None and member.left_at is None:
            if actor.name and member.display_name != actor.name:
                member.display_name = actor.name[:200]
            return member, False
        if not join:
            raise NotFound("you are not in this cohort", "join with /dojo cohort join")
        if member is None:
            member = Member(
                cohort_id=cohort.id,
                user_id=actor.user_id,
                display_name=(actor.name or actor.user_id)[:200],
                joined_at=self.now(),
                reminders=True,
            )
            s.add(member)
        else:
            member.left_at = None
            member.joined_at = self.now()
        await s.flush()
        return member, True

    @staticmethod
    async def member_id(s: AsyncSession, cohort: Cohort, user_id: str) -> int | None:
        return await s.scalar(_MEMBER_ID, {"cohort": cohort.id, "user": user_id})

    # ---- pure derivations ---------------------------------------------------------------

    @staticmethod
    def require_instructor(actor: Actor, what: str) -> None:
        if not actor.role.can_instruct:
            raise NotAllowed(
                f"only instructors can {what}", "ask an instructor of this channel to do it"
            )

    def cohort_day(self, cohort: Cohort, now: datetime | None = None) -> int:
        today = rules.local_date(now or self.now(), cohort.tz)
        if cohort.paused_since is not None:
            today = min(today, rules.local_date(cohort.paused_since, cohort.tz))
        return rules.day_number(cohort.start_date, today, cohort.paused_days)

    @staticmethod
    def post_instant(cohort: Cohort, day: int) -> datetime:
        when = rules.date_of_day(cohort.start_date, day, cohort.paused_days)
        return rules.local_at_utc(when, rules.parse_hhmm(cohort.post_time), cohort.tz)

    @staticmethod
    def target(cohort: Cohort) -> Target:
        return Target(cohort.platform, cohort.channel_id, cohort.id, cohort.name, cohort.tz)

    def cohort_view(self, cohort: Cohort) -> CohortView:
        return CohortView(
            id=cohort.id,
            platform=cohort.platform,
            channel_id=cohort.channel_id,
            name=cohort.name,
            tz=cohort.tz,
            start_date=cohort.start_date,
            post_time=cohort.post_time,
            paused=cohort.paused_since is not None,
            paused_days=cohort.paused_days,
            day=self.cohort_day(cohort),
        )

    @staticmethod
    def member_view(member: Member) -> MemberView:
        return MemberView(member.id, member.user_id, member.display_name, member.tz,
                          member.reminders)
