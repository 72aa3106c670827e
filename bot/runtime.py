"""Wires one bot process together: settings → database (migrated) → curriculum
→ grader → core. Adapters (console, Discord, Slack) start from here so every
entry point applies migrations on start, recovers interrupted gradings and
delivers verdicts the same way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings, load_settings
from bot.core.clock import Clock
from bot.core.dojo import Dojo
from bot.core.posts import Planner
from bot.core.storage import open_database
from bot.core.types import Outbox
from bot.grader_client import GraderClient, client_from_env


@dataclass
class Runtime:
    settings: Settings
    dojo: Dojo
    grader: GraderClient
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def planner(self) -> Planner:
        return self.dojo.planner

    @classmethod
    async def start(
        cls,
        settings: Settings | None = None,
        *,
        database_url: str | None = None,
        grader: GraderClient | None = None,
        clock: Clock | None = None,
        curriculum: Any = None,
        exclusive: bool | None = None,
    ) -> Runtime:
        """``exclusive``: this is the only process on the database, so every
        submission left in ``grading`` is an orphan (default: true for SQLite)."""
        settings = settings or load_settings()
        db = await open_database(database_url or settings.database_url)
        if curriculum is None:
            from curriculum import load_curriculum

            curriculum = load_curriculum()
        grader = grader or client_from_env(settings.grader_url)
        dojo = Dojo(db, curriculum, grader, clock)
        await dojo.recover(all_grading=db.is_sqlite if exclusive is None else exclusive)
        return cls(settings, dojo, grader)

    def scheduler(self, outbox: Outbox) -> Any:
        """The APScheduler wiring for a long-running adapter (Discord, Slack):
        ``await runtime.scheduler(outbox).start()`` after the adapter connects."""
        from bot.scheduler import BotScheduler

        return BotScheduler(self.dojo, outbox)

    def deliver_forever(self, platform: str, outbox: Outbox,
                        owns: Callable[[str], bool] | None = None) -> asyncio.Task[None]:
        """Start delivering this platform's verdicts and notices (the one delivery
        path); stopped by :meth:`close`."""
        task = asyncio.get_running_loop().create_task(
            self.dojo.notices.run(platform, outbox, owns=owns))
        self.tasks.append(task)
        return task

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        await self.dojo.dispatcher.close()
        try:
            await self.grader.close()
        finally:
            await self.dojo.db.close()
