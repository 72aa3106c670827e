"""Personal bests on timed challenges, on SQLite and PostgreSQL: each pass in a
window keeps its time; once passed, a challenge can be started again as a
practice run (no points) and the result shows best, previous and the change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.chat import render
from bot.chat.handler import ChatHandler, Incoming
from bot.core.errors import DojoError
from bot.core.types import Role

from .conftest import FAIL, PASS, World, cohort, grade


def mmss(minutes: int, seconds: int) -> timedelta:
    return timedelta(minutes=minutes, seconds=seconds)


async def test_two_attempts_with_the_clock_moved(world: World) -> None:
    await cohort(world, ["ann"])
    ann = world.actor("ann")
    await world.dojo.start_timer(ann, "1.4.1")
    world.clock.advance(mmss(10, 0))
    assert (await grade(world, "ann", "1.4.1", FAIL)).best is None  # no pass, no time
    world.clock.advance(mmss(8, 42))
    first = await grade(world, "ann", "1.4.1", PASS)
    assert first.first_pass and first.points == 30 and first.bonus == 1
    # the bonus is N − rank, worked out again as the cohort grows: the verdict says so
    assert "+ 1 speed bonus (for now:" in render.graded(first).as_text()
    assert first.best is not None and first.best.elapsed_s == 18 * 60 + 42
    assert first.best.previous_s is None and not first.best.practice

    with pytest.raises(DojoError, match="timer started"):  # still running
        await world.dojo.start_timer(ann, "1.4.1")
    world.clock.advance(timedelta(days=2))
    again = await world.dojo.start_timer(ann, "1.4.1")
    assert again.practice
    world.clock.advance(mmss(11, 5))
    second = await grade(world, "ann", "1.4.1", PASS)
    assert not second.first_pass and second.points == 0  # practice: no points
    assert second.best is not None and second.best.practice
    assert (second.best.previous_s, second.best.best_s) == (18 * 60 + 42, 11 * 60 + 5)
    line = render.best_line(second.best)
    assert line == "⏱️ 11:05 — new best (18:42 → 11:05, −41 %) (practice run: no points)"
    assert line in render.graded(second).as_text()

    world.clock.advance(timedelta(days=1))
    await world.dojo.start_timer(ann, "1.4.1")
    world.clock.advance(mmss(12, 30))
    third = await grade(world, "ann", "1.4.1", PASS)
    assert third.best is not None
    assert render.best_line(third.best) == ("⏱️ 12:30 (11:05 → 12:30, +13 %; best 11:05) "
                                            "(practice run: no points)")
    _, _, rows = await world.dojo.leaderboard(ann, "all")
    assert [(r.name, r.points) for r in rows] == [("Ann", 31)]  # the first pass only

    progress = await world.dojo.progress(ann)
    [best] = progress.bests
    assert best.times == [1122.0, 665.0, 750.0] and best.best_s == 665.0
    replies = await ChatHandler(world.dojo).handle(
        Incoming("test", "c1", "ann", "Ann", "/dojo progress"))
    assert "⏱️ `1.4.1`: best 11:05; last 11:05 → 12:30, +13 % (3 runs)" in replies[0].text


async def test_a_cohort_window_pass_keeps_its_time(world: World) -> None:
    await cohort(world, ["bob"])
    coach = world.actor("coach", Role.instructor)
    await world.dojo.open_challenge(coach, "1.4.1", duration=timedelta(minutes=90))
    world.clock.advance(mmss(25, 0))
    ev = await grade(world, "bob", "1.4.1", PASS)
    assert ev.best is not None and ev.best.elapsed_s == 25 * 60
    world.clock.advance(timedelta(hours=2))
    late = await grade(world, "bob", "1.4.1", PASS)  # outside every window: no time
    assert late.best is None
    assert [b.times for b in await world.dojo.bests.of(world.actor("bob"))] == [[1500.0]]


async def test_no_percentage_from_a_first_time_of_zero(world: World) -> None:
    """A first time of 0:00 gives no change in percent (was: +0 %, a division
    by zero papered over)."""
    await cohort(world, ["ann"])
    ann = world.actor("ann")
    await world.dojo.start_timer(ann, "1.4.1")
    first = await grade(world, "ann", "1.4.1", PASS)  # no time passes: 0:00
    assert first.best is not None and first.best.elapsed_s == 0
    world.clock.advance(timedelta(days=1))
    await world.dojo.start_timer(ann, "1.4.1")
    world.clock.advance(mmss(2, 0))
    second = await grade(world, "ann", "1.4.1", PASS)
    assert second.best is not None and second.best.previous_s == 0
    assert render.best_line(second.best) == ("⏱️ 2:00 (0:00 → 2:00; best 0:00) "
                                             "(practice run: no points)")
    replies = await ChatHandler(world.dojo).handle(
        Incoming("test", "c1", "ann", "Ann", "/dojo progress"))
    assert "⏱️ `1.4.1`: best 0:00; last 0:00 → 2:00 (2 runs)" in replies[0].text
    assert "%" not in replies[0].text.split("⏱️")[1]


async def test_a_challenge_the_cohort_has_a_window_for_is_timed_by_that_window(
        world: World) -> None:
    """A member's own timer would show the prompt before the cohort's window opens, rank
    them apart from the cohort while it is open, and score a late pass as on time after
    it closed (a timer started after the close once beat the fastest cohort passer):
    refused in all three, with when and what to do instead; practice runs once passed
    stay free."""
    await cohort(world, ["ann", "dan"])
    coach, dan = world.actor("coach", Role.instructor), world.actor("dan")
    start = world.clock.now() + timedelta(hours=1)
    await world.dojo.open_challenge(coach, "1.4.1", start=start, duration=timedelta(minutes=30))
    with pytest.raises(DojoError, match="its window opens") as upcoming:
        await world.dojo.start_timer(dan, "1.4.1")
    assert "the prompt shows then" in (upcoming.value.hint or "")
    world.clock.advance(timedelta(hours=1, minutes=5))
    with pytest.raises(DojoError, match="window is open until"):
        await world.dojo.start_timer(dan, "1.4.1")
    assert (await grade(world, "ann", "1.4.1", PASS)).bonus == 2  # inside the window: N − 0
    world.clock.advance(timedelta(hours=1))
    with pytest.raises(DojoError, match=r"closed .* a pass now scores half the points"):
        await world.dojo.start_timer(dan, "1.4.1")
    late = await grade(world, "dan", "1.4.1", PASS)
    assert (late.points, late.bonus) == (15, 0)  # late: half the points, no bonus
    assert (await world.dojo.start_timer(dan, "1.4.1")).practice  # passed: practice is free
    _, _, rows = await world.dojo.leaderboard(coach, "all")
    assert [(r.name, r.points) for r in rows] == [("Ann", 32), ("Dan", 15)]
