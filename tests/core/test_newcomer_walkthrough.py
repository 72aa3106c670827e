"""A newcomer's and a new instructor's walk through the chat verbs, and the
bad input they type: every reply says what happened and what to do next, an
exercise id written another way still finds its exercise, and nothing a
member sent is lost or graded as something else.

The real chat handler, core and a SQLite database; the grader double of
``conftest.py`` (code containing PASS passes)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.chat import render
from bot.chat.handler import ChatHandler, Incoming
from bot.core.types import Role, StatusRef
from bot.db import Database, Submission

from .conftest import World, msg, say


@pytest_asyncio.fixture
async def chat(tmp_path: Path, tiny_curriculum: Any) -> AsyncIterator[tuple[World, ChatHandler]]:
    url = f"sqlite+aiosqlite:///{tmp_path}/walk.sqlite3"
    db = Database(url)
    await db.upgrade()
    await db.close()
    w = World(url, tiny_curriculum)
    h = ChatHandler(w.dojo)
    await h.handle(msg("/dojo cohort create Torch tz=UTC", "coach", Role.instructor))
    yield w, h
    await w.close()




async def submissions(w: World) -> list[tuple[str, str]]:
    async with w.db.session() as s:
        rows = (await s.execute(select(Submission.exercise_id, Submission.code)
                                .order_by(Submission.id))).all()
    return [(e, c) for e, c in rows]


CODE = "```python\nv_1_1_1 = 1  # PASS\n```"


@pytest.mark.parametrize("written", ["`1.1.1`", "1,1,1", "1-1-1", "#1.1.1", "1.1.1:",
                                     "ex 1.1.1", "Ex1.1.1", "exercise 1.1.1", "'1.1.1'"])
async def test_an_id_written_another_way_finds_its_exercise(
        chat: tuple[World, ChatHandler], written: str) -> None:
    w, h = chat
    shown = await say(h, f"/dojo show {written}")
    assert shown.startswith("`1.1.1` Exercise 1.1.1"), shown
    graded = await say(h, f"/dojo submit {written}\n{CODE}")
    assert "`1.1.1`" in graded and "passed" in graded, graded
    assert await submissions(w) == [("1.1.1", "v_1_1_1 = 1  # PASS\n")]


async def test_a_near_miss_id_is_never_taken_for_another_exercise(
        chat: tuple[World, ChatHandler]) -> None:
    w, h = chat
    reply = await say(h, f"/dojo submit 1.1.10\n{CODE}")
    assert "No exercise '1.1.10'" in reply and "Did you mean 1.1.1, 1.1.2?" in reply
    reply = await say(h, "/dojo show 1.1")
    assert "Did you mean 1.1.1, 1.1.2?" in reply, reply
    assert "Did you mean 1.2.1, 1.2.2?" in await say(h, "/dojo show 1.2.3")
    assert await submissions(w) == []


async def test_a_challenge_written_another_way_stays_private(
        chat: tuple[World, ChatHandler]) -> None:
    """1.4.1 is a timed challenge: its answer posted in the open comes down,
    whichever way its id is written."""
    w, h = chat
    for written in ("1,4,1", "`1.4.1`", "ex 1.4.1"):
        (reply,) = await h.handle(msg(f"/dojo submit {written}\n{CODE}", public=True))
        assert reply.takedown and reply.private, written
        assert "`1.4.1` is a timed challenge" in reply.text
    # the private way for code longer than a form takes (Slack's 3,000 characters), in
    # the member's platform's words only: a Discord member was told about Slack's too
    for platform, way in (("slack", "the code block right after the command"),
                          ("discord", "the command's `file` option, a .py file")):
        (reply,) = await h.handle(Incoming(platform, "c1", "ann", "Ann",
                                           f"/dojo submit 1.4.1\n{CODE}", public=True))
        assert f"(a private form; code longer than the form takes: {way})" in reply.text
        assert "Slack" not in reply.text and "Discord" not in reply.text, reply.text
    assert await submissions(w) == []


#: Wrong arguments, missing arguments, refusals: (who, line).
BAD = [
    ("ann", "/dojo show"), ("ann", "/dojo show 9.9.9"), ("ann", "/dojo submit 1.1.1"),
    ("ann", "/dojo submit 1.1.1 zeros_1 = torch.zeros(3, 4)"), ("ann", "/dojo submit\n```\n```"),
    ("ann", "/dojo status abc"), ("ann", "/dojo status #999"), ("bob", "/dojo status"),
    ("ann", "/dojo review 9.9.9"), ("ann", "/dojo hint"), ("ann", "/dojo hint 1.1.2"),
    ("ann", "/dojo tz Mars/Olympus"), ("ann", "/dojo remind maybe"),
    ("ann", "/dojo leaderboard foo"), ("ann", "/dojo leaderbord"),
    ("ann", "/dojo challenge"), ("ann", "/dojo challenge start"),
    ("ann", "/dojo challenge start 1.1.1"), ("ann", "/dojo challenge status 1.4.1"),
    ("ann", "/dojo challenge open 1.4.1"), ("ann", "/dojo cohort create X"),
    ("ann", "/dojo cohort join Mars/Olympus"), ("ann", "/dojo schedule time 10:00"),
    ("ann", "/dojo export"), ("ann", "/dojo dashboard"),
    ("coach", "/dojo schedule time 25:00"), ("coach", "/dojo schedule time"),
    ("coach", "/dojo schedule tz"), ("coach", "/dojo schedule start"),
    ("coach", "/dojo schedule tz Foo/Bar"), ("coach", "/dojo schedule start 2026-13-45"),
    ("coach", "/dojo challenge open"), ("coach", "/dojo challenge open 1.1.1"),
    ("coach", "/dojo challenge open 1.4.1 for=abc"),
    ("coach", "/dojo challenge open 1.4.1 at=yesterday"),
    ("coach", "/dojo challenge open 1.4.1 for=0m"), ("coach", "/dojo cohort create"),
    ("coach", "/dojo cohort create Again"),
    ("carl", "/dojo cohort leave"),
]


@pytest.mark.parametrize(("who", "line"), BAD, ids=[f"{w}:{line}" for w, line in BAD])
async def test_every_refusal_says_what_to_do_next(chat: tuple[World, ChatHandler], who: str,
                                                  line: str) -> None:
    """A reply to a mistake names the command or the step that works: an
    arrow (→ hint) or a /dojo command to try."""
    _w, h = chat
    await say(h, "/dojo submit 1.1.1\n```python\nv_1_1_1 = 1  # FAIL\n```")
    role = Role.instructor if who == "coach" else Role.member
    replies = await h.handle(msg(line, who, role))
    assert replies, line
    for reply in replies:
        text = reply.as_text()
        assert "→" in text or "/dojo " in text, f"{line!r} → {text!r}"


async def test_help_for_each_verb_says_how_to_use_it(chat: tuple[World, ChatHandler]) -> None:
    from bot.chat.parser import VERBS

    _w, h = chat
    everything = await say(h, "/dojo help")
    for verb in VERBS:
        if verb == "help":
            continue
        text = await say(h, f"/dojo help {verb}")
        assert text != everything and f"/dojo {verb}" in text, (verb, text)
    assert "/dojo submit 1.1.1\n```python" in await say(h, "/dojo help submit")
    assert "leaderboard [week|all]" in await say(h, "/dojo help leaderbord")  # a typo
    assert "leaderboard [week|all]" in await say(h, "/dojo help /dojo lb")  # an alias
    assert "Streaks and freezes" in await say(h, "/dojo help streak")
    # the command as the list writes it: "There is no command /dojo" it said
    assert "/dojo submit 1.1.1\n```python" in await say(h, "/dojo help /dojo submit")
    assert "Streaks and freezes" in await say(h, "/dojo help /dojo streaks")
    assert "/dojo schedule show" in everything.split("Instructors:")[0]  # everyone's
    unknown = await say(h, "/dojo help frobnicate")
    assert unknown.startswith("There is no command frobnicate; these are all of them.")
    assert "/dojo today" in unknown


async def test_bare_remind_shows_the_setting_and_never_changes_it(
        chat: tuple[World, ChatHandler]) -> None:
    w, h = chat
    await say(h, "/dojo cohort join")
    assert "are on" in await say(h, "/dojo remind") and "/dojo remind off" in await say(
        h, "/dojo remind")
    assert "off" in await say(h, "/dojo remind off")
    shown = await say(h, "/dojo remind")
    assert "are off" in shown and "/dojo remind on" in shown
    assert await w.dojo.cohorts.reminders(w.actor("ann")) is False


HOSTILE = "[claim](https://evil.example/x)@everyone<@1>"


@pytest.mark.parametrize("line", [
    f"/dojo {HOSTILE}", f"/dojo show {HOSTILE}", f"/dojo leaderboard {HOSTILE}",
    f"/dojo status {HOSTILE}", f"/dojo tz {HOSTILE}", f"/dojo cohort join tz={HOSTILE}",
    f"/dojo hint {HOSTILE}", f"/dojo challenge start {HOSTILE}", f"/dojo remind {HOSTILE}",
    f"/dojo help {HOSTILE}", f"/dojo submit {HOSTILE}\n{CODE}",
    f"/dojo schedule tz {HOSTILE}", f"/dojo schedule time {HOSTILE}",
    f"/dojo schedule start {HOSTILE}", f"/dojo challenge open {HOSTILE}",
    f"/dojo challenge open 1.4.1 at={HOSTILE}", f"/dojo challenge open 1.4.1 for={HOSTILE}",
])
async def test_an_argument_echoed_in_a_refusal_is_inert(chat: tuple[World, ChatHandler],
                                                        line: str) -> None:
    """'no exercise X', 'unknown time zone X', '/dojo remind has no X': what the
    member typed comes back as a marked piece (inline code in Discord and Slack)
    or defanged — never a link, a masked link or a mention from the bot."""
    from bot.chat.safe import CLOSE, OPEN

    _w, h = chat
    replies = await h.handle(msg(line, "coach", Role.instructor))
    assert replies
    for reply in replies:
        outside = re.sub(f"{OPEN}.*?{CLOSE}", "", reply.text, flags=re.S)
        assert "https://" not in outside and "@everyone" not in outside, reply.text
        assert "<@1>" not in outside and "](" not in outside.replace("](https:\u200b", ""), \
            reply.text


def test_console_takes_a_submission_pasted_as_several_blocks() -> None:
    """In chat, several code blocks in one message are one submission; the
    console read the second block as a message of its own ("commands start
    with /dojo") and graded the first alone."""
    from bot.adapters.console import group_messages

    lines = ["/dojo submit 1.1.1", "```python", "a = 1", "```", "", "```python", "b = 2", "```",
             "/dojo streak", "/dojo reply m2", "```python", "c = 3", "```", "```", "d = 4",
             "```", "/dojo today"]
    assert list(group_messages(lines)) == [
        "/dojo submit 1.1.1\n```python\na = 1\n```\n```python\nb = 2\n```", "/dojo streak",
        "/dojo reply m2\n```python\nc = 3\n```\n```\nd = 4\n```", "/dojo today"]


def test_cli_show_and_exercises_answer_bad_input_with_a_usage_error() -> None:
    """docs/cli.md: exit 2 on a usage error, with a message. `torchdojo exercises
    --week 9` printed an empty table (exit 0); `torchdojo show 'x[/red]'` died in
    rich's markup parser with a traceback; `show` finds ids as chat does."""
    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["exercises", "--week", "9"])
    assert out.exit_code == 2 and "no exercises in week 9; the weeks are 1–6" in out.output
    out = runner.invoke(app, ["show", "x[/red]"])
    assert out.exit_code == 2, repr(out.exception)
    assert "unknown exercise 'x[/red]'" in out.output
    out = runner.invoke(app, ["show", "1.1.10"])
    assert out.exit_code == 2 and "did you mean 1.1.1, 1.1.2, 1.1.3?" in out.output
    out = runner.invoke(app, ["show", "1,1,1"])
    assert out.exit_code == 0 and "torch.zeros()" in out.output


