"""Platform-neutral values the core takes and gives: who acts, and what happened.

The adapter says who is acting (``Actor`` with a neutral ``Role``); the core
answers with plain dataclasses and *events* that the chat layer renders and the
adapter delivers. Nothing here knows Discord or Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Protocol

from grader.result import GradeResult


class Role(str, Enum):
    """What the platform says the user may do (mapped by each adapter)."""

    member = "member"
    instructor = "instructor"
    admin = "admin"

    @property
    def can_instruct(self) -> bool:
        return self in (Role.instructor, Role.admin)


@dataclass(frozen=True)
class Actor:
    platform: str
    channel_id: str
    user_id: str
    name: str
    role: Role = Role.member


@dataclass(frozen=True)
class Target:
    """Where a cohort's messages go."""

    platform: str
    channel_id: str
    cohort_id: int
    cohort_name: str
    tz: str


@dataclass
class BoardRow:
    rank: int
    user_id: str
    name: str
    points: int
    reached_at: datetime | None
    passes: int = 0


@dataclass
class ExerciseItem:
    id: str
    title: str
    kind: str
    max_score: int
    summary: str
    time_limit_min: int | None = None
    status: str = ""  # for a member: "passed", "tried", ""


@dataclass(frozen=True)
class StatusRef:
    """Where a submission's "⏳ grading…" message is, stored with the submission
    so its verdict edits that message, also after a restart of either process.
    ``message_id`` None: there is nothing to edit; say it in a new message."""

    channel_id: str
    message_id: str | None = None
    private: bool = False  # only the member may see it (timed challenges)


# ---- events: things the core wants said in a channel -------------------------


@dataclass
class GradedNotice:
    target: Target
    user_id: str
    member_name: str
    submission_id: int
    exercise_id: str
    exercise_title: str
    result: GradeResult
    points: int
    bonus: int
    late: bool
    first_pass: bool
    delayed: bool
    streak: int = 0
    status: StatusRef | None = None
    notice_id: int | None = None


@dataclass
class DelayNotice:
    target: Target
    user_id: str
    submission_id: int
    exercise_id: str
    reason: str
    status: StatusRef | None = None
    notice_id: int | None = None


@dataclass
class CouldNotGradeNotice:
    target: Target
    user_id: str
    submission_id: int
    exercise_id: str
    reason: str
    status: StatusRef | None = None
    notice_id: int | None = None


@dataclass
class DayPost:
    target: Target
    day: int
    week: int
    local_date: date
    items: list[ExerciseItem]


@dataclass
class ChallengeOpened:
    target: Target
    window_id: int
    item: ExerciseItem
    opens_at: datetime
    closes_at: datetime


@dataclass
class ChallengeClosed:
    target: Target
    window_id: int
    item: ExerciseItem
    results: list[BoardRow]
    board: list[BoardRow]


@dataclass
class WeeklyBoard:
    target: Target
    week: int
    rows: list[BoardRow]


@dataclass
class StreakReminder:
    target: Target
    user_id: str
    name: str
    streak: int
    hours_left: float


SubmissionNotice = GradedNotice | DelayNotice | CouldNotGradeNotice

Event = (
    GradedNotice
    | DelayNotice
    | CouldNotGradeNotice
    | DayPost
    | ChallengeOpened
    | ChallengeClosed
    | WeeklyBoard
    | StreakReminder
)


class Outbox(Protocol):
    """Delivers an event to its channel; returns one platform message id per
    exercise item for a DayPost (so replies to it can be matched), else any ids."""

    async def deliver(self, event: Event) -> list[str]: ...


@dataclass
class ListOutbox:
    """Collects events (console and tests); message ids are ``m1``, ``m2``, …"""

    events: list[Event] = field(default_factory=list)
    counter: int = 0

    async def deliver(self, event: Event) -> list[str]:
        self.events.append(event)
        n = len(event.items) if isinstance(event, DayPost) else 1
        ids = []
        for _ in range(max(n, 1)):
            self.counter += 1
            ids.append(f"m{self.counter}")
        return ids
