"""Errors the core raises for the user to read (never a traceback in chat)."""

from __future__ import annotations

# Raised through every core service when the database cannot be reached: the
# action did not happen (re-exported here so the layers above need not know bot.db).
from bot.db.session import DatabaseUnavailable as DatabaseUnavailable


class DojoError(Exception):
    """Something the user can fix; ``hint`` says how."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotAllowed(DojoError):
    """The actor's role does not allow this verb."""


class NotFound(DojoError):
    """No cohort, member or exercise by that name."""