async def test_a_display_name_cut_inside_a_character_still_submits(
        chat: tuple[World, ChatHandler]) -> None:
    """A platform's display name holding a lone surrogate (an emoji cut in half)
    refused the member's join and submission as 'that message is not UTF-8
    text' — their message was fine, and the code was lost."""
    w, h = chat
    replies = await h.handle(Incoming("test", "c1", "dee", "Dee \ud83d",
                                      f"/dojo submit 1.1.1\n{CODE}"))
    assert "received — grading" in replies[0].text, replies[0].text
    await h.status_posted(replies[0], StatusRef("c1", "s1"))
    await h.dojo.dispatcher.settle()
    board = await say(h, "/dojo leaderboard all")
    assert "Dee \ufffd" in board and "10" in board, board
    assert await submissions(w) == [("1.1.1", "v_1_1_1 = 1  # PASS\n")]


@pytest.mark.parametrize(("line", "said"), [
    ("/dojo streak bob", "/dojo streak takes nothing after it (got 'bob')"),
    ("/dojo today 1.1.1", "/dojo today takes nothing after it (got '1.1.1')"),
    ("/dojo progress now", "/dojo progress takes nothing after it (got 'now')"),
    ("/dojo leaderboard all imgae", "/dojo leaderboard has no 'imgae'"),
    ("/dojo leaderboard monthly", "/dojo leaderboard has no 'monthly'"),
    ("/dojo show 1.1.1 1.1.2", "/dojo show takes one word (got '1.1.2' after '1.1.1')"),
    ("/dojo review 1.1.1 1.1.2", "/dojo review takes one word (got '1.1.2' after '1.1.1')"),
    ("/dojo tz Europe/Berlin extra",
     "/dojo tz takes one word (got 'extra' after 'Europe/Berlin')"),
    ("/dojo challenge start 1.1.1 now",
     "/dojo challenge start takes one word (got 'now' after '1.1.1')"),
])
async def test_a_verb_given_words_it_does_not_take_says_so(
        chat: tuple[World, ChatHandler], line: str, said: str) -> None:
    """Before, the words were dropped: '/dojo streak bob' showed the asker's
    own streak as if it were bob's, '/dojo leaderboard all imgae' no picture."""
    _w, h = chat
    (reply,) = await h.handle(msg(line))
    assert reply.level == "error" and reply.text.startswith(said), reply.text
    assert "\n→ " in reply.text and "/dojo " in reply.text.split("→")[1]


