"""Progress of a long grading, on SQLite and PostgreSQL: the grader's reports
(data, never learner text) become progress notices that edit the member's
"⏳ grading…" message through the same delivery loop as verdicts; nothing is
shown for a quick grading, and a progress edit never lands after the verdict."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import Any

from sqlalchemy import func, select

from bot.chat import render
from bot.core.notices import PROGRESS
from bot.core.types import Event, GradedNotice, GradingProgress, StatusRef
from bot.db import Notice, Submission
from bot.grader_client import GradeProgress

from .conftest import PASS, World, cohort


class SlowGrader:
    """Reports progress, then waits until the test lets it finish."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.reported = asyncio.Event()

    async def grade(self, exercise_id: str, code: str, progress: Any = None) -> dict[str, Any]:
        progress(GradeProgress("running"))
        progress(GradeProgress("check", 2, 4, "train"))
        self.reported.set()
        await self.release.wait()
        progress(GradeProgress("check", 4, 4, "train"))
        return {"exercise": exercise_id, "status": "passed", "score": 10, "max_score": 10,
                "checks": [{"id": "c1", "kind": "train", "status": "passed", "points": 10}]}

    async def health(self) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        return None


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.arrived = asyncio.Event()

    async def deliver(self, event: Event) -> list[str]:
        self.events.append(event)
        self.arrived.set()
        return []

    async def until(self, kind: type) -> Any:
        while not any(isinstance(e, kind) for e in self.events):
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 30)
        return next(e for e in self.events if isinstance(e, kind))


async def submit_with_status(world: World, who: str) -> int:
    receipt = await world.dojo.submit(world.actor(who), "1.1.1", PASS, status_coming=True)
    await world.dojo.submissions.attach_status(receipt.submission_id, StatusRef("c1", "m1"))
    return receipt.submission_id


async def delivered_all(world: World) -> None:
    while await world.dojo.notices.undelivered():
        await asyncio.sleep(0.01)


async def test_a_long_grading_shows_its_progress_before_the_verdict(world: World) -> None:
    grader = SlowGrader()
    world.dojo.grader = grader
    world.dojo.queue.progress_after_s = 0.05
    world.dojo.queue.progress_every_s = 0.05
    await cohort(world, ["ann"])
    sub_id = await submit_with_status(world, "ann")
    outbox = Recorder()
    delivery = asyncio.create_task(world.dojo.notices.run("test", outbox, poll_s=0.05))
    grading = asyncio.create_task(world.dojo.grade_pending())
    try:
        shown = await outbox.until(GradingProgress)
        assert (shown.submission_id, shown.status) == (sub_id, StatusRef("c1", "m1"))
        assert (shown.stage, shown.index, shown.total, shown.kind) == ("check", 2, 4, "train")
        reply = render.progress(shown)
        assert reply.status_of == sub_id and "training check 2/4…" in reply.text
        # judged on the trusted side: the check is still named (a busy machine can
        # run the whole sandbox between two edits, then judge for a second or more)
        judged = render.progress(dataclasses.replace(shown, stage="judging", index=3))
        assert "grading: judging the results: training check 3/4…" in judged.text
        plain = render.progress(dataclasses.replace(shown, stage="judging", index=None))
        assert "grading: judging the results…" in plain.text
        grader.release.set()
        await grading
        await outbox.until(GradedNotice)
        await asyncio.wait_for(delivered_all(world), 30)
    finally:
        grader.release.set()
        delivery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivery
    kinds = [type(e) for e in outbox.events]
    assert kinds[-1] is GradedNotice and kinds.count(GradedNotice) == 1
    # a progress notice written late (another process, a slow write) is dropped unsaid
    async with world.db.session() as s:
        sub = await s.get(Submission, sub_id)
        world.dojo.notices.add(s, PROGRESS, sub, {"stage": "judging"})
    assert await world.dojo.notices.deliver_pending("test", outbox) == 0
    assert await world.dojo.notices.undelivered() == 0


async def test_a_quick_grading_shows_nothing(world: World) -> None:
    class QuickGrader(SlowGrader):
        async def grade(self, exercise_id: str, code: str, progress: Any = None) -> dict:
            self.release.set()
            return await super().grade(exercise_id, code, progress)

    world.dojo.grader = QuickGrader()
    world.dojo.queue.progress_after_s = 60.0
    await cohort(world, ["bob"])
    await submit_with_status(world, "bob")
    await world.dojo.grade_pending()
    async with world.db.session() as s:
        assert await s.scalar(select(func.count(Notice.id)).where(Notice.kind == PROGRESS)) == 0


def test_progress_reports_are_data_never_learner_text() -> None:
    assert GradeProgress.from_report("running your code in the sandbox") == \
        GradeProgress("running")
    assert GradeProgress.from_report("judging the results") == GradeProgress("judging")
    assert GradeProgress.from_report("✅ passed 10/10 — print('forged')") is None
    assert GradeProgress.from_report({"stage": "check", "index": 2, "total": 4,
                                      "kind": "train"}) == GradeProgress("check", 2, 4, "train")
    assert GradeProgress.from_report({"stage": "✅ all passed"}) is None
    odd = GradeProgress.from_report({"stage": "check", "index": 9, "total": 4,
                                     "kind": "<@everyone> hi"})
    assert odd == GradeProgress("check")
    assert GradeProgress.from_report(None) is None
