"""Chat layer: command parsing, code extraction, safe output, and the handler's
replies to bad input (never a traceback)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from typing import Any

import pytest_asyncio

from bot.chat.extract import Attachment, extract_code
from bot.chat.handler import ChatHandler
from bot.chat.parser import Command, ParseError, parse
from bot.chat.safe import neutralize, safe_output
from bot.core.types import Role

from .conftest import World, msg
from .conftest import say as conftest_say

# ---- parser ----------------------------------------------------------------------------


def test_parse_verbs_subverbs_and_options() -> None:
    cmd = parse("/dojo challenge open 1.4.1 at=18:00 for=90m")
    assert isinstance(cmd, Command)
    assert (cmd.verb, cmd.sub, cmd.args, cmd.opts) == (
        "challenge", "open", ["1.4.1"], {"at": "18:00", "for": "90m"})
    assert parse("/dojo leaderboard").sub == "week"
    assert parse("/dojo lb all").sub == "all"
    assert parse("/dojo").verb == "help"
    assert parse("today").verb == "today"  # slash commands arrive without the prefix
    assert parse('/dojo cohort create "Torch Tuesday" tz=Europe/Berlin').args == ["Torch Tuesday"]


def test_typos_get_did_you_mean() -> None:
    err = parse("/dojo leaderbord")
    assert isinstance(err, ParseError) and err.suggestion == "/dojo leaderboard"
    err = parse("/dojo cohort jion")
    assert isinstance(err, ParseError) and err.suggestion == "/dojo cohort join"
    err = parse("/dojo xyzzy")
    assert isinstance(err, ParseError) and err.suggestion == "/dojo help"


def test_console_verbs_only_in_console() -> None:
    assert isinstance(parse("/dojo clock +1d"), ParseError)
    assert parse("/dojo clock +1d", console=True).verb == "clock"


def test_body_keeps_code_after_command_line() -> None:
    cmd = parse("/dojo submit 1.1.1 ```python\nx = 1\n```")
    assert cmd.args == ["1.1.1"] and "x = 1" in cmd.body


# ---- code extraction --------------------------------------------------------------------


def test_extract_blocks_with_and_without_language() -> None:
    assert extract_code("```python\nx = 1\n```").code == "x = 1\n"
    assert extract_code("look:\n```\ny = 2\n```\nthanks").code == "y = 2\n"
    both = extract_code("```py\na = 1\n```\ntext\n```python\nb = 2\n```")
    assert both.code == "a = 1\n\nb = 2\n" and both.source == "blocks"
    out = extract_code("```python\na = 1\n```\n```text\nTraceback...\n```")
    assert out.code == "a = 1\n"
    assert extract_code("```python\nno closing fence\n").code == "no closing fence\n"
    assert extract_code("```x = torch.zeros(3)```").code == "x = torch.zeros(3)\n"


def test_code_on_the_opening_fences_line_is_the_first_line_of_code() -> None:
    """Slack's composer sends a block as ```` ```import torch\nzeros_1 = …``` ````: the
    first line was read as a language tag and dropped (NameError: torch on line 1)."""
    slack = extract_code("```import torch\nzeros_1 = torch.zeros(3, 4)```")
    assert slack.code == "import torch\nzeros_1 = torch.zeros(3, 4)\n"
    assert extract_code("```x = 1\ny = 2\n```").code == "x = 1\ny = 2\n"
    assert extract_code("```pass\n```").code == "pass\n"  # a keyword is code, not a tag
    for tag in ("python", "py3", "{python}", "Python"):  # one word: a tag
        assert extract_code(f"```{tag}\nx = 1\n```").code == "x = 1\n", tag
    mixed = extract_code("```text\nout\n```\n```import torch\nx = 1\n```")
    assert mixed.code == "import torch\nx = 1\n"


def test_code_in_single_backticks_is_told_to_use_a_block() -> None:
    """Inline code in a drill's thread got no answer at all (not a block, not "code")."""
    from bot.chat.extract import looks_like_code

    assert looks_like_code("`zeros_1 = torch.zeros(3, 4)`")
    assert looks_like_code("`import torch`")
    assert not looks_like_code("`thanks!`") and not looks_like_code("use `x = 1` here")