async def test_today_says_in_words_what_was_tried(chat: tuple[World, ChatHandler]) -> None:
    """After a failed attempt, /dojo today marked the item with a bare '…'."""
    w, h = chat
    w.clock.advance(__import__("datetime").timedelta(hours=2))  # past the 09:00 post
    await say(h, "/dojo submit 1.1.1\n```python\nv_1_1_1 = 1  # FAIL\n```")
    await say(h, "/dojo submit 1.1.2\n```python\nv_1_1_2 = 1  # PASS\n```")
    today = await say(h, "/dojo today")
    assert "`1.1.1` Exercise 1.1.1 (drill, 10 pts) — tried, not passed yet" in today, today
    assert "✅ `1.1.2`" in today and "… `" not in today
    # whose marks they are: Slack shows a public answer to /dojo without who asked
    assert "📅 Ann's day 1 in Torch" in today, today


def test_autocomplete_reads_ids_written_another_way(tiny_curriculum: Any) -> None:
    from bot.core.catalog import Catalog

    catalog = Catalog(tiny_curriculum)
    for typed in ("1.1", "1,1", "`1.1", "ex 1.1", "1-1"):
        assert [i.id for i in catalog.choices(typed)][:2] == ["1.1.1", "1.1.2"], typed


async def test_code_after_submit_without_a_block_is_told_how(
        chat: tuple[World, ChatHandler]) -> None:
    """``/dojo submit 1.1.1`` and the code on the next lines without the fences was told
    "I found no code to grade" — there plainly was some."""
    w, h = chat
    for line in ("/dojo submit 1.1.1\nimport torch\nv_1_1_1 = torch.zeros(3)",
                 "/dojo submit 1.1.1 v_1_1_1 = torch.zeros(3)"):
        (reply,) = await h.handle(msg(line))
        assert reply.level == "error" and "only grade code inside a code block" in reply.text
        assert "/dojo submit 1.1.1, then a ```python line" in reply.text, reply.text
    assert await submissions(w) == []


