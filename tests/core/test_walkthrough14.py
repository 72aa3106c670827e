"""What the fourteenth newcomer/instructor walkthrough found, each fixed as a
class: extra words refused by every verb, a challenge split in parts sharing one
window and one timer, times and zones labelled alike, true review wording,
counts pluralised, pre-start passes, copyable starter code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.chat import render
from bot.chat.handler import ChatHandler
from bot.core.types import Role
from bot.db import Database
from curriculum import load_from

from .conftest import EXERCISES, World, _exercise, msg, say


@pytest.fixture(scope="module")
def parts_curriculum(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The tiny curriculum plus a challenge split in two parts (6.1.5a, 6.1.5b)
    and a lone one whose id merely ends in a letter (6.1.6a)."""
    root = tmp_path_factory.mktemp("parts")
    for ex_id, kind, pts, limit in [*EXERCISES, ("6.1.5a", "challenge", 10, 30),
                                    ("6.1.5b", "challenge", 10, 30),
                                    ("6.1.6a", "challenge", 10, 30)]:
        week = root / f"week{ex_id.split('.')[0]}"
        week.mkdir(exist_ok=True)
        (week / f"{ex_id}.yaml").write_text(_exercise(ex_id, kind, pts, limit))
        (week / f"{ex_id}.ref.py").write_text("import torch\n")
    (root / "schedule").mkdir(exist_ok=True)
    (root / "schedule" / "days.yaml").write_text(
        "days:\n  1: ['1.1.1', '1.1.2']\n  2: ['1.2.1']\n  3: []\n  4: ['1.3.1']\n")
    return load_from(root)


async def _world(tmp_path: Path, curriculum: Any, create: str) -> tuple[World, ChatHandler]:
    url = f"sqlite+aiosqlite:///{tmp_path}/w14.sqlite3"
    db = Database(url)
    await db.upgrade()
    await db.close()
    w = World(url, curriculum)
    h = ChatHandler(w.dojo)
    await h.handle(msg(create, "coach", Role.instructor))
    return w, h


@pytest_asyncio.fixture
async def chat(tmp_path: Path, parts_curriculum: Any) -> AsyncIterator[tuple[World, ChatHandler]]:
    w, h = await _world(tmp_path, parts_curriculum, "/dojo cohort create Torch tz=UTC")
    yield w, h
    await w.close()


# ---- 2. extra words are refused, not dropped ------------------------------------------------

@pytest.mark.parametrize(("line", "said", "extra"), [
    ("/dojo challenge open 1.4.1 6.1.5b", "/dojo challenge open takes one challenge", "'6.1.5b'"),
    ("/dojo remind on off", "/dojo remind on takes nothing after it", "'off'"),
    ("/dojo remind off now", "/dojo remind off takes nothing after it", "'now'"),
    ("/dojo remind please", "/dojo remind has no 'please'", None),
    ("/dojo hint 1.1.1 1.1.2", "/dojo hint takes an exercise id", "'1.1.2'"),
    ("/dojo hint 1.1.1 no", "/dojo hint takes an exercise id", "'no'"),
    ("/dojo hint 1.1.1 yes please", "/dojo hint takes an exercise id", "'please'"),
    ("/dojo help submit extra", "/dojo help takes one word", "'extra'"),
    ("/dojo status #1 #2", "/dojo status takes one word", "'#2'"),
    ("/dojo cohort leave now", "/dojo cohort leave takes nothing after it", "'now'"),
    ("/dojo cohort info all", "/dojo cohort info takes nothing after it", "'all'"),
    ("/dojo cohort join Europe/Berlin UTC", "/dojo cohort join takes one word", "'UTC'"),
    ("/dojo schedule show all", "/dojo schedule show takes nothing after it", "'all'"),
    ("/dojo schedule pause now", "/dojo schedule pause takes nothing after it", "'now'"),
    ("/dojo schedule time 09:00 10:00", "/dojo schedule time takes one word", "'10:00'"),
    ("/dojo challenge status 1.4.1 6.1.5a", "/dojo challenge status takes one word",
     "'6.1.5a'"),
    ("/dojo export all", "/dojo export takes nothing after it", "'all'"),
])
async def test_every_verb_refuses_words_it_does_not_take(
        chat: tuple[World, ChatHandler], line: str, said: str, extra: str | None) -> None:
    """'/dojo challenge open 6.1.5a 6.1.5b' opened only 6.1.5a, '/dojo remind on
    off' turned reminders on, '/dojo hint 1.1.1 no' offered a hint: the words
    after what a verb takes were dropped although the docs say they are refused."""
    w, h = chat
    role = Role.instructor if "open" in line or "schedule" in line or "export" in line \
        else Role.member
    await h.handle(msg("/dojo cohort join"))
    (reply,) = await h.handle(msg(line, "ann", role))
    assert reply.level == "error" and reply.text.startswith(said), reply.text
    if extra:
        assert extra in reply.text and "usage: /dojo " in reply.text, reply.text
    assert "\n→ " in reply.text
    assert not (await h.dojo.challenge_status(w.actor("ann")))  # nothing was opened
    assert await h.dojo.cohorts.reminders(w.actor("ann"))  # nor switched


