"""Fixtures for grading dispatch: a scripted grader (in process, and the same
over HTTP for worker processes), fresh migrated PostgreSQL databases (cloned
from a template migrated once per session), and ``torchdojo worker``
processes.

Exercises come from the real curriculum so lanes are the real ones:
``1.1.1`` is quick, ``5.1.1`` heavy (training), ``5.1.4`` gpu (``device: cuda``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.core.clock import ManualClock
from bot.core.dojo import Dojo
from bot.core.jobs import JobEngine
from bot.core.types import Actor, Role
from bot.db import Database

# The core's conftest under the name pytest gives it ("core.conftest"): one
# PostgreSQL admin helper for both directories.
sys.path.insert(0, str(Path(__file__).parents[1]))
from core.conftest import PG_ADMIN, _pg_admin

ROOT = Path(__file__).resolve().parents[2]
QUICK, HEAVY, GPU = "1.1.1", "5.1.1", "5.1.4"


# ---- a scripted grader -----------------------------------------------------------------------

@dataclass
class Call:
    exercise: str
    code: str
    started: float
    ended: float | None = None


@dataclass
class ScriptedGrader:
    """Implements the bot's GraderClient: every code passes; code containing
    ``HOLD`` waits until :attr:`release` is set; ``busy`` counts gradings under
    way per exercise (the lanes' bound); its health reports :attr:`capacity`
    (a real grader's ``workers`` and ``lanes``: what processes size their
    lanes' slots to) and fails with :attr:`unreachable`."""

    calls: list[Call] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    busy: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    delay_s: float = 0.0
    capacity: dict[str, Any] = field(default_factory=dict)
    unreachable: Exception | None = None

    async def grade(self, exercise_id: str, code: str,
                    progress: Any = None) -> dict[str, Any]:
        call = Call(exercise_id, code, time.monotonic())
        self.calls.append(call)
        self.busy[exercise_id] = self.busy.get(exercise_id, 0) + 1
        self.peak[exercise_id] = max(self.peak.get(exercise_id, 0), self.busy[exercise_id])
        try:
            if "HOLD" in code:
                await self.release.wait()
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
        finally:
            self.busy[exercise_id] -= 1
            call.ended = time.monotonic()
        return {"exercise": exercise_id, "status": "passed", "score": 1, "max_score": 1,
                "checks": [{"id": "c", "kind": "value", "status": "passed", "message": "",
                            "points": 1}],
                "stdout": "", "duration_ms": 1,
                "environment": {"torch": "scripted", "device": "cpu"}}

    async def health(self) -> dict[str, Any]:
        if self.unreachable is not None:
            raise self.unreachable
        return {"status": "ok", **self.capacity}

    async def close(self) -> None:
        return None

    def order(self, tag: str) -> list[str]:
        """The codes graded containing ``tag``, in the order their grading began."""
        return [c.code for c in sorted(self.calls, key=lambda c: c.started) if tag in c.code]


@pytest_asyncio.fixture(loop_scope="session")
async def http_grader() -> AsyncIterator[tuple[ScriptedGrader, str]]:
    """The scripted grader behind ``POST /v1/grade``, for worker processes."""
    grader = ScriptedGrader()

    async def grade(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(await grader.grade(body["exercise"], body["code"]))

    async def health(_request: web.Request) -> web.Response:
        return web.json_response(await grader.health())

    app = web.Application()
    app.add_routes([web.post("/v1/grade", grade), web.get("/v1/health", health)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield grader, f"http://127.0.0.1:{port}"
    finally:
        grader.release.set()
        await runner.cleanup()


# ---- PostgreSQL --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A database migrated once (with the job engine's schema), to clone from."""
    name = f"torchdojo_dispatch_tmpl_{uuid.uuid4().hex[:8]}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")
    url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"

    async def migrate() -> None:
        db = Database(url)
        await db.upgrade()
        await db.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(migrate())).result()
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    name = f"torchdojo_dispatch_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- one "process" of the bot ------------------------------------------------------------------

class Node:
    """The core of one process over a database: its own connections and job engine."""

    def __init__(self, url: str, curriculum: Any, grader: Any, *, engine: JobEngine | None = None,
                 clock: Any = None) -> None:
        self.db = Database(url)
        self.grader = grader
        self.dojo = Dojo(self.db, curriculum, grader, clock, engine=engine)

    def actor(self, name: str, role: Role = Role.member) -> Actor:
        return Actor("test", "c1", name, name.title(), role)

    async def cohort(self, members: list[str]) -> None:
        await self.dojo.create_cohort(self.actor("coach", Role.instructor), "Dispatch",
                                      start=self.dojo.now().date())
        for m in members:
            await self.dojo.join(self.actor(m))

    async def submit(self, who: str, exercise: str, tag: str = "") -> int:
        receipt = await self.dojo.submit(self.actor(who), exercise, f"x = 1  # {who} {tag}\n")
        self.dojo.dispatcher.kick()
        return receipt.submission_id

    async def close(self) -> None:
        await self.dojo.dispatcher.close()
        await self.db.close()


@pytest.fixture
def manual_clock() -> ManualClock:
    from datetime import UTC, datetime

    return ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


async def wait_until(pred: Any, timeout: float = 30.0, every: float = 0.05) -> None:
    """Poll an async predicate (a bound on waiting, not a speed check)."""
    deadline = time.monotonic() + timeout
    while not await pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {pred.__doc__ or pred}")
        await asyncio.sleep(every)


# ---- worker processes ----------------------------------------------------------------------------

class WorkerProcess:
    """``torchdojo worker`` in a process of its own."""

    def __init__(self, database_url: str, grader_url: str, log: Path, *args: str) -> None:
        env = dict(os.environ, DATABASE_URL=database_url, GRADER_URL=grader_url,
                   PYTHONUNBUFFERED="1")
        env.pop("TORCHDOJO_LANES", None)
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker", "--heartbeat-s", "0.5",
             "--stalled-s", "2", *args],
            cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
        )

    async def ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while b"worker ready" not in self.log.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{self.log.read_text()[-3000:]}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Any]:
    """Start worker processes with ``start(db_url, grader_url, *args)``; all stopped after."""
    started: list[WorkerProcess] = []

    def start(database_url: str, grader_url: str, *args: str) -> WorkerProcess:
        w = WorkerProcess(database_url, grader_url, tmp_path / f"worker{len(started)}.log", *args)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


@pytest_asyncio.fixture(loop_scope="session",
                        params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty migrated database: a SQLite file, or a fresh PostgreSQL one."""
    if request.param == "postgres":
        yield request.getfixturevalue("pg_url")
        return
    url = f"sqlite+aiosqlite:///{tmp_path}/dispatch.sqlite3"
    db = Database(url)
    await db.upgrade()
    await db.close()
    yield url
