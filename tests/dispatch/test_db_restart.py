"""A PostgreSQL restart under a running bot and worker: every connection the
processes hold is cut (what a restart, a failover or an idle-connection
killer does to a client), in the middle of a grading. Nothing may be lost,
graded twice or delivered twice, and the processes go on without a restart
of their own. Real processes, real PostgreSQL, a scripted HTTP grader."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.core.types import GradedNotice, StatusRef

from .conftest import QUICK, wait_until
from .test_workers import Outbox, chat_node, rows, verdicts

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.postgres,
              pytest.mark.slow]


def _cut_every_connection(url: str) -> None:
    """Terminates every backend of ``url``'s database except the caller's."""
    from core.conftest import _pg_admin

    name = url.rsplit("/", 1)[1]
    _pg_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")


@asynccontextmanager
async def chat_process(url: str, curriculum: Any) -> AsyncIterator[tuple[Any, Outbox]]:
    """The process connected to the chat: it hands jobs out and delivers verdicts,
    woken by NOTIFY alone (its poll is an hour), into the outbox it yields."""
    node = await chat_node(url, curriculum)
    outbox = Outbox()
    adapter = asyncio.create_task(node.dojo.notices.run("test", outbox, poll_s=3600))
    try:
        yield node, outbox
    finally:
        adapter.cancel()
        await node.close()


def delivered(outbox: Outbox, ids: set[int]) -> Any:
    """A predicate for ``wait_until``: every one of ``ids`` has its verdict in the outbox."""
    async def check() -> bool:
        return ids <= {e.submission_id for e in outbox.events if isinstance(e, GradedNotice)}

    return check


async def _grading_a_held_drill(node: Any, grader: Any, worker: Any) -> int:
    """Once ``worker`` is ready, ann submits a drill the scripted grader holds until
    released; returns the submission, once its grading has begun."""
    await worker.ready()
    held = await node.submit("ann", QUICK, "HOLD")

    async def grading() -> bool:
        return len(grader.calls) == 1

    await wait_until(grading)
    return held


async def test_a_database_restart_mid_grading_loses_nothing(
        pg_url: str, curriculum: Any, http_grader: Any, workers: Any) -> None:
    grader, grader_url = http_grader
    async with chat_process(pg_url, curriculum) as (node, outbox):
        await node.cohort(["ann", "bob"])
        worker = workers(pg_url, grader_url)
        held = await _grading_a_held_drill(node, grader, worker)
        _cut_every_connection(pg_url)
        await asyncio.sleep(0.5)
        grader.release.set()
        later = await node.submit("bob", QUICK, "after the restart")
        _cut_every_connection(pg_url)
        again = await node.submit("ann", QUICK, "again")

        await wait_until(delivered(outbox, {held, later, again}), timeout=60)
        await asyncio.sleep(0.5)
        assert all(r.status == "graded" for r in await rows(node))
        assert await verdicts(node) == Counter({held: 1, later: 1, again: 1})
        times = Counter(e.submission_id for e in outbox.events if isinstance(e, GradedNotice))
        assert times == Counter({held: 1, later: 1, again: 1})
        assert worker.proc.poll() is None, worker.log.read_text()[-2000:]


@asynccontextmanager
async def _rows_locked(url: str, sql: str) -> AsyncIterator[Any]:
    """A transaction of its own holding the row locks of ``sql`` (a ``SELECT …
    FOR UPDATE``) until the block ends: other backends' writes to those rows wait."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://"), timeout=5)
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.fetch(sql)
        yield conn
    finally:
        await tx.rollback()
        await conn.close()


async def _cut_when_waiting(locker: Any, fragment: str, count: int = 1) -> None:
    """Once ``count`` backends wait on ``locker``'s row locks running a query
    containing ``fragment``, terminate them: their connections are lost in the
    middle of that query, as in a database restart."""
    waiting = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
               "AND wait_event_type = 'Lock' AND query LIKE $1")

    async def there() -> bool:
        await locker.execute("SELECT pg_stat_clear_snapshot()")  # fresh in a transaction
        return len(await locker.fetch(waiting, f"%{fragment}%")) >= count

    await wait_until(there)
    for row in await locker.fetch(waiting, f"%{fragment}%"):
        await locker.execute("SELECT pg_terminate_backend($1)", row["pid"])


