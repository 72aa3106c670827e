"""Shared fixtures: one warm sandboxed grader for the whole test session.

Tests grade through the real jail (bubblewrap + namespaces + cgroups where
writable); starting the pool costs a torch import per worker, paid once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot.grader_client import GraderUnavailable, InProcessGraderClient
from grader.grading import Grader
from grader.limits import GraderSettings
from grader.pool import SandboxPool


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def grader() -> AsyncIterator[Grader]:
    from curriculum import load_curriculum

    settings = GraderSettings(workers=2, max_queue=256)
    g = Grader(load_curriculum(), SandboxPool(settings), settings)
    await g.start()
    yield g
    await g.close()


class SessionGraderClient(InProcessGraderClient):
    """The bot's real in-process grader client around the session's warm pool
    (which it must not close: other tests share it). ``down`` makes it report an
    outage the way the pool does when it cannot take work."""

    def __init__(self, grader: Grader) -> None:
        super().__init__()
        self._grader = grader
        self.down = False

    async def grade(self, exercise_id: str, code: str) -> dict[str, Any]:
        if self.down:
            raise GraderUnavailable("the grader is restarting", 1.0)
        return await super().grade(exercise_id, code)

    async def close(self) -> None:
        return None


@pytest.fixture
def grader_client(grader: Grader) -> Any:
    """A fresh bot-side client over the session's warm sandbox pool."""
    return SessionGraderClient(grader)


@pytest.fixture(scope="session")
def curriculum():
    from curriculum import load_curriculum

    return load_curriculum()


def run(coro):  # pragma: no cover - convenience for sync helpers
    return asyncio.get_event_loop().run_until_complete(coro)
