"""The learning loop's tests share the bot core's fixtures (a tiny curriculum,
the grader double, fresh SQLite and PostgreSQL databases, the World of one bot
process) and its session event loop."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.core.types import Role

# The core's conftest under the name pytest gives it ("core.conftest"), so both
# directories share one module (and one PostgreSQL test database per session).
sys.path.insert(0, str(Path(__file__).parents[1]))
from core.conftest import (  # noqa: F401  (fixtures are found by name)
    T0,
    FakeGrader,
    World,
    db_url,
    pg_url,
    tiny_curriculum,
    world,
)

PASS = "import torch\nx = 1  # PASS\n"
FAIL = "x = 2  # FAIL\n"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here) and asyncio.iscoroutinefunction(
            getattr(item, "function", None)
        ):
            item.add_marker(pytest.mark.asyncio(loop_scope="session"))


async def cohort(w: World, members: list[str], tz: str = "UTC") -> None:
    """A cohort starting today (T0 is Monday 08:00 UTC, posts at 09:00)."""
    coach = w.actor("coach", Role.instructor)
    await w.dojo.create_cohort(coach, "Learning cohort", tz=tz, start=w.clock.now().date(),
                               post_time="09:00")
    for m in members:
        await w.dojo.join(w.actor(m))


async def grade(w: World, who: str, ex: str, code: str) -> Any:
    """Submit and grade one member's submission; the verdict event."""
    await w.dojo.submit(w.actor(who), ex, code)
    events = await w.dojo.grade_pending(member_id=await w.member_id(who))
    assert len(events) == 1, events
    return events[0]