def test_an_empty_code_block_is_called_empty() -> None:
    """Not "that looks like code, but I only grade code inside a code block"."""
    for text in ("```\n```", "```python\n\n```", "``````", "```  ```", "see:\n```\n\n```"):
        found = extract_code(text)
        assert found.code is None and found.problem == "your code block is empty", text
        assert "between the ``` fences" in (found.hint or "")


def test_extract_attachments_and_problems() -> None:
    ok = extract_code("", [Attachment("sol.py", b"\xef\xbb\xbfx = 1\n")])
    assert ok.code == "x = 1\n" and ok.source == "file"
    bad = extract_code("", [Attachment("sol.py", b"\xff\xfe\x00bad")])
    assert bad.code is None and "not UTF-8" in bad.problem
    big = extract_code("", [Attachment("sol.py", b"x = 1\n" * 200_000)])
    assert "limit is 64 KB" in big.problem
    huge = extract_code("```python\n" + "x = 1\n" * 200_000 + "```")
    assert "limit is 64 KB" in huge.problem
    img = extract_code("", [Attachment("shot.png", b"\x89PNG")])
    assert ".py" in img.problem
    assert extract_code("no code here").problem is None


# ---- safe output -------------------------------------------------------------------------


def test_learner_output_cannot_ping() -> None:
    text = "@everyone @here <@123> <@!42> <@&7> <!channel> <!here> <!subteam^S1> @Channel"
    safe = neutralize(text)
    for bad in ("@everyone", "@here", "<@1", "<@!", "<@&", "<!channel", "<!here", "<!sub",
                "@Channel"):
        assert bad not in safe
    assert "```" not in neutralize("```python\nx\n```")


def test_learner_output_is_truncated() -> None:
    out = safe_output("x" * 5000)
    assert len(out) < 900 and out.endswith("(truncated)")
    out = safe_output("\n".join(str(i) for i in range(100)))
    assert out.count("\n") <= 16
    assert "\x07" not in safe_output("bell\x07")


# ---- handler -------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def chat(db_url: str, tiny_curriculum: Any) -> AsyncIterator[tuple[World, ChatHandler]]:
    w = World(db_url, tiny_curriculum)
    yield w, ChatHandler(w.dojo)
    await w.close()


async def say(h: ChatHandler, *args: Any, **kw: Any) -> str:
    """What the member is told (conftest's ``say``), lower-cased for matching."""
    return (await conftest_say(h, *args, **kw)).lower()


async def test_handler_bad_input_gets_helpful_replies(chat: tuple[World, ChatHandler]) -> None:
    _w, h = chat
    assert "no cohort yet" in await say(h, "/dojo today")
    assert "only instructors" in await say(h, "/dojo cohort create X")
    assert "created" in await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    assert "found no code" in await say(h, "/dojo submit 1.1.1")
    reply = await say(h, "/dojo submit 1.1.9\n```python\nx = 1  # PASS\n```")
    assert "no exercise '1.1.9'" in reply and "did you mean 1.1.1, 1.1.2" in reply
    far = await say(h, "/dojo submit 7.7.7\n```python\nx = 1  # PASS\n```")
    assert "no exercise '7.7.7'" in far and "/dojo schedule show" in far, far
    assert "limit is 64 kb" in await say(h, "/dojo submit 1.1.1\n```\n" + "x=1\n" * 300_000
                                         + "```")
    assert "not utf-8" in await say(h, "/dojo submit 1.1.1", attachments=[
        Attachment("a.py", b"\xff\xfe\xfa")])
    assert "unknown time zone" in await say(h, "/dojo cohort join tz=Nowhere/City")
    assert "did you mean /dojo streak" in await say(h, "/dojo straek")
    assert await h.handle(msg("just chatting, no command")) == []


