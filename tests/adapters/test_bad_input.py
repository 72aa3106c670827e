"""Bad input through the real adapters: the real discord.py client against the
fake Discord, the real Bolt app behind its signed HTTP endpoint against the fake
Slack, a SQLite database and the session's sandboxed grader.

What a member types comes back inert: an argument quoted in a refusal is
inline code or defanged, never a link, a masked link or a mention the bot
posts. An exercise id written as the bot shows it (in backticks) or with
commas is graded as that exercise, not refused after the code was pasted."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from . import test_slack
from .test_discord import block, open_world, ref
from .test_slack import Env, cohort

pytestmark = pytest.mark.asyncio(loop_scope="session")

# the Slack tests' fixtures: a fake Slack, the bot serving Bolt's HTTP endpoint
fake, make_env, env = test_slack.fake, test_slack.make_env, test_slack.env

HOSTILE = "[claim-your-prize](https://evil.example/x)"


def outside_code(text: str) -> str:
    """What a client renders as markup: the text outside code blocks and inline code."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def live(text: str) -> list[str]:
    """Links, masked links and mentions a client would render in ``text``."""
    rest = outside_code(text)
    return (re.findall(r"\[[^\]]*\]\([^)]*\)", rest) + re.findall(r"https?://\S+", rest)
            + re.findall(r"@everyone|<@\d+>", rest))


async def test_discord_refusals_quote_what_was_typed_inertly(tmp_path: Path,
                                                            grader_client: Any) -> None:
    async with open_world(tmp_path, grader_client) as w:
        await w.day_one()
        for line in (f"/dojo show {HOSTILE}@everyone<@{w.coach.id}>",
                     f"/dojo {HOSTILE}", f"/dojo tz {HOSTILE}", f"/dojo remind {HOSTILE}",
                     f"/dojo submit {HOSTILE}\n" + block("x = 1")):
            mark = w.fake.mark()
            await w.fake.post(w.channel, w.alice, line)
            reply = await w.call_after(mark, lambda c: c.method == "POST"
                                       and "/messages" in c.path)
            assert "evil.example" in reply.text, reply.text  # quoted, so they see what they typed
            assert live(reply.text) == [], (line, reply.text)

        # the id as the bot writes it, with its backticks, and with commas: graded as 1.1.1
        for written in ("`1.1.1`", "1,1,1"):
            mark = w.fake.mark()
            await w.fake.post(w.channel, w.alice, f"/dojo submit {written}\n"
                              + block(ref("1.1.1")))
            edit = await w.call_after(mark, lambda c: c.method == "PATCH"
                                      and "1.1.1" in c.text and "grading" not in c.text)
            assert "passed 10/10" in edit.text, edit.text


async def test_slack_refusals_quote_what_was_typed_inertly(env: Env) -> None:
    slack = env.fake
    await cohort(env)
    # Slack sends a typed link in command text as <url|label>, escaped as entities
    for text in ("show &lt;https://evil.example/x|claim your prize&gt;",
                 "show https://evil.example/x", "tz https://evil.example/x",
                 "leaderboard &lt;!everyone&gt;"):
        n = env.mark()
        await env.cmd(text)
        r = await slack.wait_for("response_url", after=n)
        shown = r.args["text"] + "".join(
            str(b.get("text", {}).get("text", "")) for b in r.args.get("blocks") or [])
        rest = outside_code(shown)
        assert "https://" not in rest and "<!everyone>" not in rest, (text, shown)
        assert not re.search(r"<https?:", rest), (text, shown)


UNFENCED = "import torch\nzeros_1 = torch.zeros(3, 4)"


async def test_discord_code_replied_without_a_block_is_told_how(tmp_path: Path,
                                                                grader_client: Any) -> None:
    """Code replying to a drill post (or in its thread) but outside a code block
    got no answer at all; now the member is told to put it in a block. A chat
    reply to the post stays conversation."""
    async with open_world(tmp_path, grader_client) as w:
        posts = await w.day_one()
        for kw in ({"reply_to": posts["1.1.1"]}, {}):
            where = w.channel if kw else posts["1.1.1"]  # a reply, then in the drill's thread
            mark = w.fake.mark()
            await w.fake.post(where, w.alice, UNFENCED, **kw)
            reply = await w.call_after(mark, lambda c: c.method == "POST"
                                       and "/messages" in c.path)
            assert "only grade code inside a code block" in reply.text, reply.text
        mark = w.fake.mark()
        await w.fake.post(w.channel, w.alice, "thanks, that helped!", reply_to=posts["1.1.1"])
        await w.fake.settle(0.3)
        assert not [c for c in w.fake.since(mark) if c.method in ("POST", "PATCH")]


async def test_discord_code_without_a_block_is_fixed_by_editing_it(tmp_path: Path,
                                                                    grader_client: Any) -> None:
    """Told to put the code in a block, the member edits the message to add one;
    on Discord only a refused ``/dojo submit`` command was handled again on edit,
    so a code reply had to be pasted again (Slack took the edit)."""
    async with open_world(tmp_path, grader_client) as w:
        posts = await w.day_one()
        mark = w.fake.mark()
        sent = await w.fake.post(w.channel, w.alice, UNFENCED, reply_to=posts["1.1.1"])
        told = await w.call_after(mark, lambda c: c.method == "POST" and "/messages" in c.path)
        assert "only grade code inside a code block" in told.text, told.text
        mark = w.fake.mark()
        await w.fake.edit(sent["id"], block(ref("1.1.1")))
        edit = await w.call_after(mark, lambda c: c.method == "PATCH" and "1.1.1" in c.text
                                  and "grading" not in c.text)
        assert "passed 10/10" in edit.text, edit.text


