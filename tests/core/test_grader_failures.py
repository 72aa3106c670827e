"""How the bot classifies grader failures: an outage (connection refused, 503
with Retry-After) keeps a submission queued for as long as it takes; a grader
error caused by this submission (HTTP 500, a refusal, an unreadable answer) is
retried a bounded number of times, then reported as "could not be graded"
with the reason, which instructors see in the export. Before, any HTTP status
≥ 400 meant "grader unavailable" and the submission was requeued forever."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from sqlalchemy import select

from bot.core.queue import MAX_FAILURES
from bot.core.types import CouldNotGradeNotice, DelayNotice, Role
from bot.db import Submission
from bot.grader_client import HTTPGraderClient

from .conftest import World
from .test_submissions import PASS, setup_cohort

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture
async def grader_answering(
        world: World) -> AsyncIterator[Callable[[Callable[[], web.Response]], Any]]:
    """Serve ``POST /v1/grade`` with a canned response and point the world at it."""
    runners: list[web.AppRunner] = []

    async def serve(respond: Callable[[], web.Response]) -> dict[str, int]:
        calls = {"n": 0}

        async def grade(_request: web.Request) -> web.Response:
            calls["n"] += 1
            return respond()

        app = web.Application()
        app.router.add_post("/v1/grade", grade)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        world.dojo.grader = HTTPGraderClient(f"http://127.0.0.1:{port}", timeout_s=5)
        return calls

    yield serve
    for runner in runners:
        await runner.cleanup()


async def reasons(world: World) -> list[tuple[str, str | None, int]]:
    async with world.db.session() as s:
        rows = await s.execute(select(Submission.status, Submission.last_error,
                                      Submission.failures).order_by(Submission.id))
        return [tuple(r) for r in rows.all()]


async def test_a_grader_error_is_retried_a_few_times_then_reported(
        world: World, grader_answering: Any) -> None:
    calls = await grader_answering(lambda: web.json_response(
        {"error": "internal error while judging"}, status=500))
    await setup_cohort(world, ["ann"])
    await world.dojo.submit(world.actor("ann"), "1.1.1", PASS)
    events: list[Any] = []
    for _ in range(MAX_FAILURES + 3):
        events += await world.dojo.grade_pending(force=True)
    assert calls["n"] == MAX_FAILURES  # bounded, not forever
    (status, reason, failures), = await reasons(world)
    assert status == "could_not_grade" and failures == MAX_FAILURES
    assert "HTTP 500" in reason and "internal error while judging" in reason
    told = [e for e in events if isinstance(e, CouldNotGradeNotice)]
    assert len(told) == 1 and "internal error" in told[0].reason
    assert not [e for e in events if isinstance(e, DelayNotice)]  # not "grader is down"
    _, data = await world.dojo.export_csv(world.actor("coach", Role.instructor))
    assert "internal error while judging" in data.decode()


async def test_an_unreadable_answer_is_not_guessed(world: World, grader_answering: Any) -> None:
    await grader_answering(lambda: web.Response(text="<html>oops</html>", status=200))
    await setup_cohort(world, ["ann"])
    await world.dojo.submit(world.actor("ann"), "1.1.1", PASS)
    for _ in range(MAX_FAILURES):
        await world.dojo.grade_pending(force=True)
    (status, reason, _), = await reasons(world)
    assert status == "could_not_grade" and "unreadable" in reason


async def test_a_refusal_is_reported_at_once(world: World, grader_answering: Any) -> None:
    calls = await grader_answering(lambda: web.json_response(
        {"error": "body must be a JSON object with exercise and code"}, status=422))
    await setup_cohort(world, ["ann"])
    await world.dojo.submit(world.actor("ann"), "1.1.1", PASS)
    await world.dojo.grade_pending(force=True)
    (status, reason, _), = await reasons(world)
    assert calls["n"] == 1 and status == "could_not_grade" and "refused" in reason


async def test_busy_or_down_keeps_the_submission_queued(world: World,
                                                        grader_answering: Any) -> None:
    calls = await grader_answering(lambda: web.Response(
        status=503, text=json.dumps({"error": "queue full"}), headers={"Retry-After": "2"}))
    await setup_cohort(world, ["ann"])
    await world.dojo.submit(world.actor("ann"), "1.1.1", PASS)
    events = []
    for _ in range(6):
        events += await world.dojo.grade_pending(force=True)
    (status, reason, failures), = await reasons(world)
    assert status == "queued" and failures == 0 and calls["n"] >= 6
    assert len([e for e in events if isinstance(e, DelayNotice)]) == 1  # told once
    # nothing listening at all: the same, never "could not be graded"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    world.dojo.grader = HTTPGraderClient(f"http://127.0.0.1:{port}", timeout_s=5)
    world.clock.advance(timedelta(hours=1))
    for _ in range(MAX_FAILURES + 1):
        await world.dojo.grade_pending(force=True)
    (status, reason, failures), = await reasons(world)
    assert status == "queued" and failures == 0 and "unreachable" in reason


async def test_a_peers_result_is_stored_as_validated_not_as_sent(
        world: World, grader_answering: Any) -> None:
    """A grader peer's answer is stored as GradeResult.from_dict read it (fields
    capped, unknown keys dropped), not as the raw object it sent."""
    await grader_answering(lambda: web.json_response({
        "exercise": "1.1.1", "status": "failed", "score": 0, "max_score": 10,
        "checks": [], "stdout": "x" * 200_000, "message": "m \ud800",
        "environment": {"torch": "2", "nested": {"deep": ["x" * 1000] * 100}},
        "extra": ["y" * 1000] * 1000}))
    await setup_cohort(world, ["ann"])
    await world.dojo.submit(world.actor("ann"), "1.1.1", "zeros_1 = 1\n")
    await world.dojo.grade_pending(force=True)
    async with world.db.session() as s:
        stored = (await s.scalars(select(Submission.result))).one()
    assert "extra" not in stored and "nested" not in stored["environment"]
    assert len(stored["stdout"]) <= 64 * 1024 and stored["message"] == "m \ufffd"