async def test_a_block_marked_as_another_language_is_not_graded(
        chat: tuple[World, ChatHandler]) -> None:
    """A learner's ```js block got "💥 SyntaxError on line 1", a hint offer and a review
    card for tomorrow: it is refused with what to send instead; a slip of the tag on
    code that reads as Python is still graded."""
    w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    reply = await say(h, "/dojo submit 1.1.1\n```js\nconst zeros_1 = torch.zeros(3, 4);\n```")
    assert "marked `js`" in reply and "```python" in reply, reply
    assert "grading" not in reply and "review" not in reply
    reply = await say(h, "/dojo submit 1.1.1\n```javascript\nx = 1  # PASS\n```")
    assert "passed" in reply, reply
    assert (await w.dojo.review(w.actor("ann"))).cards == 0  # the js block left no card
    for tag in ("python", "py", "", "text", "pytorch"):  # never refused for its tag
        assert extract_code(f"```{tag}\nconst x = 1;\n```").code == "const x = 1;\n", tag


async def test_today_tells_who_is_not_a_member_how_to_join(
        chat: tuple[World, ChatHandler]) -> None:
    """/dojo today showed "📅 sam's day 1" with the items as a member's after
    /dojo cohort leave, and before joining said nothing of /dojo cohort join."""
    w, h = chat  # Mon 02 Mar 08:00 UTC: day 1 posts at 09:00
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    before = await say(h, "/dojo today", "sam")
    assert "starts on mon 02 mar" in before and "/dojo cohort join" in before, before
    w.clock.advance(timedelta(hours=2))
    before = await say(h, "/dojo today", "sam")
    assert "/dojo cohort join" in before and "sam's day" not in before, before
    await say(h, "/dojo cohort join", "sam")
    joined = await say(h, "/dojo today", "sam")
    assert "sam's day 1" in joined and "not a member" not in joined, joined
    await say(h, "/dojo cohort leave", "sam")
    left = await say(h, "/dojo today", "sam")
    assert "sam's day" not in left and "day 1 in torch" in left, left
    assert "/dojo cohort join" in left


async def test_handler_submit_flow_and_safe_result(chat: tuple[World, ChatHandler]) -> None:
    _w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    reply = await say(h, "/dojo submit 1.1.1\n```python\nx = 2  # FAIL\n```")
    assert "welcome" in reply and "not yet 3/10" in reply and "grading…" in reply
    assert "@everyone" not in reply and "<@123>" not in reply and "@here" not in reply
    reply = await say(h, "/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```")
    assert "passed" in reply and "+10 points" in reply and "streak 1" in reply
    assert "already passed" in await say(h, "/dojo submit 1.1.1 ```python\nx = 1  # PASS\n```")
    lb = await say(h, "/dojo leaderboard all image")
    assert "ann" in lb and "10" in lb
    replies = await h.handle(msg("/dojo leaderboard all image"))
    assert replies[0].images and replies[0].images[0].data[:4] == b"\x89PNG"
    replies = await h.handle(msg("/dojo progress"))
    assert replies[0].images[0].data[:4] == b"\x89PNG"
    replies = await h.handle(msg("/dojo export", "coach", Role.instructor))
    assert replies[0].files[0].data.startswith(b"submission,")


async def test_reply_to_a_drill_post_submits_for_it(chat: tuple[World, ChatHandler]) -> None:
    w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    w.clock.advance(__import__("datetime").timedelta(hours=2))  # past 09:00: day 1 posted
    await w.planner.dispatch_due(w.outbox)
    # ListOutbox ids: one per item, 1.1.1 → m1, 1.1.2 → m2
    reply = await say(h, "```python\nx = 1  # PASS\n```", reply_to="m2")
    assert "`1.1.2`" in reply and "passed" in reply
    # no id and no reply: guessed from the names the code defines
    reply = await say(h, "/dojo submit\n```python\nv_1_1_1 = 1  # PASS\n```", "bob")
    assert "`1.1.1`" in reply


async def test_verdicts_reach_the_member_through_the_notices_once(
    chat: tuple[World, ChatHandler],
) -> None:
    """The grading sweep grades what is queued; the verdict is a notice that the
    delivery path hands to the outbox exactly once, with the status message it
    must edit."""
    from bot.core.types import GradedNotice, ListOutbox, StatusRef
    from bot.scheduler import BotScheduler

    w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    w.grader.down = True
    replies = await h.handle(msg("/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```"))
    status = next(r for r in replies if r.status_of is not None)
    await h.status_posted(status, StatusRef("c1", "m7"))
    await w.dojo.dispatcher.settle()
    w.grader.down = False
    w.clock.advance(__import__("datetime").timedelta(minutes=10))
    sched = BotScheduler(w.dojo, w.outbox)
    await sched.run_grading()
    await w.dojo.dispatcher.settle()
    outbox = ListOutbox()
    assert await w.dojo.notices.deliver_pending("test", outbox) == 2  # delay, then verdict
    assert await w.dojo.notices.deliver_pending("test", outbox) == 0  # never twice
    graded = [e for e in outbox.events if isinstance(e, GradedNotice)]
    assert len(graded) == 1 and graded[0].points == 10 and graded[0].user_id == "ann"
    assert graded[0].status == StatusRef("c1", "m7") and graded[0].delayed


