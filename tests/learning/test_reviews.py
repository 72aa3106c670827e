"""Spaced review through the console, moving time with ``/dojo clock``, on
SQLite and PostgreSQL: a failed drill comes back on the day FSRS says (with a
private nudge after the day's post), disappears after a good review, and comes
back sooner after a failed one.

The expected days are computed here with the ``fsrs`` package itself, from
the ratings the verdicts imply (reviews are dated at noon of the member's
day); the bot's scheduler runs without fuzzing in this test so the day is
exact (in production a few percent of fuzz spreads a cohort's reviews over
neighbouring days)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fsrs import Card, Rating

from bot.adapters.console import Console, group_messages
from bot.config import load_settings
from bot.core.clock import ManualClock
from bot.core.reviews import review_instant, scheduler
from bot.runtime import Runtime

from .conftest import T0, FakeGrader

FSRS = scheduler(fuzz=False)


class Session:
    def __init__(self, console: Console, out: io.StringIO) -> None:
        self.console = console
        self.out = out

    async def say(self, *lines: str) -> str:
        start = len(self.out.getvalue())
        await self.console.run(group_messages(list(lines)), echo=True)
        return self.out.getvalue()[start:]

    async def submit(self, ex: str, code: str) -> str:
        return await self.say(f"/dojo submit {ex}", "```python", code, "```")


def when(day: int, hour: int) -> datetime:
    return T0.replace(hour=hour) + timedelta(days=day - 1)


def clock(at: datetime) -> str:
    return f"/dojo clock {at:%Y-%m-%dT%H:%M}"


async def test_a_failed_drill_comes_back_on_schedule(db_url: str, tmp_path: Path,
                                                     tiny_curriculum: Any) -> None:
    rt = await Runtime.start(load_settings(), database_url=db_url, grader=FakeGrader(),
                             clock=ManualClock(T0), curriculum=tiny_curriculum)
    rt.dojo.reviews.fsrs = FSRS
    out = io.StringIO()
    s = Session(Console(rt, out=out, output_dir=tmp_path), out)
    try:
        await s.say("/dojo as coach instructor",
                    "/dojo cohort create Spaced tz=UTC start=2026-03-02 time=09:00",
                    "/dojo as ann", "/dojo cohort join")
        # day 1: a failed attempt rates the drill "again"
        t1 = when(1, 10)
        await s.say(clock(t1))
        assert "not yet" in await s.submit("1.1.1", "x = 2  # FAIL")
        r1 = review_instant(t1, "UTC")
        card, _ = FSRS.review_card(Card(card_id=1, due=r1), Rating.Again, r1)
        due1 = card.due
        text = await s.say("/dojo review")
        assert "Nothing due today" in text and "`1.1.1` tomorrow" in text
        assert due1.date() == t1.date() + timedelta(days=1)
        # one exercise asked about: when it comes back; another is not queued; a typo is named
        # the failed first day put it in the queue: that was no review
        assert "`1.1.1` Exercise 1.1.1 comes back for review tomorrow (not reviewed yet)" in \
            await s.say("/dojo review 1.1.1")
        assert "is not in your review queue" in await s.say("/dojo review 1.1.2")
        assert "No exercise '9.9.9'" in await s.say("/dojo review 9.9.9")

        # the due day: a private nudge with the day's post, and /dojo review lists it
        t2 = when(2, 9).replace(minute=30)
        text = await s.say(clock(t2))
        assert "🔁 1 review due today: `1.1.1`" in text
        assert "Due now (1)" in await s.say("/dojo review")
        due_now = await s.say("/dojo review 1.1.1")
        assert "is due today: /dojo submit 1.1.1" in due_now and "Not reviewed yet." in due_now
        assert "🔁 1 review due: `1.1.1`" in await s.say("/dojo today")
        # a good review: it disappears, and comes back when FSRS says
        text = await s.submit("1.1.1", "x = 1  # PASS")
        r2 = review_instant(t2, "UTC")
        card, _ = FSRS.review_card(card, Rating.Good, r2)
        due2 = card.due
        good_gap = due2 - r2
        assert good_gap >= timedelta(days=2)
        assert f"Review done: it comes back {due2:%a %d %b}" in text
        assert "Nothing due today" in await s.say("/dojo review")

        the_day_before = datetime.combine(due2.date() - timedelta(days=1), t2.time(), UTC)
        text = await s.say(clock(the_day_before), "/dojo review")
        assert "Nothing due today" in text and "review due today" not in text
        t3 = datetime.combine(due2.date(), t2.time(), UTC)
        text = await s.say(clock(t3))
        assert "🔁 1 review due today: `1.1.1`" in text
        # a failed review: it comes back sooner than after the good one
        await s.submit("1.1.1", "x = 2  # FAIL")
        r3 = review_instant(t3, "UTC")
        card, _ = FSRS.review_card(card, Rating.Again, r3)
        assert card.due - r3 < good_gap
        text = await s.say("/dojo review")
        back = "tomorrow" if card.due - r3 == timedelta(days=1) else f"{card.due:%a %d %b}"
        assert f"Coming up: `1.1.1` {back}" in text
        text = await s.say("/dojo progress")
        assert "Reviews: 0 due, 1 in your queue; retention estimate" in text
        assert "Traceback" not in out.getvalue()
    finally:
        await rt.close()
