"""The cohort overview: members × exercises heatmap, streaks, points, activity.

Built for a cohort of 500 members × 100 exercises × 100,000 submissions in a
few tens of milliseconds (benchmarks/bench_dashboard.py), so everything is
aggregated in SQL, from covering indexes (migration ``0010_dashboard``):

* one GROUP BY (member, exercise) pass gives every cell's state, tries,
  newest submission, pending and could-not-grade counts and last activity;
* streaks need each member's *local* pass days. Passes are grouped in SQL
  into 15-minute UTC buckets — every time zone's offset and every DST switch
  fall on a quarter hour, so a bucket never straddles a local midnight — and
  Python maps buckets to local dates by bisecting the zone's midnights, then
  applies ``rules.compute_streak`` like ``/dojo streak`` does;
* points are the awards' sums (the leaderboard's covering index).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, case, cast, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.insights.common import aware, columns, load_cohort
from bot.core.insights.views import (
    Attention,
    Cell,
    CellState,
    CohortHeader,
    MemberRow,
    Overview,
)
from bot.db import Award, Cohort, CohortPause, Database, Member, Submission, SubmissionStatus

BUCKET_S = 900  # 15 minutes: the coarsest grid every UTC offset and DST switch sits on
DEFAULT_BEHIND_DAYS = 3
CURRENT_WEEK = "current"
MAX_ATTENTION = 50


@dataclass(slots=True)
class CellAgg:
    """What SQL says about one member's submissions of one exercise."""

    graded: int
    passed: bool
    first_graded: int | None
    first_pass: int | None
    latest: int
    pending: int
    could_not_grade: int
    submissions: int
    last_at: datetime | None
    last_pass_at: datetime | None

    @property
    def state(self) -> CellState:
        if self.passed:
            return (CellState.first_try if self.first_pass == self.first_graded
                    else CellState.after_tries)
        return CellState.failing if self.graded else CellState.not_tried

    def cell(self) -> Cell:
        return Cell(self.state, self.graded, self.latest, self.pending, self.could_not_grade)


async def cell_aggregates(s: AsyncSession, cohort_id: int) -> dict[int, dict[str, CellAgg]]:
    """member id → exercise id → aggregate, in one pass over the cohort's index."""
    graded = Submission.status == SubmissionStatus.graded
    passed = Submission.passed.is_(True)
    q = (
        select(
            Submission.member_id,
            Submission.exercise_id,
            func.sum(case((graded, 1), else_=0)),
            func.max(case((passed, 1), else_=0)),
            func.min(case((graded, Submission.id))),
            func.min(case((passed, Submission.id))),
            func.max(Submission.id),
            func.sum(case((Submission.status.in_(SubmissionStatus.pending), 1), else_=0)),
            func.sum(case((Submission.status == SubmissionStatus.could_not_grade, 1), else_=0)),
            func.count(),
            func.max(Submission.received_at),
            func.max(case((passed, Submission.received_at))),
        )
        .where(Submission.cohort_id == cohort_id)
        .group_by(Submission.member_id, Submission.exercise_id)
    )
    out: dict[int, dict[str, CellAgg]] = defaultdict(dict)
    for mid, ex_id, n_graded, any_pass, first_graded, first_pass, latest, pending, cng, n, \
            last, last_pass in (await s.execute(q)):
        out[mid][ex_id] = CellAgg(int(n_graded or 0), bool(any_pass), first_graded, first_pass,
                                  latest, int(pending or 0), int(cng or 0), int(n), aware(last),
                                  aware(last_pass))
    return out


def _bucket_expr(sqlite: bool) -> Any:
    if sqlite:  # naive UTC text; strftime('%s') is whole seconds since the epoch
        return cast(func.strftime("%s", Submission.received_at), Integer) / BUCKET_S
    return cast(func.floor(extract("epoch", Submission.received_at) / BUCKET_S), BigInteger)


async def pass_buckets(s: AsyncSession, cohort_id: int, sqlite: bool) -> dict[int, list[int]]:
    """member id → the 15-minute UTC buckets in which they passed something."""
    bucket = _bucket_expr(sqlite).label("bucket")
    q = (
        select(Submission.member_id, bucket)
        .where(Submission.cohort_id == cohort_id, Submission.passed.is_(True))
        .group_by(Submission.member_id, bucket)
    )
    out: dict[int, list[int]] = defaultdict(list)
    for mid, b in (await s.execute(q)):
        out[mid].append(int(b))
    return out


class LocalDays:
    """Maps bucket numbers to local dates of one zone by bisecting its midnights
    (computed once per zone for the cohort's range, not per pass)."""

    def __init__(self, tz: str, first: date, last: date) -> None:
        zone = rules.zone(tz)
        self.days = [first + timedelta(days=i) for i in range((last - first).days + 2)]
        self.edges = [rules.local_midnight_utc(d, zone).timestamp() for d in self.days]

    def dates(self, buckets: Iterable[int]) -> set[date]:
        edges, days = self.edges, self.days
        return {days[max(bisect.bisect_right(edges, b * BUCKET_S) - 1, 0)] for b in buckets}


