"""Persistence: SQLAlchemy 2 async models, sessions and migrations."""

from bot.db.dashboard import DashboardSignIn
from bot.db.models import (
    Award,
    Base,
    ChallengeTime,
    ChallengeWindow,
    Cohort,
    CohortPause,
    ConsoleState,
    HintUse,
    Member,
    Notice,
    Post,
    PostedMessage,
    ReviewCard,
    StreakNote,
    Submission,
    SubmissionStatus,
)
from bot.db.session import Database, DatabaseUnavailable, make_engine

__all__ = [
    "Award",
    "Base",
    "ChallengeTime",
    "ChallengeWindow",
    "Cohort",
    "CohortPause",
    "ConsoleState",
    "DashboardSignIn",
    "Database",
    "DatabaseUnavailable",
    "HintUse",
    "Member",
    "Notice",
    "Post",
    "PostedMessage",
    "ReviewCard",
    "StreakNote",
    "Submission",
    "SubmissionStatus",
    "make_engine",
]
