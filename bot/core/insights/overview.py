"""The cohort overview: members × exercises heatmap, streaks, points, activity.

Built for a cohort of 500 members × 100 exercises × 100,000 submissions
(benchmarks/bench_dashboard.py), so everything is aggregated in SQL over
covering indexes (migration ``0005_dashboard``) and read as plain rows:

* per member: submissions, last activity and waiting submissions (one GROUP
  BY member), points and exercises passed (the awards' leaderboard index);
* streaks need each member's *local* pass days: SQL hands over each member's
  pass minutes (UTC, as sortable text), Python maps them to local dates by
  bisecting the zone's midnights — exact across DST and for any offset — and
  applies ``rules.compute_streak`` like ``/dojo streak`` does;
* the heatmap's cells come from one GROUP BY (member, exercise), only for the
  members of the page being shown and the exercises of the chosen week, after
  the whole cohort has been sorted on the per-member figures.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
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

DEFAULT_BEHIND_DAYS = 3
CURRENT_WEEK = "current"
MAX_ATTENTION = 50


@dataclass(slots=True)
class Totals:
    """One member's submissions over every exercise."""

    submissions: int = 0
    pending: int = 0
    last_at: datetime | None = None


async def member_totals(s: AsyncSession, cohort_id: int) -> dict[int, Totals]:
    q = (
        select(
            Submission.member_id,
            func.count(),
            func.sum(case((Submission.status.in_(SubmissionStatus.pending), 1), else_=0)),
            func.max(Submission.received_at),
        )
        .where(Submission.cohort_id == cohort_id)
        .group_by(Submission.member_id)
    )
    conn = await s.connection()  # plain rows: no ORM bookkeeping per row
    return {mid: Totals(int(n), int(pending or 0), aware(last))
            for mid, n, pending, last in (await conn.execute(q)).all()}


async def member_cells(
    s: AsyncSession, cohort_id: int, exercise_ids: list[str] | None = None,
    member_ids: list[int] | None = None,
) -> tuple[dict[int, dict[str, Cell]], dict[int, list[int]]]:
    """member id → exercise id → cell, for ``exercise_ids`` and ``member_ids``
    (None: all), in one GROUP BY (member, exercise) over a covering index.

    The first graded try is found with one aggregate: ``min(id * 2 + failed)``
    over graded submissions is the first graded id, and its low bit says
    whether that try failed. Also returns, per member, [exercises tried,
    exercises passed on the first try] among the cells read."""
    graded = Submission.status == SubmissionStatus.graded
    passed = Submission.passed.is_(True)
    q = (
        select(
            Submission.member_id,
            Submission.exercise_id,
            func.sum(case((graded, 1), else_=0)),
            func.max(case((passed, 1), else_=0)),
            func.min(case((graded, Submission.id * 2 + case((passed, 0), else_=1)))),
            func.max(Submission.id),
            func.max(case((Submission.status.in_(SubmissionStatus.pending), 2),
                          (Submission.status == SubmissionStatus.could_not_grade, 1),
                          else_=0)),
        )
        .where(Submission.cohort_id == cohort_id)
    )
    if member_ids is not None:
        q = q.where(Submission.member_id.in_(member_ids))
    if exercise_ids is None:  # every exercise, in the order of the cells index
        q = q.group_by(Submission.member_id, Submission.exercise_id)
    else:  # a few exercises: seek them in the (cohort, exercise, member) index
        q = q.where(Submission.exercise_id.in_(exercise_ids)).group_by(
            Submission.exercise_id, Submission.member_id)
    conn = await s.connection()
    out: dict[int, dict[str, Cell]] = {}
    counts: dict[int, list[int]] = {}
    first_try, after, failing, none = (CellState.first_try, CellState.after_tries,
                                       CellState.failing, CellState.not_tried)
    for mid, ex_id, n_graded, any_pass, first, latest, flag in (await conn.execute(q)).all():
        if mid not in out:
            out[mid], counts[mid] = {}, [0, 0]
        if n_graded:
            counts[mid][0] += 1
        if any_pass and first % 2 == 0:
            state = first_try
            counts[mid][1] += 1
        else:
            state = after if any_pass else failing if n_graded else none
        out[mid][ex_id] = Cell(state, int(n_graded), latest, int(flag == 2), int(flag == 1))
    return out, counts


