"""The job engine's hand-over: a sweep hands a burst over in one query, on
both engines (Procrastinate's PostgreSQL connector, and the embedded one)."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.jobs import JobEngine
from bot.core.lanes import HEAVY, QUICK

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_burst_is_handed_over_at_once_and_a_waiting_job_is_not_doubled(
        db_url: str) -> None:
    engine = JobEngine.for_database(db_url, is_sqlite=db_url.startswith("sqlite"))
    engine.bind(lambda submission_id, lane: asyncio.sleep(0))
    try:
        await engine.defer_many([(1, 7, QUICK, 0), (2, 8, HEAVY, -1)])
        # a sweep that meets a submission whose job still waits (handed over
        # long ago, never taken) hands the others over and skips it
        await engine.defer_many([(3, 7, QUICK, -1), (1, 7, QUICK, 0), (4, 9, QUICK, 0)])
        await engine.defer_many([])
        jobs = list(await engine.app.job_manager.list_jobs_async(status="todo"))
        found = sorted((j.task_kwargs["submission_id"], j.queue, j.lock, j.priority,
                        j.queueing_lock) for j in jobs)
        assert found == [
            (1, QUICK, "member:7", 0, "submission:1"),
            (2, HEAVY, "member:8", -1, "submission:2"),
            (3, QUICK, "member:7", -1, "submission:3"),
            (4, QUICK, "member:9", 0, "submission:4"),
        ]
    finally:
        await engine.close()
