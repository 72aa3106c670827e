"""Engine and session handling for SQLite (default) and PostgreSQL.

One :class:`Database` per process. A SQLite file is driven on the event
loop's own thread (:mod:`bot.db.sqlite_inline`: a statement is one call, not
four trips to aiosqlite's thread), with WAL, foreign keys and a pool of two
connections; a statement that finds the write lock taken (another process, or
this process's other connection) waits with the loop running, for up to 30 s.
In-memory SQLite keeps aiosqlite. PostgreSQL gets a small pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.exc import DBAPIError
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


def _in_memory(url: str) -> bool:
    return ":memory:" in url or "mode=memory" in url


def drives_inline(url: str) -> bool:
    """Whether ``url`` (normalized) is a SQLite file driven on the event loop's
    thread (:mod:`bot.db.sqlite_inline`)."""
    if not is_sqlite(url) or _in_memory(url):
        return False
    parsed = make_url(url)
    return bool(parsed.database) and not parsed.query


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url`` (plain ``postgresql://`` is rewritten to asyncpg)."""
    url = normalize_database_url(url)
    if is_sqlite(url):
        in_memory, inline = _in_memory(url), drives_inline(url)
        if not in_memory:
            # Two connections per process: SQLite has one writer at a time, so
            # more only contend for its lock; with two, a read (a dashboard
            # page) still runs beside a write, and the rest of this process's
            # transactions queue for a connection (an asyncio wait).
            kwargs.setdefault("pool_size", 2)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", 120)
        if inline:  # see bot.db.sqlite_inline: one call per statement, lock waits off the loop
            kwargs.setdefault("async_creator", inline_creator(str(make_url(url).database)))
        else:
            kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={0 if inline else 30000}")
            if not in_memory:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


class DatabaseUnavailable(Exception):
    """The database cannot be reached (down, restarting, the network cut): the
    transaction did not happen. Raised by :meth:`Database.session` in place of
    the driver's error, so the layers above can tell a member "nothing was
    saved, try again" instead of "something went wrong"."""


#: Packages whose frames mark an exception as raised while talking to the database.
_DRIVER_PACKAGES = ("sqlalchemy", "asyncpg", "aiosqlite", "bot.db.sqlite_inline")


def _raised_by_driver(tb: TracebackType | None) -> bool:
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith(_DRIVER_PACKAGES):
            return True
        tb = tb.tb_next
    return False


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is unreachable rather than that a
    statement was wrong: a connection the driver found cut (SQLAlchemy marks it
    invalidated), a SQLite file that cannot be opened or read, or a connection
    refused, reset or timed out while connecting
    (asyncpg raises those as plain ``OSError``; only ones raised inside the
    driver count, so a network error of the caller's own is not mistaken for
    one)."""
    if isinstance(exc, DBAPIError):
        return (bool(exc.connection_invalidated) or _connection_state(exc.orig)
                or _sqlite_file_gone(exc.orig))
    return (isinstance(exc, (OSError, TimeoutError)) or _connection_state(exc)) \
        and _raised_by_driver(exc.__traceback__)


def _sqlite_file_gone(exc: BaseException | None) -> bool:
    """SQLite cannot open or read its file (the volume gone, a disk error)."""
    name = getattr(exc, "sqlite_errorname", None)
    return isinstance(name, str) and name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR"))


def _connection_state(exc: BaseException | None) -> bool:
    """A PostgreSQL error about the connection, not the statement: SQLSTATE
    class 08 (connection exception) or 57P01–57P03 (the server shutting down,
    crashed, or still starting)."""
    state = getattr(exc, "sqlstate", None)
    return isinstance(state, str) and (state.startswith("08")
                                       or state in ("57P01", "57P02", "57P03"))


class Database:
    """Owns the engine and hands out short transactions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalize_database_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._inline = drives_inline(self.url) and "async_creator" not in engine_kwargs

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error.

        On a SQLite file driven inline the session is closed in this task.
        SQLAlchemy's own ``async with session`` closes it in a task of its own
        (so that a cancellation cannot abandon a close half-way through its
        network round trips) and waits for that task: two turns of the event
        loop per transaction. Under a chat burst a turn is every other ready
        task's step — ~100 ms with 30 members — and a verdict takes a dozen
        transactions. Closing an inline connection never waits (nothing in it
        yields to the loop), so nothing can interrupt it; PostgreSQL keeps
        SQLAlchemy's shielded close."""
        try:
            if not self._inline:
                async with self.sessionmaker() as session, session.begin():
                    yield session
                return
            session = self.sessionmaker()
            try:
                async with session.begin():
                    yield session
            finally:
                await session.close()
        except Exception as exc:
            if is_outage(exc):
                raise DatabaseUnavailable(f"the database is unreachable ({exc!r:.200})") from exc
            raise

    async def upgrade(self) -> None:
        """Apply migrations (the only way the schema changes)."""
        from bot.db.migrate import upgrade_engine

        await upgrade_engine(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()