async def test_slack_code_in_a_drill_thread_without_a_block_is_told_how(env: Env) -> None:
    slack = env.fake
    await cohort(env)
    await env.scheduler().run_due()
    ts = next(iter(test_slack.drill_posts(slack).values())).result["ts"]
    n = env.mark()
    await env.event({"type": "message", "channel": "C1", "user": "UMEM", "text": UNFENCED,
                     "ts": "1700030000.000001", "thread_ts": ts}, "EvUnfenced")
    r = await slack.wait_for("chat.postEphemeral", after=n)
    assert "only grade code inside a code block" in r.args["text"] and r.args["user"] == "UMEM"
    n = env.mark()
    await env.event({"type": "message", "channel": "C1", "user": "UMEM", "text": "thanks!",
                     "ts": "1700030000.000002", "thread_ts": ts}, "EvChat")
    await asyncio.sleep(0.3)
    assert not [c for c in slack.calls[n:] if c.method.startswith("chat.")]


async def test_discord_a_refused_submission_is_fixed_by_editing_it(tmp_path: Path,
                                                                   grader_client: Any) -> None:
    """'/dojo submit 1.1.10' + code is refused ('did you mean 1.1.1'); editing
    the message to 1.1.1 did nothing (only messages that made a submission were
    regraded on edit), so the code had to be pasted again."""
    async with open_world(tmp_path, grader_client) as w:
        await w.day_one()
        mark = w.fake.mark()
        sent = await w.fake.post(w.channel, w.alice, "/dojo submit 1.1.10\n" + block(ref("1.1.1")))
        refusal = await w.call_after(mark, lambda c: c.method == "POST" and "1.1.10" in c.text)
        assert "Did you mean 1.1.1" in refusal.text
        mark = w.fake.mark()
        await w.fake.edit(sent["id"], "/dojo submit 1.1.1\n" + block(ref("1.1.1")))
        edit = await w.call_after(mark, lambda c: c.method == "PATCH" and "1.1.1" in c.text
                                  and "grading" not in c.text)
        assert "passed 10/10" in edit.text, edit.text
        # editing it once more regrades in place: one submission per edit, none lost
        mark = w.fake.mark()
        await w.fake.edit(sent["id"], "/dojo submit 1.1.1\n" + block(ref("1.1.1") + "\n"))
        again = await w.call_after(mark, lambda c: c.method == "PATCH" and "1.1.1" in c.text
                                   and "grading" not in c.text)
        assert again.path == edit.path
        async with w.rt.dojo.db.session() as s:
            from sqlalchemy import func, select

            from bot.db import Submission

            assert await s.scalar(select(func.count()).select_from(Submission)) == 2


async def test_discord_mentioning_the_bot_is_a_command(tmp_path: Path,
                                                       grader_client: Any) -> None:
    """'@TorchDojo help' and '@TorchDojo today' were ignored as conversation."""
    from .test_discord import fake_discord

    async with open_world(tmp_path, grader_client) as w:
        await w.day_one()
        for text, said in ((f"<@{fake_discord.BOT_ID}> today", "day 1"),
                           (f"<@!{fake_discord.BOT_ID}>, help", "TorchDojo commands"),
                           (f"<@{fake_discord.BOT_ID}>", "TorchDojo commands")):
            mark = w.fake.mark()
            await w.fake.post(w.channel, w.alice, text)
            reply = await w.call_after(mark, lambda c: c.method == "POST"
                                       and "/messages" in c.path)
            assert said.lower() in reply.text.lower(), (text, reply.text)
        mark = w.fake.mark()
        await w.fake.post(w.channel, w.alice, f"thanks <@{fake_discord.BOT_ID}>!")
        await w.fake.settle(0.3)
        assert not [c for c in w.fake.since(mark) if c.method in ("POST", "PATCH")]


async def test_discord_and_slack_help_for_one_verb(tmp_path: Path, grader_client: Any,
                                                   env: Env) -> None:
    """'/dojo help' took only the topic 'streak' on Discord (a choice list of
    one) and gave the whole list for any other topic on Slack."""
    async with open_world(tmp_path, grader_client) as w:
        sync = next(c for c in w.fake.calls if c.method == "PUT" and c.path.endswith("/commands"))
        (group,) = sync.json
        help_cmd = next(o for o in group["options"] if o["name"] == "help")
        choices = {c["value"] for c in help_cmd["options"][0]["choices"]}
        assert {"streak", "submit", "leaderboard", "challenge", "hint"} <= choices
        cb = await w.slash(w.channel, w.alice, "help", topic="submit")
        assert "/dojo submit ID, then your code in a ```python code block```" in cb.text
    n = env.mark()
    await env.cmd("help hint")
    r = await env.fake.wait_for("response_url", after=n)
    assert "/dojo hint ID yes" in r.args["text"] and "/dojo leaderboard" not in r.args["text"]
