"""The bot's tables (SQLAlchemy 2, async-ready).

Times are stored as naive UTC and handed back timezone-aware (``UTCDateTime``)
so SQLite and PostgreSQL behave the same and every local-day computation is an
explicit conversion with ``zoneinfo`` (which is what makes DST come out right).

Invariants live in the schema, not only in code, because two bot processes may
share one database:

* ``posts (cohort_id, key)`` is unique: a scheduled post is *claimed* by
  inserting its row, so it can never be sent twice.
* ``awards (member_id, exercise_id)`` is unique: only the first pass scores.
* a partial unique index allows one ``grading`` submission per member.
* ``posted_messages (cohort_id, message_id)`` is unique: a reply resolves to
  exactly one post, even on platforms whose message ids could repeat.
* a notice is delivered once: it is claimed with a lease and marked delivered.
* ``review_cards (member_id, exercise_id)``, ``hint_uses (member_id,
  exercise_id, check_id, level)``, ``challenge_times (member_id, window_id)``
  and ``streak_notes (member_id, kind, day)`` are unique: one review schedule
  per exercise, each hint level paid once, one time per challenge attempt, and
  each freeze announced once.
* a submission has at most one verdict notice (``uq_notices_one_verdict``): a
  grading worker presumed dead that finishes after all cannot write a second
  verdict (nor award, nor streak: its whole transaction is refused).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive UTC on disk."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SubmissionStatus:
    """Lifecycle of a submission (plain strings so both databases store them alike)."""

    received = "received"
    queued = "queued"
    grading = "grading"
    graded = "graded"
    could_not_grade = "could_not_grade"
    pending = (received, queued, grading)


class Cohort(Base):
    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("platform", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    start_date: Mapped[date] = mapped_column(Date)
    post_time: Mapped[str] = mapped_column(String(5), default="09:00")
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class CohortPause(Base):
    """A pause of the cohort's schedule, in the cohort's local dates. Whole days
    strictly between ``start_date`` and ``end_date`` (still open: up to today) are
    neutral for streaks: an instructor's break does not cost learners a streak."""

    __tablename__ = "cohort_pauses"
    __table_args__ = (Index("ix_cohort_pauses_cohort", "cohort_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200))
    tz: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_member_passed", "member_id", "passed", "received_at"),
        Index("ix_submissions_status_next", "status", "next_attempt_at"),
        Index("ix_submissions_cohort_received", "cohort_id", "received_at"),
        Index("ix_submissions_member_status", "member_id", "status"),
        Index("ix_submissions_member_counts", "member_id", "counts", "received_at"),
        # At most one grading per member, enforced by the database itself.
        Index(
            "uq_submissions_one_grading",
            "member_id",
            unique=True,
            sqlite_where=text("status = 'grading'"),
            postgresql_where=text("status = 'grading'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    exercise_id: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=SubmissionStatus.received)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Gradings that failed because of this submission (grader errors, not outages):
    # bounded, then "could not be graded".
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delay_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    result_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    origin_message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Where the member's "⏳ grading…" message is, so the verdict edits it — also
    # after a restart of the bot (``reply_state``: awaiting | posted | none).
    reply_state: Mapped[str] = mapped_column(String(12), default="none")
    reply_channel: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reply_message: Mapped[str | None] = mapped_column(String(256), nullable=True)
    reply_private: Mapped[bool] = mapped_column(Boolean, default=False)
    regrade_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A pass that keeps the member's streak alive: something new or due that day
    # (that day's item, a due review, an item not passed before), decided when it
    # is graded. A re-submission of an old pass is ``passed`` but does not count.
    counts: Mapped[bool] = mapped_column(Boolean, default=False)
    # Grading dispatch (bot.core.dispatch): the job engine's priority for it (fair
    # across members, strictly decreasing within one member's queue) and when a
    # job was last handed to the engine (NULL: it needs one).
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ChallengeWindow(Base):
    """A timed challenge: a cohort window (member_id NULL) or a personal timer.

    A member has one timer row per challenge. Its first run counts for points;
    once the challenge is passed the member may start it again — a practice
    run that only records a time — which moves the row's window and counts up
    ``attempt`` (the times themselves are kept in ``challenge_times``)."""

    __tablename__ = "challenge_windows"
    __table_args__ = (
        Index("ix_challenge_windows_cohort_ex", "cohort_id", "exercise_id"),
        UniqueConstraint("member_id", "exercise_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    exercise_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempt: Mapped[int] = mapped_column(Integer, default=1)


class Award(Base):
    """Points a member earned for an exercise: written once, on the first pass."""

    __tablename__ = "awards"
    __table_args__ = (
        UniqueConstraint("member_id", "exercise_id"),
        # Covering indexes for the leaderboards (all time; one week): the board is
        # answered from the index alone, without visiting award rows (benchmarks/).
        Index("ix_awards_board", "cohort_id", "member_id", "points", "bonus", "passed_at"),
        Index("ix_awards_week", "cohort_id", "passed_at", "member_id", "points", "bonus"),
        Index("ix_awards_window", "window_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    exercise_id: Mapped[str] = mapped_column(String(32))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    window_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenge_windows.id", ondelete="SET NULL"), nullable=True
    )
    points: Mapped[int] = mapped_column(Integer)
    bonus: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    elapsed_s: Mapped[float | None] = mapped_column(nullable=True)
    passed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Post(Base):
    """A scheduled post, claimed by inserting this row (unique per cohort and key)."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("cohort_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")


class PostedMessage(Base):
    """Platform message ids of drill posts, so a reply to one means 'submit for it'."""

    __tablename__ = "posted_messages"
    __table_args__ = (UniqueConstraint("cohort_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(128))
    exercise_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Notice(Base):
    """Something to tell a member in chat (a verdict, a delay, a grading that
    failed), written in the same transaction as the state change it reports and
    delivered by whichever adapter process serves the cohort's platform: the
    process that graded is not necessarily the one connected to the chat."""

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_undelivered", "delivered_at", "cohort_id"),
        Index("ix_notices_submission", "submission_id"),
        # One verdict per submission, enforced by the database itself.
        Index(
            "uq_notices_one_verdict",
            "submission_id",
            unique=True,
            sqlite_where=text("kind IN ('graded', 'could_not_grade')"),
            postgresql_where=text("kind IN ('graded', 'could_not_grade')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True
    )
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsoleState(Base):
    """The console's own state (simulated clock, message counter), so a
    restarted ``./scripts/run.sh`` continues where it left off."""

    __tablename__ = "console_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ReviewCard(Base):
    """A member's spaced-review schedule for one exercise: an FSRS card (the
    ``fsrs`` package's ``Card.to_dict()``) and when it is due.

    One *session* per local day: the first graded attempt of a day starts it
    from the card as it was (``session_card``), and every attempt that day
    re-rates that same starting card with the day's outcome so far (fail,
    pass after failures, first-try pass), so ten attempts in an evening are one
    review, not ten."""

    __tablename__ = "review_cards"
    __table_args__ = (
        UniqueConstraint("member_id", "exercise_id"),
        Index("ix_review_cards_due", "due", "member_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    exercise_id: Mapped[str] = mapped_column(String(32))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    due: Mapped[datetime] = mapped_column(UTCDateTime)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    session_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    session_card: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    session_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    session_failures: Mapped[int] = mapped_column(Integer, default=0)
    session_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    session_due: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HintUse(Base):
    """A hint level a member revealed, with the points it costs that exercise's
    first pass (stated before it was revealed)."""

    __tablename__ = "hint_uses"
    __table_args__ = (UniqueConstraint("member_id", "exercise_id", "check_id", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    exercise_id: Mapped[str] = mapped_column(String(32))
    check_id: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    cost: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), nullable=True
    )
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChallengeTime(Base):
    """How long a member took to pass a timed challenge in one run of a window
    (a cohort window, or one run of their timer): the first pass in each run.
    Personal bests and improvements are read from these."""

    __tablename__ = "challenge_times"
    __table_args__ = (
        UniqueConstraint("member_id", "window_id", "attempt"),
        Index("ix_challenge_times_member_ex", "member_id", "exercise_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    exercise_id: Mapped[str] = mapped_column(String(32))
    window_id: Mapped[int] = mapped_column(ForeignKey("challenge_windows.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), nullable=True
    )
    elapsed_s: Mapped[float] = mapped_column()
    passed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    practice: Mapped[bool] = mapped_column(Boolean, default=False)


class StreakNote(Base):
    """A streak freeze earned or used on a local day, recorded when the member
    is told about it, so each is announced once."""

    __tablename__ = "streak_notes"
    __table_args__ = (UniqueConstraint("member_id", "kind", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # earned | used
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
