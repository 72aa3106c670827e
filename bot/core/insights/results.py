"""Reading stored grading results for the dashboard, defensively.

A stored result came from a grader that judged hostile code, and older rows
may predate fields the grader writes today; so every field is type-checked and
capped here and anything odd becomes an empty value instead of an exception.
(When the bot reads results through ``grader/result.py``'s ``GradeResult``,
this module becomes a thin adapter over it.)
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.insights.views import Cause, CheckRow
from grader.result import caret_column, clean_text

MAX_TEXT = 4000
MAX_STDOUT = 64 * 1024
MAX_CHECKS = 500
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_SPACE = re.compile(r"\s+")


def text(value: Any, cap: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    s = clean_text(value if isinstance(value, str) else str(value))  # no lone surrogates
    return s if len(s) <= cap else s[:cap] + "…"


def number(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def as_dict(result: Any) -> dict[str, Any]:
    return result if isinstance(result, dict) else {}


def checks(result: Any) -> list[CheckRow]:
    raw = as_dict(result).get("checks")
    if not isinstance(raw, list):
        return []
    out = []
    for c in raw[:MAX_CHECKS]:
        if not isinstance(c, dict):
            continue
        out.append(CheckRow(
            id=text(c.get("id"), 200),
            kind=text(c.get("kind"), 40),
            status=text(c.get("status"), 20),
            message=text(c.get("message")),
            points=number(c.get("points")),
            max_points=number(c.get("max_points")),
        ))
    return out


def cause(result: Any) -> Cause | None:
    raw = as_dict(result).get("cause")
    if not isinstance(raw, dict):
        return None
    line, col = raw.get("line"), raw.get("col")
    quoted = text(raw.get("text"), 1000)
    return Cause(
        type=text(raw.get("type"), 200),
        message=text(raw.get("message")),
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
        col=caret_column(col, quoted),  # results stored before the grader bounded it
        text=quoted,
    )


def environment(result: Any) -> list[tuple[str, str]]:
    raw = as_dict(result).get("environment")
    if not isinstance(raw, dict):
        return []
    return [(text(k, 80), text(v, 300)) for k, v in list(raw.items())[:40]]


def run_message(result: Any) -> str:
    """Why the run itself went wrong (error, timeout, limits), in one line."""
    res = as_dict(result)
    msg = text(res.get("message"))
    found = cause(res)
    if found is not None and found.type:
        detail = f"{found.type}: {found.message}" if found.message else found.type
        msg = detail if not msg else f"{msg} ({detail})" if detail not in msg else msg
    return msg


def pattern(message: str) -> str:
    """A message with its numbers blanked: failures that differ only in values
    (errors, shapes, tolerances) land in one group."""
    return _SPACE.sub(" ", _NUMBER.sub("#", message)).strip()[:300]
