"""Pieces every dashboard read model needs: the cohort header, exercise columns,
and reading aggregate values the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.errors import NotFound
from bot.core.insights.views import CohortHeader, ExerciseColumn
from bot.db import Cohort, Member


def aware(value: Any) -> datetime | None:
    """An aggregate's datetime as aware UTC (SQLite may hand back text for
    ``max()`` over an expression, PostgreSQL a naive timestamp)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def cohort_day(cohort: Cohort, now: datetime) -> int:
    """Cohort day of ``now``; a paused cohort stays on the day it paused."""
    today = rules.local_date(now, cohort.tz)
    if cohort.paused_since is not None:
        today = min(today, rules.local_date(cohort.paused_since, cohort.tz))
    return rules.day_number(cohort.start_date, today, cohort.paused_days)


async def load_cohort(
    s: AsyncSession, cohort_id: int, now: datetime
) -> tuple[Cohort, CohortHeader]:
    cohort = await s.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"no cohort #{cohort_id}")
    members = await s.scalar(
        select(func.count(Member.id)).where(Member.cohort_id == cohort_id,
                                            Member.left_at.is_(None))
    ) or 0
    day = cohort_day(cohort, now)
    header = CohortHeader(
        id=cohort.id,
        name=cohort.name,
        platform=cohort.platform,
        channel_id=cohort.channel_id,
        tz=cohort.tz,
        start_date=cohort.start_date,
        post_time=cohort.post_time,
        paused=cohort.paused_since is not None,
        paused_days=cohort.paused_days,
        day=day,
        week=rules.week_of_day(day),
        members=int(members),
    )
    return cohort, header


def scheduled_days(curriculum: Any) -> dict[str, int]:
    """Exercise id → the first cohort day it is posted on."""
    days: dict[str, int] = {}
    for n in sorted(curriculum.schedule):
        for ex_id in curriculum.schedule[n]:
            days.setdefault(ex_id, n)
    return days


def column(ex: Any, days: dict[str, int]) -> ExerciseColumn:
    return ExerciseColumn(
        id=ex.id,
        title=ex.title,
        kind=getattr(ex.kind, "value", str(ex.kind)),
        week=int(ex.week),
        max_score=int(ex.max_score),
        day=days.get(ex.id),
    )


def columns(curriculum: Any, week: int | None = None) -> list[ExerciseColumn]:
    days = scheduled_days(curriculum)
    return [column(ex, days) for ex in curriculum.ordered(week)]
