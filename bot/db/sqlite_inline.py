"""SQLite driven on the event loop's own thread, for the async engine.

SQLAlchemy's asyncio support for SQLite goes through aiosqlite, which runs
every call of the driver on a thread of its own: a cursor, an execute, a
fetch, a close and a commit are each a trip to that thread and back through
the event loop's queue — four per statement. The work SQLite does for the
bot's small indexed statements is a few microseconds; the trips are what
costs (CPU, and under a chat burst a wait behind every other ready task on
each of them: a 30-statement grading became 30–100 ms). This module gives
the aiosqlite dialect a connection with the same interface that calls
:mod:`sqlite3` directly, so a statement is one call and a transaction runs
without leaving the loop.

What must never happen on the loop's thread is waiting for a lock: another
connection (a second one of this process, the dashboard, a CLI command)
may hold SQLite's write lock, and SQLite's own busy handler would sleep
with the whole bot stopped. So the busy handler is off (``busy_timeout=0``)
and a statement refused with ``SQLITE_BUSY`` is retried after an
``asyncio.sleep`` — the loop goes on, the holder finishes, the statement runs
— until :data:`BUSY_TIMEOUT_S`, as SQLite's handler would. Retrying is
sound: a refused statement did nothing, and with pysqlite's transactions
(``BEGIN`` before the first write) a write that is refused has not yet read
anything it could have read stale.

Disk writes stay on the loop too: in WAL mode with ``synchronous=NORMAL`` a
commit appends to the WAL in the page cache (no fsync); only a checkpoint
syncs, every thousand pages or so.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

#: How long a statement waits for another connection's write lock.
BUSY_TIMEOUT_S = 30.0
_FIRST_PAUSE_S = 0.001
_LONGEST_PAUSE_S = 0.05

T = TypeVar("T")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc)
    return "database is locked" in text or "database table is locked" in text


async def _patiently(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)``, retried after an asyncio pause while SQLite is busy."""
    deadline: float | None = None
    pause = _FIRST_PAUSE_S
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + BUSY_TIMEOUT_S
            elif now >= deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE_S)


class InlineCursor:
    """aiosqlite's cursor interface over a :class:`sqlite3.Cursor`."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        await _patiently(self._cursor.execute, sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Any) -> InlineCursor:
        await _patiently(self._cursor.executemany, sql, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class _AtOnce:
    """Stands in for aiosqlite's request queue, which SQLAlchemy's adapter uses
    directly to set the isolation level: the request is carried out at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting adapter
            future.set_exception(exc)


class InlineConnection:
    """aiosqlite's connection interface over a :class:`sqlite3.Connection`,
    called on the event loop's thread (see the module's docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._tx = _AtOnce()

    @property
    def _connection(self) -> sqlite3.Connection | None:  # aiosqlite's "still open"
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._open().isolation_level = value

    @property
    def in_transaction(self) -> bool:
        return self._open().in_transaction

    def cursor(self) -> InlineCursor:
        """A cursor (aiosqlite's is awaited or entered; SQLAlchemy enters it)."""
        return InlineCursor(self._open().cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await _patiently(self._open().commit)

    async def rollback(self) -> None:
        self._open().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """aiosqlite's forced close (SQLAlchemy's terminate)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()


def inline_creator(database: str,
                   **connect_kwargs: Any) -> Callable[[], Awaitable[InlineConnection]]:
    """An ``async_creator`` for :func:`sqlalchemy.ext.asyncio.create_async_engine`
    (URL ``sqlite+aiosqlite://``): connections to the file ``database``."""

    async def connect() -> InlineConnection:
        conn = sqlite3.connect(database, timeout=0, isolation_level="",
                               check_same_thread=False, **connect_kwargs)
        return InlineConnection(conn)

    return connect
