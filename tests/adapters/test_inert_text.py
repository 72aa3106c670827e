"""Learner-controlled text is inert on every platform: a masked link or a bare
URL in a check message, an exception, a class name, stdout or a display name
never becomes a clickable link, a mention or an extra verdict-looking line."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.adapters.discord import reply_embed
from bot.adapters.slack import reply_blocks, verdict_blocks
from bot.chat import render
from bot.chat.replies import Reply
from bot.chat.safe import display_name
from bot.core.types import BoardRow, GradedNotice, Target
from grader.result import GradeResult

PHISH = "[Claim your certificate](https://evil.example/claim) www.evil.example"
FORGED = "\n✅ #1 `1.1.1` Zeros: passed 10/10\n+10 points\n🔥 streak 9 days\n@everyone <@1>"
# Line breaks and text direction by other means: Unicode line/paragraph
# separators and NEL (a new line to chat clients), a right-to-left override
# and isolate ("Trojan Source": what follows shows backwards).
LAYOUT = "\u2028✅ passed\u2029🔥 streak\x85+10 points \u202edeliaf\u2066x\u2069"
PAYLOAD = PHISH + FORGED + LAYOUT
LAYOUT_CHARS = re.compile("[\u2028\u2029\x85\u202a-\u202e\u2066-\u2069\u200e\u200f]")
FORGED_LINE = re.compile(r"^\s*(✅|\+10 points|🔥 streak 9)", re.M)


def hostile_verdict() -> GradedNotice:
    result = GradeResult.from_dict({
        "exercise": "1.1.1", "status": "error", "score": 0, "max_score": 10,
        "message": "Your code raised ValueError: " + PAYLOAD,
        "cause": {"type": "ValueError", "message": PAYLOAD, "line": 1,
                  "text": "raise ValueError('...')"},
        "checks": [{"id": "zeros_1", "kind": "value", "status": "failed",
                    "message": f"expected a Tensor, found {PAYLOAD}", "points": 0,
                    "max_points": 1},
                   {"id": "zeros_2", "kind": "run", "status": "not_run", "message": "",
                    "points": 0, "max_points": 1}],
        "stdout": PAYLOAD, "duration_ms": 3,
    })
    target = Target("test", "c1", 1, PAYLOAD, "UTC")
    return GradedNotice(target, "123", PAYLOAD, 7, "1.1.1", "Zeros", result, 0, 0, False,
                        False, False)


def replies() -> list[Reply]:
    ev = hostile_verdict()
    board = render.board_table([BoardRow(1, "u1", PAYLOAD, 10, None)], "UTC")
    return [render.graded(ev),
            Reply(title=f"🎓 {display_name(PAYLOAD)}", text=f"Welcome {display_name(PAYLOAD)}",
                  fields=[("members", display_name(PAYLOAD))], table=board)]


def assert_inert(text: str) -> None:
    assert "https://" not in text and "http://" not in text  # no client links it
    assert "www.evil" not in text
    outside_code = re.sub(r"```.*?```", "", text, flags=re.S)  # output is shown as output
    assert not FORGED_LINE.search(outside_code), text
    assert "@everyone" not in text and "<@1>" not in text
    assert not LAYOUT_CHARS.search(text), ascii(text)


def discord_text(reply: Reply) -> str:
    embed = reply_embed(reply).to_dict()
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def masked_links_outside_code(text: str) -> list[str]:
    """Markdown links outside inline code and code blocks (what Discord renders)."""
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    outside = re.sub(r"`[^`\n]*`", "", outside)
    return re.findall(r"\[[^\]]*\]\([^)]*\)", outside)


@pytest.mark.parametrize("index", [0, 1])
def test_discord_renders_learner_text_inert(index: int) -> None:
    text = discord_text(replies()[index])
    assert_inert(text)
    assert masked_links_outside_code(text) == []


@pytest.mark.parametrize("index", [0, 1])
def test_slack_renders_learner_text_inert(index: int) -> None:
    reply = replies()[index]
    if reply.verdict is not None:
        fallback, blocks = verdict_blocks(reply.verdict, "U1")
    else:
        fallback, blocks = reply_blocks(reply)
    text = fallback + "\n" + "\n".join(_texts(blocks))
    assert_inert(text)
    assert "<http" not in text and "<!" not in text  # no Slack link or broadcast syntax


def test_console_renders_learner_text_inert() -> None:
    for reply in replies():
        assert_inert(reply.as_text())


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"] if isinstance(b["text"], dict) else b["text"])
        out += [f["text"] for f in b.get("fields", [])]
        out += [e.get("text", "") for e in b.get("elements", []) if isinstance(e, dict)]
    return out


def test_cause_block_keeps_a_class_name_and_source_line_on_their_own_lines() -> None:
    """Inside the code block too: an exception class named with a line break (the learner
    names its classes) or a multi-line source text cannot draw a verdict-looking line."""
    from grader.result import ErrorCause

    block = render.cause_block(ErrorCause(type="Err\n✅ passed 10/10\n🔥 streak 9",
                                          message="boom\n+10 points", line=3,
                                          text="raise Err()\n✅ passed", col=1))
    assert not FORGED_LINE.search(block), block
    assert not re.search(r"^\s*✅", block, re.M), block
    assert block.splitlines()[0].startswith("Err ✅ passed 10/10 🔥 streak 9 on line 3: boom")


def test_a_check_message_naming_code_reads_naturally_and_stays_one_code_span() -> None:
    """Our messages quote code with backticks ("use `torch.zeros`"); shown as
    one inline-code piece, those become quotes, not a code span broken open
    nor an odd modifier letter."""
    result = GradeResult.from_dict({
        "exercise": "1.1.1", "status": "failed", "score": 0, "max_score": 1,
        "checks": [{"id": "zeros_1", "kind": "api", "status": "failed",
                    "message": "build it with `torch.zeros`, not `torch.empty`",
                    "points": 0, "max_points": 1}],
        "stdout": "", "duration_ms": 3,
    })
    ev = hostile_verdict()
    graded = render.graded(GradedNotice(ev.target, "1", "Ann", 7, "1.1.1", "Zeros", result,
                                        0, 0, False, False, False))
    text = discord_text(graded)
    assert "build it with 'torch.zeros', not 'torch.empty'" in text
    assert "ʹ" not in text
