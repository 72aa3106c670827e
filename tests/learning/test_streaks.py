"""Honest streaks on SQLite and PostgreSQL: a re-submission of an old pass
keeps nothing alive, a due review does; freezes earned and used are told once.

The tiny curriculum's schedule: day 1 1.1.1 + 1.1.2, day 2 1.2.1, day 3 1.2.2,
day 4 1.3.1, day 5 1.3.2, then 2.1.1 on odd days and rest on even days."""

from __future__ import annotations

from datetime import timedelta

from bot.chat import render

from .conftest import FAIL, PASS, T0, World, cohort, grade


def at(w: World, day: int, hour: int, minute: int = 0) -> None:
    w.clock.set(T0.replace(hour=hour, minute=minute) + timedelta(days=day - 1))


async def test_old_passes_keep_nothing_alive_but_a_due_review_does(world: World) -> None:
    await cohort(world, ["ann", "bob"])
    at(world, 1, 10)
    assert not (await grade(world, "ann", "1.1.1", FAIL)).result.passed
    at(world, 1, 10, 5)
    first = await grade(world, "ann", "1.1.1", PASS)  # after a failure: comes back for review
    assert first.counted and first.review is not None and not first.review.was_due
    assert (await grade(world, "bob", "1.1.1", PASS)).review is None  # first try: known

    at(world, 2, 11)  # day 2's item is 1.2.1; 1.1.1 is an old pass for both
    ann = await grade(world, "ann", "1.1.1", PASS)
    bob = await grade(world, "bob", "1.1.1", PASS)
    assert ann.review is not None and ann.review.was_due and ann.counted
    assert ann.streak == 2
    assert not bob.counted and bob.streak == 1  # counted up to yesterday; today still open
    text = render.graded(bob).as_text()
    assert "already passed before" in text and "keeps no streak alive" in text
    assert "Review done" in render.graded(ann).as_text()

    ann_now = await world.dojo.streak(world.actor("ann"))
    bob_now = await world.dojo.streak(world.actor("bob"))
    assert ann_now.streak.today_passed and ann_now.streak.current == 2
    assert not bob_now.streak.today_passed and bob_now.streak.current == 1

    # that day's item counts even when it was passed before (here: in advance), and
    # before the day's post /dojo today still shows the day before's
    at(world, 3, 10)
    assert (await grade(world, "bob", "1.3.1", PASS)).counted  # day 4's item: new
    at(world, 4, 10)
    again = await grade(world, "bob", "1.3.1", PASS)
    assert again.counted and not again.first_pass
    at(world, 5, 8, 30)
    assert (await grade(world, "bob", "1.3.1", PASS)).counted
    assert (await world.dojo.streak(world.actor("bob"))).streak.current == 3


async def test_freezes_earned_and_used_are_told_once(world: World) -> None:
    await cohort(world, ["cat"])
    plan = {1: "1.1.1", 2: "1.2.1", 3: "1.2.2", 4: "1.3.1", 5: "1.3.2", 7: "2.1.1",
            9: "2.1.1", 13: "2.1.1"}  # day 11 (2.1.1) is missed
    told = []
    for day, ex in plan.items():
        at(world, day, 12)
        ev = await grade(world, "cat", ex, PASS)
        assert ev.counted, day
        told += [(n.kind, n.day, day) for n in ev.freeze_news]
    d = T0.date()
    assert told == [("earned", d + timedelta(days=8), 9), ("used", d + timedelta(days=10), 13)]
    info = await world.dojo.streak(world.actor("cat"))
    assert info.news == [] and info.streak.current == 8 and info.streak.freezes == 0
    text = render.graded(ev).as_text()
    assert text.count("🧊") == 1 and "A freeze covered" in text


async def test_streak_lists_the_frozen_days_of_the_current_streak_only(world: World) -> None:
    """/dojo streak names the days a freeze covered in the streak that is going;
    once that streak has ended, its frozen days are history, not shown."""
    from bot.chat.handler import ChatHandler, Incoming

    async def streak() -> str:
        (reply,) = await ChatHandler(world.dojo).handle(
            Incoming("test", "c1", "cat", "Cat", "/dojo streak"))
        return reply.as_text()

    await cohort(world, ["cat"])
    # seven streak days (day 6 rests, a first pass counts there): a freeze on day 7
    plan = {1: "1.1.1", 2: "1.2.1", 3: "1.2.2", 4: "1.3.1", 5: "1.3.2", 6: "1.1.2",
            7: "2.1.1", 10: "1.4.1"}  # day 9 (2.1.1) missed: the freeze covers it
    for day, ex in plan.items():
        at(world, day, 12)
        if ex == "1.4.1":  # a timed challenge: on the member's own timer
            await world.dojo.start_timer(world.actor("cat"), ex)
        assert (await grade(world, "cat", ex, PASS)).counted, day
    text = await streak()
    assert "8-day streak" in text and "frozen days: 10 Mar" in text
    at(world, 13, 12)  # day 11 missed, no freeze left: that streak ended; day 13's item
    assert (await grade(world, "cat", "2.1.1", PASS)).counted
    text = await streak()
    assert "1-day streak (best 8)" in text and "frozen" not in text, text
