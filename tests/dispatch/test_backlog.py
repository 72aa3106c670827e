"""The operator's view of dispatch (``torchdojo queue``): per lane what waits,
what is being graded and the recent verdicts, read from the database while a
process grades — a training held in the heavy lane, a member's drill queued
behind it, another member's drill graded and not yet shown in chat."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.backlog import backlog
from bot.core.lanes import LaneSlots
from bot.db import Submission

from .conftest import HEAVY, QUICK, Node, ScriptedGrader, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXE = str(Path(sys.executable).with_name("torchdojo"))


async def status_of(node: Node, sid: int) -> str:
    async with node.db.session() as s:
        return (await s.scalar(select(Submission.status).where(Submission.id == sid))) or ""


async def test_the_backlog_per_lane_while_a_process_grades(db_url: str,
                                                           curriculum: Any) -> None:
    grader = ScriptedGrader()
    node = Node(db_url, curriculum, grader)
    await node.cohort(["ann", "bob"])
    await node.dojo.dispatcher.start(slots=LaneSlots(quick=2, heavy=1, gpu=1))
    try:
        training = await node.submit("ann", HEAVY, "HOLD")
        behind = await node.submit("ann", QUICK, "behind her training")
        drill = await node.submit("bob", QUICK, "graded")

        async def settled() -> bool:
            return (await status_of(node, training) == "grading"
                    and await status_of(node, drill) == "graded")

        await wait_until(settled)
        assert await status_of(node, behind) == "queued"
        now = node.dojo.now()
        report = await backlog(node.db, curriculum, now)
        lanes = {lane.lane: lane for lane in report.lanes}
        assert (lanes["heavy"].grading, lanes["heavy"].waiting, lanes["heavy"].graded) == (1, 0, 0)
        assert lanes["heavy"].longest_grading_s is not None
        assert (lanes["quick"].waiting, lanes["quick"].grading, lanes["quick"].graded) == (1, 0, 1)
        assert lanes["quick"].oldest_waiting_s is not None
        assert lanes["quick"].verdict_p50_s == lanes["quick"].verdict_max_s is not None
        assert (lanes["gpu"].waiting, lanes["gpu"].grading, lanes["gpu"].graded) == (0, 0, 0)
        assert report.undelivered >= 1  # bob's verdict: no chat process delivers here
        # verdicts older than the window are not counted
        later = await backlog(node.db, curriculum, now + timedelta(seconds=2 * report.window_s))
        assert {lane.lane: lane.graded for lane in later.lanes}["quick"] == 0

        # the command, from another process, reads the same from the database
        proc = await asyncio.create_subprocess_exec(
            EXE, "queue", "--json", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "DATABASE_URL": db_url})
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        seen = {lane["lane"]: lane for lane in json.loads(out)["lanes"]}
        assert (seen["heavy"]["grading"], seen["quick"]["waiting"],
                seen["quick"]["graded"]) == (1, 1, 1)
        proc = await asyncio.create_subprocess_exec(
            EXE, "queue", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "DATABASE_URL": db_url})
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        rows = {line.split()[0]: line.split() for line in out.decode().splitlines()[2:5]}
        assert rows["quick"][1] == "1" and rows["heavy"][3] == "1"  # waiting; grading
        assert "not yet shown in chat: " in out.decode()
    finally:
        grader.release.set()
        await node.close()


async def test_queue_where_there_is_no_database_says_so_and_creates_none(
        tmp_path: Path) -> None:
    """``torchdojo queue`` in the wrong folder created ./torchdojo.sqlite3, migrated it
    and showed an idle queue: an operator was told all was well."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = await asyncio.create_subprocess_exec(
        EXE, "queue", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 1, (out, err)
    assert f"no database at {tmp_path / 'torchdojo.sqlite3'}" in err.decode(), err
    assert list(tmp_path.iterdir()) == []
