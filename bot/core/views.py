"""Plain view objects the core hands to the chat layer, the adapters and the
dashboard. They are snapshots (dataclasses), never ORM rows, so nothing outside
the core can lazy-load, mutate or hold a database session by accident."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core import rules
from bot.core.types import BoardRow, ExerciseItem


@dataclass(frozen=True)
class CohortView:
    id: int
    platform: str
    channel_id: str
    name: str
    tz: str
    start_date: date
    post_time: str
    paused: bool
    paused_days: int
    day: int  # cohort day now (0 or less: not started)


@dataclass(frozen=True)
class MemberView:
    id: int
    user_id: str
    name: str
    tz: str | None  # the member's own zone, if set
    reminders: bool


@dataclass(frozen=True)
class JoinResult:
    cohort: CohortView
    member: MemberView
    new: bool


@dataclass(frozen=True)
class TodayView:
    cohort: CohortView
    day: int  # the day shown (today's, or yesterday's before the post time)
    items: list[ExerciseItem]
    posted: bool


@dataclass(frozen=True)
class SubmitReceipt:
    submission_id: int
    exercise_id: str
    ahead: int  # own submissions still waiting before this one
    joined: bool  # the member was added to the cohort by this submission
    private: bool  # a timed challenge: the answer and its verdict stay private


@dataclass(frozen=True)
class SubmissionView:
    id: int
    exercise_id: str
    state: str  # received | queued | grading | graded | could_not_grade
    result_status: str | None
    received_at: datetime
    graded_at: datetime | None
    score: int | None
    max_score: int | None


@dataclass
class StreakInfo:
    name: str
    tz: str
    local_now: datetime
    streak: rules.StreakResult
    hours_left_today: float


@dataclass(frozen=True)
class CohortInfo(CohortView):
    """A cohort with what ``/dojo cohort info`` shows besides its settings."""

    week: int
    members: list[tuple[str, str | None]]  # (name, own tz)
    next_post_at: datetime | None


@dataclass
class ProgressData:
    name: str
    tz: str
    days: list[tuple[int, date, rules.DayState]]  # cohort day n, local date, state
    points: list[tuple[date, int]]  # cumulative points per local day
    total: int
    streak: rules.StreakResult


@dataclass(frozen=True)
class WindowView:
    id: int
    exercise_id: str
    personal: bool  # a member's own timer, not a cohort window
    opens_at: datetime
    closes_at: datetime


@dataclass
class ChallengeInfo:
    item: ExerciseItem
    windows: list[WindowView]
    passers: list[BoardRow]


@dataclass(frozen=True)
class TimerStarted:
    window: WindowView
    item: ExerciseItem
    prompt: str
    summary: str


@dataclass(frozen=True)
class PromptView:
    """An exercise's prompt as a member may see it right now."""

    item: ExerciseItem
    visible: bool  # False: a timed challenge whose window has not opened for them
    prompt: str = ""
    summary: str = ""
    starter: str = ""


@dataclass(frozen=True)
class ScheduleDay:
    day: int
    date: date
    exercise_ids: list[str] = field(default_factory=list)
