"""Read models for the instructor dashboard (bot/dashboard).

The dashboard never touches the database: it asks :class:`Insights` for plain
view objects (``views.py``) and calls the ``Dojo`` facade for what an
instructor does (pause, resume, open a window, export) exactly as the chat
verbs do. Each page's queries live in their own module; this class only
binds them to one core (its database, curriculum and clock, so the console's
simulated time is the dashboard's time too).
"""

from __future__ import annotations

from typing import Any

from bot.core.insights.cohort_pages import challenges_page, schedule_page
from bot.core.insights.exercise_stats import exercise_view
from bot.core.insights.member_view import member_view
from bot.core.insights.overview import CURRENT_WEEK, DEFAULT_BEHIND_DAYS, SORT_KEYS, overview
from bot.core.insights.submission_view import submission_detail
from bot.core.insights.summary import safe_cell, summary_csv
from bot.core.insights.views import (
    CellState,
    ChallengesPage,
    ExerciseView,
    MemberView,
    Overview,
    SchedulePage,
    SubmissionDetail,
)

__all__ = [
    "CURRENT_WEEK",
    "DEFAULT_BEHIND_DAYS",
    "SORT_KEYS",
    "CellState",
    "Insights",
    "safe_cell",
]


class Insights:
    def __init__(self, dojo: Any) -> None:
        self.dojo = dojo

    async def overview(self, cohort_id: int, *, week: int | str | None = CURRENT_WEEK,
                       behind_days: int = DEFAULT_BEHIND_DAYS, sort: str = "name",
                       descending: bool = False, page: int = 1) -> Overview:
        return await overview(self.dojo.db, self.dojo.curriculum, cohort_id, self.dojo.now(),
                              week=week, behind_days=behind_days, sort=sort,
                              descending=descending, page=page)

    async def exercise(self, cohort_id: int, exercise_id: str) -> ExerciseView:
        return await exercise_view(self.dojo.db, self.dojo.curriculum, cohort_id, exercise_id,
                                   self.dojo.now())

    async def member(self, cohort_id: int, member_id: int) -> MemberView:
        return await member_view(self.dojo.db, self.dojo.curriculum, cohort_id, member_id,
                                 self.dojo.now(), reviews=self.dojo.reviews,
                                 bests=self.dojo.bests)

    async def submission(self, cohort_id: int, submission_id: int) -> SubmissionDetail:
        return await submission_detail(self.dojo.db, self.dojo.curriculum, cohort_id,
                                       submission_id, self.dojo.now())

    async def challenges(self, cohort_id: int) -> ChallengesPage:
        return await challenges_page(self.dojo.db, self.dojo.curriculum, cohort_id,
                                     self.dojo.now())

    async def schedule(self, cohort_id: int) -> SchedulePage:
        return await schedule_page(self.dojo.db, self.dojo.curriculum, cohort_id,
                                   self.dojo.now())

    async def summary_csv(self, cohort_id: int, *,
                          behind_days: int = DEFAULT_BEHIND_DAYS) -> tuple[str, bytes]:
        return await summary_csv(self.dojo.db, self.dojo.curriculum.schedule, cohort_id,
                                 self.dojo.now(),
                                 behind_days=behind_days)
