"""Persistence: SQLAlchemy 2 async models, sessions and migrations."""

from bot.db.dashboard import DashboardSignIn
from bot.db.models import (
    Award,
    Base,
    ChallengeWindow,
    Cohort,
    CohortPause,
    ConsoleState,
    Member,
    Notice,
    Post,
    PostedMessage,
    Submission,
    SubmissionStatus,
)
from bot.db.session import Database, make_engine

__all__ = [
    "Award",
    "Base",
    "ChallengeWindow",
    "Cohort",
    "CohortPause",
    "ConsoleState",
    "DashboardSignIn",
    "Database",
    "Member",
    "Notice",
    "Post",
    "PostedMessage",
    "Submission",
    "SubmissionStatus",
    "make_engine",
]
