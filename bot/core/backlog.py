"""What grading waits for and how fast verdicts come: the operator's view of
dispatch (``torchdojo queue``), per lane.

Read from the submission and notice rows — the record every process writes —
so it is the same whichever process or machine grades, on SQLite or
PostgreSQL, and needs no engine, grader or chat connection. Read-only."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core.lanes import LANES, lane_of
from bot.db import Database, Notice, Submission
from bot.db.models import SubmissionStatus

#: Verdicts counted by default: the last five minutes.
WINDOW = timedelta(minutes=5)
_DONE = (SubmissionStatus.graded, SubmissionStatus.could_not_grade)


@dataclass(frozen=True)
class LaneBacklog:
    """One lane: what waits, what is being graded, and the verdicts of the window
    (seconds from the member's message to the verdict)."""

    lane: str
    waiting: int = 0
    oldest_waiting_s: float | None = None
    grading: int = 0
    longest_grading_s: float | None = None
    graded: int = 0
    could_not_grade: int = 0
    verdict_p50_s: float | None = None
    verdict_max_s: float | None = None


@dataclass(frozen=True)
class Backlog:
    at: datetime
    window_s: float
    lanes: list[LaneBacklog]
    undelivered: int  # verdicts and notices written, not yet shown in chat
    oldest_undelivered_s: float | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out


def _seconds(later: datetime, earlier: datetime | None) -> float | None:
    return None if earlier is None else round(max((later - earlier).total_seconds(), 0.0), 3)


async def backlog(db: Database, curriculum: Any, now: datetime,
                  window: timedelta = WINDOW) -> Backlog:
    """The backlog at ``now``, with the verdicts written in the last ``window``.
    An exercise the curriculum no longer has is counted in the quick lane
    (where the dispatcher puts it)."""
    since = now - window
    async with db.session() as s:
        pending = (await s.execute(
            select(Submission.exercise_id, Submission.status, Submission.received_at,
                   Submission.started_at)
            .where(Submission.status.in_(SubmissionStatus.pending)))).all()
        done = (await s.execute(
            select(Submission.exercise_id, Submission.status, Submission.received_at,
                   Submission.graded_at)
            .where(Submission.status.in_(_DONE), Submission.graded_at >= since))).all()
        undelivered, oldest = (await s.execute(
            select(func.count(Notice.id), func.min(Notice.created_at))
            .where(Notice.delivered_at.is_(None)))).one()

    by_lane: dict[str, tuple[list[Any], list[Any]]] = {name: ([], []) for name in LANES}
    for rows, index in ((pending, 0), (done, 1)):
        for r in rows:
            by_lane[lane_of(curriculum.get(r.exercise_id))][index].append(r)

    lanes = []
    for name, (pending_here, verdicts) in by_lane.items():
        waiting = [r.received_at for r in pending_here if r.status != SubmissionStatus.grading]
        grading = [r.started_at or r.received_at for r in pending_here
                   if r.status == SubmissionStatus.grading]
        waits = sorted(s for r in verdicts if (s := _seconds(r.graded_at, r.received_at))
                       is not None)
        lanes.append(LaneBacklog(
            lane=name, waiting=len(waiting),
            oldest_waiting_s=_seconds(now, min(waiting)) if waiting else None,
            grading=len(grading),
            longest_grading_s=_seconds(now, min(grading)) if grading else None,
            graded=sum(1 for r in verdicts if r.status == SubmissionStatus.graded),
            could_not_grade=sum(1 for r in verdicts
                                if r.status == SubmissionStatus.could_not_grade),
            verdict_p50_s=round(statistics.median(waits), 3) if waits else None,
            verdict_max_s=waits[-1] if waits else None))
    return Backlog(now, window.total_seconds(), lanes, int(undelivered),
                   _seconds(now, oldest) if undelivered else None)