def _minute_expr(sqlite: bool) -> Any:
    """A pass's UTC minute as text, ``YYYY-MM-DD HH:MM`` on both databases."""
    if sqlite:  # stored as naive UTC text
        return func.substr(Submission.received_at, 1, 16)
    return func.to_char(Submission.received_at, "YYYY-MM-DD HH24:MI")


async def pass_minutes(s: AsyncSession, cohort_id: int, sqlite: bool) -> dict[int, set[str]]:
    """member id → the UTC minutes (as text) in which they passed something that
    counts for the streak (new or due that day: honest streaks, as ``/dojo
    streak`` counts them)."""
    q = (
        select(Submission.member_id, func.aggregate_strings(_minute_expr(sqlite), ","))
        .where(Submission.cohort_id == cohort_id, Submission.counts.is_(True))
        .group_by(Submission.member_id)
    )
    conn = await s.connection()
    return {mid: set(joined.split(",")) for mid, joined in (await conn.execute(q)).all()
            if joined}


class LocalDays:
    """Maps UTC minutes (``YYYY-MM-DD HH:MM`` text, which sorts like time) to
    local dates of one zone by bisecting the zone's midnights — exact across
    DST and for every offset, computed once per zone, not per pass."""

    def __init__(self, tz: str, first: date, last: date) -> None:
        zone = rules.zone(tz)
        self.days = [first + timedelta(days=i) for i in range((last - first).days + 2)]
        self.edges = [rules.local_midnight_utc(d, zone).strftime("%Y-%m-%d %H:%M")
                      for d in self.days]

    def dates(self, minutes: Iterable[str]) -> set[date]:
        """The local days holding at least one of ``minutes``: two bisections
        per day into the sorted minutes, not one per pass."""
        ordered = sorted(minutes)
        edges, days = self.edges, self.days
        first = max(bisect.bisect_right(edges, ordered[0]) - 1, 0)
        last = bisect.bisect_right(edges, ordered[-1]) - 1
        out = set()
        for i in range(first, last + 1):
            lo = bisect.bisect_left(ordered, edges[i])
            hi = bisect.bisect_left(ordered, edges[i + 1]) if i + 1 < len(edges) else len(ordered)
            if hi > lo:
                out.add(days[i])
        return out


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
    schedule: dict[int, list[str]],
    cohort_id: int,
    now: datetime,
    *,
    behind_days: int = DEFAULT_BEHIND_DAYS,
    include_left: bool = False,
    all_cells: bool = True,
) -> tuple[CohortHeader, list[MemberRow], dict[int, dict[str, Cell]], list[Attention],
           int]:
    """Every member's standing, every cell (``all_cells``; the summary sheet)
    not yet laid out, what needs attention, and how many submissions wait."""
    async with db.session() as s:
        cohort, header = await load_cohort(s, cohort_id, now)
        q = select(Member.id, Member.user_id, Member.display_name, Member.tz,
                   Member.joined_at, Member.left_at).where(Member.cohort_id == cohort_id)
        if not include_left:
            q = q.where(Member.left_at.is_(None))
        members = (await s.execute(q.order_by(Member.display_name, Member.id))).all()
        totals = await member_totals(s, cohort_id)
        cells, counts = await member_cells(s, cohort_id) if all_cells else ({}, {})
        minutes = await pass_minutes(s, cohort_id, db.is_sqlite)
        awards = {mid: (int(pts or 0), int(n)) for mid, pts, n in await s.execute(
            select(Award.member_id, func.sum(Award.points + Award.bonus), func.count())
            .where(Award.cohort_id == cohort_id)
            .group_by(Award.member_id)
        )}
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
    first_day = min((min(m) for m in minutes.values()), default="")[:10]
    zones: dict[str, LocalDays] = {}
    rows: list[MemberRow] = []
    for mid, uid, name, tz, joined, _left in members:
        tz = tz or cohort.tz
        mine = totals.get(mid) or Totals()
        points, n_passed = awards.get(mid, (0, 0))
        row = MemberRow(member_id=mid, user_id=uid, name=name, tz=tz, joined_at=joined,
                        points=points, passed=n_passed, submissions=mine.submissions,
                        last_activity=mine.last_at)
        if all_cells:  # every cell at hand: count tries and first tries
            row.tried, row.first_try = counts.get(mid, (0, 0))
        if minutes.get(mid):  # minute resolution is plenty for "last pass"
            row.last_pass = datetime.fromisoformat(max(minutes[mid])).replace(tzinfo=UTC)
        today = rules.local_date(now, tz)
        if minutes.get(mid):
            if tz not in zones:
                lo = date.fromisoformat(first_day) - timedelta(days=1)
                zones[tz] = LocalDays(tz, lo, max(today, lo))
            days = zones[tz].dates(minutes[mid])
            rest = rules.rest_dates(cohort.start_date, schedule, today, cohort.paused_days,
                                    since=min(days, default=None))
            res = rules.compute_streak(days, today, rules.paused_dates(pauses, today), rest)
            row.streak, row.best_streak, row.freezes = res.current, res.best, res.freezes
        since = row.last_pass or joined
        row.days_since_pass = max((now - since).days, 0)
        row.behind = header.day >= 1 and not header.paused and row.days_since_pass >= behind_days
        if row.last_pass is None:
            row.days_since_pass = None
        rows.append(row)
    return header, rows, cells, attention, sum(t.pending for t in totals.values())