async def test_a_chat_delivers_members_side_by_side_and_each_member_in_order(
    chat: tuple[World, ChatHandler],
) -> None:
    """The delivery loop of a chat adapter overlaps members' API round trips;
    one member's notices (a delay, then the verdict) stay in order, each is
    delivered once, and one that fails is tried again later, not dropped."""
    import asyncio

    from bot.core.types import DelayNotice, GradedNotice, StatusRef

    w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    w.grader.down = True  # ann's first try is delayed: she gets a delay notice, then a verdict
    replies = await h.handle(msg("/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```"))
    await h.status_posted(next(r for r in replies if r.status_of), StatusRef("c1", "m-ann"))
    await w.dojo.dispatcher.settle()
    w.grader.down = False
    for user in ("bob", "cy", "dee", "eve"):
        replies = await h.handle(msg("/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```",
                                     user))
        await h.status_posted(next(r for r in replies if r.status_of),
                              StatusRef("c1", f"m-{user}"))
    await w.dojo.dispatcher.settle(force=True)

    class SlowOutbox:
        def __init__(self) -> None:
            self.log: list[tuple[str, str, str]] = []  # (start|end, user, kind)
            self.running = self.most = 0
            self.fail_once = {"dee"}

        async def deliver(self, event: Any) -> list[str]:
            kind = type(event).__name__
            self.running += 1
            self.most = max(self.most, self.running)
            self.log.append(("start", event.user_id, kind))
            try:
                await asyncio.sleep(0.05)
                if event.user_id in self.fail_once:
                    self.fail_once.discard(event.user_id)
                    raise RuntimeError("the chat API said no")
            finally:
                self.running -= 1
            self.log.append(("end", event.user_id, kind))
            return []

    outbox = SlowOutbox()
    assert await w.dojo.notices.deliver_pending("test", outbox, at_once=8) == 5
    assert outbox.most > 1  # side by side
    ann = [(step, kind) for step, user, kind in outbox.log if user == "ann"]
    assert ann == [("start", DelayNotice.__name__), ("end", DelayNotice.__name__),
                   ("start", GradedNotice.__name__), ("end", GradedNotice.__name__)]
    assert await w.dojo.notices.deliver_pending("test", outbox, at_once=8) == 0  # once
    w.clock.advance(__import__("datetime").timedelta(minutes=1))  # dee's retry is due
    assert await w.dojo.notices.deliver_pending("test", outbox, at_once=8) == 1
    ends = [user for step, user, _ in outbox.log if step == "end"]
    assert sorted(ends) == ["ann", "ann", "bob", "cy", "dee", "eve"]
    assert await w.dojo.notices.undelivered() == 0


