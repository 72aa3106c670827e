"""Lanes in the warm pool (issue 13): a drill never waits for a training loop.

Real sandbox, a pool of its own: two workers, one kept for quick jobs. Order
and overlap are asserted from completion order and from what the pool's
health said while the jobs ran, never from timed thresholds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from grader.limits import CONTROL_FRAME_BYTES, HEAVY, PROTOCOL, QUICK, GraderSettings, JobLimits
from grader.pool import SandboxPool
from grader.sandbox import harness

pytestmark = pytest.mark.asyncio(loop_scope="module")
CAPS = PROTOCOL.for_child()
LIMITS = JobLimits(wall_s=30, cpu_s=30)


def _job(source: str, names: tuple[str, ...] = ()) -> dict:
    return {"kind": "job", "source": source,
            "probes": [{"id": n, "op": "get", "name": n} for n in names], "seed": 1,
            "inputs": None, "limits": LIMITS.for_child(), "device": "cpu"}


def _values(result: tuple[dict, list[bytes]]) -> dict:
    _header, blobs = result
    frame, out = harness.unpack_frame(bytes(blobs[0]), CAPS)
    frame = harness.result_header(frame)
    return {k: (harness.decode(v["ok"], out, CAPS) if "ok" in v else v["error"])
            for k, v in frame["probes"].items()}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool() -> AsyncIterator[SandboxPool]:
    p = SandboxPool(GraderSettings(workers=2, quick_workers=1, max_queue=16))
    await p.start()
    yield p
    await p.close()


async def test_a_drill_passes_two_running_trainings(pool):
    """Two heavy jobs first (each spins until told to stop by time), then a
    quick one: the quick one comes back while both heavy ones are unfinished,
    and the heavy ones never held more than one worker."""
    assert pool.heavy_limit == 1
    heavy_src = ("import time\nt = time.monotonic()\n"
                 "while time.monotonic() - t < 1.5:\n    pass\ndone = 1\n")
    seen: list[dict] = []
    stop = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set():
            seen.append(pool.health()["lanes"])
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    finished: list[str] = []

    async def run(name: str, lane: str, source: str) -> None:
        await pool.run(_job(source, ("done",)), [], LIMITS, lane=lane)
        finished.append(name)

    heavy = [asyncio.create_task(run(f"heavy{i}", HEAVY, heavy_src)) for i in range(2)]
    while pool.health()["lanes"]["heavy"]["busy"] < 1:  # the first training is running
        await asyncio.sleep(0.01)
    await run("quick", QUICK, "done = 1\n")
    unfinished_when_quick_came_back = [not t.done() for t in heavy]
    await asyncio.gather(*heavy)
    stop.set()
    await watcher
    assert unfinished_when_quick_came_back == [True, True]
    assert finished[0] == "quick", finished
    assert max(s["heavy"]["busy"] for s in seen) == 1
    assert any(s["heavy"]["waiting"] == 1 for s in seen)  # the second training queued
    lanes = pool.health()["lanes"]
    assert lanes["heavy"]["limit"] == 1 and lanes["quick"]["limit"] == 2
    assert lanes["heavy"]["peak"] == 1 and lanes["reserved_quick"] == 1
    assert lanes["heavy"]["nice"] == GraderSettings().heavy_nice > 0
    assert lanes["quick"]["nice"] == 0


async def test_heavy_children_run_niced_and_cannot_undo_it(pool):
    src = ("import os\nnice = os.getpriority(os.PRIO_PROCESS, 0)\n"
           "try:\n    os.setpriority(os.PRIO_PROCESS, 0, 0)\n    lowered = True\n"
           "except OSError:\n    lowered = False\n")
    heavy = _values(await pool.run(_job(src, ("nice", "lowered")), [], LIMITS, lane=HEAVY))
    quick = _values(await pool.run(_job(src, ("nice", "lowered")), [], LIMITS, lane=QUICK))
    assert heavy == {"nice": pool.settings.heavy_nice, "lowered": False}
    assert quick["nice"] == 0


async def test_heavy_worker_gets_a_lower_cpu_weight(pool):
    await pool.run(_job("x = 1\n", ("x",)), [], LIMITS, lane=HEAVY)
    weights = [w.cgroup.weight for w in pool._workers if w.cgroup and w.cgroup.cpu]
    if not weights:
        pytest.skip(f"no writable cpu controller: {pool.health()['lanes']['cpu_weights']}")
    assert pool.settings.heavy_cpu_weight in weights


async def test_a_cancelled_waiter_does_not_keep_a_worker(pool):
    """A heavy job cancelled while it waits for the heavy slot frees nothing
    it never held; the lanes drain back to idle."""
    slow = "import time\ntime.sleep(0.5)\nx = 1\n"
    first = asyncio.create_task(pool.run(_job(slow, ("x",)), [], LIMITS, lane=HEAVY))
    while pool.health()["lanes"]["heavy"]["busy"] < 1:
        await asyncio.sleep(0.01)
    second = asyncio.create_task(pool.run(_job(slow, ("x",)), [], LIMITS, lane=HEAVY))
    await asyncio.sleep(0.05)
    second.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await second
    await first
    for _ in range(500):
        health = pool.health()
        if health["idle"] == 2:
            break
        await asyncio.sleep(0.01)
    assert health["idle"] == 2 and health["lanes"]["heavy"]["busy"] == 0


async def test_control_frame_stays_small():
    from grader.pool import job_control

    control = job_control(_job("x = 1\n"), b"x" * 10, True, 10, 5)
    assert len(harness.pack_frame(control, [])) < CONTROL_FRAME_BYTES


@pytest.mark.parametrize(("settings", "cpus", "sizes"), [
    # sized to the machine: one per core (at least 2), one of them kept for quick jobs
    ({}, 2, (2, 1)), ({}, 8, (8, 1)), ({}, 1, (2, 1)), ({}, None, (2, 1)),
    ({"quick_workers": 0}, 2, (2, 0)), ({"quick_workers": 2}, 4, (4, 2)),
    # a count given: that many in all, one of them kept (unless told to add it on top)
    ({"workers": 2}, 8, (2, 1)), ({"workers": 1}, 8, (1, 0)),
    ({"workers": 2, "quick_extra": True}, 8, (3, 1)),
    ({"workers": 3, "quick_workers": 5}, 8, (3, 2)),
])
async def test_pool_sizes(settings: dict, cpus: int | None, sizes: tuple[int, int]) -> None:
    """How many workers, and how many of them training checks may never take.
    (On two cores, the kept worker on top — ``quick_extra`` — ran two trainings
    side by side, ~20 % sooner, but the drills around them ~15 % later over
    seven paired bench_slack runs: the drills' lane keeps the default.)"""
    assert GraderSettings(**settings).pool_sizes(cpus) == sizes
