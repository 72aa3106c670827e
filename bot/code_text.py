"""Learner code as text, the same for every way it arrives (chat, the CLI): a module of its
own, importing nothing of the bot, so that ``torchdojo grade`` stays as quick to start as
it was (``bot.chat`` brings the whole core with it)."""

from __future__ import annotations

import textwrap


def dedent_code(code: str) -> str:
    """Code whose every line shares a common indent (copied from an indented prompt,
    a quoted message or a notebook cell) with that indent taken off: Python refuses
    it as it is ("unexpected indent" on line 1). Anything else comes back as it is."""
    lines = [line for line in code.splitlines() if line.strip()]
    if not lines or not all(line[:1] in (" ", "\t") for line in lines):
        return code
    return textwrap.dedent(code)
