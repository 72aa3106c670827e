"""Timed challenges: cohort windows opened by instructors, personal timers
started by members, who may see a challenge's prompt when, and who passed."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.catalog import item_of, kind_of
from bot.core.context import CoreContext
from bot.core.errors import DojoError
from bot.core.scoring import ScoringService, windows_of
from bot.core.types import Actor
from bot.core.views import (
    ChallengeInfo,
    CohortView,
    PromptView,
    TimerStarted,
    WindowView,
)
from bot.db import Award, ChallengeWindow, Cohort, Member


def window_view(w: ChallengeWindow) -> WindowView:
    return WindowView(w.id, w.exercise_id, w.member_id is not None, w.opens_at, w.closes_at)


class ChallengeService:
    def __init__(self, ctx: CoreContext, scoring: ScoringService) -> None:
        self.ctx = ctx
        self.scoring = scoring

    def _challenge(self, exercise_id: str) -> Any:
        ex = self.ctx.catalog.exercise(exercise_id)
        if kind_of(ex) != "challenge":
            raise DojoError(
                f"{ex.id} is a {kind_of(ex)}, not a timed challenge",
                f"challenges are the exercises marked 'challenge'; just /dojo show {ex.id}",
            )
        return ex

    async def open_window(
        self,
        actor: Actor,
        exercise_id: str,
        start: datetime | None = None,
        duration: timedelta | None = None,
    ) -> tuple[CohortView, WindowView]:
        self.ctx.require_instructor(actor, "open a challenge window")
        ex = self._challenge(exercise_id)
        now = self.ctx.now()
        # an instant first, then its length: a wall time in the cohort's zone plus 60
        # minutes was wall-clock arithmetic, and across a clock change a window lasted 0
        # or 120 minutes (a skipped time moves forward, a repeated one is its first, as
        # rules.local_at_utc has it)
        start = start.astimezone(UTC) if start is not None and start.tzinfo else start or now
        if duration is None:  # a zero duration is a mistake, not "the default"
            duration = timedelta(minutes=ex.time_limit_min or 60)
        if duration <= timedelta(0):
            raise DojoError("the window must last longer than zero minutes",
                            "give its length as for=90m, for=2h or for=1h30m")
        if start - now > rules.MAX_SCHEDULE_AHEAD or duration > rules.MAX_SCHEDULE_AHEAD:
            raise DojoError("a window must open and close within a year from now",
                            "give a start like at=18:00 or at=YYYY-MM-DDTHH:MM and a "
                            "length like for=90m")
        if start + duration <= now:  # a start in the past opens now if time is left
            raise DojoError("that window would already be over",
                            "give a start from now on (at=18:00 is today; another day: "
                            "at=YYYY-MM-DDTHH:MM), or no at= to open it now")
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            opened = None
            # a challenge split in parts has one window: opening a part opens them all
            for part in self.ctx.catalog.parts_of(ex.id):
                for w in await windows_of(s, cohort.id, part, None):
                    if w.member_id is None and w.opens_at < start + duration \
                            and start < w.closes_at:
                        raise DojoError(f"a {part} window already overlaps that time")
                window = ChallengeWindow(
                    cohort_id=cohort.id,
                    exercise_id=part,
                    member_id=None,
                    opens_at=start,
                    closes_at=start + duration,
                    created_by=actor.user_id,
                    created_at=self.ctx.now(),
                )
                s.add(window)
                opened = window if part == ex.id else opened
            await s.flush()
            assert opened is not None
            return self.ctx.cohort_view(cohort), window_view(opened)

    async def start_timer(self, actor: Actor, exercise_id: str) -> TimerStarted:
        """A personal timer: the prompt is revealed now; the deadline is the time limit.

        One timer counts for points. Once the challenge is passed (in any window,
        or late) it may be started again as often as the member likes: practice
        runs that score nothing and record a time (personal bests). A run moves
        the member's timer row to now and counts up its ``attempt``, guarded by
        the attempt it read, so two racing starts open one run."""
        ex = self._challenge(exercise_id)
        now = self.ctx.now()
        closes = now + timedelta(minutes=ex.time_limit_min or 60)
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member, _ = await self.ctx.member_of(s, cohort, actor, join=True)
            window = await self._start_one(s, cohort, member, actor, ex.id, now, closes)
            passed = await self._passed(s, member, ex.id)
            # a challenge split in parts has one clock: its other parts start with it
            # (a part already running, or ended and not passed yet, keeps its own run)
            for part in self.ctx.catalog.parts_of(ex.id):
                if part == ex.id:
                    continue
                with contextlib.suppress(DojoError):
                    await self._start_one(s, cohort, member, actor, part, now, closes)
            return TimerStarted(window_view(window), item_of(ex), ex.prompt, ex.summary,
                                practice=passed)

    @staticmethod
    async def _passed(s: AsyncSession, member: Member, exercise_id: str) -> bool:
        return await s.scalar(select(Award.id).where(
            Award.member_id == member.id, Award.exercise_id == exercise_id)) is not None

    async def _start_one(self, s: AsyncSession, cohort: Cohort, member: Member, actor: Actor,
                         exercise_id: str, now: datetime, closes: datetime) -> ChallengeWindow:
        """Start (or restart, for practice) the member's timer row of one exercise."""
        mine = await s.scalar(select(ChallengeWindow).where(
            ChallengeWindow.member_id == member.id, ChallengeWindow.exercise_id == exercise_id))
        passed = await self._passed(s, member, exercise_id)
        zone = rules.zone(cohort.tz)
        if mine is not None and (mine.closes_at > now or not passed):
            running = mine.closes_at > now
            raise DojoError(
                f"your {exercise_id} timer started at "
                f"{mine.opens_at.astimezone(zone):%a %d %b %H:%M} and "
                f"{'ends' if running else 'ended'} at "
                f"{mine.closes_at.astimezone(zone):%H:%M} ({cohort.tz})",
                f"see /dojo challenge status {exercise_id}" if running else
                f"once you pass {exercise_id} you can start it again to practise (no points)",
            )
        if not passed:
            await self._cohort_window_first(s, cohort, exercise_id, now)
        if mine is None:
            window = ChallengeWindow(
                cohort_id=cohort.id, exercise_id=exercise_id, member_id=member.id,
                opens_at=now, closes_at=closes, created_by=actor.user_id, created_at=now,
                attempt=1)
            try:
                async with s.begin_nested():
                    s.add(window)
                    await s.flush()
            except IntegrityError:
                raise DojoError(f"your {exercise_id} timer is already running") from None
            return window
        won = await s.execute(
            update(ChallengeWindow)
            .where(ChallengeWindow.id == mine.id, ChallengeWindow.attempt == mine.attempt)
            .values(opens_at=now, closes_at=closes, attempt=mine.attempt + 1)
            .execution_options(synchronize_session=False))
        if won.rowcount != 1:
            raise DojoError(f"your {exercise_id} timer is already running")
        await s.refresh(mine)
        return mine

    @staticmethod
    async def _cohort_window_first(s: AsyncSession, cohort: Cohort, exercise_id: str,
                                   now: datetime) -> None:
        """A challenge the cohort has a window for is timed by that window: a member's
        own timer before it opens would show the prompt early, one while it is open would
        rank them apart from the cohort, and one after it closed would score a late pass
        as on time. (Once passed, practice runs stay free: they score nothing.)"""
        cohort_windows = [w for w in await windows_of(s, cohort.id, exercise_id, None)
                          if w.member_id is None]
        if not cohort_windows:
            return
        zone = rules.zone(cohort.tz)
        current = [w for w in cohort_windows if w.opens_at <= now < w.closes_at]
        if current:
            ends = max(w.closes_at for w in current).astimezone(zone)
            raise DojoError(f"the cohort's {exercise_id} window is open until "
                            f"{ends:%a %d %b %H:%M} ({cohort.tz}): no timer of your own",
                            f"/dojo show {exercise_id} for the prompt, then "
                            f"/dojo submit {exercise_id}")
        upcoming = [w for w in cohort_windows if w.opens_at > now]
        if upcoming:
            opens = min(w.opens_at for w in upcoming).astimezone(zone)
            raise DojoError(f"{exercise_id} is timed for the whole cohort: its window opens "
                            f"{opens:%a %d %b %H:%M} ({cohort.tz})",
                            f"the prompt shows then: /dojo challenge status {exercise_id}")
        closed = max(w.closes_at for w in cohort_windows).astimezone(zone)
        raise DojoError(f"the cohort's {exercise_id} window closed {closed:%a %d %b %H:%M} "
                        f"({cohort.tz}): a pass now scores half the points, no bonus",
                        f"/dojo show {exercise_id} for the prompt, then "
                        f"/dojo submit {exercise_id}")

    async def prompt(self, actor: Actor, exercise_id: str) -> PromptView:
        """An exercise's prompt, hidden for a timed challenge until its window opened
        for this member (cohort window or their own timer); instructors see all."""
        ex = self.ctx.catalog.exercise(exercise_id)
        visible = True
        opens: datetime | None = None
        tz = ""
        if kind_of(ex) == "challenge" and not actor.role.can_instruct:
            now = self.ctx.now()
            async with self.ctx.db.session() as s:
                cohort = await self.ctx.find_cohort(s, actor.platform, actor.channel_id)
                if cohort is None:
                    visible = False
                else:
                    member_id = await self.ctx.member_id(s, cohort, actor.user_id)
                    windows = await windows_of(s, cohort.id, ex.id, member_id)
                    visible = any(w.opens_at <= now for w in windows)
                    upcoming = [w.opens_at for w in windows
                                if w.member_id is None and w.opens_at > now]
                    opens, tz = (min(upcoming), cohort.tz) if upcoming else (None, "")
        if not visible:
            return PromptView(item_of(ex), False, cohort_opens=opens, tz=tz)
        return PromptView(item_of(ex), True, ex.prompt, ex.summary, ex.starter or "")

    async def check_submittable(self, s: AsyncSession, cohort: Cohort, member: Member,
                                exercise_id: str) -> None:
        """A challenge answer needs an open (or closed: late) window or timer."""
        windows = await windows_of(s, cohort.id, exercise_id, member.id)
        if not windows:
            raise DojoError(
                f"{exercise_id} is a timed challenge and no window is open",
                f"start your timer with /dojo challenge start {exercise_id}",
            )
        now = self.ctx.now()
        if all(w.opens_at > now for w in windows):
            first = min(w.opens_at for w in windows)
            local = first.astimezone(rules.zone(cohort.tz))
            raise DojoError(
                f"the {exercise_id} window opens at {local:%Y-%m-%d %H:%M} ({cohort.tz})")

    async def status(self, actor: Actor, exercise_id: str | None) -> list[ChallengeInfo]:
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member_id = await self.ctx.member_id(s, cohort, actor.user_id)
            if exercise_id:
                ids = [self.ctx.catalog.exercise(exercise_id).id]
            else:
                recent = await s.scalars(
                    select(ChallengeWindow.exercise_id)
                    .where(ChallengeWindow.cohort_id == cohort.id)
                    .order_by(ChallengeWindow.opens_at.desc())
                )
                ids = list(dict.fromkeys(recent.all()))[:5]
            out = []
            for ex_id in ids:
                ex = self.ctx.catalog.get(ex_id)
                if ex is None:
                    continue
                windows = await windows_of(s, cohort.id, ex_id, member_id)
                out.append(ChallengeInfo(
                    item=item_of(ex),
                    windows=[window_view(w) for w in windows],
                    passers=await self.scoring.challenge_rows(s, cohort.id, ex_id),
                ))
            return out

    async def open_windows(self, now: datetime) -> list[WindowView]:
        """Cohort windows that open or close from ``now`` on (the scheduler's jobs)."""
        async with self.ctx.db.session() as s:
            rows = await s.scalars(
                select(ChallengeWindow).where(
                    ChallengeWindow.member_id.is_(None), ChallengeWindow.closes_at >= now
                )
            )
            return [window_view(w) for w in rows.all()]
