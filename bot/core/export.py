"""The instructor's CSV export: every submission of the cohort with its
grading outcome and points.

Cells are written for spreadsheets, which execute a cell that starts with
``=``, ``+``, ``-`` or ``@`` (and some read a leading tab or CR the same way):
such cells get a leading apostrophe, so a display name like
``=HYPERLINK("https://…")`` stays text (OWASP's CSV injection advice)."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from bot.core.context import CoreContext
from bot.core.types import Actor
from bot.db import Award, Member, Submission

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ["submission", "user_id", "member", "exercise", "status", "result", "score",
           "max_score", "points", "bonus", "late", "received_at", "graded_at", "reason"]


def cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet evaluates as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-") or "cohort"


class ExportService:
    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx

    async def submissions_csv(self, actor: Actor) -> tuple[str, bytes]:
        self.ctx.require_instructor(actor, "export the cohort's results")
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            rows = (
                await s.execute(
                    select(Submission, Member.user_id, Member.display_name, Award)
                    .join(Member, Member.id == Submission.member_id)
                    .outerjoin(Award, Award.submission_id == Submission.id)
                    .where(Submission.cohort_id == cohort.id)
                    .order_by(Submission.id)
                )
            ).all()
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        for sub, user_id, name, award in rows:
            reason = (sub.last_error or "") if sub.status == "could_not_grade" else ""
            writer.writerow([cell(v) for v in (
                sub.id, user_id, name, sub.exercise_id, sub.status, sub.result_status or "",
                "" if sub.score is None else sub.score,
                "" if sub.max_score is None else sub.max_score,
                award.points if award else 0, award.bonus if award else 0,
                int(bool(award and award.late)),
                sub.received_at.isoformat(),
                sub.graded_at.isoformat() if sub.graded_at else "",
                reason,
            )])
        return f"{slug(cohort.name)}-submissions.csv", buf.getvalue().encode("utf-8")
