"""Platform-neutral domain: cohorts, schedule, submissions, streaks, scoring,
leaderboards and timed challenges, one service per module (see
:mod:`bot.core.dojo`). Holds no platform types; the only layer besides
``bot.db`` that touches the database."""

from bot.core.clock import Clock, ManualClock, OffsetClock, SystemClock
from bot.core.dojo import Dojo
from bot.core.errors import DojoError, NotAllowed, NotFound
from bot.core.posts import Planner
from bot.core.types import Actor, ListOutbox, Outbox, Role

__all__ = [
    "Actor",
    "Clock",
    "Dojo",
    "DojoError",
    "ListOutbox",
    "ManualClock",
    "NotAllowed",
    "NotFound",
    "OffsetClock",
    "Outbox",
    "Planner",
    "Role",
    "SystemClock",
]
