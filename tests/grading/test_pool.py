"""The warm pool's own behaviour: warm-up only when idle, huge pages reported."""

from __future__ import annotations

import asyncio
import contextlib
import os

import pytest

from grader.limits import GraderSettings, JobLimits
from grader.pool import SandboxPool

pytestmark = pytest.mark.asyncio(loop_scope="function")


def _job(limits: JobLimits) -> dict:
    return {"kind": "job", "source": "import torch\nx = torch.ones(2)\n",
            "probes": [{"id": "x", "op": "get", "name": "x"}], "seed": 1, "inputs": None,
            "limits": limits.for_child(), "device": "cpu"}


def _kernel_at_least(major: int, minor: int) -> bool:
    parts = os.uname().release.split(".")
    return (int(parts[0]), int(parts[1].split("-")[0])) >= (major, minor)


@contextlib.asynccontextmanager
async def one_worker_pool():
    pool = SandboxPool(GraderSettings(workers=1, max_queue=16))
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()


async def test_children_warm_up_only_when_nobody_waits():
    async with one_worker_pool() as pool:
        await _warm_then_burst(pool)


async def _warm_then_burst(pool: SandboxPool) -> None:
    limits = GraderSettings().default_limits()
    header, _ = await pool.run(_job(limits), [], limits)
    await asyncio.sleep(0.5)  # idle: the next child is forked and warmed
    header, _ = await pool.run(_job(limits), [], limits)
    assert header["warmed"] is True
    burst = await asyncio.gather(*(pool.run(_job(limits), [], limits) for _ in range(5)))
    warmed = [h["warmed"] for h, _ in burst]
    # Jobs queued behind each other: their children skip the warm-up.
    assert warmed.count(False) >= 3, warmed
    assert all(h["child"]["code"] == 0 for h, _ in burst)


async def test_health_reports_huge_pages():
    async with one_worker_pool() as pool:
        pages = pool.health()["huge_pages"]
    assert len(pages) == 1 and pages[0] >= 0
    if _kernel_at_least(6, 1):  # MADV_COLLAPSE exists: torch's heap is collapsed
        assert pages[0] > 10, pages
