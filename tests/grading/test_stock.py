"""Heavy gradings planned ahead (grader/stock.py): a training loop's seed,
hidden inputs and reference are computed in quiet moments, each plan is used
by one grading only, and verdicts stay what they were — the reference passes,
a loop that never steps fails."""

from __future__ import annotations

import asyncio
import time

import pytest

from grader.grading import Grader
from grader.stock import Plan, ReferenceStock

pytestmark = pytest.mark.asyncio(loop_scope="session")

TRAINING = "5.1.1"


class Planner:
    """Stands in for the grader's planning: records what it was asked for."""

    def __init__(self, fail: set[str] | None = None, nothing: set[str] | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.fail = fail or set()
        self.nothing = nothing or set()

    async def __call__(self, exercise_id: str, seed: int) -> Plan | None:
        self.calls.append((exercise_id, seed))
        await asyncio.sleep(0)
        if exercise_id in self.fail:
            raise RuntimeError("reference failed")
        if exercise_id in self.nothing:
            return None
        return Plan(seed, [{"id": "p"}], [0], {"c": seed}, {}, ({"seed": seed}, []))


async def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_plans_are_made_only_when_no_grading_runs_and_used_once() -> None:
    planner = Planner()
    stock = ReferenceStock(planner, per_exercise=2, quiet_s=0.05)
    stock.start()
    try:
        with stock.grading():
            assert stock.take("5.1.1") is None  # nothing yet; now it is kept stocked
            await asyncio.sleep(0.3)
            assert planner.calls == []  # never while a grading runs
        await wait_for(lambda: stock.stocked("5.1.1") == 2)
        assert stock.take("1.1.1") is None
        with stock.grading():
            first, second = stock.take("5.1.1"), stock.take("5.1.1")
            assert first is not None and second is not None
            assert stock.take("5.1.1") is None  # two in stock, two handed out
        assert first.seed != second.seed
        assert first.inputs == {"c": first.seed}  # the plan is the seed's own
        await wait_for(lambda: stock.stocked("5.1.1") == 2 and stock.stocked("1.1.1") == 2)
        seeds = [seed for _, seed in planner.calls]
        assert len(seeds) == len(set(seeds)) == stock.made == 6  # a fresh seed each
        assert stock.taken == 2
    finally:
        await stock.close()


async def test_a_refill_is_paused_while_gradings_run() -> None:
    """A reference being computed ahead when a burst starts stops until it is
    quiet again — unless a grading needs the reference process itself."""
    go = asyncio.Event()
    events: list[str] = []

    async def slow(exercise_id: str, seed: int) -> Plan:
        events.append("making")
        await go.wait()
        return Plan(seed, [], [], {"c": 1}, {}, ({}, []))

    stock = ReferenceStock(slow, per_exercise=1, quiet_s=0.05,
                           pause=lambda: events.append("pause"),
                           resume=lambda: events.append("resume"))
    stock.start()
    try:
        assert stock.take("5.1.1") is None
        await wait_for(lambda: events == ["making"])
        with stock.grading():
            assert events == ["making", "pause"]
            with stock.grading():  # a second one: paused already
                pass
            assert events == ["making", "pause"]
            await asyncio.sleep(0.2)
            assert events == ["making", "pause"]  # not while a grading runs
        await wait_for(lambda: events == ["making", "pause", "resume"])
        with stock.grading():
            # needs the process: it goes on, and is not stopped again meanwhile
            with stock.reference_needed(), stock.grading():
                pass
            assert events == ["making", "pause", "resume", "pause", "resume"]
        go.set()
        await wait_for(lambda: stock.stocked("5.1.1") == 1)
        assert events.count("pause") == events.count("resume")
    finally:
        await stock.close()


async def test_an_exercise_that_cannot_be_planned_is_no_longer_stocked() -> None:
    planner = Planner(fail={"bad"}, nothing={"cached"})
    stock = ReferenceStock(planner, quiet_s=0.01)
    stock.start()
    try:
        assert stock.take("bad") is None and stock.take("cached") is None
        await wait_for(lambda: len(planner.calls) == 2)
        await asyncio.sleep(0.1)
        assert stock.take("bad") is None and stock.take("cached") is None
        await asyncio.sleep(0.1)
        assert len(planner.calls) == 2 and stock.made == 0  # never asked again
    finally:
        await stock.close()


async def test_a_service_grades_training_loops_with_plans_made_ahead(grader: Grader) -> None:
    service = Grader(grader.curriculum, grader.pool, grader.settings, separate_references=True)
    assert service.stock is not None and service.references is not None
    service.stock.quiet_s = 0.05
    await service.references.start()
    service.stock.start()
    try:
        reference = grader.curriculum.get(TRAINING).reference
        first = await service.grade(TRAINING, reference)  # computes its own reference
        assert first["status"] == "passed", first
        assert service.stock.taken == 0
        await wait_for(lambda: service.stock.stocked(TRAINING) == 2, timeout=120)

        passed = await service.grade(TRAINING, reference)
        wrong = await service.grade(TRAINING, reference.replace("optimizer.step()", "pass"))
        assert service.stock.taken == 2  # both graded against plans made ahead
        assert passed["status"] == "passed", passed
        assert wrong["status"] == "failed", wrong
        assert service.health()["references_ahead"]["taken"] == 2

        # the reference process can be stopped and continued; closed while
        # stopped, it still ends
        pid = service.references.pid()
        assert pid is not None
        service.references.pause()
        await wait_for(lambda: process_state(pid) == "T")
        service.references.resume()
        await wait_for(lambda: process_state(pid) != "T")

        # drills are not planned ahead (their reference is computed once)
        drill = await service.grade("1.1.1", grader.curriculum.get("1.1.1").reference)
        assert drill["status"] == "passed" and service.stock.stocked("1.1.1") == 0
    finally:
        await service.stock.close()
        pid = service.references.pid()
        service.references.pause()
        service.references.close()
    if pid is not None:
        await wait_for(lambda: process_state(pid) in ("", "Z"), timeout=20)


def process_state(pid: int) -> str:
    """The state letter of /proc/PID/stat ("" once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""
