"""Engine and session handling for SQLite (default) and PostgreSQL.

One :class:`Database` per process. SQLite gets WAL, a busy timeout and foreign
keys so that a second process waits for a lock instead of failing, and a
pool of two connections so that this process's own transactions queue instead
of contending for the lock; PostgreSQL gets a small pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import normalize_database_url
from bot.db.sqlite_inline import inline_creator


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url`` (plain ``postgresql://`` is rewritten to asyncpg)."""
    url = normalize_database_url(url)
    if is_sqlite(url):
        if ":memory:" not in url and "mode=memory" not in url:
            # Two connections per process: SQLite has one writer at a time, and
            # connections of one process that contend for it sleep in SQLite's
            # busy handler (1, 2, 5 … 100 ms) instead of queueing. With two,
            # a read (a dashboard page) still runs beside a write, and the
            # rest of this process's transactions queue for a connection (an
            # asyncio wait) — measured with benchmarks/bench_chat.py: a 50-drill
            # burst's p50 fell from ~830 ms (5 + 10 overflow) to ~740 ms.
            kwargs.setdefault("pool_size", 2)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", 120)
        database = make_url(url).database
        inline = bool(database) and ":memory:" not in url and "mode=memory" not in url \
            and not make_url(url).query
        if inline:  # see bot.db.sqlite_inline: one call per statement, lock waits off the loop
            kwargs.setdefault("async_creator", inline_creator(str(database)))
        else:
            kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={0 if inline else 30000}")
            if ":memory:" not in url and "mode=memory" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


class Database:
    """Owns the engine and hands out short transactions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalize_database_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def upgrade(self) -> None:
        """Apply migrations (the only way the schema changes)."""
        from bot.db.migrate import upgrade_engine

        await upgrade_engine(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()