JOBS = "torchdojo_jobs.procrastinate_jobs"


async def test_a_job_whose_end_is_lost_with_its_connection_does_not_block_its_member(
        pg_url: str, curriculum: Any, http_grader: Any, workers: Any) -> None:
    """The verdict is written, then the query marking the job done loses its
    connection. The worker lives on (its heartbeats go on), so the job stayed
    "running" for ever and held the member's lock: their next submission was
    never graded. The sweeper now ends such a job."""
    grader, grader_url = http_grader
    async with chat_process(pg_url, curriculum) as (node, outbox):
        await node.cohort(["ann"])
        worker = workers(pg_url, grader_url)
        held = await _grading_a_held_drill(node, grader, worker)
        async with _rows_locked(pg_url, f"SELECT id FROM {JOBS} WHERE status = 'doing' "
                                        "FOR UPDATE") as locker:
            grader.release.set()
            await _cut_when_waiting(locker, "finish_job")
        again = await node.submit("ann", QUICK, "again")

        await wait_until(delivered(outbox, {held, again}), timeout=60)
        assert await verdicts(node) == Counter({held: 1, again: 1})
        assert worker.proc.poll() is None, worker.log.read_text()[-2000:]


async def test_a_worker_whose_heartbeats_lose_their_connection_grades_on(
        pg_url: str, curriculum: Any, http_grader: Any, workers: Any) -> None:
    """Procrastinate stops a worker whose heartbeat fails; the process lived on
    without grading (nothing restarted its lanes' workers). Now each lane's
    worker is started again."""
    grader, grader_url = http_grader
    grader.release.set()
    async with chat_process(pg_url, curriculum) as (node, outbox):
        await node.cohort(["ann"])
        worker = workers(pg_url, grader_url)
        await worker.ready()
        first = await node.submit("ann", QUICK, "first")
        await wait_until(delivered(outbox, {first}))
        table = "torchdojo_jobs.procrastinate_workers"
        async with _rows_locked(pg_url, f"SELECT id FROM {table} FOR UPDATE") as locker:
            lanes = len(await locker.fetch(f"SELECT id FROM {table}"))
            await _cut_when_waiting(locker, "heartbeat", count=lanes)
        later = await node.submit("ann", QUICK, "later")
        await wait_until(delivered(outbox, {first, later}), timeout=60)

        async def restarted() -> bool:
            return "starting it again" in worker.log.read_text()

        await wait_until(restarted, timeout=10)
        assert worker.proc.poll() is None, worker.log.read_text()[-2000:]


class Proxy:
    """A TCP relay in front of PostgreSQL that can be taken down (connections
    refused, every open one cut) and brought back on the same port: the
    database as its clients see it while it restarts."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    @classmethod
    async def in_front_of(cls, url: str) -> tuple[Proxy, str]:
        """A running proxy in front of ``url``'s server, and ``url`` through it."""
        from sqlalchemy.engine import make_url

        real = make_url(url)
        proxy = cls(real.host or "127.0.0.1", real.port or 5432)
        await proxy.up()
        return proxy, real.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._pipes |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))