SORT_KEYS: dict[str, Any] = {
    "name": lambda r: r.name.lower(),
    "streak": lambda r: r.streak,
    "best": lambda r: r.best_streak,
    "points": lambda r: r.points,
    "passed": lambda r: r.passed,
    "activity": lambda r: r.last_activity.timestamp() if r.last_activity else 0.0,
    # never passed is further behind than any pass, and longer so the earlier one
    # joined: the order of the "falling behind" list, whose overflow points here
    "since_pass": lambda r: ((1, -r.joined_at.timestamp()) if r.days_since_pass is None
                             else (0, r.days_since_pass)),
}
PER_PAGE = 100


async def overview(
    db: Database,
    curriculum: Any,
    cohort_id: int,
    now: datetime,
    *,
    week: int | str | None = CURRENT_WEEK,
    behind_days: int = DEFAULT_BEHIND_DAYS,
    sort: str = "name",
    descending: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Overview:
    """The overview page's data: ``week`` a week number, None for every
    exercise, or ``"current"`` for the week the cohort is in (what it works on
    now; every exercise before the start or after the last week).

    Members are sorted over the whole cohort, then paged: the heatmap's cells
    are read only for the page's members (a page of 100 × 100 exercises is
    what a screen can show; 500 × 100 would be 5 MB of table)."""
    weeks = sorted({int(ex.week) for ex in curriculum.ordered(None)})
    if week == CURRENT_WEEK:
        async with db.session() as s:
            _, head = await load_cohort(s, cohort_id, now)
        week = head.week if head.day >= 1 and head.week in weeks else None
    cols = columns(curriculum, week if isinstance(week, int) else None)
    ids = [col.id for col in cols]
    header, rows, _, attention, pending = await member_rows(
        db, curriculum.schedule, cohort_id, now, behind_days=behind_days, all_cells=False)
    rows.sort(key=lambda r: (r.name.lower(), r.member_id))
    rows.sort(key=SORT_KEYS.get(sort, SORT_KEYS["name"]), reverse=descending)
    pages = max((len(rows) + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * per_page:page * per_page]
    async with db.session() as s:
        cells, _ = await member_cells(s, cohort_id, ids if isinstance(week, int) else None,
                                      [r.member_id for r in shown])
    counts = dict.fromkeys(CellState, 0)
    not_tried = Cell(CellState.not_tried)
    for row in shown:
        mine = cells.get(row.member_id, {})
        row.cells = [mine.get(i, not_tried) for i in ids]
        for cell in row.cells:
            counts[cell.state] += 1
    behind = sorted((r for r in rows if r.behind), key=SORT_KEYS["since_pass"], reverse=True)
    return Overview(cohort=header, now=now, columns=cols, rows=shown, weeks=weeks,
                    week=week if isinstance(week, int) else None,
                    behind_days=behind_days, state_counts=counts, attention=attention,
                    pending=pending, behind=behind, members=len(rows), page=page,
                    pages=pages, per_page=per_page, sort=sort if sort in SORT_KEYS else "name",
                    descending=descending)
