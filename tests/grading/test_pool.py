"""The warm pool's own behaviour: warm-up only when idle, huge pages reported."""

from __future__ import annotations

import asyncio
import contextlib
import os

import pytest

from grader.limits import GraderSettings, JobLimits
from grader.pool import SandboxPool

pytestmark = pytest.mark.asyncio(loop_scope="function")


def _job(limits: JobLimits, source: str = "import torch\nx = torch.ones(2)\n") -> dict:
    return {"kind": "job", "source": source,
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


# ---- a worker that cannot be restarted is out of service, not handed to the next job ------

@contextlib.contextmanager
def _exits_at_once():
    yield ["/bin/sh", "-c", "exit 3"], ()


@contextlib.contextmanager
def _raises():
    raise OSError("bubblewrap is gone")
    yield  # pragma: no cover


async def _until(condition, what: str, tries: int = 600) -> None:
    """Polls ``condition`` (at most ``tries`` × 0.1 s: a bound against hanging, not a timing)."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.mark.parametrize("broken", [_exits_at_once, _raises], ids=["exits", "raises"])
async def test_a_worker_that_cannot_be_restarted_leaves_service(broken, monkeypatch):
    """A worker died and its restart failed: the pool handed the dead worker back, and
    every later job got 'the sandbox crashed', recorded by the bot as a graded attempt.
    Now the slot leaves service and is retried with back-off; jobs are refused as
    PoolUnavailable (a 503 the bot retries), and health says so until it is back."""
    import grader.pool as pool_module
    from grader.errors import PoolBusy, PoolUnavailable, WorkerLost

    monkeypatch.setattr(pool_module, "WORKER_RESTART_FIRST_S", 0.2, raising=False)
    monkeypatch.setattr(pool_module, "WORKER_RESTART_MAX_S", 1.0, raising=False)
    async with one_worker_pool() as pool:
        limits = GraderSettings().default_limits()
        worker = pool._workers[0]
        good = worker.launch
        worker.launch = broken
        slow = asyncio.create_task(pool.run(
            _job(limits, "import time\ntime.sleep(60)\nx = 1\n"), [], limits))
        await _until(lambda: pool._lane_of, "the slow job holds the worker")
        queued = asyncio.create_task(pool.run(_job(limits), [], limits))
        await _until(lambda: pool._waiting == 1, "a second job waits")
        worker.proc.kill()  # the zygote dies under the slow job
        with pytest.raises(WorkerLost):
            await slow  # the job it held: a crash, as before
        with pytest.raises(PoolUnavailable) as refused:  # (the bound only stops a hang)
            await asyncio.wait_for(queued, 120)  # the job behind it never ran: no verdict
        assert isinstance(refused.value, PoolBusy) and refused.value.retry_after >= 1
        health = pool.health()
        assert health["status"] == "unavailable" and health["in_service"] == 0, health
        (out,) = health["out_of_service"]
        assert out["worker"] == 0 and "restart failed" in out["reason"], out
        with pytest.raises(PoolUnavailable):  # refused at once, not queued behind nothing
            await pool.run(_job(limits), [], limits)
        await _until(lambda: pool.health()["out_of_service"][0]["attempts"] >= 3,
                     "the slot is tried again")
        assert pool.health()["out_of_service"][0]["last_error"]
        pool._workers[0].launch = good  # whatever broke the launch is fixed
        await _until(lambda: pool.health()["status"] == "ok", "the slot is back")
        header, _ = await pool.run(_job(limits), [], limits)
        assert header["child"]["code"] == 0 and pool.health()["in_service"] == 1


async def test_a_worker_found_dead_while_idle_gets_no_job():
    """An idle worker that died (the OOM killer, a crash) was given the next job,
    which then failed as 'the sandbox crashed'. It is restarted before the job is sent."""
    async with one_worker_pool() as pool:
        limits = GraderSettings().default_limits()
        worker = pool._workers[0]
        worker.proc.kill()
        await _until(lambda: not worker.alive, "the worker is reaped")
        header, _ = await pool.run(_job(limits), [], limits)
        assert header["child"]["code"] == 0
        assert pool.replaced == 1 and "died while idle" in pool.last_replacement["reason"]
