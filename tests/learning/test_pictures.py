"""The pictures, drawn from realistic data at chat size: the progress picture
(calendar, points by day from the cohort's start with 0 on the axis, reviews
due and best times) and the leaderboard with the members who have 0 points.
Set ``TORCHDOJO_PICTURES=DIR`` to keep the PNGs and look at them."""

from __future__ import annotations

import os
import struct
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.chat.handler import ChatHandler, Incoming
from bot.chat.pictures import leaderboard_png, progress_png
from bot.core import rules
from bot.core.rules import DayState
from bot.core.types import BoardRow, ExerciseItem
from bot.core.views import BestView, ProgressData, ReviewItem, ReviewQueue

from .conftest import PASS, World, cohort, grade

START = date(2026, 3, 2)
PNG = b"\x89PNG\r\n\x1a\n"


def size_of(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG)
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def keep(tmp_path: Path, name: str, png: bytes) -> Path:
    out = Path(os.environ.get("TORCHDOJO_PICTURES") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(png)
    return out / name


def item(ex_id: str, kind: str = "drill") -> ExerciseItem:
    return ExerciseItem(ex_id, f"Exercise {ex_id}", kind, 10, "")


def progress_data(day: int) -> ProgressData:
    states = {6: DayState.rest, 9: DayState.missed, 12: DayState.frozen}
    today = START + timedelta(days=day - 1)
    days = [(n, START + timedelta(days=n - 1),
             DayState.open if n == day else states.get(n, DayState.passed))
            for n in range(1, day + 1)]
    gained = {START + timedelta(days=n - 1): 10 * (n % 3) for n in range(1, day)}
    streak = rules.compute_streak([d for _, d, s in days if s is DayState.passed], today)
    due = [ReviewItem(item(i), datetime(2026, 3, 10, 12, tzinfo=UTC), today, 2, 1)
           for i in ("1.1.3", "1.2.5", "2.1.6")]
    later = [ReviewItem(item("1.3.2", "problem"), datetime(2026, 3, 20, 12, tzinfo=UTC),
                        date(2026, 3, 20), 1, 0)]
    return ProgressData(
        name="Ann $x^2$ from the very long name club", tz="UTC", days=days,
        points=rules.cumulative_by_day(gained, START, today), total=sum(gained.values()),
        streak=streak,
        reviews=ReviewQueue("UTC", today, due, later, 9, 0.87),
        bests=[BestView(item("6.1.1", "challenge"), [1122.0, 665.0], 665.0, 665.0, 1122.0)])


@pytest.mark.parametrize("day", [1, 17])
def test_progress_picture(tmp_path: Path, day: int) -> None:
    png = progress_png(progress_data(day))
    width, height = size_of(png)
    assert 700 <= width <= 1100 and 400 <= height <= 700  # chat-sized, not a poster
    keep(tmp_path, f"progress-day{day}.png", png)


def test_leaderboard_picture_lists_members_with_zero_points(tmp_path: Path) -> None:
    rows = [BoardRow(1, "a", "Ann", 42, datetime(2026, 3, 5, tzinfo=UTC), 4),
            BoardRow(2, "b", "Bob <@everyone> $\\alpha$", 30, None, 3),
            BoardRow(3, "c", "Cat", 0, None, 0), BoardRow(3, "d", "Dan", 0, None, 0)]
    png = leaderboard_png("Torch Tuesdays — week 1", rows)
    width, height = size_of(png)
    assert width <= 900 and height >= 250
    keep(tmp_path, "leaderboard.png", png)


async def test_the_leaderboard_picture_includes_everyone(world: World) -> None:
    await cohort(world, ["ann", "bob", "cat"])
    await grade(world, "bob", "1.1.1", PASS)
    _, _, rows = await world.dojo.scoring.leaderboard(world.actor("ann"), "all", everyone=True)
    assert [(r.rank, r.user_id, r.points) for r in rows] == [(1, "bob", 10), (2, "ann", 0),
                                                             (2, "cat", 0)]
    replies = await ChatHandler(world.dojo).handle(
        Incoming("test", "c1", "ann", "Ann", "/dojo leaderboard all image"))
    assert replies[0].images and replies[0].table is not None
    assert [row[1] for row in replies[0].table.rows] == ["Bob"]  # the table: who scored
