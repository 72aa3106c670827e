"""The HTTP grader service, served by aiohttp on a real local port."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.grader_client import GraderUnavailable, HTTPGraderClient, UnknownExercise
from grader.grading import Grader
from grader.limits import GraderSettings
from grader.pool import SandboxPool
from grader.service import make_app

pytestmark = pytest.mark.asyncio(loop_scope="session")


class _SharedGrader(Grader):
    """Reuses the session's warm pool; the app must not close it."""

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        return None


@pytest.fixture
async def server(grader):
    shared = _SharedGrader(grader.curriculum, grader.pool, grader.settings)
    srv = TestServer(make_app(shared))
    await srv.start_server()
    yield srv
    await srv.close()


async def test_grade_health_exercises(server, curriculum):
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url("/v1/grade"), json={
            "exercise": "1.1.1", "code": curriculum.get("1.1.1").reference}) as resp:
            assert resp.status == 200
            result = await resp.json()
        assert result["status"] == "passed" and result["score"] == 10
        async with http.get(server.make_url("/v1/health")) as resp:
            health = await resp.json()
        assert resp.status == 200 and health["status"] == "ok", health
        assert health["sandbox"] == "bubblewrap+namespaces"
        async with http.get(server.make_url("/v1/exercises")) as resp:
            items = (await resp.json())["exercises"]
        assert {"1.1.1", "1.1.8"} <= {i["id"] for i in items}


@pytest.mark.parametrize(("body", "status"), [
    (b"not json", 400),
    (b'{"exercise": "1.1.1"}', 400),
    (b'{"exercise": 1, "code": "x"}', 400),
    (b'{"exercise": "9.9.9", "code": "x = 1"}', 404),
])
async def test_bad_requests(server, body, status):
    async with aiohttp.ClientSession() as http, http.post(
        server.make_url("/v1/grade"), data=body,
        headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == status
        assert "error" in await resp.json()


async def test_oversized_body_is_refused_before_reading(server):
    async with aiohttp.ClientSession() as http, http.post(
        server.make_url("/v1/grade"), json={"exercise": "1.1.1", "code": "#" * 10_000_000}
    ) as resp:
        assert resp.status == 413


async def test_http_client_maps_errors(server, curriculum):
    client = HTTPGraderClient(str(server.make_url("")))
    try:
        result = await client.grade("1.1.2", curriculum.get("1.1.2").reference)
        assert result["status"] == "passed"
        with pytest.raises(UnknownExercise):
            await client.grade("7.7.7", "x = 1")
    finally:
        await client.close()
    dead = HTTPGraderClient("http://127.0.0.1:9")
    with pytest.raises(GraderUnavailable):
        await dead.grade("1.1.1", "x = 1")
    await dead.close()


async def test_full_queue_answers_503_with_retry_after(curriculum):
    settings = GraderSettings(workers=1, max_queue=0, limit_wall_s=2.0)
    grader = Grader(curriculum, SandboxPool(settings), settings)
    srv = TestServer(make_app(grader))
    await srv.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            slow = asyncio.create_task(http.post(srv.make_url("/v1/grade"), json={
                "exercise": "1.1.1", "code": "import time\ntime.sleep(10)"}))
            await asyncio.sleep(0.5)
            async with http.post(srv.make_url("/v1/grade"), json={
                    "exercise": "1.1.1", "code": "x = 1"}) as resp:
                assert resp.status == 503
                assert int(resp.headers["Retry-After"]) >= 1
            async with await slow as resp:
                assert (await resp.json())["status"] == "timeout"
    finally:
        await srv.close()