async def test_an_id_copied_with_an_invisible_character_is_that_id(
        chat: tuple[World, ChatHandler]) -> None:
    """A zero-width space copied from chat after ``1.1.1`` gave "No exercise 1.1.1 → Did you
    mean 1.1.1?"."""
    _w, h = chat
    shown = await say(h, "/dojo show 1.1.1\u200b")
    assert "No exercise" not in shown and "1.1.1" in shown, shown


async def test_code_replied_to_a_drill_without_a_block_is_told_how(
        chat: tuple[World, ChatHandler]) -> None:
    """A newcomer replying to a drill post with their code but no code block
    heard nothing at all (the bot took it for conversation)."""
    w, h = chat
    w.clock.advance(__import__("datetime").timedelta(hours=2))  # day 1 posted
    await w.planner.dispatch_due(w.outbox)  # ListOutbox ids: 1.1.1 → m1
    pasted = msg("import torch\nv_1_1_1 = torch.zeros(3)  # PASS", reply_to="m1", public=True)
    assert h.wants(pasted)
    (reply,) = await h.handle(pasted)
    assert reply.level == "error" and "only grade code inside a code block" in reply.text
    assert "```python" in reply.text
    for chatter in ("thanks!", "x = 5 is what I got", "what about x[0]?"):
        said = msg(chatter, reply_to="m1", public=True)
        assert not h.wants(said) and await h.handle(said) == []
    assert await submissions(w) == []
    # with the block, the same reply is graded
    fenced = await say(h, "```python\nv_1_1_1 = torch.zeros(3)  # PASS\n```", reply_to="m1")
    assert "`1.1.1`" in fenced and "passed" in fenced


