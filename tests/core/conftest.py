"""Fixtures for the bot core: a tiny curriculum, a grader double, and fresh
databases on SQLite and (when reachable) the real PostgreSQL server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.chat import render
from bot.chat.handler import ChatHandler, Incoming
from bot.core.clock import ManualClock
from bot.core.dojo import Dojo
from bot.core.types import Actor, ListOutbox, Role, StatusRef
from bot.db import Database
from bot.grader_client import GraderUnavailable
from curriculum import load_from

PG_ADMIN = os.environ.get("TORCHDOJO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")



def msg(text: str, user: str = "ann", role: Role = Role.member, **kw: Any) -> Incoming:
    """A chat message from ``user`` in the test channel ``c1``."""
    return Incoming("test", "c1", user, user.title(), text, role, **kw)


async def say(h: ChatHandler, *args: Any, **kw: Any) -> str:
    """Every reply to a message, and the verdict delivered after grading."""
    replies = await h.handle(msg(*args, **kw))
    for r in replies:
        if r.status_of is not None:
            await h.status_posted(r, StatusRef("c1", f"s{r.status_of}"))
    outbox = ListOutbox()
    await h.dojo.dispatcher.settle()
    await h.dojo.notices.deliver_pending("test", outbox)
    replies += [r for ev in outbox.events for r in render.event(ev)]
    return "\n---\n".join(r.as_text() for r in replies)

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Core tests share the session event loop (async fixtures live there too)."""
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here) and asyncio.iscoroutinefunction(
            getattr(item, "function", None)
        ):
            item.add_marker(pytest.mark.asyncio(loop_scope="session"))


# ---- a tiny curriculum ---------------------------------------------------------------

def _exercise(ex_id: str, kind: str, points: int, limit: int | None = None) -> str:
    name = "v_" + ex_id.replace(".", "_")
    lines = [
        f"id: '{ex_id}'",
        f"title: Exercise {ex_id}",
        f"week: {ex_id.split('.')[0]}",
        f"kind: {kind}",
        f"max_score: {points}",
        f"summary: Bind {name}.",
        f"prompt: Full prompt of {ex_id}; bind {name} with torch.zeros.",
        "checks:",
        f"  - id: {name}",
        "    kind: tensor",
        f"    points: {points}",
    ]
    if limit:
        lines.append(f"time_limit_min: {limit}")
    return "\n".join(lines) + "\n"


EXERCISES = [
    ("1.1.1", "drill", 10, None),
    ("1.1.2", "drill", 10, None),
    ("1.2.1", "drill", 10, None),
    ("1.2.2", "drill", 10, None),
    ("1.3.1", "problem", 20, None),
    ("1.3.2", "problem", 20, None),
    ("1.4.1", "challenge", 30, 60),
    ("2.1.1", "drill", 10, None),
]


@pytest.fixture(scope="session")
def tiny_curriculum(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("curriculum")
    for ex_id, kind, pts, limit in EXERCISES:
        week = root / f"week{ex_id.split('.')[0]}"
        week.mkdir(exist_ok=True)
        (week / f"{ex_id}.yaml").write_text(_exercise(ex_id, kind, pts, limit))
        (week / f"{ex_id}.ref.py").write_text("import torch\n")
    days = {1: ["1.1.1", "1.1.2"], 2: ["1.2.1"], 3: ["1.2.2"], 4: ["1.3.1"], 5: ["1.3.2"]}
    for d in range(6, 15):
        days[d] = ["2.1.1"] if d % 2 else []
    text = "days:\n" + "".join(f"  {d}: [{', '.join(repr(i) for i in ids)}]\n"
                               for d, ids in days.items())
    (root / "schedule").mkdir(exist_ok=True)  # the loader reads schedule/*.yaml
    (root / "schedule" / "days.yaml").write_text(text)
    return load_from(root)


# ---- grader double -------------------------------------------------------------------

class FakeGrader:
    """Implements the GraderClient protocol: code containing ``PASS`` passes,
    ``FAIL`` fails, anything else errors. ``down`` simulates an outage."""

    def __init__(self) -> None:
        self.down = False
        self.calls: list[tuple[str, str]] = []
        self.block: asyncio.Event | None = None

    async def grade(self, exercise_id: str, code: str,
                    progress: Any = None) -> dict[str, Any]:
        self.calls.append((exercise_id, code))
        if self.down:
            raise GraderUnavailable("grader unreachable: connection refused", 1.0)
        if self.block is not None:
            await self.block.wait()
        status = "passed" if "PASS" in code else "failed" if "FAIL" in code else "error"
        out = {
            "exercise": exercise_id, "status": status,
            "score": 10 if status == "passed" else 3, "max_score": 10,
            "checks": [{"id": "c1", "kind": "value", "status": status,
                        "message": "" if status == "passed" else "expected 1, found 2 @everyone",
                        "points": 1}],
            "stdout": "hello <@123> @here", "duration_ms": 1,
            "environment": {"torch": "fake", "device": "cpu"},
        }
        if "SYNTAX" in code:  # a syntax error with its line and column (a caret to draw)
            out["cause"] = {"type": "SyntaxError", "message": "'(' was never closed",
                            "line": 2, "col": 5, "text": "x = (1"}
        return out

    async def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    async def close(self) -> None:
        return None


# ---- databases -------------------------------------------------------------------------

def _pg_admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN.replace("postgresql://", "postgres://"), timeout=3)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # Fixtures may ask for this from inside a running loop: use a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(run())).result()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, dropped afterwards."""
    name = f"torchdojo_test_{uuid.uuid4().hex[:10]}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TABLES = ["review_cards", "hint_uses", "challenge_times", "streak_notes", "dashboard_signins",
          "console_state", "notices", "cohort_pauses", "posted_messages", "posts", "awards",
          "challenge_windows", "submissions", "members", "cohorts"]


@pytest_asyncio.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty, migrated database (SQLite file, or the session's
    PostgreSQL database emptied)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/test.sqlite3"
        db = Database(url)
        await db.upgrade()
        await db.close()
        yield url
        return
    url = request.getfixturevalue("pg_url")
    db = Database(url)
    await db.upgrade()
    from sqlalchemy import text

    async with db.session() as s:
        await s.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    await db.close()
    yield url


T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


class World:
    """One bot process: database, core, planner, clock, grader double, outbox."""

    def __init__(self, url: str, curriculum: Any, clock: ManualClock | None = None,
                 grader: FakeGrader | None = None) -> None:
        self.db = Database(url)
        self.clock = clock or ManualClock(T0)
        self.grader = grader or FakeGrader()
        self.dojo = Dojo(self.db, curriculum, self.grader, self.clock)
        self.planner = self.dojo.planner
        self.outbox = ListOutbox()

    def actor(self, name: str, role: Role = Role.member, channel: str = "c1") -> Actor:
        return Actor("test", channel, name, name.title(), role)

    async def member_id(self, name: str) -> int | None:
        from sqlalchemy import select

        from bot.db import Member

        async with self.db.session() as s:
            return await s.scalar(select(Member.id).where(Member.user_id == name))

    async def close(self) -> None:
        await self.db.close()


@pytest_asyncio.fixture
async def world(db_url: str, tiny_curriculum: Any) -> AsyncIterator[World]:
    w = World(db_url, tiny_curriculum)
    yield w
    await w.close()
