"""Make untrusted text safe to echo into a chat.

Learner output (stdout, exception messages, even check messages that quote a
value) is truncated and can never ping anyone: ``@everyone``/``@here``, Discord
``<@id>``/``<@&role>``, Slack ``<!channel>``/``<!here>``/``<@U…>`` are broken
with a zero-width space, and code fences are defused so it stays in its block.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
_MASS = re.compile(r"@(everyone|here|channel)", re.I)
_ANGLE = re.compile(r"<([@!#])")


def neutralize(text: str) -> str:
    text = _MASS.sub(lambda m: "@" + ZWSP + m.group(1), text)
    text = _ANGLE.sub(lambda m: "<" + ZWSP + m.group(1), text)
    return text.replace("```", "`" + ZWSP + "``")


def truncate(text: str, max_chars: int = 800, max_lines: int = 15) -> str:
    lines = text.splitlines()
    cut = False
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        cut = True
    out = "\n".join(lines)
    if len(out) > max_chars:
        out = out[:max_chars]
        cut = True
    return out + ("\n… (truncated)" if cut else "")


def safe_output(text: str | None, max_chars: int = 800, max_lines: int = 15) -> str:
    """Learner output as it may appear in chat."""
    if not text:
        return ""
    text = "".join(ch if ch in "\n\t" or ch >= " " else "?" for ch in str(text))
    return neutralize(truncate(text, max_chars, max_lines))
