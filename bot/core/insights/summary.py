"""The per-member summary sheet (CSV): one row per member with their standing.

Cells that a spreadsheet would read as a formula — text starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return — get a leading apostrophe
(OWASP "CSV injection"): member names are chosen by members, and an instructor
opening the sheet must not run what a learner typed.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from bot.core.insights.overview import member_rows
from bot.db import Database

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADERS = [
    "user_id", "member", "time_zone", "joined_at", "points", "exercises_passed",
    "passed_first_try", "exercises_tried", "submissions", "streak", "best_streak",
    "freezes", "last_activity", "last_pass", "days_since_pass", "falling_behind",
]


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text, never evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _iso(at: datetime | None) -> str:
    return at.isoformat() if at else ""


async def summary_csv(
    db: Database, cohort_id: int, now: datetime, *, behind_days: int
) -> tuple[str, bytes]:
    header, rows, *_ = await member_rows(db, cohort_id, now, behind_days=behind_days)
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(HEADERS)
    for r in sorted(rows, key=lambda r: (-r.points, r.name.lower())):
        out.writerow([safe_cell(v) for v in (
            r.user_id, r.name, r.tz, _iso(r.joined_at), r.points, r.passed, r.first_try,
            r.tried, r.submissions, r.streak, r.best_streak, r.freezes, _iso(r.last_activity),
            _iso(r.last_pass), "" if r.days_since_pass is None else r.days_since_pass,
            int(r.behind),
        )])
    slug = "".join(ch if ch.isalnum() else "-" for ch in header.name.lower()).strip("-")
    return f"{slug or 'cohort'}-members.csv", buf.getvalue().encode("utf-8")
