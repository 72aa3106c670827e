"""SQLite on the event loop's thread (bot/db/sqlite_inline.py): statements run
inline, and a statement that finds another connection holding the write lock
waits with the loop still running, then goes on — or fails after the busy
timeout, as SQLite's own handler would."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.db import sqlite_inline
from bot.db.session import Database


@pytest.fixture
async def two(tmp_path):
    """Two engines on one file: what two processes (the bot and the dashboard,
    say) look like to SQLite."""
    url = f"sqlite:///{tmp_path}/inline.sqlite3"
    first, second = Database(url), Database(url)
    async with first.session() as s:
        await s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield first, second
    await first.close()
    await second.close()


async def _hold_write_lock(db: Database, holding: asyncio.Event, release: asyncio.Event) -> None:
    async with db.session() as s:
        await s.execute(text("INSERT INTO t (v) VALUES ('first')"))
        holding.set()
        await release.wait()


async def test_a_file_database_runs_inline(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path}/x.sqlite3")
    try:
        async with db.session() as s:
            conn = await s.connection()
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
            assert await s.scalar(text("PRAGMA busy_timeout")) == 0  # never sleep on the loop
            assert (await s.scalar(text("PRAGMA journal_mode"))).lower() == "wal"
    finally:
        await db.close()


async def test_a_transaction_does_not_give_up_the_loop(tmp_path) -> None:
    """A whole transaction — first statement, commit, close — runs without
    yielding to the event loop: under a chat burst every yield is a wait
    behind every other ready task (SQLAlchemy's own ``async with session``
    closes in a task of its own: two turns of the loop per transaction)."""
    db = Database(f"sqlite:///{tmp_path}/x.sqlite3")
    try:
        async with db.session() as s:  # the pool's connections exist, as in a bot
            await s.execute(text("CREATE TABLE t (v TEXT)"))
        other_ran = False

        def other() -> None:
            nonlocal other_ran
            other_ran = True

        asyncio.get_running_loop().call_soon(other)
        async with db.session() as s:
            await s.execute(text("INSERT INTO t (v) VALUES ('x')"))
            assert await s.scalar(text("SELECT count(*) FROM t")) == 1
        with pytest.raises(IntegrityError):  # and a failing one rolls back inline too
            async with db.session() as s:
                await s.execute(text("INSERT INTO t (v) VALUES ('y')"))
                raise IntegrityError("stmt", {}, Exception("refused"))
        assert not other_ran
        await asyncio.sleep(0)
        assert other_ran
        async with db.session() as s:
            assert await s.scalar(text("SELECT count(*) FROM t")) == 1
    finally:
        await db.close()


async def test_a_locked_write_waits_without_stopping_the_loop(two) -> None:
    first, second = two
    holding, release = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_hold_write_lock(first, holding, release))
    await holding.wait()

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticking = asyncio.create_task(ticker())

    async def second_write() -> int:
        async with second.session() as s:
            await s.execute(text("INSERT INTO t (v) VALUES ('second')"))
            return int(await s.scalar(text("SELECT count(*) FROM t")))

    writer = asyncio.create_task(second_write())
    await asyncio.sleep(0.2)
    assert not writer.done()  # waiting for the lock …
    assert ticks >= 10  # … while the loop goes on
    release.set()
    await holder
    assert await asyncio.wait_for(writer, 5) == 2  # then it runs, seeing the first commit
    ticking.cancel()


async def test_a_lock_held_too_long_fails_like_sqlite(two, monkeypatch) -> None:
    first, second = two
    monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT_S", 0.2)
    holding, release = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_hold_write_lock(first, holding, release))
    await holding.wait()
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        async with second.session() as s:
            await s.execute(text("INSERT INTO t (v) VALUES ('second')"))
    assert 0.2 <= time.monotonic() - started < 2
    release.set()
    await holder
    async with second.session() as s:  # the connection is fine afterwards
        await s.execute(text("INSERT INTO t (v) VALUES ('second')"))


async def test_other_errors_are_not_retried(two) -> None:
    first, _ = two
    async with first.session() as s:
        await s.execute(text("INSERT INTO t (v) VALUES ('x')"))
    started = time.monotonic()
    with pytest.raises(IntegrityError):
        async with first.session() as s:
            await s.execute(text("INSERT INTO t (v) VALUES ('x')"))
    with pytest.raises(OperationalError, match="no such table"):
        async with first.session() as s:
            await s.execute(text("SELECT * FROM missing"))
    assert time.monotonic() - started < 1
    async with first.session() as s:  # rolled back: one row
        assert await s.scalar(text("SELECT count(*) FROM t")) == 1
