"""Tables and indexes of the instructor dashboard.

Kept beside ``models.py`` rather than inside it so the dashboard's schema is
one reviewable unit (migration ``0005_dashboard``):

* ``dashboard_signins``: one row per sign-in link ``/dojo dashboard`` hands
  out. The link is signed, but the *row* is what makes it one-time (``used_at``
  is set by a conditional UPDATE, so two clicks cannot both win) and what a
  browser session is checked against on every request (``session_id``,
  ``session_expires_at``, ``revoked_at``): signing out or an expired session is
  refused by the server, not only by the cookie's own age.
* two covering indexes on ``submissions`` that let the cohort overview and the
  exercise view aggregate a cohort's submissions from the index alone
  (benchmarks/bench_dashboard.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, Submission, UTCDateTime


class DashboardSignIn(Base):
    __tablename__ = "dashboard_signins"
    __table_args__ = (
        Index("ix_dashboard_signins_session", "session_id", unique=True),
        Index("ix_dashboard_signins_cohort_created", "cohort_id", "created_at"),
    )

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    link_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    session_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# Overview heatmap: one pass over a cohort's index entries, grouped by
# (member, exercise), yields states, tries, last activity and pass days.
Index(
    "ix_submissions_cohort_cells",
    Submission.cohort_id,
    Submission.member_id,
    Submission.exercise_id,
    Submission.status,
    Submission.passed,
    Submission.received_at,
    Submission.id,
)
# A week's cells and the exercise view: a few exercises of one cohort
# without scanning the rest.
Index(
    "ix_submissions_cohort_exercise",
    Submission.cohort_id,
    Submission.exercise_id,
    Submission.member_id,
    Submission.status,
    Submission.passed,
    Submission.id,
)
