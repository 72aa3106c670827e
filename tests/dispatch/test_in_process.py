"""Dispatch inside one process (the embedded default's engine, with background
workers per lane): order per member, lanes, fairness, a verdict written once,
and nothing lost across a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core import submissions
from bot.core.lanes import GPU, HEAVY, QUICK, LaneSlots, lane_of, parse_lanes
from bot.core.types import GradedNotice
from bot.db import Award, Notice, Submission

from .conftest import GPU as GPU_EX
from .conftest import HEAVY as HEAVY_EX
from .conftest import QUICK as QUICK_EX
from .conftest import Node, ScriptedGrader, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/embedded.sqlite3"


async def started(url: str, curriculum: Any, grader: ScriptedGrader,
                  slots: LaneSlots, members: list[str]) -> Node:
    node = Node(url, curriculum, grader)
    await node.db.upgrade()
    await node.cohort(members)
    await node.dojo.dispatcher.start(slots=slots)
    return node


async def statuses(node: Node) -> dict[int, str]:
    async with node.db.session() as s:
        return {sid: st for sid, st in (await s.execute(
            select(Submission.id, Submission.status))).all()}


@pytest.mark.asyncio(loop_scope="session")
async def test_lanes_follow_the_curriculum(curriculum: Any) -> None:
    assert lane_of(curriculum.get(QUICK_EX)) == QUICK
    assert lane_of(curriculum.get(HEAVY_EX)) == HEAVY  # a training loop: 60 s allowed
    assert lane_of(curriculum.get(GPU_EX)) == GPU
    assert lane_of(None) == QUICK
    every = {lane_of(ex) for ex in curriculum.ordered()}
    assert every == {QUICK, HEAVY, GPU}
    assert parse_lanes("heavy, quick") == (HEAVY, QUICK) and parse_lanes("none") == ()
    assert LaneSlots.parse("quick=8").of(QUICK) == 8
    with pytest.raises(ValueError, match="unknown lane"):
        parse_lanes("fast")
    with pytest.raises(ValueError, match="LANE=N"):
        LaneSlots.parse("quick")


async def test_lane_slots_are_sized_to_what_the_grader_can_take() -> None:
    pool = {"workers": 8, "lanes": {"quick": {"limit": 8}, "heavy": {"limit": 7}}}
    assert LaneSlots.for_grader(pool) == LaneSlots(quick=16, heavy=7, gpu=1)
    # a container grader has no lanes: all but one of its containers for training checks
    assert LaneSlots.for_grader({"workers": 4}) == LaneSlots(quick=8, heavy=3, gpu=1)
    assert LaneSlots.for_grader({"workers": 1}) == LaneSlots(quick=2, heavy=1, gpu=1)
    # the default grader on two cores: the defaults
    two = {"workers": 2, "lanes": {"quick": {"limit": 2}, "heavy": {"limit": 1}}}
    assert LaneSlots.for_grader(two) == LaneSlots()
    # an older grader, an unreachable one, malformed or hostile numbers: the defaults,
    # and never more than a process may hold
    for health in (None, {}, {"status": "ok"}, {"workers": "8"}, {"workers": True},
                   {"workers": -3}, {"workers": 2.5}, {"lanes": []},
                   {"lanes": {"quick": {"limit": 0}, "heavy": "7"}}):
        assert LaneSlots.for_grader(health) == LaneSlots(), health
    huge = LaneSlots.for_grader({"lanes": {"quick": {"limit": 10**9}, "heavy": {"limit": 10**9}}})
    assert huge == LaneSlots(quick=256, heavy=256, gpu=1)
    # what TORCHDOJO_LANE_SLOTS names wins over the grader's size, lane by lane
    assert LaneSlots.parse("heavy=2", base=LaneSlots.for_grader(pool)) == LaneSlots(16, 2, 1)


async def test_a_process_sizes_its_lanes_from_its_graders_health() -> None:
    from bot.grader_client import GraderUnavailable
    from bot.runtime import grader_slots

    grader = ScriptedGrader(capacity={"workers": 4, "lanes": {"quick": {"limit": 4},
                                                              "heavy": {"limit": 3}}})
    assert await grader_slots(grader, None) == LaneSlots(quick=8, heavy=3, gpu=1)
    assert await grader_slots(grader, "quick=5") == LaneSlots(quick=5, heavy=3, gpu=1)
    grader.unreachable = GraderUnavailable("grader unreachable: connection refused")
    assert await grader_slots(grader, None) is None  # not known (yet)


async def test_a_process_started_before_its_grader_answered_sizes_its_lanes_once_it_does(
        sqlite_url: str, curriculum: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compose starts workers and graders side by side: a process whose grader
    did not answer at start grades with the defaults, asks again, and then
    grades with slots sized to it — gradings before, during and after go on.
    Later the grader is restarted bigger: the lanes follow it, and keep their
    size while it does not answer."""
    from bot import runtime
    from bot.config import load_settings
    from bot.core.types import Actor, Role
    from bot.grader_client import GraderUnavailable

    monkeypatch.setattr(runtime, "HEALTH_RETRY_S", 0.1)
    monkeypatch.setattr(runtime, "HEALTH_RECHECK_S", 0.1)
    monkeypatch.delenv("TORCHDOJO_LANE_SLOTS", raising=False)
    grader = ScriptedGrader(unreachable=GraderUnavailable("grader unreachable: starting"))
    rt = await runtime.Runtime.start(load_settings(), database_url=sqlite_url, grader=grader,
                                     curriculum=curriculum, grace_s=0.5)
    dojo = rt.dojo
    try:
        assert dojo.dispatcher.slots == LaneSlots()
        coach = Actor("test", "c1", "coach", "Coach", Role.instructor)
        await dojo.create_cohort(coach, "Late grader", start=dojo.now().date())
        ann, bob = (Actor("test", "c1", n, n.title(), Role.member) for n in ("ann", "bob"))
        await dojo.join(ann)
        await dojo.join(bob)
        # bob's training is being graded when the heavy lane's worker is replaced
        held = (await dojo.submit(bob, HEAVY_EX, "x = 1  # HOLD\n")).submission_id
        dojo.dispatcher.kick()

        async def holding() -> bool:
            return grader.busy.get(HEAVY_EX, 0) == 1

        await wait_until(holding)
        first = (await dojo.submit(ann, QUICK_EX, "x = 1  # before\n")).submission_id
        grader.capacity = {"workers": 4, "lanes": {"quick": {"limit": 4},
                                                   "heavy": {"limit": 3}}}
        grader.unreachable = None

        async def sized() -> bool:
            return dojo.dispatcher.slots == LaneSlots(quick=8, heavy=3, gpu=1)

        await wait_until(sized)
        grader.release.set()
        later = [(await dojo.submit(ann, ex, f"x = 1  # after {ex}\n")).submission_id
                 for ex in (QUICK_EX, HEAVY_EX)]
        dojo.dispatcher.kick()

        async def all_graded() -> bool:
            return {(await statuses_of(dojo))[i] for i in (held, first, *later)} == {"graded"}

        await wait_until(all_graded)

        grader.capacity = {"workers": 8, "lanes": {"quick": {"limit": 8},
                                                   "heavy": {"limit": 7}}}
        bigger = LaneSlots(quick=16, heavy=7, gpu=1)

        async def resized() -> bool:
            return dojo.dispatcher.slots == bigger

        await wait_until(resized)
        grader.unreachable = GraderUnavailable("grader unreachable: restarting")
        await asyncio.sleep(0.5)  # several looks at a grader that does not answer
        assert dojo.dispatcher.slots == bigger
        grader.unreachable = None
        last = [(await dojo.submit(m, QUICK_EX, "x = 1  # resized\n")).submission_id
                for m in (ann, bob)]
        dojo.dispatcher.kick()

        async def last_graded() -> bool:
            return {(await statuses_of(dojo))[i] for i in last} == {"graded"}

        await wait_until(last_graded)
        async with dojo.db.session() as s:
            notices = (await s.scalars(select(Notice.submission_id)
                                       .where(Notice.kind == "graded"))).all()
        assert sorted(notices) == sorted([held, first, *later, *last])  # each verdict once
    finally:
        await rt.close()