async def test_a_member_submitting_while_the_database_is_down_is_told_and_loses_nothing(
        pg_url: str, curriculum: Any, http_grader: Any, workers: Any) -> None:
    from bot.chat.handler import ChatHandler, Incoming

    grader, grader_url = http_grader
    grader.release.set()
    proxy, url = await Proxy.in_front_of(pg_url)
    try:
        async with chat_process(url, curriculum) as (node, outbox):
            chat = ChatHandler(node.dojo)
            await node.cohort(["ann", "bob"])
            worker = workers(url, grader_url)
            await worker.ready()
            first = await node.submit("ann", QUICK, "before")
            await wait_until(delivered(outbox, {first}))
            await proxy.down()

            def message(text: str) -> Incoming:
                return Incoming("test", "c1", "bob", "Bob", text)

            down = await chat.handle(message("/dojo submit 1.1.1\n```\nx = 1  # bob down\n```"))
            board = await chat.handle(message("/dojo leaderboard"))
            await asyncio.sleep(3)  # the sweepers, the delivery loop and the worker meet the outage
            await proxy.up()
            up = await chat.handle(message("/dojo submit 1.1.1\n```\nx = 1  # bob up\n```"))
            status = next(r for r in up if r.status_of is not None)
            # as an adapter does once it has posted "grading…"
            await chat.status_posted(status, StatusRef("c1", "status-of-bob-up"))
            assert [r.level for r in down] == ["error"]
            assert "database" in down[0].text and "NOT saved" in down[0].text, down[0].text
            assert "→ Send it again in a minute" in down[0].text, down[0].text
            assert "database" in board[0].text and "nothing was done" in board[0].text, board
            assert "grading" in up[0].text, up[0].text

            async def graded_up() -> bool:
                return any("# bob up" in r.code and r.status == "graded" for r in await rows(node))

            await wait_until(graded_up, timeout=60)
            later = {r.id for r in await rows(node) if "# bob up" in r.code}
            await wait_until(delivered(outbox, later), timeout=60)
            codes = [r.code for r in await rows(node)]
            assert not any("# bob down" in c for c in codes)  # never stored: the member was told
            assert set((await verdicts(node)).values()) == {1}
            assert worker.proc.poll() is None, worker.log.read_text()[-2000:]
            # SIGTERM stops a worker in seconds while the database is unreachable (it
            # waited ~30 s per pooled connection it still wanted: fetch, unregister)
            await proxy.down()
            worker.proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(worker.proc.wait, 15)
            assert code == 0, worker.log.read_text()[-2000:]
    finally:
        await proxy.down()


async def test_an_edit_while_the_database_is_down_is_told_it_was_not_graded(
        pg_url: str, curriculum: Any) -> None:
    """Editing a submission regrades it into its status message; while the database
    could not be reached, the edit was ignored without a word (the member took the
    silence for grading). The chat layer now says the edit was not graded, and the
    same edit regrades once the database is back."""
    from datetime import timedelta

    from bot.chat.handler import ChatHandler, EditPlan, Incoming

    proxy, url = await Proxy.in_front_of(pg_url)
    try:
        async with chat_process(url, curriculum) as (node, _outbox):
            chat = ChatHandler(node.dojo)
            await node.cohort(["ann"])
            posted = Incoming("test", "c1", "ann", "Ann", "/dojo submit 1.1.1\n```\nx = 1\n```",
                              message_id="msg-ann")
            status = next(r for r in await chat.handle(posted) if r.status_of is not None)
            await chat.status_posted(status, StatusRef("c1", "status-of-ann"))
            edited = Incoming("test", "c1", "ann", "Ann", "/dojo submit 1.1.1\n```\nx = 2\n```",
                              message_id="msg-ann")
            soon = timedelta(seconds=40)
            assert await chat.edit_plan(edited, soon) == EditPlan(
                handle=True, status=StatusRef("c1", "status-of-ann"))
            await proxy.down()
            down = await chat.edit_plan(edited, soon)
            assert not down.handle and [r.level for r in down.replies] == ["error"]
            assert "database" in down.replies[0].text and "NOT graded" in down.replies[0].text
            # conversation edited during the outage: still none of the bot's business
            chat_edit = Incoming("test", "c1", "ann", "Ann", "thanks!", message_id="msg-2")
            assert await chat.edit_plan(chat_edit, soon) == EditPlan()
            await proxy.up()
            assert (await chat.edit_plan(edited, soon)).status == StatusRef("c1", "status-of-ann")
            assert await chat.edit_plan(edited, timedelta(minutes=6)) == EditPlan()
    finally:
        await proxy.down()
