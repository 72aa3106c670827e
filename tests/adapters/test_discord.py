"""The Discord adapter end to end: the real discord.py client against a local fake
Discord (REST + gateway, ``fake_discord.py``), through the chat layer, the core,
a SQLite database and the in-process sandboxed grader (the session pool).

Assertions are on the REST calls the bot makes: messages, interaction
callbacks, embeds, edits, uploaded files, thread creation, allowed mentions.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio

from bot.adapters.discord import (
    DESC_MAX,
    EMBED_TOTAL_MAX,
    DojoDiscord,
    configure_endpoints,
    reply_embed,
)
from bot.chat.replies import Reply, Table
from bot.config import load_settings
from bot.core.clock import ManualClock
from bot.grader_client import GraderUnavailable
from bot.runtime import Runtime

_spec = importlib.util.spec_from_file_location(
    "fake_discord", Path(__file__).with_name("fake_discord.py"))
assert _spec is not None and _spec.loader is not None
fake_discord = importlib.util.module_from_spec(_spec)
sys.modules["fake_discord"] = fake_discord
_spec.loader.exec_module(fake_discord)
FakeDiscord, User, Call = fake_discord.FakeDiscord, fake_discord.User, fake_discord.Call
BOT_ID = fake_discord.BOT_ID

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)  # day 1 of the cohort, after the 09:00 post
MANAGE_GUILD = 1 << 5


def ref(ex_id: str) -> str:
    week = ex_id.split(".")[0]
    return (ROOT / f"curriculum/week{week}/{ex_id}.ref.py").read_text()


def block(code: str) -> str:
    return f"```python\n{code}\n```"


@dataclass
class World:
    fake: Any
    bot: DojoDiscord
    rt: Runtime
    grader: Any
    clock: ManualClock
    channel: str  # guild A's cohort channel
    other_channel: str  # guild A, no cohort
    channel_b: str  # guild B
    coach: Any
    alice: Any
    mallory: Any
    bob: Any

    async def call_after(self, mark: int, pred: Any, timeout: float = 30.0) -> Any:
        return await self.fake.wait_for(pred, after=mark, timeout=timeout)

    async def slash(self, channel: str, user: Any, sub: str, **opts: Any) -> Any:
        """Run ``/dojo SUB`` and return the first callback the bot answers with."""
        mark = self.fake.mark()
        payload = await self.fake.slash(channel, user, sub, **opts)
        cb = await self.call_after(mark, lambda c: c.path.startswith(
            f"/interactions/{payload['id']}/"))
        if cb.json.get("type") == 5:  # deferred ("thinking…"): the answer is a follow-up
            return await self.call_after(mark, lambda c: c.path.startswith(
                f"/webhooks/{fake_discord.APP_ID}/{payload['token']}"))
        return cb

    async def day_one(self) -> dict[str, str]:
        """Create the cohort (coach) and let the scheduler post day 1; returns
        exercise id → drill post id."""
        cb = await self.slash(self.channel, self.coach, "cohort", action="create",
                              name="Alpha", start="2026-12-01", time="09:00")
        assert "created" in cb.text
        mark = self.fake.mark()
        await self.bot.scheduler.run_due()
        await self.fake.settle(0.2)
        posts = {}
        for c in self.fake.since(mark):
            if c.method == "POST" and c.path == f"/channels/{self.channel}/messages":
                for comp in c.json.get("components", []):
                    for button in comp["components"]:
                        posts[button["custom_id"].split(":")[-1]] = c
        ids = {}
        for ex_id in posts:
            msg = next(m for m in self.fake.messages.values()
                       if m["channel_id"] == self.channel and m.get("components")
                       and m["components"][0]["components"][0]["custom_id"].endswith(ex_id))
            ids[ex_id] = msg["id"]
        return ids


@contextlib.asynccontextmanager
async def open_world(tmp_path: Path, switch: Any, curriculum: Any = None
                     ) -> AsyncIterator[World]:
    """Fake Discord with two guilds, the bot connected to it, a fresh SQLite file."""
    fake = FakeDiscord()
    await fake.start()
    _, chans_a, roles_a = fake.add_guild("Study group A", ["dojo", "general"],
                                         {"Coach": 0, "Learners": 0})
    _, chans_b, _ = fake.add_guild("Study group B", ["pytorch"])
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    configure_endpoints(fake.api_base, fake.gateway_url)
    clock = ManualClock(T0)
    rt = await Runtime.start(
        load_settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/discord.sqlite3",
        grader=switch, clock=clock, curriculum=curriculum)
    bot = DojoDiscord(rt, instructor_roles=["Coach"], guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start("test-token"))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        yield World(fake, bot, rt, switch, clock, chans_a[0], chans_a[1], chans_b[0],
                    coach=User(fake.snowflake(), "coach", roles=[roles_a["Coach"]]),
                    alice=User(fake.snowflake(), "alice", roles=[roles_a["Learners"]]),
                    mallory=User(fake.snowflake(), "mallory"),
                    bob=User(fake.snowflake(), "bob"))
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await rt.close()
        await fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest_asyncio.fixture(loop_scope="session")
async def world(tmp_path: Path, grader_client: Any) -> AsyncIterator[World]:
    async with open_world(tmp_path, grader_client) as w:
        yield w


def flags(call: Any) -> int:
    return int((call.json.get("data") or {}).get("flags") or 0)


# ---- tests -------------------------------------------------------------------------------


async def test_commands_registered_and_instructor_verbs_gated(world: World) -> None:
    w = world
    sync = next(c for c in w.fake.calls if c.method == "PUT" and c.path.endswith("/commands"))
    (group,) = sync.json
    assert group["name"] == "dojo"
    subs = {o["name"] for o in group["options"]}
    assert {"today", "show", "submit", "streak", "progress", "leaderboard", "challenge",
            "cohort", "schedule", "export", "status", "help", "remind", "tz"} <= subs
    show = next(o for o in group["options"] if o["name"] == "show")
    assert show["options"][0]["autocomplete"] is True

    # a member without Manage Server or the Coach role is refused, clearly and privately
    cb = await w.slash(w.channel, w.mallory, "cohort", action="create", name="Mine")
    assert "only instructors can create a cohort" in cb.text.lower()
    assert flags(cb) & 64  # ephemeral
    assert await w.rt.dojo.get_cohort("discord", w.channel) is None
    # Manage Server is enough, without the role
    w.mallory.permissions = MANAGE_GUILD
    cb = await w.slash(w.other_channel, w.mallory, "cohort", action="create", name="Side")
    assert "Cohort `Side` created" in cb.text

    # autocomplete for exercise ids
    cb = await w.slash(w.channel, w.alice, "show", exercise="1.2", focused="exercise")
    assert cb.json["type"] == 8
    values = [c["value"] for c in cb.json["data"]["choices"]]
    assert values and all(v.startswith("1.2") for v in values) and len(values) <= 25

    # an unknown id gets a suggestion, not silence
    cb = await w.slash(w.channel, w.alice, "show", exercise="1.1.99")
    assert "no exercise '1.1.99'" in cb.text.lower()
    # a channel without a cohort
    cb = await w.slash(w.channel_b, w.bob, "today")
    assert "this channel has no cohort yet" in cb.text.lower()
    # several guilds at once: guild B's owner-level admin starts its own cohort there
    w.bob.permissions = 1 << 3  # Administrator
    cb = await w.slash(w.channel_b, w.bob, "cohort", action="create", name="Beta")
    assert "Cohort `Beta` created" in cb.text
    cb = await w.slash(w.channel_b, w.bob, "cohort")
    assert "Beta" in cb.text and "Side" not in cb.text
    assert (await w.rt.dojo.get_cohort("discord", w.other_channel)).name == "Side"


async def test_drill_posts_threads_prompt_button_and_submissions(world: World) -> None:
    w = world
    posts = await w.day_one()
    assert set(posts) == {"1.1.1", "1.1.2", "1.2.1"}
    # one thread per drill post, started from the post itself
    threads = [c for c in w.fake.calls if c.method == "POST" and c.path.endswith("/threads")]
    assert sorted(c.path.split("/")[4] for c in threads) == sorted(posts.values())
    post = w.fake.messages[posts["1.1.1"]]
    assert post["embeds"][0]["title"].startswith("`1.1.1`")
    assert "10 pts" in post["embeds"][0]["title"]

    # the "Full prompt" button answers privately with the whole prompt
    mark = w.fake.mark()
    await w.fake.click(w.channel, w.alice, posts["1.1.1"], "dojo:prompt:1.1.1")
    cb = await w.call_after(mark, lambda c: "/callback" in c.path)
    assert flags(cb) & 64
    ex = w.rt.dojo.curriculum.get("1.1.1")
    assert ex.prompt.splitlines()[0][:40] in cb.text

    # a code block replying to the drill post: "grading…" first, then edited in place
    mark = w.fake.mark()
    sub = await w.fake.post(w.channel, w.alice, block(ref("1.1.1")), reply_to=posts["1.1.1"])
    status = await w.call_after(mark, lambda c: c.method == "POST" and "grading" in c.text)
    assert str(status.json["message_reference"]["message_id"]) == sub["id"]
    assert status.json["allowed_mentions"]["parse"] == []
    status_id = next(m["id"] for m in w.fake.messages.values()
                     if m.get("message_reference", {}).get("message_id") == sub["id"])
    edit = await w.call_after(mark, lambda c: c.method == "PATCH"
                              and c.path.endswith(f"/messages/{status_id}"))
    assert "passed 10/10" in edit.text and "+10 points" in edit.text
    assert "streak 1 day" in edit.text

    # in the 1.1.2 thread (thread id = post id): a wrong answer fails, with teaching messages
    thread = posts["1.1.2"]
    mark = w.fake.mark()
    wrong = await w.fake.post(thread, w.alice, block("import torch\nones_1 = torch.zeros(3, 4)"))
    edit = await w.call_after(mark, lambda c: c.method == "PATCH" and "1.1.2" in c.text)
    assert "failed" in edit.text or "error" in edit.text
    assert "•" in edit.text  # per-check lines

    # editing that message within minutes regrades it, in the same status message
    mark = w.fake.mark()
    await w.fake.edit(wrong["id"], block(ref("1.1.2")))
    edit2 = await w.call_after(mark, lambda c: c.method == "PATCH" and "passed" in c.text)
    assert edit2.path == edit.path

    # a slash command in a drill thread belongs to the parent channel's cohort
    cb = await w.slash(thread, w.alice, "today")
    assert "day 1" in cb.text and "1.1.2" in cb.text

    # a .py attachment with the command
    mark = w.fake.mark()
    await w.fake.post(w.channel, w.alice, "/dojo submit 1.2.1",
                      files={"elem.py": ref("1.2.1").encode()})
    edit = await w.call_after(mark, lambda c: c.method == "PATCH" and "1.2.1" in c.text)
    assert "passed" in edit.text
    assert any(k.endswith("-elem.py") for k in w.fake.downloads)

    # /dojo submit opens a modal; its code is graded and the result edited in
    cb = await w.slash(w.channel, w.alice, "submit", exercise="1.1.1")
    assert cb.json["type"] == 9
    modal = cb.json["data"]
    mark = w.fake.mark()
    # pasted into the form as into a message: in a fenced block (it was graded raw, fences
    # and all: a SyntaxError on line 1)
    payload = await w.fake.submit_modal(w.channel, w.alice, modal, {
        "Exercise id": "1.1.1", "Your code": f"```python\n{ref('1.1.1')}\n```"})
    first = await w.call_after(mark, lambda c: c.path.startswith(
        f"/interactions/{payload['id']}/"))
    assert "grading" in first.text
    final = await w.call_after(mark, lambda c: c.method == "PATCH"
                               and c.path.endswith("/messages/@original")
                               and "grading" not in c.text)
    assert "passed" in final.text and "already passed before" in final.text

    # progress: a PNG attachment shown in the embed; leaderboard: a table
    cb = await w.slash(w.channel, w.alice, "progress")
    (name, data), = cb.files.items()
    assert name.endswith(".png") and data.startswith(b"\x89PNG")
    assert cb.embeds[0]["image"]["url"] == f"attachment://{name}"
    cb = await w.slash(w.channel, w.alice, "leaderboard", scope="all")
    desc = cb.embeds[0]["description"]
    assert desc.startswith("```") and "alice" in desc


async def test_bad_input_and_no_pings(world: World) -> None:
    w = world
    posts = await w.day_one()
    # a code block over the size limit
    mark = w.fake.mark()
    await w.fake.post(w.channel, w.alice, "/dojo submit 1.1.1\n"
                      + block("x = 1  # padding\n" * 5000))
    cb = await w.call_after(mark, lambda c: c.method == "POST" and "limit" in c.text)
    assert "the limit is 64 KB" in cb.text
    # an attached .py over the limit: refused with its real size, not downloaded
    mark = w.fake.mark()
    await w.fake.post(w.channel, w.alice, "/dojo submit 1.1.1",
                      files={"big.py": b"x = 1\n" * 20000})
    cb = await w.call_after(mark, lambda c: c.method == "POST" and "KB" in c.text)
    assert "big.py is 117 kb; the limit is 64 kb" in cb.text.lower()
    assert not any(k.endswith("-big.py") for k in w.fake.downloads)
    # /dojo submit with a file option: a .py is graded, anything else is explained
    mark = w.fake.mark()
    await w.fake.slash(w.channel, w.alice, "submit", exercise="1.1.1",
                       attachments={"zeros.py": ref("1.1.1").encode()})
    cb = await w.call_after(mark, lambda c: c.method == "PATCH"
                            and c.path.endswith("/messages/@original")
                            and "grading" not in c.text)
    assert "1.1.1" in cb.text and "passed" in cb.text
    mark = w.fake.mark()
    await w.fake.slash(w.channel, w.alice, "submit", exercise="1.1.1",
                       attachments={"notes.txt": b"zeros"})
    cb = await w.call_after(mark, lambda c: c.path.endswith("/messages/@original"))
    assert "only read .py attachments (got notes.txt)" in cb.text
    # a submission for an unknown id
    mark = w.fake.mark()
    await w.fake.post(w.channel, w.alice, "/dojo submit 9.9.9\n" + block("x = 1"))
    cb = await w.call_after(mark, lambda c: c.method == "POST" and "9.9.9" in c.text)
    assert "no exercise" in cb.text.lower()
    # a submission in a channel with no cohort (another guild)
    mark = w.fake.mark()
    await w.fake.post(w.channel_b, w.bob, "/dojo submit 1.1.1\n" + block(ref("1.1.1")))
    cb = await w.call_after(mark, lambda c: c.method == "POST"
                            and f"/channels/{w.channel_b}/" in c.path)
    assert "no cohort" in cb.text.lower()
    # ordinary chatter is left alone
    mark = w.fake.mark()
    await w.fake.post(w.channel, w.alice, "good morning everyone")
    await w.fake.settle(0.3)
    assert not [c for c in w.fake.since(mark) if c.method in ("POST", "PATCH")]

    # learner output trying to ping: defused and never allowed to mention
    mark = w.fake.mark()
    await w.fake.post(w.channel, w.alice, block(
        f"print('@everyone <@{w.coach.id}> <@&{w.channel}> look')\nones_1 = 1"),
        reply_to=posts["1.1.2"])
    cb = await w.call_after(mark, lambda c: c.method == "PATCH" and "1.1.2" in c.text)
    assert "@everyone" not in cb.text and f"<@{w.coach.id}>" not in cb.text
    sends = 0
    for c in w.fake.calls:
        body = c.json if isinstance(c.json, dict) else {}
        if c.path.endswith("/callback") and body.get("type") in (4, 7):
            body = body["data"]
        elif not (c.method in ("POST", "PATCH") and (
                re.fullmatch(r"/channels/\d+/messages(/\d+)?", c.path)
                or c.path.startswith("/webhooks/"))):
            continue
        sends += 1
        am = body.get("allowed_mentions")
        assert am is not None, c.path
        assert am.get("parse") == [] and not am.get("roles"), c.path
        assert {str(u) for u in am.get("users", [])} <= {w.alice.id, w.bob.id}, c.path
    assert sends > 10


async def test_grader_outage_member_hears_back(world: World) -> None:
    w = world
    posts = await w.day_one()
    w.grader.down = True
    mark = w.fake.mark()
    sub = await w.fake.post(w.channel, w.alice, block(ref("1.1.1")), reply_to=posts["1.1.1"])
    queued = await w.call_after(mark, lambda c: c.method == "PATCH" and "queued" in c.text)
    assert "grader is unavailable" in queued.text
    # bob uses the form meanwhile: also queued
    cb = await w.slash(w.channel, w.bob, "submit", exercise="1.1.2")
    mark = w.fake.mark()
    await w.fake.submit_modal(w.channel, w.bob, cb.json["data"],
                              {"Exercise id": "1.1.2", "Your code": ref("1.1.2")})
    await w.call_after(mark, lambda c: c.path.endswith("/messages/@original")
                       and "queued" in c.text)

    w.grader.down = False
    w.clock.advance(timedelta(minutes=2))
    mark = w.fake.mark()
    await w.bot.scheduler.run_grading()
    edit = await w.call_after(mark, lambda c: c.method == "PATCH" and "1.1.1" in c.text)
    assert edit.path == queued.path  # the same status message, edited in place
    assert "passed" in edit.text and "grader is back" in edit.text
    ping = await w.call_after(mark, lambda c: c.method == "POST"
                              and f"<@{w.alice.id}>" in (c.json.get("content") or ""))
    assert [str(u) for u in ping.json["allowed_mentions"]["users"]] == [w.alice.id]
    assert sub["id"] in ping.json["content"] or "/channels/" in ping.json["content"]
    # the form's answer is edited too, and bob is told where it is
    form = await w.call_after(mark, lambda c: c.method == "PATCH"
                              and c.path.endswith("/messages/@original")
                              and "grading" not in c.text)
    assert "1.1.2" in form.text and "passed" in form.text
    ping = await w.call_after(mark, lambda c: c.method == "POST"
                              and f"<@{w.bob.id}>" in (c.json.get("content") or ""))
    assert "https://discord.com/channels/" in ping.json["content"]


async def test_embeds_respect_discord_limits() -> None:
    big = Reply(title="t" * 400, text="x" * 9000,
                fields=[(f"n{i}" * 100, "v" * 2000) for i in range(30)],
                table=Table(["a", "b"], [["1" * 50, "2" * 50]] * 200), code="out\n" * 3000)
    e = reply_embed(big)
    assert len(e.title or "") <= 256 and (e.title or "").endswith("…")
    assert len(e.fields) <= 25 and all(len(f.value or "") <= 1024 for f in e.fields)
    assert len(e.description or "") <= DESC_MAX
    assert len(e) <= EMBED_TOTAL_MAX and len(e.description or "") > 1000
    assert "…" in (e.fields[-1].value or "") or len(e.fields) == 25
    small = reply_embed(Reply(text="hi", table=Table(["a"], [["1"]] * 3000)))
    desc = small.description or ""
    assert desc.startswith("hi\n```") and desc.endswith("```") and "…" in desc


async def test_challenge_answers_stay_private_until_the_close(tmp_path: Path,
                                                              grader_client: Any) -> None:
    """A timed challenge (1.1.1 relabelled as one: the real curriculum's challenges
    come in later weeks): answers only through the private form, results public at
    the close."""
    from curriculum import load_curriculum
    from curriculum.loader import Curriculum
    from curriculum.schema import Kind

    real = load_curriculum()
    ex = real.get("1.1.1").model_copy(update={"kind": Kind.challenge, "time_limit_min": 30})
    cur = Curriculum({**real.exercises, "1.1.1": ex}, real.schedule)
    async with open_world(tmp_path, grader_client, cur) as w:
        cb = await w.slash(w.channel, w.coach, "cohort", action="create", name="Alpha",
                           start="2026-12-01", time="09:00")
        cb = await w.slash(w.channel, w.coach, "challenge", action="open", exercise="1.1.1",
                           **{"for": "60m"})
        assert "Window for `1.1.1`" in cb.text
        mark = w.fake.mark()
        await w.bot.scheduler.run_due()
        opened = await w.call_after(mark, lambda c: c.method == "POST"
                                    and "Challenge `1.1.1`" in c.text and "open" in c.text)
        assert opened.json["components"][0]["components"][0]["custom_id"] == "dojo:prompt:1.1.1"

        # posted in the open: taken down, pointed to the private form, nothing submitted
        mark = w.fake.mark()
        msg = await w.fake.post(w.channel, w.alice, "/dojo submit 1.1.1\n" + block(ref("1.1.1")))
        await w.call_after(mark, lambda c: c.method == "DELETE"
                           and c.path.endswith(f"/messages/{msg['id']}"))
        warn = await w.call_after(mark, lambda c: c.method == "POST" and "private" in c.text)
        assert "/dojo submit" in warn.text
        assert await submissions(w) == 0

        # the form: an ephemeral "grading…", the verdict edited into it, nothing public
        cb = await w.slash(w.channel, w.alice, "submit", exercise="1.1.1")
        mark = w.fake.mark()
        payload = await w.fake.submit_modal(w.channel, w.alice, cb.json["data"],
                                            {"Exercise id": "1.1.1", "Your code": ref("1.1.1")})
        first = await w.call_after(mark, lambda c: c.path.startswith(
            f"/interactions/{payload['id']}/"))
        assert flags(first) & 64
        final = await w.call_after(mark, lambda c: c.method == "PATCH"
                                   and c.path.endswith("/messages/@original")
                                   and "grading" not in c.text)
        assert "passed" in final.text and "points" in final.text
        await w.fake.settle(0.2)
        public = [c for c in w.fake.since(mark) if c.method == "POST"
                  and c.path == f"/channels/{w.channel}/messages"]
        assert public == []

        # at the close the results are public
        w.clock.advance(timedelta(minutes=61))
        mark = w.fake.mark()
        await w.bot.scheduler.run_due()
        closed = await w.call_after(mark, lambda c: c.method == "POST" and "closed" in c.text)
        assert "alice" in closed.text and "1 passed in the window" in closed.text



async def submissions(w: World) -> int:
    from sqlalchemy import func, select

    from bot.db import Submission

    async with w.rt.dojo.db.session() as s:
        return int(await s.scalar(select(func.count(Submission.id))) or 0)


async def test_private_answers_to_channel_messages_go_to_direct_messages(
        world: World) -> None:
    """A command typed as a channel message (``@TorchDojo export``, ``/dojo dashboard`` as
    text) was answered with a public reply: an instructor's one-time sign-in link, the
    cohort's CSV or a timed challenge's prompt were there for everyone. Private answers
    now go to the member's DMs (a 📬 reaction in the channel); with DMs closed the channel
    hears to use the slash command, never the answer."""
    w = world
    await w.day_one()

    def in_channel(c: Any) -> bool:
        return c.method == "POST" and c.path.startswith(f"/channels/{w.channel}/")

    mark = w.fake.mark()
    await w.fake.post(w.channel, w.coach, f"<@{BOT_ID}> export")
    dm = await w.call_after(mark, lambda c: c.method == "POST" and "exported" in c.text)
    assert not dm.path.startswith(f"/channels/{w.channel}/") and dm.files, dm.path
    await w.fake.settle(0.3)
    said = [c for c in w.fake.since(mark) if in_channel(c) and c.path.endswith("/messages")]
    assert said == [], [c.text for c in said]
    assert any("/reactions/" in c.path for c in w.fake.since(mark))

    w.fake.dms_closed.add(w.coach.id)
    mark = w.fake.mark()
    await w.fake.post(w.channel, w.coach, "/dojo export")
    told = await w.call_after(mark, lambda c: in_channel(c) and "slash command" in c.text)
    assert "exported" not in told.text and not told.files
    await w.fake.settle(0.3)
    assert not any("exported" in c.text for c in w.fake.since(mark) if in_channel(c))


async def test_code_in_reply_to_a_person_is_conversation(world: World) -> None:
    w = world
    await w.day_one()
    mark = w.fake.mark()
    question = await w.fake.post(w.channel, w.bob, "how do I make zeros?")
    await w.fake.post(w.channel, w.alice, block("x = torch.zeros(3)"), reply_to=question["id"])
    await w.fake.settle(0.3)
    assert not [c for c in w.fake.since(mark) if c.method in ("POST", "PATCH")]
    assert await submissions(w) == 0


async def test_bot_discord_command_uses_the_configured_endpoints(tmp_path: Path) -> None:
    """``run_discord`` (what ``torchdojo bot discord`` runs) reaches Discord only
    through DISCORD_API_BASE / DISCORD_GATEWAY_URL; a missing token fails at start."""
    from typer.testing import CliRunner

    from bot.adapters.discord import run_discord
    from bot.cli import app

    res = CliRunner().invoke(app, ["bot", "discord"], env={"DISCORD_TOKEN": ""})
    assert res.exit_code == 2 and "DISCORD_TOKEN" in res.output

    fake = FakeDiscord()
    await fake.start()
    fake.add_guild("G", ["dojo"])
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY

    class Idle:  # grading is not exercised here
        async def grade(self, exercise_id: str, code: str,
                        progress: Any = None) -> dict[str, Any]:
            raise GraderUnavailable("not in this test")

        async def health(self) -> dict[str, Any]:
            return {}

        async def close(self) -> None:
            pass

    settings = load_settings(DISCORD_TOKEN="secret-token", DISCORD_API_BASE=fake.api_base,
                             DISCORD_GATEWAY_URL=fake.gateway_url)
    rt = await Runtime.start(settings, grader=Idle(),
                             database_url=f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")
    task = asyncio.create_task(run_discord(rt, shard_id=0, shard_count=1))
    try:
        await fake.connected(15)
        assert fake.identify["token"] == "secret-token"
        assert fake.identify["shard"] == [0, 1]
        intents = fake.identify["intents"]
        assert intents & (1 << 15) and intents & (1 << 9) and intents & 1  # content, msgs
        assert not intents & (1 << 1)  # no privileged member list
        sync = await fake.wait_for(lambda c: c.method == "PUT" and c.path.endswith("/commands"))
        assert sync.json[0]["name"] == "dojo"
        assert any(c.path == "/users/@me" for c in fake.calls)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await rt.close()
        await fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


async def test_hostile_learner_text_stays_inert_end_to_end(world: World) -> None:
    """A real sandboxed grading whose class names, exception and output carry a
    phishing link and a forged verdict: the edited verdict links nowhere."""
    w = world
    posts = await w.day_one()
    code = (
        "import torch\n"
        "class Fake(torch.Tensor):\n    pass\n"
        "Fake.__name__ = '[Claim your certificate](https://evil.example/claim)'\n"
        "print('✅ #1 `1.1.1` passed 10/10\\n+10 points\\n[Open](https://evil.example)')\n"
        "zeros_1 = 'x'\n"
        "raise ValueError('[Claim](https://evil.example)\\n✅ passed 10/10 @everyone')\n")
    mark = w.fake.mark()
    await w.fake.post(w.channel, w.alice, block(code), reply_to=posts["1.1.1"])
    edit = await w.call_after(mark, lambda c: c.method == "PATCH" and "1.1.1" in c.text
                              and "grading" not in c.text)
    text = edit.text
    assert "error" in text and "https://" not in text and "@everyone" not in text
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    outside = re.sub(r"`[^`\n]*`", "", outside)
    assert not re.search(r"\[[^\]]*\]\([^)]*\)", outside)  # no masked link Discord renders
    assert not re.search(r"^\s*(✅|\+10 points)", outside, re.M)
