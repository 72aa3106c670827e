"""Scale-out on PostgreSQL: ``torchdojo worker`` processes pull grading jobs
from the job queue and call the grader over HTTP; the process connected to
the chat delivers the verdicts, woken by NOTIFY. Real processes, real
PostgreSQL, a scripted HTTP grader."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.core.jobs import JobEngine
from bot.core.types import GradedNotice, ListOutbox
from bot.db import Notice, Submission

from .conftest import QUICK, Node, wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.postgres,
              pytest.mark.slow]


async def chat_node(url: str, curriculum: Any, clock: Any = None) -> Node:
    """A bot process that only hands work out (no lanes) and delivers."""
    node = Node(url, curriculum, grader=None, engine=JobEngine.postgres(url), clock=clock)
    await node.dojo.dispatcher.start(lanes=())
    return node


async def rows(node: Node) -> list[Submission]:
    async with node.db.session() as s:
        return list((await s.scalars(select(Submission).order_by(Submission.id))).all())


async def verdicts(node: Node) -> Counter[int]:
    async with node.db.session() as s:
        ids = (await s.scalars(select(Notice.submission_id)
                               .where(Notice.kind == "graded"))).all()
    return Counter(ids)


async def test_two_workers_grade_everything_once_and_in_order(
        pg_url: str, curriculum: Any, http_grader: Any, workers: Any) -> None:
    grader, grader_url = http_grader
    grader.release.set()
    grader.delay_s = 0.01
    # a grader of 3 workers, 2 of which heavy jobs may hold: each worker process sizes
    # its lanes to it, but for what TORCHDOJO_LANE_SLOTS (--slots) names
    grader.capacity = {"workers": 3, "lanes": {"quick": {"limit": 3}, "heavy": {"limit": 2}}}
    w1, w2 = workers(pg_url, grader_url), workers(pg_url, grader_url, "--slots", "heavy=1")
    node = await chat_node(pg_url, curriculum)
    try:
        members = [f"m{i}" for i in range(8)]
        await node.cohort(members)
        await w1.ready()
        await w2.ready()
        for n in range(3):
            for m in members:
                await node.submit(m, QUICK, f"n{n}")

        async def all_graded() -> bool:
            return all(r.status == "graded" for r in await rows(node))

        await wait_until(all_graded, timeout=60)
        codes = Counter(c.code for c in grader.calls)
        assert len(codes) == 24 and set(codes.values()) == {1}  # each graded once
        assert set((await verdicts(node)).values()) == {1}  # one verdict each
        for m in members:
            assert grader.order(f"# {m} ") == [f"x = 1  # {m} n{n}\n" for n in range(3)]
        assert "worker ready: lanes quick×6, heavy×2, gpu×1" in w1.log.read_text()
        assert "worker ready: lanes quick×6, heavy×1, gpu×1" in w2.log.read_text()
    finally:
        await node.close()


async def test_a_worker_killed_mid_grading_loses_nothing(
        pg_url: str, curriculum: Any, http_grader: Any, workers: Any) -> None:
    """The worker holding a grading dies (SIGKILL); the other one finds its job
    stalled (no heartbeat), retries it in place and writes the one verdict."""
    grader, grader_url = http_grader
    node = await chat_node(pg_url, curriculum)
    try:
        await node.cohort(["ann", "bob"])
        first = workers(pg_url, grader_url)
        await first.ready()
        held = await node.submit("ann", QUICK, "HOLD")
        after = await node.submit("ann", QUICK, "after")  # ann's next, behind the lock

        async def first_grading() -> bool:
            return len(grader.calls) == 1

        await wait_until(first_grading)
        second = workers(pg_url, grader_url)
        await second.ready()
        first.kill()
        grader.release.set()
        other = await node.submit("bob", QUICK, "meanwhile")

        async def all_graded() -> bool:
            return all(r.status == "graded" for r in await rows(node))

        await wait_until(all_graded, timeout=60)
        assert await verdicts(node) == Counter({held: 1, after: 1, other: 1})
        assert grader.order("# ann") == ["x = 1  # ann HOLD\n", "x = 1  # ann HOLD\n",
                                         "x = 1  # ann after\n"]
        assert "was interrupted (its worker stopped)" in second.log.read_text()
    finally:
        await node.close()


class Outbox(ListOutbox):
    """Records deliveries; ``hold`` makes a delivery hang (an adapter stopped mid-way)."""

    def __init__(self) -> None:
        super().__init__()
        self.hold: asyncio.Event | None = None

    async def deliver(self, event: Any) -> list[str]:
        if self.hold is not None:
            await self.hold.wait()
        return await super().deliver(event)


async def test_verdicts_written_by_a_worker_reach_the_chat_once_across_restarts(
        pg_url: str, curriculum: Any, http_grader: Any, workers: Any) -> None:
    grader, grader_url = http_grader
    grader.release.set()
    clock = ManualClock()
    node = await chat_node(pg_url, curriculum, clock)
    await node.cohort(["ann", "bob", "cat"])
    worker = workers(pg_url, grader_url)
    await worker.ready()
    first = Outbox()
    # no poll to speak of: only NOTIFY (from the worker's transaction) wakes delivery
    adapter = asyncio.create_task(node.dojo.notices.run("test", first, poll_s=3600))
    try:
        one = await node.submit("ann", QUICK, "one")

        async def delivered_one() -> bool:
            return any(isinstance(e, GradedNotice) and e.submission_id == one
                       for e in first.events)

        await wait_until(delivered_one)
        # the adapter process stops; a verdict arrives while it is away, and the
        # next one hangs mid-delivery when the adapter stops again
        adapter.cancel()
        two = await node.submit("bob", QUICK, "two")

        async def graded_two() -> bool:
            return (await verdicts(node))[two] == 1

        await wait_until(graded_two)
        first.hold = asyncio.Event()
        adapter = asyncio.create_task(node.dojo.notices.run("test", first, poll_s=3600))
        three = await node.submit("cat", QUICK, "three")

        async def stuck() -> bool:
            return (await verdicts(node))[three] == 1 and len(first.events) == 1

        await wait_until(stuck)
        await asyncio.sleep(0.2)
        adapter.cancel()
        # a new adapter process: what was missed is delivered, the hung delivery
        # once its claim ran out, and nothing twice
        later = await chat_node(pg_url, curriculum, ManualClock(clock.now()))
        later.dojo.clock.advance(__import__("datetime").timedelta(minutes=2))
        second = Outbox()
        restarted = asyncio.create_task(later.dojo.notices.run("test", second, poll_s=3600))

        async def delivered_rest() -> bool:
            return {e.submission_id for e in second.events} == {two, three}

        await wait_until(delivered_rest)
        await asyncio.sleep(0.3)
        restarted.cancel()
        assert [e.submission_id for e in first.events] == [one]
        assert sorted(e.submission_id for e in second.events) == [two, three]
        assert await later.dojo.notices.undelivered() == 0
        await later.close()
    finally:
        adapter.cancel()
        await node.close()
