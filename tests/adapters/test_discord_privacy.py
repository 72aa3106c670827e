"""Who sees what on Discord, and what the bot does with messages it used to ignore,
each checked through the real discord.py client against the local fake Discord
(``fake_discord.py``, which models Discord's rule that a deferral fixes who sees its
first follow-up), the chat layer, the core, SQLite and the session's grader:

* a slow private answer (a sign-in link, an export, one's status) is deferred
  privately ("thinking…" only the asker sees), not publicly then "made" ephemeral;
* a long paste Discord turned into ``message.txt`` is read as the message's text;
* a direct message to the bot gets a pointer to where code goes;
* a refusal of a typed command about one's own data goes to DMs, as its answer would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.adapters import discord as adapter
from bot.chat.replies import Reply

from .test_discord import World, block, open_world, ref, submissions

pytestmark = pytest.mark.asyncio(loop_scope="session")

ERROR_COLOR = adapter.COLORS["error"]


def slowed(w: World, monkeypatch: pytest.MonkeyPatch, answer: Any = None) -> None:
    """Every handling takes longer than the bot waits before deferring (a busy
    database); ``answer``: replies to give instead of the handler's."""
    monkeypatch.setattr(adapter, "QUICK_ANSWER_S", 0.05)
    real = w.bot.handler.handle

    async def slow(msg: Any) -> list[Reply]:
        await asyncio.sleep(0.3)
        return list(answer) if answer is not None else await real(msg)

    monkeypatch.setattr(w.bot.handler, "handle", slow)


async def run_slash(w: World, user: Any, sub: str, **opts: Any) -> tuple[Any, list[Any]]:
    """``/dojo SUB``: its callback and every call the bot made for it."""
    mark = w.fake.mark()
    payload = await w.fake.slash(w.channel, user, sub, **opts)
    cb = await w.call_after(mark, lambda c: c.path.startswith(
        f"/interactions/{payload['id']}/"))
    await w.call_after(mark, lambda c: c.method in ("POST", "PATCH", "DELETE")
                       and c is not cb and c.path != f"/channels/{w.channel}/typing")
    await w.fake.settle(0.4)
    return cb, [c for c in w.fake.since(mark) if c.method in ("POST", "PATCH", "DELETE")]


def seen_by_all(calls: list[Any], w: World) -> list[str]:
    """The texts of messages everybody in the channel sees (not ephemeral, not a DM)."""
    return [c.text for c in calls if c.shown_flags is not None and not c.ephemeral
            and c.path.split("/")[2] not in w.fake.dm_of]