async def statuses_of(dojo: Any) -> dict[int, str]:
    async with dojo.db.session() as s:
        return dict((await s.execute(select(Submission.id, Submission.status))).all())


async def test_a_members_submissions_are_graded_in_order_and_drills_overtake_training(
        sqlite_url: str, curriculum: Any) -> None:
    grader = ScriptedGrader()
    node = await started(sqlite_url, curriculum, grader, LaneSlots(quick=2, heavy=1, gpu=1),
                         ["ann", "bob"])
    try:
        a1 = await node.submit("ann", HEAVY_EX, "HOLD a1")
        a2 = await node.submit("ann", QUICK_EX, "a2")
        b1 = await node.submit("bob", QUICK_EX, "b1")

        async def bob_graded() -> bool:
            return (await statuses(node))[b1] == "graded"

        await wait_until(bob_graded)  # bob's drill does not wait for ann's training
        now = await statuses(node)
        assert now[a1] == "grading" and now[a2] == "queued"  # ann's drill waits for hers
        grader.release.set()

        async def all_graded() -> bool:
            return set((await statuses(node)).values()) == {"graded"}

        await wait_until(all_graded)
        assert grader.order("ann") == ["x = 1  # ann HOLD a1\n", "x = 1  # ann a2\n"]
    finally:
        grader.release.set()
        await node.close()


