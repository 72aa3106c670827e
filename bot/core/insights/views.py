"""The plain view objects the dashboard's pages are drawn from (never ORM rows).

Everything here is data already decided by the core — states, ranks, medians,
who is behind — so the web layer only lays it out. Learner-controlled text
(names, code, messages, stdout) is carried as-is; escaping is the renderer's job
and the dashboard's templates escape everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.core.views import BestView, ReviewQueue


class CellState(StrEnum):
    """One member × exercise cell of the heatmap."""

    first_try = "first_try"  # the first graded submission passed
    after_tries = "after_tries"  # passed, but not on the first graded try
    failing = "failing"  # graded, never passed
    not_tried = "not_tried"  # nothing graded yet


@dataclass(frozen=True)
class CohortHeader:
    id: int
    name: str
    platform: str
    channel_id: str
    tz: str
    start_date: date
    post_time: str
    paused: bool
    paused_days: int
    day: int  # cohort day today (≤ 0: not started)
    week: int
    members: int


@dataclass(frozen=True)
class ExerciseColumn:
    id: str
    title: str
    kind: str
    week: int
    max_score: int
    day: int | None  # the cohort day it is scheduled on, if any


@dataclass(slots=True)
class Cell:
    state: CellState
    graded: int = 0  # graded submissions
    latest_id: int | None = None  # newest submission of this member for this exercise
    pending: int = 0  # 1: a submission is received, queued or grading
    could_not_grade: int = 0  # 1: one could not be graded


@dataclass
class MemberRow:
    member_id: int
    user_id: str
    name: str
    tz: str
    joined_at: datetime
    streak: int = 0
    best_streak: int = 0
    freezes: int = 0
    points: int = 0
    passed: int = 0  # exercises passed (all weeks)
    # counted when every exercise's cells are read (all weeks; the summary sheet):
    tried: int = 0  # exercises with a graded submission
    first_try: int = 0  # exercises passed on the first graded try
    submissions: int = 0
    last_activity: datetime | None = None
    last_pass: datetime | None = None
    days_since_pass: int | None = None
    behind: bool = False
    cells: list[Cell] = field(default_factory=list)


@dataclass(frozen=True)
class Attention:
    """A submission an instructor should look at (it could not be graded)."""

    submission_id: int
    member_name: str
    exercise_id: str
    reason: str
    at: datetime


@dataclass
class Overview:
    cohort: CohortHeader
    now: datetime
    columns: list[ExerciseColumn]
    rows: list[MemberRow]  # this page's members, with their cells
    weeks: list[int]
    week: int | None  # None: every week
    behind_days: int
    state_counts: dict[CellState, int]  # of this page's cells
    attention: list[Attention]
    pending: int
    behind: list[MemberRow]  # every member falling behind, longest first
    members: int  # in the cohort (all pages)
    page: int
    pages: int
    per_page: int
    sort: str
    descending: bool


@dataclass(frozen=True)
class SubmissionRef:
    id: int
    member_name: str
    received_at: datetime
    status: str  # result status, or the lifecycle state while not graded


@dataclass
class MessageGroup:
    """Failures of one check whose messages differ only in numbers."""

    pattern: str
    example: str
    count: int
    submissions: list[SubmissionRef]


@dataclass
class CheckFailures:
    check_id: str
    kind: str
    failures: int  # failing submissions
    members: int  # distinct members among them
    groups: list[MessageGroup]


@dataclass(frozen=True)
class ExerciseMember:
    member_id: int
    name: str
    state: CellState
    graded: int
    tries_to_pass: int | None
    time_to_pass: timedelta | None
    latest_id: int | None


@dataclass
class ExerciseView:
    cohort: CohortHeader
    exercise: ExerciseColumn
    summary: str
    members_tried: int
    members_passed: int
    pass_rate: float | None  # passed / tried
    median_tries: float | None  # graded tries up to and including the first pass
    median_time_to_pass: timedelta | None  # first submission → first passing one
    submissions: int
    result_counts: dict[str, int]
    failing_checks: list[CheckFailures]
    run_problems: list[MessageGroup]  # errors, timeouts, limits: the run itself failed
    members: list[ExerciseMember]
    analysed: int  # failing submissions whose checks were read (newest first, capped)


@dataclass(frozen=True)
class CheckRow:
    id: str
    kind: str
    status: str
    message: str
    points: int
    max_points: int


@dataclass(frozen=True)
class Cause:
    type: str
    message: str
    line: int | None
    col: int | None
    text: str


@dataclass
class SubmissionDetail:
    cohort: CohortHeader
    id: int
    member_id: int
    member_name: str
    user_id: str
    exercise_id: str
    exercise_title: str
    state: str  # received | queued | grading | graded | could_not_grade
    result_status: str | None
    score: int | None
    max_score: int | None
    received_at: datetime
    started_at: datetime | None
    graded_at: datetime | None
    attempts: int
    last_error: str | None
    code: str
    message: str
    stdout: str
    duration_ms: float | None
    checks: list[CheckRow]
    environment: list[tuple[str, str]]
    cause: Cause | None
    points: int | None  # award of this submission, if it scored
    bonus: int | None
    late: bool
    history: list[SubmissionRef]  # this member's submissions of this exercise

    @property
    def pending(self) -> bool:
        return self.state in ("received", "queued", "grading")


@dataclass(frozen=True)
class WindowView:
    kind: str  # cohort | personal
    member_name: str | None
    opens_at: datetime
    closes_at: datetime
    state: str  # upcoming | open | closed


@dataclass(frozen=True)
class PasserRow:
    rank: int
    name: str
    passed_at: datetime
    elapsed: timedelta | None
    points: int
    bonus: int
    late: bool
    submission_id: int


@dataclass
class ChallengeView:
    exercise: ExerciseColumn
    time_limit_min: int | None
    windows: list[WindowView]
    passers: list[PasserRow]


@dataclass
class ChallengesPage:
    cohort: CohortHeader
    now: datetime
    challenges: list[ChallengeView]  # ones with a window or a pass
    openable: list[ExerciseColumn]  # every timed challenge of the curriculum


@dataclass(frozen=True)
class DayRow:
    n: int
    date: date
    week: int
    exercises: list[ExerciseColumn]
    when: str  # past | today | upcoming
    post_at: datetime


@dataclass
class SchedulePage:
    cohort: CohortHeader
    now: datetime
    days: list[DayRow]
    pauses: list[tuple[date, date | None]]
    openable: list[ExerciseColumn]


@dataclass(frozen=True)
class MemberExercise:
    """One exercise a member has submitted, with its heatmap state."""

    exercise: ExerciseColumn
    cell: Cell


@dataclass(frozen=True)
class MemberSubmission:
    id: int
    exercise_id: str
    received_at: datetime
    status: str  # result status, or the lifecycle state while not graded
    score: int | None
    max_score: int | None
    points: int | None  # points + bonus where this submission scored the exercise


@dataclass(frozen=True)
class MemberHints:
    """The hints a member revealed on one exercise, and what they take off its first
    pass (capped as the scoring rule caps them)."""

    exercise_id: str
    title: str
    revealed: int
    deduction: int


@dataclass
class MemberView:
    """One member of a cohort for an instructor: standing, exercises, submissions."""

    cohort: CohortHeader
    now: datetime
    member: MemberRow
    left: bool
    exercises: list[MemberExercise]
    submissions: list[MemberSubmission]  # newest first, at most ``shown``
    total_submissions: int
    #: why a member's points may be lower than their passes: hints revealed, per exercise
    hints: list[MemberHints] = field(default_factory=list)
    #: their spaced-review queue, as ``/dojo review`` shows it to them (None: not read)
    reviews: ReviewQueue | None = None
    #: their times on timed challenges, as ``/dojo progress`` shows them
    bests: list[BestView] = field(default_factory=list)