async def test_words_a_verb_takes_still_work(chat: tuple[World, ChatHandler]) -> None:
    _w, h = chat
    await say(h, "/dojo cohort join")
    assert "takes" not in await say(h, "/dojo help submit")
    assert "takes" not in await say(h, "/dojo help /dojo submit")
    assert "Streak reminders and review nudges off" in await say(h, "/dojo remind off")
    opened = await say(h, "/dojo challenge open 1.4.1 at 23:00 for 90m", "coach",
                       Role.instructor)
    assert "Window for `1.4.1`" in opened, opened
    assert "no graded attempt" in await say(h, "/dojo hint yes 1.1.1")


# ---- 3. a challenge in parts shares one window and one timer ---------------------------------

async def test_opening_a_part_opens_every_part_with_the_same_window(
        chat: tuple[World, ChatHandler]) -> None:
    w, h = chat
    assert h.dojo.catalog.parts_of("6.1.5b") == ["6.1.5a", "6.1.5b"]
    assert h.dojo.catalog.parts_of("6.1.6a") == ["6.1.6a"]  # no other part: on its own
    assert h.dojo.catalog.parts_of("1.4.1") == ["1.4.1"]
    text = await say(h, "/dojo challenge open 6.1.5a at=12:00 for=30m", "coach",
                     Role.instructor)
    assert "one window for both parts: `6.1.5a`, `6.1.5b`" in text, text
    await say(h, "/dojo cohort join")
    infos = {i.item.id: i for i in await h.dojo.challenge_status(w.actor("ann"))}
    assert set(infos) == {"6.1.5a", "6.1.5b"}
    (wa,), (wb,) = infos["6.1.5a"].windows, infos["6.1.5b"].windows
    assert (wa.opens_at, wa.closes_at) == (wb.opens_at, wb.closes_at)
    assert wa.closes_at - wa.opens_at == timedelta(minutes=30)
    assert "no timer of your own" not in text
    # the second part is timed by that window too: no own timer before it opens
    refused = await say(h, "/dojo challenge start 6.1.5b")
    assert "timed for the whole cohort" in refused, refused


async def test_starting_a_part_starts_one_clock_for_both(chat: tuple[World, ChatHandler]) -> None:
    w, h = chat
    await say(h, "/dojo cohort join")
    await say(h, "/dojo cohort join", "bob")
    text = await say(h, "/dojo challenge start 6.1.5a")
    assert "one clock for both parts" in text, text
    w.clock.advance(timedelta(minutes=20))
    again = await say(h, "/dojo challenge start 6.1.5b")  # already running, since 6.1.5a
    assert "Your 6.1.5b timer started at Mon 02 Mar 08:00 and ends at 08:30" in again, again
    (a,), (b,) = [(await h.dojo.challenge_status(w.actor("ann"), i))[0].windows
                  for i in ("6.1.5a", "6.1.5b")]
    assert (a.opens_at, a.closes_at) == (b.opens_at, b.closes_at)
    # each part scores on its own, timed from the one start: b passed at 25 min is on time
    w.clock.advance(timedelta(minutes=5))
    verdict = await say(h, "/dojo submit 6.1.5b\n```python\nx = 1  # PASS\n```")
    assert "+10" in verdict and "late" not in verdict, verdict
    w.clock.advance(timedelta(minutes=10))  # 35 minutes after the one start: a is late
    verdict = await say(h, "/dojo submit 6.1.5a\n```python\nx = 1  # PASS\n```")
    assert "+5" in verdict, verdict


