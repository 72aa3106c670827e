"""Deciding when queued submissions are graded, in this process.

The embedded default grades in the bot's own process: :meth:`Dispatcher.kick`
after a submission (or a periodic sweep, for retries after an outage) starts
draining the queue in the background, and the verdicts reach the member
through the notices (:mod:`bot.core.notices`), never through the caller."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.core.queue import GradingQueue
from bot.core.types import SubmissionNotice

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, queue: GradingQueue) -> None:
        self.queue = queue
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._lock = asyncio.Lock()

    async def grade_pending(self, *, member_id: int | None = None, force: bool = False
                            ) -> list[SubmissionNotice]:
        """Grade what is queued now (oldest first, in order per member) and return
        what the members will be told. ``force`` ignores retry back-off."""
        events: list[SubmissionNotice] = []
        async with self._lock:
            for mid in await self.queue.ready_members(member_id=member_id, force=force):
                events.extend(await self.queue.grade_member(mid, force))
        return events

    def kick(self) -> None:
        """Grade what is queued, in the background; a kick while a drain runs
        makes it look once more when it is done."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while True:
            self._again = False
            try:
                await self.grade_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("grading the queue failed")
            if not self._again:
                return

    async def settle(self, *, force: bool = False) -> None:
        """Wait until nothing this process started is still grading, then grade
        what is ready (the console after every line)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.grade_pending(force=force)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