async def test_a_slow_delivery_holds_up_neither_others_nor_its_order(
    chat: tuple[World, ChatHandler],
) -> None:
    """Delivery rounds overlap: while one member's edit hangs, another member's
    verdict written meanwhile goes out in a round of its own; the hanging
    member's own verdict waits for their older notice (a delay), never
    overtakes it."""
    import asyncio
    import time

    from bot.core.types import DelayNotice, GradedNotice, StatusRef

    w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)

    async def submit(user: str) -> None:
        replies = await h.handle(msg("/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```",
                                     user))
        await h.status_posted(next(r for r in replies if r.status_of),
                              StatusRef("c1", f"m-{user}"))

    w.grader.down = True
    await submit("ann")  # a delay notice for ann first
    await w.dojo.dispatcher.settle()
    w.grader.down = False

    release = asyncio.Event()
    log: list[tuple[str, str, str]] = []

    class Outbox:
        async def deliver(self, event: Any) -> list[str]:
            kind = type(event).__name__
            log.append(("start", event.user_id, kind))
            if event.user_id == "ann" and kind == DelayNotice.__name__:
                await release.wait()  # the chat API hangs on ann's edit
            log.append(("end", event.user_id, kind))
            return []

    async def until(cond: Any) -> None:
        deadline = time.monotonic() + 10
        while not cond():
            assert time.monotonic() < deadline, log
            await asyncio.sleep(0.01)

    loop_task = asyncio.create_task(w.dojo.notices.run("test", Outbox(), poll_s=0.05, rounds=3))
    try:
        await until(lambda: ("start", "ann", DelayNotice.__name__) in log)
        await w.dojo.dispatcher.settle(force=True)  # ann's verdict is written …
        await submit("bob")
        await w.dojo.dispatcher.settle()  # … and bob's
        await until(lambda: ("end", "bob", GradedNotice.__name__) in log)
        assert ("start", "ann", GradedNotice.__name__) not in log  # waits for ann's delay
        release.set()
        await until(lambda: ("end", "ann", GradedNotice.__name__) in log)
        ann = [(step, kind) for step, user, kind in log if user == "ann"]
        assert ann == [("start", DelayNotice.__name__), ("end", DelayNotice.__name__),
                       ("start", GradedNotice.__name__), ("end", GradedNotice.__name__)]
        await asyncio.sleep(0.2)
        assert await w.dojo.notices.undelivered() == 0
        assert len(log) == 6  # each once
    finally:
        loop_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop_task


def test_every_event_renders() -> None:
    from datetime import UTC, date, datetime

    from bot.chat import render
    from bot.core.types import (
        BoardRow,
        ChallengeClosed,
        ChallengeOpened,
        CouldNotGradeNotice,
        DayPost,
        DelayNotice,
        ExerciseItem,
        StreakReminder,
        Target,
        WeeklyBoard,
    )

    t = Target("test", "c1", 1, "Torch <@everyone>", "Europe/Berlin")
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    drill = ExerciseItem("1.1.1", "Zeros", "drill", 10, "Bind zeros_1.")
    chal = ExerciseItem("1.4.1", "Speed", "challenge", 30, "Secret prompt", 60)
    rows = [BoardRow(1, "u1", "@here Ann", 40, at), BoardRow(2, "u2", "Bob", 30, at)]
    events = [
        DayPost(t, 3, 1, date(2026, 3, 4), [drill, chal]),
        ChallengeOpened(t, 1, chal, at, at),
        ChallengeClosed(t, 1, chal, rows, rows),
        ChallengeClosed(t, 2, chal, [], []),
        WeeklyBoard(t, 1, rows),
        StreakReminder(t, "u1", "Ann", 5, 3.5),
        DelayNotice(t, "u1", 7, "1.1.1", "grader unreachable"),
        CouldNotGradeNotice(t, "u1", 8, "9.9.9", "the grader does not know this exercise"),
    ]
    texts = ["\n".join(r.as_text() for r in render.event(ev)) for ev in events]
    assert "Secret prompt" not in texts[0]  # a challenge in a day post hides its prompt
    assert "<@everyone>" not in texts[0]
    assert "challenge start 1.4.1" in texts[0]
    assert [r.exercise_id for r in render.event(events[0])] == [None, "1.1.1", "1.4.1"]
    assert "@here" not in texts[2] and "Nobody passed" in texts[3]
    assert "5-day streak" in texts[5] and "safely queued" in texts[6]
    assert "could not be graded" in texts[7]


async def test_cohort_create_without_a_name_is_a_usage_error(
    chat: tuple[World, ChatHandler],
) -> None:
    """A cohort's name is permanent (no rename verb): none is made up."""
    _w, h = chat
    for line in ("/dojo cohort create", "/dojo cohort create tz=UTC", '/dojo cohort create ""'):
        reply = await say(h, line, "coach", Role.instructor)
        assert "needs a name" in reply and "/dojo cohort create name [tz=" in reply
        assert "created" not in reply
    assert "no cohort yet" in await say(h, "/dojo cohort info")
    assert "created" in await say(h, "/dojo cohort create Torch", "coach", Role.instructor)