def test_a_challenge_closing_with_nobody_on_the_board_says_so() -> None:
    """The close post's all-time board was drawn as a table of headers and no
    rows when nobody had points yet."""
    from bot.core.types import ChallengeClosed, ExerciseItem, Target

    item = ExerciseItem("1.4.1", "Speed", "challenge", 30, "", 60)
    posts = render.event(ChallengeClosed(Target("test", "c1", 1, "Torch", "UTC"), 1, item,
                                         [], []))
    assert [p.as_text() for p in posts] == [
        "🏁 Challenge `1.4.1` closed — 0 passed in the window\nNobody passed in the window.",
        "🏆 Leaderboard (all time)\nNo points yet — be the first!"]


async def test_code_that_cannot_be_read_is_told_what_to_send(
        chat: tuple[World, ChatHandler]) -> None:
    """A 1 MB paste, a .txt attachment, an empty .py file: each said what was
    wrong and stopped there."""
    from bot.chat.extract import Attachment

    w, h = chat
    cases = [
        (msg("/dojo submit 1.1.1\n```python\n" + "x = 1\n" * 200_000 + "```"),
         "the limit is 64 KB\n→ Send only the code the exercise asks for"),
        (msg("/dojo submit 1.1.1", attachments=[Attachment("big.py", b"x = 1\n" * 20_000)]),
         "big.py is 117 KB; the limit is 64 KB\n→ Send only the code"),
        (msg("/dojo submit 1.1.1", attachments=[Attachment("notes.txt", b"zeros")]),
         "(got notes.txt)\n→ Attach your code as a .py file, or paste it in a ```python"),
        (msg("/dojo submit 1.1.1", attachments=[Attachment("a.py", b"  \n")]),
         "a.py is empty\n→ Save your code in it and attach it again"),
    ]
    for message, said in cases:
        (reply,) = await h.handle(message)
        assert said in reply.text, reply.text
    assert await submissions(w) == []


async def test_console_reply_without_a_post_or_code_says_how(tmp_path: Path,
                                                             tiny_curriculum: Any) -> None:
    """'/dojo reply' alone said '/dojo reply only works in the console' (in the
    console); '/dojo reply m2' and '/dojo reply m2 thanks' without a code block
    said 'commands start with /dojo'; a missing file gave no way forward."""
    import io

    from bot.adapters.console import Console, group_messages
    from bot.config import load_settings
    from bot.core.clock import ManualClock
    from bot.runtime import Runtime

    from .conftest import T0, FakeGrader

    out = io.StringIO()
    rt = await Runtime.start(load_settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db",
                             grader=FakeGrader(), clock=ManualClock(T0),
                             curriculum=tiny_curriculum)
    try:
        console = Console(rt, out=out, output_dir=tmp_path)
        await console.ensure_demo()
        await console.run(group_messages(["/dojo reply", "/dojo reply m2", "/dojo reply m2 thanks",
                                          "/dojo submit 1.1.1 < missing.py"]), echo=True)
    finally:
        await rt.close()
    text = out.getvalue()
    assert "only works in the console" not in text and "commands start with" not in text.lower()
    assert "which post?\nbot  → /dojo reply m2, then your code block" in text
    assert "/dojo reply m2 needs your code block on the next lines" in text
    assert "Only a code block answers post m2" in text
    assert f"no file missing.py\nbot  → a path relative to {Path.cwd()}" in text


