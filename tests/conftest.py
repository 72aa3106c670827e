"""Shared fixtures: one warm sandboxed grader for the whole test session.

Tests grade through the real jail (bubblewrap + namespaces + cgroups where
writable); starting the pool costs a torch import per worker, paid once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

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


@pytest.fixture(scope="session")
def curriculum():
    from curriculum import load_curriculum

    return load_curriculum()


def run(coro):  # pragma: no cover - convenience for sync helpers
    return asyncio.get_event_loop().run_until_complete(coro)