async def test_bare_tz_shows_the_zone_and_never_clears_it(
    chat: tuple[World, ChatHandler],
) -> None:
    _w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    assert "cohort's time zone, utc" in await say(h, "/dojo tz")
    assert "now follow asia/tokyo" in await say(h, "/dojo tz Asia/Tokyo")
    reply = await say(h, "/dojo tz")
    assert "follow asia/tokyo (your own zone; the cohort's is utc)" in reply
    assert "/dojo tz clear" in reply and "/dojo tz zone" in reply
    assert "ann (asia/tokyo)" in await say(h, "/dojo cohort info")  # still set
    assert "now follow utc" in await say(h, "/dojo tz clear")
    assert "cohort's time zone, utc" in await say(h, "/dojo tz")


async def test_challenge_open_refuses_windows_already_over_and_zero_lengths(
    chat: tuple[World, ChatHandler],
) -> None:
    _w, h = chat  # now: Mon 02 Mar 08:00 UTC; 1.4.1 has a 60-minute limit
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)

    async def coach(line: str) -> str:
        return await say(h, line, "coach", Role.instructor)

    for line in ("/dojo challenge open 1.4.1 at=2026-03-01T10:00",
                 "/dojo challenge open 1.4.1 at=2026-03-02T07:00 for=30m",
                 "/dojo challenge open 1.4.1 at=2026-03-02T07:00 for=60m"):
        reply = await coach(line)
        assert "already be over" in reply and "opens" not in reply, line
    for dur in ("0m", "0", "0h", "0h0m"):
        reply = await coach(f"/dojo challenge open 1.4.1 for={dur}")
        assert "longer than zero minutes" in reply and "opens" not in reply, dur
    assert "no window yet" in await coach("/dojo challenge status 1.4.1")
    # a start in the past whose window has time left opens now, as before
    reply = await coach("/dojo challenge open 1.4.1 at=2026-03-02T07:30 for=60m")
    assert "opens now, closes mon 02 mar 08:30" in reply


async def test_show_of_a_challenge_the_cohort_has_a_window_for_says_when_it_opens(
    chat: tuple[World, ChatHandler],
) -> None:
    """A dead end: /dojo show said "start your timer with /dojo challenge start", which
    then refused: "timed for the whole cohort: its window opens …"."""
    _w, h = chat  # now: Mon 02 Mar 2026 08:00 UTC
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    await say(h, "/dojo cohort join")
    shown = await say(h, "/dojo show 1.4.1")
    assert "/dojo challenge start 1.4.1" in shown  # no window: a timer of one's own
    await say(h, "/dojo challenge open 1.4.1 at=10:00 for=30m", "coach", Role.instructor)
    shown = await say(h, "/dojo show 1.4.1")
    assert "window opens, mon 02 mar 10:00 (utc)" in shown, shown
    assert "challenge start" not in shown
    button = await h.prompt(msg("/dojo show 1.4.1"), "1.4.1")  # the "Full prompt" button
    assert "Mon 02 Mar 10:00 (UTC)" in button.text and button.private


async def test_a_window_across_a_clock_change_lasts_what_was_asked(
    chat: tuple[World, ChatHandler],
) -> None:
    """A wall time plus 60 minutes was wall-clock arithmetic: 02:30 on the night clocks
    go forward was a window of 0 minutes, 01:30 on the night they go back one of 2 hours."""
    w, h = chat  # now: Mon 02 Mar 2026 08:00 UTC
    await say(h, "/dojo cohort create Torch tz=America/Los_Angeles", "coach", Role.instructor)
    for at in ("2026-03-08T02:30", "2026-11-01T01:30"):  # skipped, then repeated
        reply = await say(h, f"/dojo challenge open 1.4.1 at={at} for=60m", "coach",
                          Role.instructor)
        assert "opens" in reply, reply
    windows = sorted(await w.dojo.challenges.open_windows(w.clock.now()),
                     key=lambda v: v.opens_at)
    assert [v.closes_at - v.opens_at for v in windows] == [timedelta(minutes=60)] * 2
    # the skipped 02:30 PST is 03:30 PDT (10:30 UTC); the repeated 01:30 its first (PDT)
    assert [v.opens_at.astimezone(UTC).strftime("%m-%d %H:%M") for v in windows] == [
        "03-08 10:30", "11-01 08:30"]


