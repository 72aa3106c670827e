"""Plain view objects the core hands to the chat layer, the adapters and the
dashboard. They are snapshots (dataclasses), never ORM rows, so nothing outside
the core can lazy-load, mutate or hold a database session by accident."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core import rules
from bot.core.types import BoardRow, ExerciseItem, FreezeNews


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
    returning: bool = False  # joined again after leaving (points, passes and streak kept)


@dataclass(frozen=True)
class TodayView:
    cohort: CohortView
    day: int  # the day shown (today's, or yesterday's before the post time)
    items: list[ExerciseItem]
    posted: bool
    #: the asker is a member (joined, not left): the items carry their marks
    member: bool = True


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
    news: list[FreezeNews] = field(default_factory=list)  # freezes not yet told


@dataclass(frozen=True)
class CohortInfo(CohortView):
    """A cohort with what ``/dojo cohort info`` shows besides its settings."""

    week: int
    members: list[tuple[str, str | None]]  # (name, own tz)
    next_post_at: datetime | None


@dataclass(frozen=True)
class ReviewItem:
    item: ExerciseItem
    due: datetime
    due_day: date  # in the member's zone
    reviews: int  # review days so far
    lapses: int  # reviews that ended in a fail

    @property
    def reviewed(self) -> int:
        """How often the card came back and was tried: its first day (the tries that
        put it in the queue) is not a review."""
        return max(0, self.reviews - 1)


@dataclass(frozen=True)
class ReviewQueue:
    """A member's spaced reviews: what is due by the end of their day, what
    comes next, and how much of it FSRS expects them to recall right now."""

    tz: str
    today: date
    due: list[ReviewItem]
    upcoming: list[ReviewItem]
    cards: int
    retention: float | None  # mean predicted recall now (0..1); None: nothing reviewed yet


@dataclass(frozen=True)
class BestView:
    """A member's times on one timed challenge, oldest first."""

    item: ExerciseItem
    times: list[float]
    best_s: float
    latest_s: float
    previous_s: float | None


@dataclass
class ProgressData:
    name: str
    tz: str
    days: list[tuple[int, date, rules.DayState]]  # cohort day n, local date, state
    points: list[tuple[date, int]]  # cumulative points on every local day, start → today
    total: int
    streak: rules.StreakResult
    reviews: ReviewQueue | None = None
    bests: list[BestView] = field(default_factory=list)


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
    practice: bool = False  # already passed: a timed practice run for a personal best


@dataclass(frozen=True)
class PromptView:
    """An exercise's prompt as a member may see it right now."""

    item: ExerciseItem
    visible: bool  # False: a timed challenge whose window has not opened for them
    prompt: str = ""
    summary: str = ""
    starter: str = ""
    #: hidden: when the cohort's next window of it opens (the cohort's zone), if one is set
    #: (a member's own timer would be refused then: the window times everyone)
    cohort_opens: datetime | None = None
    tz: str = ""


@dataclass(frozen=True)
class ScheduleDay:
    day: int
    date: date
    exercise_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HintStep:
    """The next hint of an exercise for a member, before or as it is revealed.

    ``target`` names what the hint is about: a failing check's id, or the
    error (``SyntaxError``) or limit (``timeout``) that stopped the code."""

    item: ExerciseItem
    target: str
    about: str  # "check", "error" or "status"
    level: int  # the level this step reveals (1-based); > levels: all seen
    levels: int
    cost: int  # points it takes off the first pass (0: already scored, or all seen)
    points_now: int  # the first pass's points with the hints used so far
    points_after: int  # … and with this one
    scored: bool  # the exercise is already scored: hints are free
    seen: list[str] = field(default_factory=list)  # the levels revealed before
    text: str = ""  # this level's hint, once revealed
    unconfirmed: bool = False  # a "yes" that confirmed no current offer: this is the offer