# ---- 4. a pass before the start: reply, streak and board agree -------------------------------

async def test_a_pass_before_the_start_counts_alike_everywhere(
        tmp_path: Path, parts_curriculum: Any) -> None:
    w, h = await _world(tmp_path, parts_curriculum,
                        "/dojo cohort create Spring tz=UTC start=2026-03-09 time=09:00")
    try:
        await say(h, "/dojo cohort join")
        verdict = await say(h, "/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```")
        assert "+10 points" in verdict and "streak 1 day" in verdict, verdict
        board = await say(h, "/dojo leaderboard")
        assert "No points yet" not in board and "Ann" in board and "10" in board, board
        w.clock.advance(timedelta(days=7, hours=2))  # Mon 09 Mar 10:00, the start date
        assert "1-day streak (best 1)" in await say(h, "/dojo streak")
        board = await say(h, "/dojo leaderboard")
        assert "week 1" in board and "No points yet" not in board, board
        assert "10" in await say(h, "/dojo leaderboard all")
    finally:
        await w.close()


# ---- 5. starter code copies as it is; indented code is dedented ------------------------------

def test_code_indented_as_a_whole_is_dedented() -> None:
    from bot.chat.extract import Attachment, dedent_code, extract_code

    assert extract_code("```python\n import torch\n x = 1\n\n def f():\n     return x\n```"
                        ).code == "import torch\nx = 1\n\ndef f():\n    return x\n"
    pasted = extract_code("", [Attachment("code", b"  import torch\n  x = 1\n", pasted=True)])
    assert pasted.code == "import torch\nx = 1\n"
    assert extract_code("", [Attachment("a.py", b"\timport torch\n\tx = 1\n")]).code \
        == "import torch\nx = 1\n"
    assert dedent_code("x = 1\n  y = 2\n") == "x = 1\n  y = 2\n"  # not all indented: as is


def test_show_prints_the_starter_as_plain_copyable_text() -> None:
    import ast

    from typer.testing import CliRunner

    from bot.cli import app

    out = CliRunner().invoke(app, ["show", "1.1.6"])
    assert out.exit_code == 0, out.output
    starter = out.output.split("--starter prints only this):\n\n", 1)[1]
    assert starter.startswith("import torch\n") and " \n" not in starter
    ast.parse(starter)
    only = CliRunner().invoke(app, ["show", "1.1.6", "--starter"])
    assert only.exit_code == 0 and only.output == starter, only.output
    assert "--starter" in CliRunner().invoke(app, ["show", "--help"]).output


def test_grade_takes_code_indented_as_a_whole(tmp_path: Path) -> None:
    """`torchdojo grade` on a file indented as a whole grades it (as chat does), from a
    file and from stdin; the grader's own reading of the file is unchanged."""
    import json
    import subprocess
    import sys

    source = (Path(__file__).resolve().parents[2] / "curriculum" / "week1" / "1.1.1.ref.py"
              ).read_text()
    indented = tmp_path / "indented.py"
    indented.write_text("".join("    " + line if line.strip() else line
                                for line in source.splitlines(keepends=True)))
    torchdojo = [sys.executable, "-m", "bot.cli", "grade", "1.1.1"]
    for args, stdin in (([str(indented), "--json"], None),
                        (["-", "--json"], indented.read_bytes())):
        done = subprocess.run(torchdojo + args, input=stdin, capture_output=True, timeout=300,
                              cwd=Path(__file__).resolve().parents[2])
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        assert json.loads(done.stdout)["status"] == "passed"


# ---- 6. times are shown in the member's zone, labelled ---------------------------------------