async def test_each_lane_has_its_own_slots(sqlite_url: str, curriculum: Any) -> None:
    grader = ScriptedGrader()
    members = [f"m{i}" for i in range(10)]
    node = await started(sqlite_url, curriculum, grader, LaneSlots(quick=2, heavy=1, gpu=1),
                         members)
    try:
        for m in members[:3]:
            await node.submit(m, HEAVY_EX, "HOLD")
        for m in members[3:5]:
            await node.submit(m, GPU_EX, "HOLD")
        drills = [await node.submit(m, QUICK_EX) for m in members[5:]]

        async def drills_graded() -> bool:
            now = await statuses(node)
            return all(now[d] == "graded" for d in drills)

        await wait_until(drills_graded)  # while every heavy and gpu slot is held
        assert grader.busy[HEAVY_EX] == 1 and grader.busy[GPU_EX] == 1
        assert grader.peak[QUICK_EX] <= 2
        grader.release.set()

        async def all_graded() -> bool:
            return set((await statuses(node)).values()) == {"graded"}

        await wait_until(all_graded)
        assert grader.peak[HEAVY_EX] == 1 and grader.peak[GPU_EX] == 1
    finally:
        grader.release.set()
        await node.close()


async def test_a_member_with_twenty_queued_does_not_starve_the_others(
        sqlite_url: str, curriculum: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(submissions, "MAX_PENDING_PER_MEMBER", 25)
    grader = ScriptedGrader()
    node = await started(sqlite_url, curriculum, grader, LaneSlots(quick=1, heavy=1, gpu=1),
                         ["ann", "bob", "cat"])
    try:
        await node.submit("ann", QUICK_EX, "HOLD 0")  # takes the only slot

        async def held() -> bool:
            return bool(grader.calls)

        await wait_until(held)
        for i in range(1, 20):
            await node.submit("ann", QUICK_EX, f"n{i}")
        await node.submit("bob", QUICK_EX)
        await node.submit("cat", QUICK_EX)
        await node.dojo.dispatcher.sweep()  # every job is in the engine before it runs
        grader.release.set()

        async def all_graded() -> bool:
            return set((await statuses(node)).values()) == {"graded"}

        await wait_until(all_graded)
        who = [c.code.split()[4] for c in sorted(grader.calls, key=lambda c: c.started)]
        assert who[:3] == ["ann", "bob", "cat"]  # not after ann's other 19
        assert grader.order("ann") == ["x = 1  # ann HOLD 0\n"] + [
            f"x = 1  # ann n{i}\n" for i in range(1, 20)]
    finally:
        grader.release.set()
        await node.close()


async def test_a_verdict_is_written_once_when_a_worker_presumed_dead_finishes(
        db_url: str, curriculum: Any) -> None:
    """Worker A grades, is presumed dead (its claim given back), B grades the
    submission again and finishes first; A's late verdict is refused whole."""
    slow, fast = ScriptedGrader(), ScriptedGrader()
    fast.release.set()  # B's grader answers at once
    a = Node(db_url, curriculum, slow)
    b = Node(db_url, curriculum, fast)
    try:
        await a.cohort(["ann"])
        sid = await a.submit("ann", QUICK_EX, "HOLD")
        late = asyncio.create_task(a.dojo.dispatcher.run(sid))

        async def a_grading() -> bool:
            return bool(slow.calls)

        await wait_until(a_grading)
        async with b.db.session() as s:
            member = (await s.get(Submission, sid)).member_id
        assert await b.dojo.queue.release(member_id=member) == 1
        events = await b.dojo.dispatcher.run(sid)
        assert [type(e) for e in events] == [GradedNotice] and events[0].points == 10
        slow.release.set()
        assert await late == []
        async with b.db.session() as s:
            verdicts = await s.scalar(select(func.count()).select_from(Notice)
                                      .where(Notice.submission_id == sid))
            awards = await s.scalar(select(func.count()).select_from(Award))
            row = await s.get(Submission, sid)
        assert verdicts == 1 and awards == 1 and row.status == "graded"
    finally:
        slow.release.set()
        await a.close()
        await b.close()


async def test_nothing_is_lost_when_the_embedded_process_dies(sqlite_url: str,
                                                              curriculum: Any) -> None:
    """The in-memory jobs die with the process; the rows rebuild them on start."""
    grader = ScriptedGrader()
    first = Node(sqlite_url, curriculum, grader)
    await first.db.upgrade()
    await first.cohort(["ann", "bob"])
    await first.dojo.dispatcher.start(grace_s=0.05)
    held = await first.submit("ann", QUICK_EX, "HOLD")
    waiting = await first.submit("bob", HEAVY_EX, "HOLD")

    async def both_asked() -> bool:
        return len(grader.calls) == 2

    await wait_until(both_asked)
    await first.close()  # the process goes away mid-grading
    grader.release.set()

    second = Node(sqlite_url, curriculum, grader)
    try:
        await second.dojo.recover(all_grading=True)
        await second.dojo.dispatcher.start()

        async def graded() -> bool:
            now = await statuses(second)
            return now[held] == now[waiting] == "graded"

        await wait_until(graded)
    finally:
        await second.close()


async def test_the_grader_is_warm_before_the_runtime_says_it_is_ready(
        sqlite_url: str, curriculum: Any) -> None:
    """Item 5: the in-process pool starts while the database is migrated, and
    ``Runtime.start`` returns only once it is up (the first submission does not
    wait for a torch import)."""
    from bot.config import load_settings
    from bot.grader_client import InProcessGraderClient
    from bot.runtime import Runtime

    class SlowStart(InProcessGraderClient):
        """The real client's start, around a pool that takes a while to warm."""

        def __init__(self) -> None:
            super().__init__()
            self.warm = False

        async def _get(self) -> Any:
            await asyncio.sleep(0.3)
            self.warm = True
            return self

        async def grade(self, exercise_id: str, code: str,
                        progress: Any = None) -> dict[str, Any]:
            return await ScriptedGrader().grade(exercise_id, code)

        async def health(self) -> dict[str, Any]:
            return await ScriptedGrader().health()

    client = SlowStart()
    rt = await Runtime.start(load_settings(), database_url=sqlite_url, grader=client,
                             curriculum=curriculum)
    try:
        assert client.warm
    finally:
        await rt.close()


async def test_a_job_taken_while_busy_is_asked_still_counts_as_busy() -> None:
    """``busy`` asks for waiting jobs and for running ones in two questions; a
    worker that takes the job between them must not make it look done (the
    console then went on before the verdict was written)."""
    from bot.core.jobs import JobEngine

    engine = JobEngine.embedded()
    engine.bind(lambda submission_id, lane: asyncio.sleep(0))
    await engine.defer(1, 7, QUICK, 0)
    manager = engine.app.job_manager
    asked = manager.list_jobs_async

    async def a_worker_takes_it_after_the_first_question(**kw: Any) -> Any:
        answer = list(await asked(**kw))
        for job in engine.connector.jobs.values():
            job["status"] = "doing"
        return answer

    manager.list_jobs_async = a_worker_takes_it_after_the_first_question
    try:
        assert await engine.busy()
    finally:
        await engine.close()
