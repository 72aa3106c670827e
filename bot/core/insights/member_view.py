"""One member of a cohort for an instructor (the drill-down from the
overview): their standing as the overview computes it, every exercise they
submitted with its heatmap state, the hints they revealed, their spaced-review
queue and their challenge times (as the member's own ``/dojo review`` and
``/dojo progress`` show them), and their submissions, newest first.

Like a submission, a member is only ever looked up together with its cohort:
another cohort's member id is "not found"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.core import rules
from bot.core.bests import BestsService
from bot.core.errors import NotFound
from bot.core.insights.common import aware, columns
from bot.core.insights.overview import DEFAULT_BEHIND_DAYS, member_cells, member_rows
from bot.core.insights.views import MemberExercise, MemberHints, MemberSubmission, MemberView
from bot.core.reviews import ReviewService
from bot.db import Award, Cohort, Database, HintUse, Member, Submission

MAX_SUBMISSIONS = 200


async def member_view(db: Database, curriculum: Any, cohort_id: int, member_id: int,
                      now: datetime, *, behind_days: int = DEFAULT_BEHIND_DAYS,
                      limit: int = MAX_SUBMISSIONS, reviews: ReviewService | None = None,
                      bests: BestsService | None = None) -> MemberView:
    """``reviews`` and ``bests``: the core's services, which own how a review
    queue and a member's times are read (the page leaves those sections out
    without them)."""
    async with db.session() as s:
        found = (await s.execute(select(Member, Cohort).join(Cohort).where(
            Member.id == member_id, Member.cohort_id == cohort_id))).first()
        if found is None:
            raise NotFound(f"no member #{member_id} in this cohort")
        person, cohort = found
        left_at = person.left_at
        queue = await reviews.queue_of(s, cohort, person) if reviews else None
        times = await bests.of_member(s, member_id) if bests else []
    header, rows, _, _, _ = await member_rows(
        db, curriculum.schedule, cohort_id, now, behind_days=behind_days,
        include_left=left_at is not None, all_cells=False)
    row = next(r for r in rows if r.member_id == member_id)
    async with db.session() as s:
        cells, counts = await member_cells(s, cohort_id, None, [member_id])
        total = await s.scalar(select(func.count()).select_from(Submission).where(
            Submission.cohort_id == cohort_id, Submission.member_id == member_id)) or 0
        subs = (await s.execute(
            select(Submission.id, Submission.exercise_id, Submission.received_at,
                   Submission.status, Submission.result_status, Submission.score,
                   Submission.max_score, Award.points + Award.bonus)
            .outerjoin(Award, Award.submission_id == Submission.id)
            .where(Submission.cohort_id == cohort_id, Submission.member_id == member_id)
            .order_by(Submission.id.desc())
            .limit(limit)
        )).all()
        hinted = (await s.execute(
            select(HintUse.exercise_id, func.count(), func.sum(HintUse.cost))
            .where(HintUse.cohort_id == cohort_id, HintUse.member_id == member_id)
            .group_by(HintUse.exercise_id).order_by(HintUse.exercise_id))).all()
    row.tried, row.first_try = counts.get(member_id, (0, 0))
    mine = cells.get(member_id, {})
    exercises = [MemberExercise(col, mine[col.id]) for col in columns(curriculum, None)
                 if col.id in mine]
    return MemberView(
        cohort=header, now=now, member=row, left=left_at is not None, exercises=exercises,
        submissions=[MemberSubmission(id=i, exercise_id=ex, received_at=aware(at),
                                      status=result or str(state), score=score,
                                      max_score=max_score, points=points)
                     for i, ex, at, state, result, score, max_score, points in subs],
        total_submissions=total, hints=_hints(curriculum, hinted), reviews=queue,
        bests=times)


def _hints(curriculum: Any, hinted: list[Any]) -> list[MemberHints]:
    out = []
    for exercise_id, revealed, cost in hinted:
        ex = curriculum.get(exercise_id)
        if ex is None:  # an exercise the curriculum no longer has
            continue
        out.append(MemberHints(exercise_id, ex.title, int(revealed),
                               rules.hint_deduction(ex.max_score, [int(cost or 0)])))
    return out
