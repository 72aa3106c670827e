"""Findings of a newcomer walkthrough of the Discord adapter, each checked through
the real discord.py client against the local fake Discord (``fake_discord.py``),
the chat layer, the core, SQLite and the session's sandboxed grader:

* every form a text command takes is reachable as a slash command (``review ID``,
  bare ``remind`` and ``tz``, ``challenge open … for=90m``);
* a prompt verdict is the edit of "⏳ grading…" alone; only a late one pings;
* two private answers to one member both arrive in their DMs, once each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.adapters import discord as adapter

from .test_discord import block, fake_discord, open_world, ref

pytestmark = pytest.mark.asyncio(loop_scope="session")


def options_of(fake: Any, sub: str) -> dict[str, dict[str, Any]]:
    """The registered options of ``/dojo SUB``, by name."""
    sync = next(c for c in fake.calls if c.method == "PUT" and c.path.endswith("/commands"))
    (group,) = sync.json
    cmd = next(o for o in group["options"] if o["name"] == sub)
    return {o["name"]: o for o in cmd.get("options", [])}


async def test_every_text_form_is_reachable_as_a_slash_command(tmp_path: Path,
                                                               grader_client: Any) -> None:
    async with open_world(tmp_path, grader_client) as w:
        review = options_of(w.fake, "review")
        assert not review["exercise"].get("required") and review["exercise"]["autocomplete"]
        assert not options_of(w.fake, "remind")["state"].get("required")
        assert [c["value"] for c in options_of(w.fake, "remind")["state"]["choices"]] \
            == ["on", "off"]
        assert not options_of(w.fake, "tz")["zone"].get("required")
        challenge = options_of(w.fake, "challenge")
        assert "for" in challenge and "duration" not in challenge  # as docs and help say

        await w.day_one()
        await w.slash(w.channel, w.alice, "cohort", action="join")
        # review ID: that one exercise (here: not in the queue yet), not the whole queue
        cb = await w.slash(w.channel, w.alice, "review", exercise="1.1.1")
        assert "Your spaced reviews" not in cb.text and "1.1.1" in cb.text, cb.text
        cb = await w.slash(w.channel, w.alice, "review")
        assert "Your spaced reviews" in cb.text
        # bare remind shows, state switches
        cb = await w.slash(w.channel, w.alice, "remind")
        assert "reminders and review nudges are on" in cb.text, cb.text
        cb = await w.slash(w.channel, w.alice, "remind", state="off")
        assert "nudges off" in cb.text
        cb = await w.slash(w.channel, w.alice, "remind")
        assert "are off" in cb.text
        # bare tz shows the zone in use; a zone sets it; clear follows the cohort again
        cb = await w.slash(w.channel, w.alice, "tz")
        assert "follow the cohort's time zone, UTC" in cb.text, cb.text
        cb = await w.slash(w.channel, w.alice, "tz", zone="europe/berlin")
        assert "now follow Europe/Berlin" in cb.text
        cb = await w.slash(w.channel, w.alice, "tz")
        assert "follow Europe/Berlin (your own zone" in cb.text
        # challenge open … for:25m — the window has that length (its default is 10 min)
        cb = await w.slash(w.channel, w.coach, "challenge", action="open", exercise="6.1.1",
                           **{"for": "25m"})
        assert "Window for `6.1.1`" in cb.text and "closes Tue 01 Dec 09:30" in cb.text, cb.text


def pings(calls: list[Any], user: Any) -> list[Any]:
    return [c for c in calls if c.method == "POST" and c.path.endswith("/messages")
            and f"<@{user.id}>" in ((c.json or {}).get("content") or "")]


async def test_a_prompt_verdict_is_one_message_and_only_a_late_one_pings(
        tmp_path: Path, grader_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_world(tmp_path, grader_client) as w:
        posts = await w.day_one()
        # prompt: "⏳ grading…" edited with the verdict, and nothing more
        mark = w.fake.mark()
        await w.fake.post(w.channel, w.alice, block(ref("1.1.1")), reply_to=posts["1.1.1"])
        await w.call_after(mark, lambda c: c.method == "PATCH" and "passed" in c.text)
        # the same through the (public) form
        cb = await w.slash(w.channel, w.bob, "submit", exercise="1.1.2")
        await w.fake.submit_modal(w.channel, w.bob, cb.json["data"],
                                  {"Exercise id": "1.1.2", "Your code": ref("1.1.2")})
        await w.call_after(mark, lambda c: c.path.endswith("/messages/@original")
                           and "passed" in c.text)
        await w.fake.settle(0.5)
        assert pings(w.fake.since(mark), w.alice) == []
        assert pings(w.fake.since(mark), w.bob) == []
        bot_posts = [c for c in w.fake.since(mark) if c.method == "POST"
                     and c.path == f"/channels/{w.channel}/messages"]
        assert len(bot_posts) == 2, [c.text for c in bot_posts]  # the two "⏳ grading…"

        # late (its "⏳ grading…" older than LATE_VERDICT): pinged once, with the link
        monkeypatch.setattr(adapter, "LATE_VERDICT", adapter.timedelta(0))
        mark = w.fake.mark()
        await w.fake.post(w.channel, w.alice, block(ref("1.2.1")), reply_to=posts["1.2.1"])
        edit = await w.call_after(mark, lambda c: c.method == "PATCH" and "passed" in c.text)
        ping = await w.call_after(mark, lambda c: bool(pings([c], w.alice)))
        status_id = edit.path.rsplit("/", 1)[-1]
        assert ping.json["content"].endswith(f"/{w.channel}/{status_id}")
        assert [str(u) for u in ping.json["allowed_mentions"]["users"]] == [w.alice.id]
        await w.fake.settle(0.5)
        assert len(pings(w.fake.since(mark), w.alice)) == 1


async def test_two_private_answers_to_one_member_arrive_once_each(
        tmp_path: Path, grader_client: Any) -> None:
    """The fake answered 500 to a second message into the same DM channel: discord.py
    retried, and the member seemed to get nothing (or the same answer twice)."""
    async with open_world(tmp_path, grader_client) as w:
        await w.day_one()
        await w.slash(w.channel, w.alice, "cohort", action="join")
        for line in (f"<@{fake_discord.BOT_ID}> review", "/dojo remind"):
            mark = w.fake.mark()
            msg = await w.fake.post(w.channel, w.alice, line)
            await w.call_after(mark, lambda c, m=msg: c.path.endswith(
                f"/messages/{m['id']}/reactions/📬/@me"), timeout=15)
        await w.fake.settle(0.5)
        dms = [c for c in w.fake.calls if c.method == "POST" and c.path.startswith("/channels/")
               and c.path.split("/")[2] in w.fake.dm_of]
        assert [("spaced reviews" in c.text, "are on" in c.text) for c in dms] \
            == [(True, False), (False, True)], [c.text for c in dms]
        assert {w.fake.dm_of[c.path.split("/")[2]] for c in dms} == {w.alice.id}
        said = [c.text for c in w.fake.calls if c.method == "POST"
                and c.path == f"/channels/{w.channel}/messages"]
        assert not any("direct messages" in t for t in said), said
