"""One submission in full for an instructor (regrading is
:meth:`bot.core.submissions.SubmissionService.regrade`).

A submission is only ever looked up *together with its cohort*: an id from a
URL that belongs to another cohort is "not found", exactly like an id that
does not exist, so changing a number in the address reveals nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.core.errors import NotFound
from bot.core.insights import results
from bot.core.insights.common import load_cohort
from bot.core.insights.views import SubmissionDetail, SubmissionRef
from bot.db import Award, Database, Member, Submission


async def submission_detail(
    db: Database, curriculum: Any, cohort_id: int, submission_id: int, now: datetime
) -> SubmissionDetail:
    async with db.session() as s:
        row = (
            await s.execute(
                select(Submission, Member.display_name, Member.user_id)
                .join(Member, Member.id == Submission.member_id)
                .where(Submission.id == submission_id, Submission.cohort_id == cohort_id)
            )
        ).first()
        if row is None:
            raise NotFound(f"no submission #{submission_id} in this cohort")
        sub, name, user_id = row
        _, header = await load_cohort(s, cohort_id, now)
        award = await s.scalar(select(Award).where(Award.submission_id == sub.id))
        history = (
            await s.execute(
                select(Submission.id, Submission.received_at, Submission.status,
                       Submission.result_status)
                .where(Submission.cohort_id == cohort_id, Submission.member_id == sub.member_id,
                       Submission.exercise_id == sub.exercise_id)
                .order_by(Submission.id)
            )
        ).all()
    ex = curriculum.get(sub.exercise_id)
    res = results.as_dict(sub.result)
    duration = res.get("duration_ms")
    return SubmissionDetail(
        cohort=header,
        id=sub.id,
        member_id=sub.member_id,
        member_name=name,
        user_id=user_id,
        exercise_id=sub.exercise_id,
        exercise_title=ex.title if ex is not None else sub.exercise_id,
        state=sub.status,
        result_status=sub.result_status,
        score=sub.score,
        max_score=sub.max_score,
        received_at=sub.received_at,
        started_at=sub.started_at,
        graded_at=sub.graded_at,
        attempts=sub.attempts,
        last_error=sub.last_error,
        code=sub.code,
        message=results.text(res.get("message")),
        stdout=results.text(res.get("stdout"), results.MAX_STDOUT),
        duration_ms=float(duration) if isinstance(duration, int | float) else None,
        checks=results.checks(res),
        environment=results.environment(res),
        cause=results.cause(res),
        points=award.points if award else None,
        bonus=award.bonus if award else None,
        late=bool(award and award.late),
        history=[SubmissionRef(i, name, at, rs or st) for i, at, st, rs in history],
    )