async def test_attachment_problems_keep_the_file_name_as_given(
    chat: tuple[World, ChatHandler],
) -> None:
    _w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    cases = [("latin1.py", "caf\xe9 = 1\n".encode("latin-1"), "latin1.py is not UTF-8 text"),
             ("empty.py", b"  \n", "empty.py is empty"),
             ("big.py", b"x = 1\n" * 200_000, "big.py is 1172 KB; the limit is 64 KB")]
    for name, data, expected in cases:
        replies = await h.handle(msg("/dojo submit 1.1.1", attachments=[Attachment(name, data)]))
        assert replies[0].text.startswith(expected), replies[0].text
    from bot.chat.replies import sentence  # a sentence starting with a plain word

    assert sentence("unknown time zone 'X'") == "Unknown time zone 'X'"
    assert sentence("you're not in this cohort") == "You're not in this cohort"


async def test_joining_again_after_leaving_says_welcome_back(
        chat: tuple[World, ChatHandler]) -> None:
    _w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    first = await say(h, "/dojo cohort join")
    assert "welcome to torch, ann!" in first and "back" not in first
    await say(h, "/dojo submit 1.1.1\n```python\nx = 1  # PASS\n```")
    assert "you left torch" in await say(h, "/dojo cohort leave")
    again = await say(h, "/dojo cohort join")
    assert "welcome back to torch, ann!" in again and "as you left them" in again
    assert "ann" in await say(h, "/dojo leaderboard all") and "10" in await say(
        h, "/dojo leaderboard all")
    assert "already in torch" in await say(h, "/dojo cohort join")


def test_output_pasted_after_the_code_is_left_out():
    """Code, then what it printed in an untagged block: joined, the submission was a
    syntax error on the traceback's first line. The output block is left out when the
    code parses without it; code split over blocks, and broken code, are kept whole."""
    from bot.chat.extract import extract_code

    code = "import torch\nzeros_1 = torch.zeros(3, 4)"
    traceback = ("Traceback (most recent call last):\n  File \"<stdin>\", line 1\n"
                 "NameError: name 'torch' is not defined")
    got = extract_code(f"```python\n{code}\n```\nI get:\n```\n{traceback}\n```")
    assert got.code == code + "\n"
    printed = "zeros_1 is\ntensor([[0., 0., 0., 0.],\n        [0., 0., 0., 0.]])"
    got = extract_code(f"```\n{code}\n```\n```\n{printed}\n```")
    assert got.code == code + "\n"
    # split over blocks: kept whole
    split = extract_code("```\ndef f(x):\n```\n```\n    return x\n```")
    assert split.code == "def f(x):\n\n    return x\n"
    # broken code stays as sent (the grader shows where)
    broken = extract_code(f"```\nzeros_1 = torch.zeros(3, 4\n```\n```\n{traceback}\n```")
    assert "Traceback" in broken.code and "zeros(3, 4" in broken.code
    # two blocks of code are both kept
    both = extract_code("```\nimport torch\n```\n```\nones_1 = torch.ones(2)\n```")
    assert both.code == "import torch\n\nones_1 = torch.ones(2)\n"


async def test_challenge_status_keeps_who_passed_for_the_close(
        chat: tuple[World, ChatHandler]) -> None:
    """While the cohort's window is open, /dojo challenge status listed who passed and in
    what time for everyone to read; the cohort sees the results when the window closes."""
    w, h = chat
    await say(h, "/dojo cohort create Torch tz=UTC", "coach", Role.instructor)
    await say(h, "/dojo challenge open 1.4.1 for=60m", "coach", Role.instructor)
    w.clock.advance(timedelta(minutes=10))
    await say(h, "/dojo submit 1.4.1\n```python\nv_1_4_1 = 1  # PASS\n```", "ann")
    during = await say(h, "/dojo challenge status 1.4.1", "bob")
    assert "1 passed so far" in during and "ann" not in during, during
    w.clock.advance(timedelta(hours=1))
    after = await say(h, "/dojo challenge status 1.4.1", "bob")
    assert "ann" in after and "passed so far" not in after, after
