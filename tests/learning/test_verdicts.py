"""Cause-first verdicts, rendered from real sandboxed gradings of 1.1.1 (the
``grader_client`` fixture: the bot's in-process client over the session's warm
pool): every status leads with what stopped the code — the error with its
line and a caret, the limit it hit, the exercise it really answers — and folds
the checks that could not run into one line. Chat platforms keep their caps;
the console shows full texts. No learner-facing wording says "seed"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.chat import render
from bot.chat.parser import HELP, HELP_STREAK
from bot.core.catalog import Catalog
from bot.core.types import GradedNotice, Target
from grader.result import CheckResult, CheckStatus, GradeResult, Status

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "curriculum/week1/1.1.1.ref.py").read_text()
TARGET = Target("test", "c1", 1, "Cohort", "UTC")
CODE: dict[str, str] = {
    "passed": REFERENCE,
    "failed": "import torch\n" + "".join(f"zeros_{k} = torch.ones(3)\n" for k in range(1, 11)),
    "syntax": "import torch\nzeros_1 = torch.zeros((3, 4)\n",
    "exception": ("import torch\nzeros_1 = torch.zeros(3, 4)\n"
                  "zeros_2 = torch.zeros(2, 3, 4) + nope\n"),
    "timeout": "import time\ntime.sleep(60)\n",
    "oom": "hog = bytearray(6 * 1024 ** 3)\n",
    "output_limit": "print('x' * 10_000_000)\n",
    "file_limit": "with open('/tmp/big', 'wb') as f:\n    f.write(b'0' * (40 << 20))\n",
    "process_limit": ("import threading, time\n"
                      "threads = [threading.Thread(target=time.sleep, args=(3,))\n"
                      "           for _ in range(300)]\n"
                      "for t in threads:\n    t.start()\n"),
    "rejected": "zeros_1 = 1\x00\n",
}


def notice(result: GradeResult, exercise: str = "1.1.1", looks_like: str | None = None,
           sub: int = 7) -> GradedNotice:
    return GradedNotice(TARGET, "u1", "Ann", sub, exercise, "Zeros", result, 0, 0, False,
                        False, False, looks_like=looks_like)


def order(text: str, *pieces: str) -> list[int]:
    return [text.index(p) for p in pieces]


@pytest.mark.asyncio(loop_scope="session")  # the warm pool's loop
async def test_missing_names_are_listed_once(grader_client: Any, curriculum: Any) -> None:
    """Code that defines only some of the names: one line lists what is missing,
    one line folds their checks, and no bullet per name says it again."""
    code = "import torch\nzeros_1 = torch.zeros(3, 4)\nzeros_2 = torch.zeros(2, 3, 4)\n"
    result = GradeResult.from_dict(await grader_client.grade("1.1.1", code))
    assert result.status is Status.error and result.score > 0
    parts = render.verdict(notice(result))
    text = render.graded(notice(result)).as_text()
    assert "Not defined: zeros_3, zeros_4" in text
    assert parts.folded == "8 checks not run (a name they need is not defined)"
    assert not [c for c in parts.checks if not c.passed]
    assert "is not defined;" not in text and "• zeros_3" not in text


@pytest.mark.slow  # one real grading per status; the timeout takes its 5 s
@pytest.mark.asyncio(loop_scope="session")  # the warm pool's loop
async def test_every_status_leads_with_its_cause(grader_client: Any, curriculum: Any) -> None:
    limited = (await grader_client.health()).get("cgroups") == "unavailable"
    seen: dict[str, str] = {}
    for name, code in CODE.items():
        if name == "process_limit" and limited:
            continue  # no pids cgroup on this machine: nothing caps threads for root
        result = GradeResult.from_dict(await grader_client.grade("1.1.1", code))
        parts = render.verdict(notice(result))
        text = render.graded(notice(result)).as_text()
        seen[name] = text
        assert "seed" not in text.lower()
        icon, word, _ = render.STATUS_WORDING[result.status]
        assert text.startswith(f"{icon} #7 `1.1.1` Zeros: {word}")
        if result.passed:
            assert not parts.cause and not parts.folded and not parts.failing
            continue
        if result.status is Status.failed:
            assert not parts.cause and len(parts.failing) == 10
            assert "expected" in parts.failing[0].message
            continue
        # something stopped the code: said first, the checks folded into one line
        assert parts.cause or parts.explanation, name
        assert parts.folded.endswith("not run (your code stopped first)") or \
            result.status is Status.rejected, (name, parts.folded)
        assert len([c for c in parts.checks if not c.passed]) <= 1, (name, text)
        assert not [line for line in text.splitlines()
                    if line.startswith("• ") and "not defined" in line], name

    syntax = seen["syntax"]
    assert "SyntaxError on line 2: '(' was never closed" in syntax and "^" in syntax
    assert order(syntax, "SyntaxError", "^", "10 checks not run") == sorted(
        order(syntax, "SyntaxError", "^", "10 checks not run"))
    exception = seen["exception"]
    assert "NameError on line 3" in exception and "nope" in exception
    assert "harness" not in exception and "<submission>" not in exception
    assert "10 checks not run" in seen["timeout"] and "wall-clock" in seen["timeout"]
    assert "memory" in seen["oom"] and "printed more than" in seen["output_limit"]


@pytest.mark.asyncio(loop_scope="session")
async def test_code_for_another_exercise_says_which(grader_client: Any,
                                                    curriculum: Any) -> None:
    zeros = "import torch\n" + "".join(f"zeros_{k} = torch.zeros(3)\n" for k in range(1, 11))
    result = GradeResult.from_dict(await grader_client.grade("1.1.2", zeros))
    assert not result.passed
    looks = Catalog(curriculum).looks_like(zeros, "1.1.2")
    assert looks == "1.1.1"
    text = render.graded(notice(result, "1.1.2", looks)).as_text()
    first_lines = text.splitlines()[:2]
    assert "This looks like `1.1.1`" in first_lines[1] and "/dojo submit 1.1.1" in text


def test_the_console_shows_full_texts_chat_keeps_its_caps() -> None:
    key = ("expected the last real token of every sequence (pack_padded_sequence keeps "
           "lengths) " * 12 + "— found the padding token").strip()
    checks = tuple(CheckResult(f"c{k}", "value", CheckStatus.failed, key) for k in range(9))
    result = GradeResult("6.1.2", Status.failed, 0, 9, checks, stdout="line\n" * 50)
    chat = render.graded(notice(result)).as_text()
    full = render.graded(notice(result), render.FULL).as_text()
    assert key not in chat and "… and 3 more failing checks" in chat
    assert full.count(key) == 9 and "more failing checks" not in full
    assert "(truncated)" in chat and "(truncated)" not in full


def test_learner_facing_wording_never_says_seed() -> None:
    texts = [HELP, HELP_STREAK, *(w for _, w, a in render.STATUS_WORDING.values()),
             *(a for _, _, a in render.STATUS_WORDING.values())]
    assert not [t for t in texts if "seed" in t.lower()]
