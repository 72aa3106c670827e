"""The exercise view: how a cohort is doing on one exercise, and why it fails.

Pass rate, median tries and median time to pass come from every submission of
the exercise in the cohort (one indexed query). "The checks that fail most"
reads the stored results of the newest failing submissions (capped, so a
popular exercise stays fast) and groups each check's messages by their text
with numbers blanked — "expected shape (3, 4), found (4, 3)" and "… (2, 5),
found (5, 2)" are one mistake — keeping the submissions behind every group.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core.errors import NotFound
from bot.core.insights import results
from bot.core.insights.common import column, load_cohort, scheduled_days
from bot.core.insights.views import (
    CellState,
    CheckFailures,
    ExerciseMember,
    ExerciseView,
    MessageGroup,
    SubmissionRef,
)
from bot.db import Database, Member, Submission, SubmissionStatus

MAX_ANALYSED = 2000  # failing results read per page view, newest first
MAX_REFS = 12  # submissions listed under one message group
_STUCK_FIRST = {CellState.failing: 0, CellState.after_tries: 1, CellState.first_try: 2,
                CellState.not_tried: 3}


def _member_stats(subs: list[tuple[int, str, bool, datetime]]) -> tuple[
        CellState, int, int | None, timedelta | None]:
    """(state, graded tries, tries to first pass, time to first pass) from one
    member's submissions in id order: (id, lifecycle status, passed, received)."""
    graded = [x for x in subs if x[1] == SubmissionStatus.graded]
    first_pass = next((i for i, x in enumerate(graded) if x[2]), None)
    if first_pass is None:
        return (CellState.failing if graded else CellState.not_tried), len(graded), None, None
    state = CellState.first_try if first_pass == 0 else CellState.after_tries
    return state, len(graded), first_pass + 1, graded[first_pass][3] - subs[0][3]


def _median_delta(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


class _Groups:
    """Message groups keyed by (owner, pattern), counting every failure and
    keeping the first few submissions of each."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], MessageGroup] = {}

    def add(self, owner: str, message: str, ref: SubmissionRef) -> None:
        key = (owner, results.pattern(message))
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = MessageGroup(key[1], message, 0, [])
        group.count += 1
        if len(group.submissions) < MAX_REFS:
            group.submissions.append(ref)

    def of(self, owner: str) -> list[MessageGroup]:
        found = [g for (o, _), g in self.groups.items() if o == owner]
        return sorted(found, key=lambda g: -g.count)


async def exercise_view(
    db: Database, curriculum: Any, cohort_id: int, exercise_id: str, now: datetime
) -> ExerciseView:
    ex = curriculum.get(exercise_id)
    if ex is None:
        raise NotFound(f"no exercise {exercise_id!r}")
    async with db.session() as s:
        _, header = await load_cohort(s, cohort_id, now)
        rows = (
            await s.execute(
                select(Submission.id, Submission.member_id, Member.display_name,
                       Submission.status, Submission.result_status, Submission.passed,
                       Submission.received_at)
                .join(Member, Member.id == Submission.member_id)
                .where(Submission.cohort_id == cohort_id, Submission.exercise_id == ex.id)
                .order_by(Submission.id)
            )
        ).all()
        failing = (
            await s.execute(
                select(Submission.id, Member.display_name, Submission.received_at,
                       Submission.result_status, Submission.result)
                .join(Member, Member.id == Submission.member_id)
                .where(Submission.cohort_id == cohort_id, Submission.exercise_id == ex.id,
                       Submission.status == SubmissionStatus.graded,
                       Submission.passed.is_(False))
                .order_by(Submission.id.desc())
                .limit(MAX_ANALYSED)
            )
        ).all()

    per_member: dict[int, list[tuple[int, str, bool, datetime]]] = defaultdict(list)
    names: dict[int, str] = {}
    result_counts: Counter[str] = Counter()
    for sid, mid, name, status, result_status, passed, received in rows:
        per_member[mid].append((sid, status, bool(passed), received))
        names[mid] = name
        result_counts[result_status or status] += 1
    members: list[ExerciseMember] = []
    tries: list[int] = []
    times: list[timedelta] = []
    for mid, subs in per_member.items():
        state, graded, to_pass, took = _member_stats(subs)
        members.append(ExerciseMember(mid, names[mid], state, graded, to_pass, took, subs[-1][0]))
        if to_pass is not None:
            tries.append(to_pass)
        if took is not None:
            times.append(took)
    members.sort(key=lambda m: (_STUCK_FIRST[m.state], -m.graded, m.name.lower()))
    tried = sum(1 for m in members if m.graded)
    passed = sum(1 for m in members if m.tries_to_pass is not None)

    groups = _Groups()
    check_fail: Counter[str] = Counter()
    check_members: dict[str, set[str]] = defaultdict(set)
    kinds: dict[str, str] = {}
    for sid, name, received, result_status, result in failing:
        ref = SubmissionRef(sid, name, received, result_status or "graded")
        if result_status in ("passed", "failed"):
            for check in results.checks(result):
                if check.status != "failed":
                    continue
                check_fail[check.id] += 1
                check_members[check.id].add(name)
                kinds.setdefault(check.id, check.kind)
                groups.add("check:" + check.id, check.message or "(no message)", ref)
        else:
            message = results.run_message(result) or str(result_status)
            groups.add("run", f"{result_status}: {message}", ref)
    failing_checks = [
        CheckFailures(cid, kinds.get(cid, ""), n, len(check_members[cid]),
                      groups.of("check:" + cid))
        for cid, n in check_fail.most_common()
    ]
    return ExerciseView(
        cohort=header,
        exercise=column(ex, scheduled_days(curriculum)),
        summary=ex.summary,
        members_tried=tried,
        members_passed=passed,
        pass_rate=passed / tried if tried else None,
        median_tries=float(statistics.median(tries)) if tries else None,
        median_time_to_pass=_median_delta(times),
        submissions=len(rows),
        result_counts=dict(result_counts.most_common()),
        failing_checks=failing_checks,
        run_problems=groups.of("run"),
        members=members,
        analysed=len(failing),
    )
