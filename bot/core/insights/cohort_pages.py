"""The challenges and schedule pages: a cohort's timed windows with who passed
in which order, and its days with what each one posts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core import rules
from bot.core.insights.common import column, load_cohort, scheduled_days
from bot.core.insights.views import (
    ChallengesPage,
    ChallengeView,
    DayRow,
    ExerciseColumn,
    PasserRow,
    SchedulePage,
    WindowView,
)
from bot.db import Award, ChallengeWindow, CohortPause, Database, Member

COURSE_DAYS = 42


def _challenges(curriculum: Any) -> list[ExerciseColumn]:
    days = scheduled_days(curriculum)
    return [column(ex, days) for ex in curriculum.ordered(None)
            if getattr(ex.kind, "value", str(ex.kind)) == "challenge"]


def _state(opens: datetime, closes: datetime, now: datetime) -> str:
    return "upcoming" if now < opens else "open" if now < closes else "closed"


async def challenges_page(
    db: Database, curriculum: Any, cohort_id: int, now: datetime
) -> ChallengesPage:
    async with db.session() as s:
        _, header = await load_cohort(s, cohort_id, now)
        windows = (
            await s.execute(
                select(ChallengeWindow, Member.display_name)
                .outerjoin(Member, Member.id == ChallengeWindow.member_id)
                .where(ChallengeWindow.cohort_id == cohort_id)
                .order_by(ChallengeWindow.opens_at)
            )
        ).all()
        openable = _challenges(curriculum)
        ids = {c.id for c in openable} | {w.exercise_id for w, _ in windows}
        awards = (
            await s.execute(
                select(Award, Member.display_name)
                .join(Member, Member.id == Award.member_id)
                .where(Award.cohort_id == cohort_id, Award.exercise_id.in_(ids))
                .order_by(Award.late, Award.elapsed_s, Award.passed_at)
            )
        ).all()
    by_ex: dict[str, ChallengeView] = {}
    days = scheduled_days(curriculum)

    def view(ex_id: str) -> ChallengeView:
        if ex_id not in by_ex:
            ex = curriculum.get(ex_id)
            col = (column(ex, days) if ex is not None
                   else ExerciseColumn(ex_id, ex_id, "challenge", 0, 0, None))
            by_ex[ex_id] = ChallengeView(col, getattr(ex, "time_limit_min", None), [], [])
        return by_ex[ex_id]

    for w, name in windows:
        view(w.exercise_id).windows.append(WindowView(
            "cohort" if w.member_id is None else "personal", name, w.opens_at, w.closes_at,
            _state(w.opens_at, w.closes_at, now)))
    for a, name in awards:
        v = view(a.exercise_id)
        v.passers.append(PasserRow(
            len(v.passers) + 1, name, a.passed_at,
            timedelta(seconds=a.elapsed_s) if a.elapsed_s is not None else None,
            a.points, a.bonus, a.late, a.submission_id))
    ordered = sorted(by_ex.values(), key=lambda v: (
        min((w.opens_at for w in v.windows), default=now), v.exercise.id), reverse=True)
    return ChallengesPage(header, now, ordered, openable)


async def schedule_page(
    db: Database, curriculum: Any, cohort_id: int, now: datetime
) -> SchedulePage:
    async with db.session() as s:
        cohort, header = await load_cohort(s, cohort_id, now)
        pauses = (
            await s.execute(
                select(CohortPause.start_date, CohortPause.end_date)
                .where(CohortPause.cohort_id == cohort_id)
                .order_by(CohortPause.start_date)
            )
        ).all()
    days = scheduled_days(curriculum)
    post = rules.parse_hhmm(cohort.post_time)
    last = max([COURSE_DAYS, *curriculum.schedule])
    rows = []
    for n in range(1, last + 1):
        d = rules.date_of_day(cohort.start_date, n, cohort.paused_days)
        items = [column(ex, days) for ex_id in curriculum.schedule.get(n, [])
                 if (ex := curriculum.get(ex_id)) is not None]
        when = "past" if n < header.day else "today" if n == header.day else "upcoming"
        rows.append(DayRow(n, d, rules.week_of_day(n), items, when,
                           rules.local_at_utc(d, post, cohort.tz)))
    return SchedulePage(header, now, rows, [(a, b) for a, b in pauses], _challenges(curriculum))