async def test_a_slow_private_answer_is_deferred_privately(
        tmp_path: Path, grader_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit's ``d_slow_private``: a 2 s handler deferred "thinking…" publicly, so the
    sign-in link, the cohort's CSV or a member's status — sent as an ephemeral follow-up,
    a flag Discord ignores on a deferral's first follow-up — was shown to everyone."""
    async with open_world(tmp_path, grader_client) as w:
        await w.day_one()
        await w.slash(w.channel, w.alice, "cohort", action="join")
        slowed(w, monkeypatch)
        for user, sub, opts, says in [(w.coach, "dashboard", {}, "dashboard"),
                                      (w.alice, "status", {}, "no submissions"),
                                      (w.coach, "export", {}, "exported"),
                                      (w.alice, "hint", {"exercise": "1.1.1"}, "1.1.1")]:
            cb, calls = await run_slash(w, user, sub, **opts)
            assert cb.json["type"] == 5 and cb.ephemeral, (sub, cb.json)
            answer = [c for c in calls if c.path.startswith("/webhooks/")]
            assert answer and all(c.ephemeral for c in answer), (sub, [c.json for c in calls])
            assert says in " ".join(c.text for c in answer).lower(), (sub, answer[0].text)
            assert seen_by_all(calls, w) == [], (sub, seen_by_all(calls, w))

        # a public answer is deferred publicly, and stays one message
        cb, calls = await run_slash(w, w.alice, "today")
        assert cb.json["type"] == 5 and not cb.ephemeral
        (answer,) = [c for c in calls if c.path.startswith("/webhooks/")]
        assert "day 1" in answer.text.lower() and not answer.ephemeral


async def test_a_deferral_keeps_each_reply_to_whom_it_is_for(
        tmp_path: Path, grader_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a private deferral a public reply is never its first follow-up (a channel
    message instead; a deferral left unanswered goes); after a public one a refusal is
    still private."""
    async with open_world(tmp_path, grader_client) as w:
        await w.day_one()
        slowed(w, monkeypatch, [Reply(text="just for you", private=True),
                                Reply(text="for everyone")])
        cb, calls = await run_slash(w, w.alice, "status")
        assert cb.ephemeral
        assert seen_by_all(calls, w) == ["for everyone"], [c.text for c in calls]
        mine = next(c for c in calls if "just for you" in c.text)
        assert mine.ephemeral  # and then "for everyone" a follow-up of its own

        slowed(w, monkeypatch, [Reply(text="for everyone")])
        cb, calls = await run_slash(w, w.alice, "status")
        assert seen_by_all(calls, w) == ["for everyone"], [c.text for c in calls]
        public = next(c for c in calls if "for everyone" in c.text)
        assert public.path == f"/channels/{w.channel}/messages"
        assert any(c.method == "DELETE" and c.path.endswith("/messages/@original")
                   for c in calls), "the private “thinking…” was left behind"

        slowed(w, monkeypatch, [Reply(text="refused", private=True, level="error")])
        cb, calls = await run_slash(w, w.alice, "today")
        assert not cb.ephemeral
        refused = [c for c in calls if "refused" in c.text]
        assert refused and all(c.ephemeral for c in refused), [c.json for c in calls]
        assert not any("refused" in t for t in seen_by_all(calls, w))


async def test_answers_privately_says_what_the_replies_are(
        tmp_path: Path, grader_client: Any) -> None:
    """The deferral is decided by ``ChatHandler.answers_privately`` before handling; it
    must agree with the privacy of the answers the verbs then give."""
    async with open_world(tmp_path, grader_client) as w:
        posts = await w.day_one()
        await w.slash(w.channel, w.alice, "cohort", action="join")
        mark = w.fake.mark()
        await w.fake.post(posts["1.1.1"], w.alice, block("import torch\nzeros_1 = 1"))
        await w.call_after(mark, lambda c: c.method == "PATCH" and "grading" not in c.text)
        cases: list[tuple[Any, str, dict[str, Any]]] = [
            (w.alice, "help", {}), (w.alice, "help", {"topic": "streak"}),
            (w.alice, "today", {}), (w.alice, "show", {"exercise": "1.1.2"}),
            (w.alice, "challenge", {"action": "start", "exercise": "6.1.1"}),
            (w.alice, "show", {"exercise": "6.1.1"}), (w.alice, "status", {}),
            (w.alice, "streak", {}), (w.alice, "leaderboard", {}),
            (w.alice, "review", {}), (w.alice, "review", {"exercise": "1.1.1"}),
            (w.alice, "hint", {"exercise": "1.1.1"}), (w.alice, "remind", {}),
            (w.alice, "tz", {}), (w.alice, "challenge", {}), (w.alice, "cohort", {}),
            (w.alice, "schedule", {}), (w.coach, "export", {})]
        for user, sub, opts in cases:
            words = [str(v) for v in opts.values()]
            if sub == "challenge" and opts:
                words = [opts["action"], opts["exercise"]]
            line = " ".join(["/dojo", sub, *words])
            cb = await w.slash(w.channel, user, sub, **opts)
            colors = [e.get("color") for e in cb.embeds]
            assert ERROR_COLOR not in colors, (line, cb.text)  # a refusal is always private
            assert cb.ephemeral == w.bot.handler.answers_privately(line), line


async def test_a_long_paste_made_into_a_file_is_read_as_its_text(
        tmp_path: Path, grader_client: Any) -> None:
    """The audit's ``d_bad`` "message.txt (long paste) in thread": Discord sends a message
    too long for one as ``message.txt``; the bot skipped every file but .py and said
    nothing, though it held a correct solution."""
    async with open_world(tmp_path, grader_client) as w:
        posts = await w.day_one()
        await w.slash(w.channel, w.alice, "cohort", action="join")

        async def told(where: str, files: dict[str, bytes], says: str) -> None:
            mark = w.fake.mark()
            await w.fake.post(where, w.alice, "", files=files)
            await w.call_after(mark, lambda c: c.method in ("POST", "PATCH")
                               and says in c.text, timeout=60)

        # plain code, or a code block among words, pasted in the drill's thread: graded
        await told(posts["1.1.1"], {"message.txt": ref("1.1.1").encode()}, "passed")
        await told(posts["1.1.2"], {"message.txt": ("my answer:\n" + block(ref("1.1.2"))
                                                    + "\nthanks").encode()}, "passed")
        # the whole message, command and all, pasted in the channel: the command
        day = list(posts)
        await told(w.channel, {"message.txt": (f"/dojo submit {day[2]}\n"
                                               + block(ref(day[2]))).encode()}, "passed")
        # refused as a .py is: not UTF-8, too large; another kind of file is told so
        await told(posts["1.1.1"], {"message.txt": "# café\nzeros_1 = 1\n".encode("latin-1")},
                   "not UTF-8")
        await told(posts["1.1.1"], {"message.txt": b"x = 1\n" * 20000}, "the limit is")
        await told(posts["1.1.1"], {"answer.ipynb": b"{}"}, "only read .py attachments")
        # a screenshot, or a long question pasted in the thread, is conversation
        before = await submissions(w)
        mark = w.fake.mark()
        await w.fake.post(posts["1.1.1"], w.alice, "", files={"screen.png": b"\x89PNG\r\n"})
        await w.fake.post(posts["1.1.1"], w.alice, "", files={
            "message.txt": ("Why does my loss go up after epoch 3? " * 80).encode()})
        await w.fake.settle(0.5)
        assert [c.text for c in w.fake.since(mark) if c.method in ("POST", "PATCH")] == []
        assert await submissions(w) == before


async def test_a_direct_message_gets_a_pointer_to_the_cohort_channel(
        tmp_path: Path, grader_client: Any) -> None:
    """Code sent to the bot directly was ignored: the bot did not even ask Discord for
    direct messages. Now it is told where code goes; nothing is graded from a DM."""
    async with open_world(tmp_path, grader_client) as w:
        await w.day_one()
        for text in (block(ref("1.1.1")), "/dojo help"):
            mark = w.fake.mark()
            sent = await w.fake.dm(w.alice, text)
            assert sent is not None, "the bot does not receive direct messages"
            told = await w.call_after(mark, lambda c, s=sent: c.method == "POST"
                                      and c.path == f"/channels/{s['channel_id']}/messages")
            assert "/dojo submit ID" in told.text and "thread" in told.text, told.text
        await w.fake.settle(0.3)
        assert await submissions(w) == 0


async def test_a_typed_refusal_about_ones_own_data_goes_to_direct_messages(
        tmp_path: Path, grader_client: Any) -> None:
    """The audit's ``d_newcomer`` "text '/dojo hint 1.1.1'": after passing, the refusal
    "your latest attempt of 1.1.1 passed — no hint needed" was posted in the channel;
    every refusal was, as refusals are private errors. A refusal of a command about the
    member's own data now goes to their DMs as its answer would; a mistyped command is
    still answered where it was typed."""
    async with open_world(tmp_path, grader_client) as w:
        posts = await w.day_one()
        await w.slash(w.channel, w.alice, "cohort", action="join")
        mark = w.fake.mark()
        await w.fake.post(posts["1.1.1"], w.alice, block(ref("1.1.1")))
        await w.call_after(mark, lambda c: c.method == "PATCH" and "passed" in c.text)

        def in_channel(c: Any) -> bool:
            return c.method == "POST" and c.path == f"/channels/{w.channel}/messages"

        mark = w.fake.mark()
        typed = await w.fake.post(w.channel, w.alice, "/dojo hint 1.1.1")
        dm = await w.call_after(mark, lambda c: c.method == "POST" and "hint" in c.text.lower()
                                and c.path.split("/")[2] in w.fake.dm_of)
        assert "passed" in dm.text, dm.text
        await w.call_after(mark, lambda c: c.path.endswith(
            f"/messages/{typed['id']}/reactions/📬/@me"))
        await w.fake.settle(0.3)
        assert [c.text for c in w.fake.since(mark) if in_channel(c)] == []

        # DMs closed: the channel is told to use the slash command, never the answer
        w.fake.dms_closed.add(w.alice.id)
        mark = w.fake.mark()
        await w.fake.post(w.channel, w.alice, "/dojo status #99")
        told = await w.call_after(mark, in_channel)
        assert "slash command" in told.text and "#99" not in told.text, told.text

        # a mistyped command is answered where it was typed
        mark = w.fake.mark()
        await w.fake.post(w.channel, w.alice, "/dojo streak bob")
        told = await w.call_after(mark, in_channel)
        assert "bob" in told.text, told.text