async def _paused(s: AsyncSession, cohort: Cohort) -> list[tuple[date, date | None]]:
    if not (cohort.paused_days or cohort.paused_since is not None):
        return []
    rows = await s.execute(
        select(CohortPause.start_date, CohortPause.end_date).where(
            CohortPause.cohort_id == cohort.id
        )
    )
    return [(a, b) for a, b in rows]


async def member_rows(
    db: Database,
    cohort_id: int,
    now: datetime,
    *,
    behind_days: int = DEFAULT_BEHIND_DAYS,
    include_left: bool = False,
) -> tuple[CohortHeader, list[MemberRow], dict[int, dict[str, CellAgg]], list[Attention]]:
    """Every member's standing (cells not yet laid out), plus what needs attention."""
    async with db.session() as s:
        cohort, header = await load_cohort(s, cohort_id, now)
        q = select(Member.id, Member.user_id, Member.display_name, Member.tz,
                   Member.joined_at, Member.left_at).where(Member.cohort_id == cohort_id)
        if not include_left:
            q = q.where(Member.left_at.is_(None))
        members = (await s.execute(q.order_by(Member.display_name, Member.id))).all()
        cells = await cell_aggregates(s, cohort_id)
        buckets = await pass_buckets(s, cohort_id, db.is_sqlite)
        points = dict(
            (await s.execute(
                select(Award.member_id, func.sum(Award.points + Award.bonus))
                .where(Award.cohort_id == cohort_id)
                .group_by(Award.member_id)
            )).all()
        )
        pauses = await _paused(s, cohort)
        stuck = (
            await s.execute(
                select(Submission.id, Member.display_name, Submission.exercise_id,
                       Submission.last_error, Submission.graded_at, Submission.received_at)
                .join(Member, Member.id == Submission.member_id)
                .where(Submission.status == SubmissionStatus.could_not_grade,
                       Submission.cohort_id == cohort_id)
                .order_by(Submission.id.desc())
                .limit(MAX_ATTENTION)
            )
        ).all()
    attention = [Attention(sid, name, ex, err or "could not be graded", graded or received)
                 for sid, name, ex, err, graded, received in stuck]
    all_buckets = [b for bs in buckets.values() for b in bs]
    zones: dict[str, LocalDays] = {}
    rows: list[MemberRow] = []
    for mid, uid, name, tz, joined, _left in members:
        tz = tz or cohort.tz
        row = MemberRow(member_id=mid, user_id=uid, name=name, tz=tz, joined_at=joined,
                        points=int(points.get(mid) or 0))
        mine = cells.get(mid, {})
        for agg in mine.values():
            row.submissions += agg.submissions
            row.tried += agg.graded > 0
            row.passed += agg.passed
            row.first_try += agg.passed and agg.first_pass == agg.first_graded
            row.last_activity = _later(row.last_activity, agg.last_at)
            row.last_pass = _later(row.last_pass, agg.last_pass_at)
        today = rules.local_date(now, tz)
        if buckets.get(mid):
            if tz not in zones:
                lo = datetime.fromtimestamp(min(all_buckets) * BUCKET_S, UTC).date()
                zones[tz] = LocalDays(tz, lo - timedelta(days=1), max(today, lo))
            days = zones[tz].dates(buckets[mid])
            res = rules.compute_streak(days, today, rules.paused_dates(pauses, today))
            row.streak, row.best_streak, row.freezes = res.current, res.best, res.freezes
        since = row.last_pass or joined
        row.days_since_pass = max((now - since).days, 0)
        row.behind = header.day >= 1 and not header.paused and row.days_since_pass >= behind_days
        if row.last_pass is None:
            row.days_since_pass = None
        rows.append(row)
    return header, rows, cells, attention


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b > a) else a


def _pending(cells: dict[int, dict[str, CellAgg]]) -> int:
    return sum(a.pending for mine in cells.values() for a in mine.values())


async def overview(
    db: Database,
    curriculum: Any,
    cohort_id: int,
    now: datetime,
    *,
    week: int | str | None = CURRENT_WEEK,
    behind_days: int = DEFAULT_BEHIND_DAYS,
) -> Overview:
    """The overview page's data: ``week`` a week number, None for every
    exercise, or ``"current"`` for the week the cohort is in (what it works on
    now; every exercise before the start or after the last week)."""
    header, rows, cells, attention = await member_rows(db, cohort_id, now,
                                                       behind_days=behind_days)
    weeks = sorted({int(ex.week) for ex in curriculum.ordered(None)})
    if week == CURRENT_WEEK:
        week = header.week if header.day >= 1 and header.week in weeks else None
    cols = columns(curriculum, week if isinstance(week, int) else None)
    counts = dict.fromkeys(CellState, 0)
    for row in rows:
        mine = cells.get(row.member_id, {})
        for col in cols:
            agg = mine.get(col.id)
            cell = agg.cell() if agg is not None else Cell(CellState.not_tried)
            counts[cell.state] += 1
            row.cells.append(cell)
    return Overview(cohort=header, now=now, columns=cols, rows=rows, weeks=weeks,
                    week=week if isinstance(week, int) else None,
                    behind_days=behind_days, state_counts=counts, attention=attention,
                    pending=_pending(cells))