async def test_code_without_an_id_is_not_guessed_from_a_one_letter_name(
        chat: tuple[World, ChatHandler]) -> None:
    """'/dojo submit' with code binding only `x` was graded as 1.2.1 (whose
    base tensor is named x), today's item or not; now the bot asks which
    exercise, and a distinctive name still finds its exercise."""
    from bot.core.catalog import Catalog

    w, h = chat
    catalog = Catalog(h.dojo.curriculum)
    real = __import__("curriculum").load_curriculum()
    assert Catalog(real).best_match("x = 1\n", Catalog(real).ids()) is None
    assert Catalog(real).best_match("x = 1\nelem_1 = x[0, 1, 2]\n", ["1.1.1", "1.2.1"]) == "1.2.1"
    assert catalog.best_match("v_1_1_2 = 1\n", catalog.ids()) == "1.1.2"
    # day 1 has two items: code naming neither is asked about, not guessed
    w.clock.advance(__import__("datetime").timedelta(hours=2))
    reply = await say(h, "/dojo submit\n```python\nx = 1  # PASS\n```")
    assert "Which exercise is this for?" in reply, reply
    assert await submissions(w) == []


async def test_zone_names_in_any_case_and_absurd_values_are_answered(
        chat: tuple[World, ChatHandler]) -> None:
    """'/dojo tz utc' and 'europe/berlin' were unknown zones; a 5,000-character
    zone was 'something went wrong' (zoneinfo's OSError: file name too long); a
    start date of 9999-12-31 was accepted and then broke /dojo schedule (and the
    daily posts) with an OverflowError; a window at 9999-12-31 or for=100000h
    was opened; '/dojo status #0' said there were no submissions at all."""
    w, h = chat
    assert "now follow UTC." in await say(h, "/dojo tz utc")
    assert "now follow Europe/Berlin." in await say(h, "/dojo tz europe/berlin")
    joined = await say(h, "/dojo cohort join tz=america/new_york", "bob")
    assert "Streaks count in America/New_York" in joined
    long = await say(h, "/dojo tz " + "A" * 5000)
    assert long.startswith("Unknown time zone 'AAAA") and "went wrong" not in long
    assert len(long) < 400
    coach = ("coach", Role.instructor)
    assert "(Asia/Tokyo)" in await say(h, "/dojo schedule tz asia/tokyo", *coach)
    for line in ("/dojo schedule start 9999-12-31", "/dojo schedule start 0001-01-01"):
        assert "is more than a year from today" in await say(h, line, *coach)
    assert "went wrong" not in await say(h, "/dojo schedule", *coach)
    (other,) = await h.handle(Incoming("test", "c2", "coach", "Coach",
                                       "/dojo cohort create Other start=9999-01-01",
                                       Role.instructor))
    assert "is more than a year from today" in other.text
    for line in ("/dojo challenge open 1.4.1 at=9999-12-31T23:00 for=2h",
                 "/dojo challenge open 1.4.1 for=100000h"):
        assert "within a year from now" in await say(h, line, *coach), line
    status = await say(h, "/dojo status #0")
    assert status.startswith("Submission numbers start at #1")
    async with w.db.session() as s:
        from bot.db import Cohort, Member

        assert (await s.scalar(select(Cohort.tz))) == "Asia/Tokyo"
        assert sorted(await s.scalars(select(Member.tz))) == ["America/New_York",
                                                              "Europe/Berlin"]


