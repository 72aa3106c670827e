"""Bad input through the real adapters: the real discord.py client against the
fake Discord, the real Bolt app behind its signed HTTP endpoint against the fake
Slack, a SQLite database and the session's sandboxed grader.

What a member types comes back inert: an argument quoted in a refusal is
inline code or defanged, never a link, a masked link or a mention the bot
posts. An exercise id written as the bot shows it (in backticks) or with
commas is graded as that exercise, not refused after the code was pasted."""

from __future__ import annotations

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
