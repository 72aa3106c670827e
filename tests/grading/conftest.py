"""Fixtures of the grading tests: the session's warm grader behind a real HTTP port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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


@asynccontextmanager
async def serving(grader_cls: type[SharedGrader], grader: Grader,
                  **app_kwargs: float) -> AsyncIterator[TestServer]:
    """The session's pool behind a grader of ``grader_cls`` and a real port."""
    srv = TestServer(make_app(grader_cls(grader.curriculum, grader.pool, grader.settings),
                              **app_kwargs))
    await srv.start_server()
    try:
        yield srv
    finally:
        await srv.close()


@pytest_asyncio.fixture(loop_scope="session")
async def streaming_server(grader) -> AsyncIterator[TestServer]:
    """A service that streams every grading asked for as a stream, however
    quick (the real one answers gradings under half a second in one piece)."""
    async with serving(SharedGrader, grader, stream_after_s=0.0) as srv:
        yield srv
