"""Scheduled posts: local post time across DST, catch-up after downtime, challenge
windows, weekly boards, reminders, and never a duplicate with two schedulers."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.core.clock import ManualClock
from bot.core.types import (
    ChallengeClosed,
    ChallengeOpened,
    DayPost,
    ListOutbox,
    Role,
    StreakReminder,
    WeeklyBoard,
)
from bot.db import Post
from bot.scheduler import BotScheduler

from .conftest import World

PASS = "x = 1  # PASS\n"


async def make_cohort(w: World, tz: str = "Europe/Berlin", start: date | None = None,
                      members: tuple[str, ...] = ()) -> None:
    coach = w.actor("coach", Role.instructor)
    await w.dojo.create_cohort(coach, "Sched", tz=tz, start=start or w.clock.now().date(),
                               post_time="09:00")
    for m in members:
        await w.dojo.join(w.actor(m))


def day_posts(outbox: ListOutbox) -> list[int]:
    return [e.day for e in outbox.events if isinstance(e, DayPost)]


async def test_day_posts_at_local_post_time_across_dst(world: World) -> None:
    world.clock.set(datetime(2026, 3, 26, 6, 0, tzinfo=UTC))
    await make_cohort(world, start=date(2026, 3, 26))
    plan = await world.planner.plan(datetime(2026, 3, 26, tzinfo=UTC),
                                    datetime(2026, 3, 31, tzinfo=UTC))
    days = {p.day: p.at for p in plan if p.kind == "day"}
    # 09:00 Berlin is 08:00 UTC in winter time and 07:00 UTC from 29 March
    assert days[1] == datetime(2026, 3, 26, 8, 0, tzinfo=UTC)
    assert days[3] == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert days[4] == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert days[5] == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


async def test_nothing_before_post_time_then_exactly_once(world: World) -> None:
    world.clock.set(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    await make_cohort(world, tz="UTC")
    assert await world.planner.dispatch_due(world.outbox) == []
    world.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    sent = await world.planner.dispatch_due(world.outbox)
    assert [e.day for e in sent] == [1] and [i.id for i in sent[0].items] == ["1.1.1", "1.1.2"]
    assert await world.planner.dispatch_due(world.outbox) == []


async def test_missed_posts_after_downtime_are_sent_once(world: World) -> None:
    world.clock.set(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    await make_cohort(world, tz="UTC")
    world.clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    await world.planner.dispatch_due(world.outbox)
    # the bot is down for three days
    world.clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))
    await world.planner.dispatch_due(world.outbox)
    await world.planner.dispatch_due(world.outbox)
    assert day_posts(world.outbox) == [1, 2, 3, 4]


async def test_a_cohort_created_mid_course_gets_today_but_no_backlog(world: World) -> None:
    world.clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    await make_cohort(world, tz="UTC", start=date(2026, 3, 2))
    await world.planner.dispatch_due(world.outbox)
    assert day_posts(world.outbox) == [3]


async def test_duplicate_key_is_refused_by_the_database(world: World) -> None:
    await make_cohort(world, tz="UTC")
    now = world.clock.now()
    async with world.db.session() as s:
        s.add(Post(cohort_id=1, key="day:1", kind="day", scheduled_for=now, claimed_at=now))
    with pytest.raises(IntegrityError):
        async with world.db.session() as s:
            s.add(Post(cohort_id=1, key="day:1", kind="day", scheduled_for=now, claimed_at=now))


async def test_two_schedulers_on_one_database_never_post_twice(
    world: World, tiny_curriculum
) -> None:
    world.clock.set(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    for i in range(5):
        coach = world.actor("coach", Role.instructor, channel=f"ch{i}")
        await world.dojo.create_cohort(coach, f"C{i}", tz="UTC", start=date(2026, 3, 2))
    coach = world.actor("coach", Role.instructor, channel="ch0")
    await world.dojo.open_challenge(coach, "1.4.1", datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
                                    timedelta(minutes=30))
    # two independent bot processes: own engine, own scheduler, same database
    other = World(world.db.url, tiny_curriculum, clock=world.clock)
    try:
        a = BotScheduler(world.dojo, world.outbox)
        b = BotScheduler(other.dojo, other.outbox)
        for when in ("2026-03-02T09:00", "2026-03-03T09:00", "2026-03-03T10:00",
                     "2026-03-03T10:30", "2026-03-06T12:00"):
            world.clock.set(datetime.fromisoformat(when).replace(tzinfo=UTC))
            await asyncio.gather(a.run_due(), b.run_due(), a.run_due(), b.run_due())
        events = world.outbox.events + other.outbox.events
        keys = [(e.target.cohort_id, getattr(e, "day", None), type(e).__name__) for e in events]
        assert len(keys) == len(set(keys))
        assert sorted(k for k in keys if k[2] == "DayPost") == sorted(
            (c, d, "DayPost") for c in range(1, 6) for d in range(1, 6))
        assert sum(isinstance(e, ChallengeOpened) for e in events) == 1
        assert sum(isinstance(e, ChallengeClosed) for e in events) == 1
    finally:
        await other.close()


async def test_challenge_close_posts_results_and_leaderboard(world: World) -> None:
    world.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await make_cohort(world, tz="UTC", members=("ann", "bob"))
    coach = world.actor("coach", Role.instructor)
    await world.dojo.open_challenge(coach, "1.4.1", world.clock.now() + timedelta(hours=1),
                                    timedelta(minutes=30))
    world.clock.advance(timedelta(hours=1, minutes=1))
    await world.planner.dispatch_due(world.outbox)
    assert any(isinstance(e, ChallengeOpened) for e in world.outbox.events)
    await world.dojo.submit(world.actor("bob"), "1.4.1", PASS)
    await world.dojo.grade_pending()
    world.clock.advance(timedelta(minutes=40))
    await world.planner.dispatch_due(world.outbox)
    closed = [e for e in world.outbox.events if isinstance(e, ChallengeClosed)]
    assert len(closed) == 1
    assert [(r.name, r.points) for r in closed[0].results] == [("Bob", 32)]
    assert closed[0].board[0].name == "Bob"


async def test_weekly_leaderboard_on_day_eight(world: World) -> None:
    world.clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    await make_cohort(world, tz="UTC", members=("ann",))
    await world.dojo.submit(world.actor("ann"), "1.1.1", PASS)
    await world.dojo.grade_pending()
    for _ in range(8):
        await world.planner.dispatch_due(world.outbox)
        world.clock.advance(timedelta(days=1))
    boards = [e for e in world.outbox.events if isinstance(e, WeeklyBoard)]
    assert [(b.week, [(r.name, r.points) for r in b.rows]) for b in boards] == [
        (1, [("Ann", 10)])]


async def test_streak_reminder_once_and_opt_out(world: World) -> None:
    world.clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    await make_cohort(world, tz="UTC", members=("ann", "bob"))
    for who in ("ann", "bob"):
        await world.dojo.submit(world.actor(who), "1.1.1", PASS)
    await world.dojo.grade_pending()
    await world.dojo.cohorts.set_reminders(world.actor("bob"), False)
    world.clock.set(datetime(2026, 3, 3, 19, 0, tzinfo=UTC))
    assert await world.planner.send_reminders(world.outbox) == []  # before 20:00
    world.clock.set(datetime(2026, 3, 3, 20, 30, tzinfo=UTC))
    sent = await world.planner.send_reminders(world.outbox)
    assert [(e.user_id, e.streak) for e in sent] == [("ann", 1)]
    assert isinstance(sent[0], StreakReminder)
    world.clock.set(datetime(2026, 3, 3, 21, 30, tzinfo=UTC))
    assert await world.planner.send_reminders(world.outbox) == []


async def test_jobs_are_derived_from_the_database(world: World) -> None:
    world.clock = ManualClock(datetime.now(UTC))
    world.dojo.clock = world.clock
    await make_cohort(world, tz="America/New_York")
    coach = world.actor("coach", Role.instructor)
    await world.dojo.open_challenge(coach, "1.4.1", world.clock.now() + timedelta(hours=2),
                                    timedelta(minutes=45))
    sched = BotScheduler(world.dojo, world.outbox)
    await sched.start()
    try:
        ids = sched.job_ids()
        assert "cohort:1:daily" in ids and "window:1:open" in ids and "window:1:close" in ids
        assert {"reminders", "grading", "resync", "catch-up"} <= set(ids)
        nxt = sched.next_run("cohort:1:daily")
        local = nxt.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
        assert (local.hour, local.minute) == (9, 0)
        await world.dojo.pause(coach)
        await sched.sync_jobs()
        assert "cohort:1:daily" not in sched.job_ids()
    finally:
        sched.shutdown()
