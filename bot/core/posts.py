"""What each cohort should see and when: daily posts, challenge windows,
weekly leaderboards and streak-at-risk reminders; and which post a reply
answers (a code block replying to a drill post submits for that drill).

Planning is a pure read of the database state (so jobs can be derived from it
at any start), and sending is *claim, then deliver*: a post is claimed by
inserting its ``posts`` row, whose ``(cohort_id, key)`` is unique. Two bot
processes racing for the same post both try the insert; the database lets
exactly one win, so nothing is ever sent twice. After downtime the same
planning over the missed interval finds the posts nobody claimed and sends
each once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from bot.core import rules
from bot.core.catalog import item_of
from bot.core.context import CoreContext
from bot.core.scoring import ScoringService
from bot.core.streaks import StreakService
from bot.core.types import (
    ChallengeClosed,
    ChallengeOpened,
    DayPost,
    Event,
    Outbox,
    StreakReminder,
    WeeklyBoard,
)
from bot.db import ChallengeWindow, Cohort, Member, Post, PostedMessage, Submission

log = logging.getLogger(__name__)

CATCH_UP = timedelta(days=7)
REMIND_AT = 20  # local hour: "your streak is at risk" if nothing passed yet today


@dataclass(frozen=True)
class PlannedPost:
    cohort_id: int
    key: str
    kind: str  # day | week | challenge_open | challenge_close | remind
    at: datetime
    day: int | None = None
    window_id: int | None = None
    member_id: int | None = None


class Planner:
    """Plans and sends the scheduled posts of every cohort."""

    def __init__(self, ctx: CoreContext, scoring: ScoringService, streaks: StreakService,
                 instance: str | None = None) -> None:
        self.ctx = ctx
        self.scoring = scoring
        self.streaks = streaks
        self.instance = instance or uuid.uuid4().hex[:12]

    # ---- planning -------------------------------------------------------------

    def plan_cohort(self, c: Cohort, start: datetime, end: datetime) -> list[PlannedPost]:
        """Day posts and weekly boards of one cohort with post time in [start, end]."""
        if c.paused_since is not None:
            return []
        out: list[PlannedPost] = []
        tz = rules.zone(c.tz)
        at_time = rules.parse_hhmm(c.post_time)
        d = rules.local_date(start, tz) - timedelta(days=1)
        last = rules.local_date(end, tz) + timedelta(days=1)
        schedule = self.ctx.catalog.schedule
        while d <= last:
            n = rules.day_number(c.start_date, d, c.paused_days)
            if n >= 1:
                at = rules.local_at_utc(d, at_time, tz)
                if start <= at <= end:
                    if schedule.get(n):
                        out.append(PlannedPost(c.id, f"day:{n}", "day", at, day=n))
                    if n > 7 and (n - 1) % 7 == 0:
                        week = (n - 1) // 7
                        out.append(PlannedPost(c.id, f"week:{week}", "week", at, day=week))
            d += timedelta(days=1)
        return out

    async def plan(
        self, start: datetime, end: datetime, cohort_ids: list[int] | None = None
    ) -> list[PlannedPost]:
        """Everything scheduled in [start, end], claimed or not."""
        async with self.ctx.db.session() as s:
            q = select(Cohort)
            if cohort_ids is not None:
                q = q.where(Cohort.id.in_(cohort_ids))
            cohorts = (await s.scalars(q)).all()
            wq = select(ChallengeWindow).where(
                ChallengeWindow.member_id.is_(None),
                or_(
                    ChallengeWindow.opens_at.between(start, end),
                    ChallengeWindow.closes_at.between(start, end),
                ),
            )
            if cohort_ids is not None:
                wq = wq.where(ChallengeWindow.cohort_id.in_(cohort_ids))
            windows = (await s.scalars(wq)).all()
        out: list[PlannedPost] = []
        for c in cohorts:
            out.extend(self.plan_cohort(c, start, end))
        for w in windows:
            if start <= w.opens_at <= end:
                out.append(
                    PlannedPost(w.cohort_id, f"open:{w.id}", "challenge_open", w.opens_at,
                                window_id=w.id)
                )
            if start <= w.closes_at <= end:
                out.append(
                    PlannedPost(w.cohort_id, f"close:{w.id}", "challenge_close", w.closes_at,
                                window_id=w.id)
                )
        out.sort(key=lambda p: (p.at, p.cohort_id, p.key))
        return out

    async def due(self, now: datetime | None = None) -> list[PlannedPost]:
        """Posts due by ``now`` (looking back ``CATCH_UP``) that nobody has claimed.

        A cohort created mid-day still gets that day's post, but no backlog of
        the days before it existed."""
        now = now or self.ctx.now()
        planned = await self.plan(now - CATCH_UP, now)
        if not planned:
            return []
        async with self.ctx.db.session() as s:
            ids = list({p.cohort_id for p in planned})
            claimed = {
                (cid, key)
                for cid, key in (
                    await s.execute(
                        select(Post.cohort_id, Post.key).where(
                            Post.cohort_id.in_(ids),
                            Post.scheduled_for >= now - CATCH_UP - timedelta(days=1),
                        )
                    )
                ).all()
            }
            cohorts = {c.id: c for c in (await s.scalars(select(Cohort).where(Cohort.id.in_(ids))))}
        out = []
        for p in planned:
            if (p.cohort_id, p.key) in claimed:
                continue
            c = cohorts[p.cohort_id]
            if p.at < c.created_at and not (
                p.kind == "day" and p.day == self.ctx.cohort_day(c, now)
            ):
                continue
            out.append(p)
        return out

    # ---- sending ----------------------------------------------------------------

    async def claim(self, p: PlannedPost) -> int | None:
        """Insert the post's row; the unique key makes this succeed exactly once."""
        try:
            async with self.ctx.db.session() as s:
                row = Post(
                    cohort_id=p.cohort_id,
                    key=p.key,
                    kind=p.kind,
                    scheduled_for=p.at,
                    claimed_at=self.ctx.now(),
                    claimed_by=self.instance,
                )
                s.add(row)
                await s.flush()
                return row.id
        except IntegrityError:
            return None

    async def dispatch_due(self, outbox: Outbox, now: datetime | None = None) -> list[Event]:
        """Claim and deliver every due post; returns the events this process sent."""
        sent: list[Event] = []
        for p in await self.due(now):
            ev = await self.send(p, outbox)
            if ev is not None:
                sent.append(ev)
        return sent

    async def send(self, p: PlannedPost, outbox: Outbox) -> Event | None:
        post_id = await self.claim(p)
        if post_id is None:
            return None
        try:
            ev = await self.build(p)
            ids = await outbox.deliver(ev) if ev is not None else []
        except Exception:
            # Not delivered: release the claim so the next tick tries again.
            log.exception("delivering %s of cohort %s failed", p.key, p.cohort_id)
            async with self.ctx.db.session() as s:
                await s.execute(delete(Post).where(Post.id == post_id))
            return None
        async with self.ctx.db.session() as s:
            row = await s.get(Post, post_id)
            if row is not None:
                row.sent_at = self.ctx.now()
            if isinstance(ev, DayPost):
                items = [it.id for it in ev.items]
            elif isinstance(ev, ChallengeOpened):
                items = [ev.item.id]  # a reply to the opening post submits for it
            else:
                items = []
            if ids:
                # A platform that reuses an id names the newest post with it.
                await s.execute(delete(PostedMessage).where(
                    PostedMessage.cohort_id == p.cohort_id, PostedMessage.message_id.in_(ids)))
            for i, mid in enumerate(dict.fromkeys(ids)):
                ex_id = items[i] if i < len(items) else None
                s.add(
                    PostedMessage(
                        post_id=post_id, cohort_id=p.cohort_id, message_id=mid, exercise_id=ex_id
                    )
                )
        return ev

    async def build(self, p: PlannedPost) -> Event | None:
        ctx = self.ctx
        async with ctx.db.session() as s:
            c = await s.get(Cohort, p.cohort_id)
            if c is None:
                return None
            target = ctx.target(c)
            if p.kind == "day":
                assert p.day is not None
                return DayPost(
                    target,
                    p.day,
                    rules.week_of_day(p.day),
                    rules.date_of_day(c.start_date, p.day, c.paused_days),
                    ctx.catalog.items_of_day(p.day),
                )
            if p.kind == "week":
                assert p.day is not None
                first = rules.date_of_day(c.start_date, (p.day - 1) * 7 + 1, c.paused_days)
                rows = await self.scoring.board(
                    s,
                    c.id,
                    rules.local_midnight_utc(first, c.tz),
                    rules.local_midnight_utc(first + timedelta(days=7), c.tz),
                    10,
                )
                return WeeklyBoard(target, p.day, rows)
            if p.kind in ("challenge_open", "challenge_close"):
                w = await s.get(ChallengeWindow, p.window_id)
                ex = ctx.catalog.get(w.exercise_id) if w else None
                if w is None or ex is None:
                    return None
                if p.kind == "challenge_open":
                    return ChallengeOpened(target, w.id, item_of(ex), w.opens_at, w.closes_at)
                results = await self.scoring.window_results(s, w.id)
                board = await self.scoring.board(s, c.id, None, None, 10)
                return ChallengeClosed(target, w.id, item_of(ex), results, board)
            if p.kind == "remind":
                m = await s.get(Member, p.member_id)
                if m is None:
                    return None
                info = await self.streaks.of_member(s, c, m)
                return StreakReminder(
                    target, m.user_id, m.display_name, info.streak.current, info.hours_left_today
                )
        return None

    # ---- streak-at-risk reminders -------------------------------------------------

    async def reminders_due(self, now: datetime | None = None) -> list[PlannedPost]:
        """Members (reminders on) with a live streak, nothing passed today, after 20:00
        their time. Only members who passed in the last few days can have a streak."""
        now = now or self.ctx.now()
        recent = now - timedelta(days=4)
        out = []
        async with self.ctx.db.session() as s:
            rows = (
                await s.execute(
                    select(Member, Cohort)
                    .join(Cohort, Cohort.id == Member.cohort_id)
                    .where(
                        Member.reminders.is_(True),
                        Member.left_at.is_(None),
                        Cohort.paused_since.is_(None),
                        Member.id.in_(
                            select(Submission.member_id).where(
                                Submission.passed.is_(True), Submission.received_at >= recent
                            )
                        ),
                    )
                )
            ).all()
            for m, c in rows:
                tz = rules.zone(m.tz or c.tz)
                local = now.astimezone(tz)
                if local.hour < REMIND_AT:
                    continue
                info = await self.streaks.of_member(s, c, m)
                if info.streak.current > 0 and not info.streak.today_passed:
                    key = f"remind:{m.id}:{local.date().isoformat()}"
                    out.append(PlannedPost(c.id, key, "remind", now, member_id=m.id))
            if out:
                claimed = {
                    (cid, key)
                    for cid, key in (
                        await s.execute(
                            select(Post.cohort_id, Post.key).where(
                                Post.cohort_id.in_({p.cohort_id for p in out}),
                                Post.key.in_([p.key for p in out]),
                            )
                        )
                    ).all()
                }
                out = [p for p in out if (p.cohort_id, p.key) not in claimed]
        return out

    async def send_reminders(self, outbox: Outbox, now: datetime | None = None) -> list[Event]:
        sent = []
        for p in await self.reminders_due(now):
            ev = await self.send(p, outbox)
            if ev is not None:
                sent.append(ev)
        return sent

    # ---- replies to posts ----------------------------------------------------------

    async def exercise_of_reply(self, platform: str, channel_id: str,
                                message_id: str) -> str | None:
        """The exercise of the post a message replies to, in that channel's cohort
        (message ids are unique per cohort; a reply resolves to exactly one post)."""
        async with self.ctx.db.session() as s:
            return await s.scalar(
                select(PostedMessage.exercise_id)
                .join(Cohort, Cohort.id == PostedMessage.cohort_id)
                .where(Cohort.platform == platform, Cohort.channel_id == channel_id,
                       PostedMessage.message_id == message_id)
            )

    async def cohort_schedules(self) -> list[tuple[int, str, str, bool]]:
        """(cohort id, post time, zone, paused) of every cohort: the scheduler
        derives its cron jobs from these."""
        async with self.ctx.db.session() as s:
            rows = await s.execute(
                select(Cohort.id, Cohort.post_time, Cohort.tz, Cohort.paused_since))
            return [(cid, at, tz, paused is not None) for cid, at, tz, paused in rows.all()]

    async def tick(self, outbox: Outbox, now: datetime | None = None) -> list[Any]:
        """One pass of everything time-driven (the console calls this after each line)."""
        events: list[Any] = []
        events.extend(await self.dispatch_due(outbox, now))
        events.extend(await self.send_reminders(outbox, now))
        return events
