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


@pytest.mark.parametrize(("body", "status", "fragment"), [
    (b"not json", 400, "not valid JSON"),
    (b"\xff\xfe", 400, "not valid JSON"),
    (b"[1, 2]", 400, "got a JSON list"),
    (b'{"exercise": "1.1.1"}', 400, "code: field required"),
    (b'{"exercise": 1, "code": "x"}', 400, "exercise: input should be a valid string"),
    (b'{"exercise": "1.1.1", "code": ["x"]}', 400, "code: input should be a valid string"),
    (b'{"exercise": "1.1.1", "code": "x", "seed": 3}', 400, "seed: extra inputs"),
    (b'{"exercise": "9.9.9", "code": "x = 1"}', 404, "unknown exercise"),
])
async def test_bad_requests_answer_json_saying_what_is_wrong(server, body, status, fragment):
    async with aiohttp.ClientSession() as http, http.post(
        server.make_url("/v1/grade"), data=body,
        headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == status
        assert resp.content_type == "application/json"
        error = (await resp.json())["error"]
        assert fragment in error, error


async def test_oversized_body_is_refused_before_reading_with_json(server):
    async with aiohttp.ClientSession() as http, http.post(
        server.make_url("/v1/grade"), json={"exercise": "1.1.1", "code": "#" * 10_000_000}
    ) as resp:
        assert resp.status == 413
        assert resp.content_type == "application/json"
        body = await resp.json()
        assert "larger than" in body["error"] and "64 KB" in body["error"]
        assert body["limit_bytes"] == (64 * 2 + 16) * 1024


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/v1/nothing", 404), ("GET", "/v1/grade", 405), ("DELETE", "/v1/health", 405),
])
async def test_unknown_paths_and_methods_answer_json(server, method, path, status):
    async with aiohttp.ClientSession() as http, http.request(
            method, server.make_url(path)) as resp:
        assert resp.status == status and resp.content_type == "application/json"
        assert (await resp.json())["error"]


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
