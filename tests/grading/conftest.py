"""Fixtures of the grading tests: the session's warm grader behind a real HTTP port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from grader.grading import Grader
from grader.service import make_app


class SharedGrader(Grader):
    """Reuses the session's warm pool; the app must not close it."""

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        return None


class CountingServer(TestServer):
    """A TestServer that counts the grading requests it answered."""

    graded = 0


@pytest_asyncio.fixture(loop_scope="session")
async def server(grader) -> AsyncIterator[CountingServer]:
    app = make_app(SharedGrader(grader.curriculum, grader.pool, grader.settings))
    srv = CountingServer(app)

    async def count(request: web.Request, response: web.StreamResponse) -> None:
        if request.path == "/v1/grade":
            srv.graded += 1

    app.on_response_prepare.append(count)
    await srv.start_server()
    yield srv
    await srv.close()