async def test_console_verb_without_the_prefix_gets_the_command_to_type(
        tmp_path: Path, tiny_curriculum: Any) -> None:
    """A newcomer in the console types 'today' or '/today': they were told
    'commands start with /dojo' without the line that works."""
    w = World(f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3", tiny_curriculum)
    await w.db.upgrade()
    h = ChatHandler(w.dojo, console=True)
    try:
        for typed, meant in (("today", "/dojo today"), ("/today", "/dojo today"),
                             ("dojo leaderboard all", "/dojo leaderboard all"),
                             ("Streak", "/dojo streak")):
            (reply,) = await h.handle(Incoming("console", "console", "you", "you", typed))
            assert reply.text == f"Commands start with /dojo\n→ Did you mean {meant}?", typed
        (reply,) = await h.handle(Incoming("console", "console", "you", "you", "hello there"))
        assert reply.text == "Commands start with /dojo\n→ /dojo help"
        (reply,) = await h.handle(Incoming("console", "console", "you", "you",
                                           "```python\nzeros_2 = torch.zeros(2)\n```"))
        assert reply.text.startswith("A code block on its own is not sent anywhere\n"
                                     "→ Type /dojo submit ID on the line before it")
    finally:
        await w.close()


async def test_code_or_names_with_nul_characters_are_refused_in_words(
        db_url: str, tiny_curriculum: Any) -> None:
    """A .py saved as UTF-16 without a BOM (PowerShell's '>' on some systems, an
    editor's 'Unicode') decodes as UTF-8 with a NUL after every letter, and
    PostgreSQL cannot store NUL: the submission failed with 'something went
    wrong' and was lost. The file is named as UTF-16; pasted NULs are refused
    with what to do; a cohort name's control characters become spaces."""
    from bot.chat.extract import Attachment

    w = World(db_url, tiny_curriculum)
    h = ChatHandler(w.dojo)
    try:
        await h.handle(msg("/dojo cohort create Nul\x00Team", "coach", Role.instructor))
        assert (await h.dojo.get_cohort("test", "c1")).name == "Nul Team"
        utf16 = "import torch\nv_1_1_1 = 1  # PASS\n".encode("utf-16-le")
        (reply,) = await h.handle(msg("/dojo submit 1.1.1",
                                      attachments=[Attachment("a.py", utf16)]))
        assert "a.py is not UTF-8 text (it looks like UTF-16); save it as UTF-8" in reply.text
        (reply,) = await h.handle(msg("/dojo submit 1.1.1\n```python\nv_1_1_1 = 1\x00\n```"))
        assert reply.text.startswith("Your code contains NUL characters"), reply.text
        assert "→ Save it as UTF-8 text and send it again" in reply.text
        assert await submissions(w) == []
    finally:
        await w.close()


async def test_a_cohort_name_with_undecodable_bytes_is_refused_on_every_database(
        db_url: str, tiny_curriculum: Any) -> None:
    """'/dojo cohort create Bad<lone surrogate>' was 'that message is not UTF-8
    text' on SQLite but 'something went wrong' on PostgreSQL (asyncpg's
    DataError is no UnicodeError); now the same words on both."""
    w = World(db_url, tiny_curriculum)
    h = ChatHandler(w.dojo)
    try:
        (reply,) = await h.handle(msg("/dojo cohort create Bad\udcffName", "coach",
                                      Role.instructor))
        assert reply.text == "That message is not UTF-8 text\n→ Type it again as UTF-8"
        assert await h.dojo.get_cohort("test", "c1") is None
    finally:
        await w.close()


async def test_console_script_says_why_there_is_no_dashboard(tmp_path: Path,
                                                             tiny_curriculum: Any) -> None:
    """With --script the console serves no dashboard, and '/dojo dashboard' told
    the instructor that an operator must set DASHBOARD_URL and DASHBOARD_SECRET
    — wrong for the console, which serves one when run interactively."""
    import io

    from bot.adapters.console import Console, group_messages
    from bot.config import load_settings
    from bot.core.clock import ManualClock
    from bot.runtime import Runtime

    from .conftest import T0, FakeGrader

    out = io.StringIO()
    rt = await Runtime.start(load_settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db",
                             grader=FakeGrader(), clock=ManualClock(T0),
                             curriculum=tiny_curriculum)
    try:
        console = Console(rt, out=out, output_dir=tmp_path)
        await console.ensure_demo()
        await console.run(group_messages(["/dojo as coach", "/dojo dashboard", "/dojo as you",
                                          "/dojo dashboard"]), echo=True)
    finally:
        await rt.close()
    text = out.getvalue()
    assert "DASHBOARD_URL" not in text
    assert "This console does not serve the dashboard: it is served only when the console " \
           "runs interactively\nbot  → ./scripts/run.sh, or torchdojo console without --script" \
           in text
    assert "Only instructors can open the dashboard" in text  # a member is still refused


def test_an_outage_notice_names_no_internal_host() -> None:
    """'is safely queued: the grader is unavailable right now (grader
    unreachable: Cannot connect to host grader:8080 ssl:default [Connect call
    failed ('10.0.3.7', 8080)])' — the member's status message, in the
    channel, showed the grader's internal address."""
    from bot.core.types import DelayNotice, Target

    reason = ("grader unreachable: Cannot connect to host grader:8080 ssl:default "
              "[Connect call failed ('10.0.3.7', 8080)]")
    (reply,) = render.event(DelayNotice(Target("test", "c1", 1, "Torch", "UTC"), "u1", 7,
                                        "1.1.1", reason))
    text = reply.as_text()
    assert "the grader is unavailable right now (grader unreachable). I'll grade it" in text
    assert "10.0.3.7" not in text and "8080" not in text
    for reason, shown in (("grader busy or down (HTTP 503)", "(grader busy or down)"),
                          ("the grader did not start within 30 s", "within 30 s)")):
        (reply,) = render.event(DelayNotice(Target("test", "c1", 1, "Torch", "UTC"), "u1", 7,
                                            "1.1.1", reason))
        assert shown in reply.as_text()


async def test_code_pasted_from_a_web_page_keeps_no_invisible_characters(
        chat: tuple[World, ChatHandler]) -> None:
    """Code copied from a tutorial page or a chat client carries no-break spaces
    and zero-width characters; Python refused them ('invalid non-printable
    character U+00A0') at a place the learner cannot see."""
    from bot.chat.extract import extract_code

    pasted = ("```python\n\ufeffimport torch\nzeros_1\u00a0=\u00a0torch.zeros(3,\u202f4)\u200b\n"
              "if True:\n\u00a0\u00a0\u00a0\u00a0zeros_2 = torch.zeros(2)\u2060\n```")
    code = extract_code(pasted).code
    assert code == ("import torch\nzeros_1 = torch.zeros(3, 4)\nif True:\n"
                    "    zeros_2 = torch.zeros(2)\n")
    compile(code, "<submission>", "exec")
    w, h = chat
    await say(h, "/dojo submit 1.1.1\n```python\nv_1_1_1\u00a0=\u00a01  # PASS\n```")
    assert await submissions(w) == [("1.1.1", "v_1_1_1 = 1  # PASS\n")]


def test_code_typed_on_a_phone_with_smart_quotes_is_read_as_typed() -> None:
    """iOS and Android turn '"' into '“'/'”' in a chat app; Python refused the
    code (invalid character '“' (U+201C)). Quotes a string holds on purpose,
    in code that compiles as it is, are kept."""
    from bot.chat.extract import extract_code

    phone = ("```python\nimport torch\nname = “zeros”\n"
             "x = torch.zeros(3, dtype=getattr(torch, ‘float32’))\n```")
    assert extract_code(phone).code == ("import torch\nname = \"zeros\"\n"
                                        "x = torch.zeros(3, dtype=getattr(torch, 'float32'))\n")
    kept = "```python\ngreeting = \"“hello”, she said\"\n```"
    assert extract_code(kept).code == "greeting = \"“hello”, she said\"\n"
    broken = "```python\nx = “a\ndef (:\n```"  # broken either way: left for the grader to say
    assert extract_code(broken).code == "x = “a\ndef (:\n"


async def test_hint_takes_yes_before_or_after_the_id(chat: tuple[World, ChatHandler]) -> None:
    """'/dojo hint yes 1.1.1' answered "No exercise 'yes'"."""
    _w, h = chat
    await say(h, "/dojo submit 1.1.1\n```python\nv_1_1_1 = 1  # FAIL\n```")
    await say(h, "/dojo hint 1.1.1")  # the cost offered first (walkthrough 14)
    assert "(hint 1 of" in await say(h, "/dojo hint yes 1.1.1")
    assert "Which exercise?" in await say(h, "/dojo hint yes")


@pytest.mark.parametrize("args", [["db", "upgrade"], ["console", "--script", "/dev/null"]],
                         ids=["db-upgrade", "console"])
def test_a_database_in_a_missing_folder_says_which_folder(
        args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite only says 'unable to open database file' (with SQLAlchemy's link to
    its error catalogue, and for the bots a traceback): the commands now name the
    folder that does not exist and how to make it, and exit 1."""
    from typer.testing import CliRunner

    from bot.cli import app

    folder = tmp_path / "not" / "there"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder}/dojo.sqlite3")
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 1, (out.output, repr(out.exception))
    assert f"the folder {folder} does not exist" in out.output
    assert f"mkdir -p {folder}" in out.output and "sqlalche.me" not in out.output
    assert not folder.exists()


def test_a_database_problem_is_one_sentence_without_the_drivers_prefix() -> None:
    from bot.core.storage import database_problem

    exc = Exception('(sqlalchemy.dialects.postgresql.asyncpg.Error) database "x" does not '
                    "exist\n(Background on this error at: https://sqlalche.me/e/21/dbapi)")
    assert database_problem("postgresql+asyncpg://u@h/x", exc) == 'database "x" does not exist'