async def test_status_and_boards_show_times_in_the_zone_they_name(
        tmp_path: Path, parts_curriculum: Any) -> None:
    w, h = await _world(tmp_path, parts_curriculum,
                        "/dojo cohort create NY tz=America/New_York start=2026-03-02")
    try:
        w.clock.advance(timedelta(hours=1, minutes=5))  # 09:05 UTC = 04:05 New York
        await say(h, "/dojo cohort join")
        await say(h, "/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```")
        status = await say(h, "/dojo status")
        assert "received (America/New_York)" in status and "04:05" in status, status
        assert "09:05" not in status and "UTC" not in status, status
        board = await say(h, "/dojo leaderboard")
        assert "reached (America/New_York)" in board and "04:05" in board, board
        await say(h, "/dojo tz Europe/Berlin")  # her own zone: her status follows it
        assert "received (Europe/Berlin)" in await say(h, "/dojo status")
    finally:
        await w.close()


# ---- 7. review wording: no points only for what was passed before ----------------------------

async def test_review_says_a_never_passed_exercise_still_scores(
        chat: tuple[World, ChatHandler]) -> None:
    w, h = chat
    await say(h, "/dojo cohort join")
    await say(h, "/dojo submit 1.1.1\n```python\nx = 1  # FAIL\n```")
    w.clock.advance(timedelta(days=1, hours=2))
    review = await say(h, "/dojo review")
    assert "no points" not in review and "+10 on its first pass" in review, review
    one = await say(h, "/dojo review 1.1.1")
    assert "no points" not in one and "still scores its 10 points" in one, one
    nudge = render.event(__import__("bot.core.types", fromlist=["ReviewNudge"]).ReviewNudge(
        None, "ann", "Ann", [h.dojo.catalog.item("1.1.1", "tried")]))[0].text  # type: ignore[arg-type]
    assert "no points" not in nudge and "still scores" in nudge, nudge
    verdict = await say(h, "/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```")
    assert "+10 points" in verdict, verdict
    assert render.review_points([h.dojo.catalog.item("1.1.1", "passed")]) \
        == "no points (you passed it before)"


# ---- 8. cosmetics: ended streaks, long durations, plurals, a start earlier today -------------

async def test_an_ended_streak_says_it_ended(chat: tuple[World, ChatHandler]) -> None:
    w, h = chat
    await say(h, "/dojo cohort join")
    assert "no streak yet" in await say(h, "/dojo streak")
    await say(h, "/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```")
    w.clock.advance(timedelta(days=4))
    text = await say(h, "/dojo streak")
    assert "your streak ended (best 1 day)" in text and "🔥" not in text, text
    assert "0-day" not in text


async def test_long_windows_and_counts_read_naturally(chat: tuple[World, ChatHandler]) -> None:
    _w, h = chat
    assert [render.span(m) for m in (5, 60, 125, 30000, 1440)] == [
        "5 min", "1 h", "2 h 5 min", "20 days 20 h", "1 day"]
    await say(h, "/dojo cohort join")
    await say(h, "/dojo challenge open 1.4.1 for=500h", "coach", Role.instructor)
    status = await say(h, "/dojo challenge status 1.4.1")
    assert "20 days 20 h left" in status and "min left" not in status, status
    await say(h, "/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```")
    assert "📄 1 submission exported" in await say(h, "/dojo export", "coach", Role.instructor)
    assert render.plural(1, "member") == "1 member" and render.plural(2, "member") == "2 members"


async def test_a_time_earlier_today_is_today_not_tomorrow(chat: tuple[World, ChatHandler]) -> None:
    w, h = chat
    w.clock.advance(timedelta(hours=1, minutes=5))  # 09:05 UTC
    over = await say(h, "/dojo challenge open 1.4.1 at=08:00", "coach", Role.instructor)
    assert "would already be over" in over, over  # 08:00-09:00 today: over, refused
    now = await say(h, "/dojo challenge open 1.4.1 at=08:30", "coach", Role.instructor)
    assert "opens now, closes Mon 02 Mar 09:30" in now, now
