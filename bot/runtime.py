"""Wires one bot process together: settings → database (migrated) → curriculum
→ grader → core. Adapters (console, Discord, Slack) start from here so every
entry point applies migrations on start and recovers interrupted gradings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Settings, load_settings
from bot.core.clock import Clock
from bot.core.dojo import Dojo
from bot.core.schedule import Planner
from bot.db import Database
from bot.grading import GraderClient, client_from_env


@dataclass
class Runtime:
    settings: Settings
    db: Database
    dojo: Dojo
    planner: Planner
    grader: GraderClient

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
        db = Database(database_url or settings.database_url)
        await db.upgrade()
        if curriculum is None:
            from curriculum import load_curriculum

            curriculum = load_curriculum()
        grader = grader or client_from_env(settings.grader_url)
        dojo = Dojo(db, curriculum, grader, clock)
        await dojo.recover(all_grading=db.is_sqlite if exclusive is None else exclusive)
        return cls(settings, db, dojo, Planner(dojo), grader)

    def scheduler(self, outbox: Any) -> Any:
        """The APScheduler wiring for a long-running adapter (Discord, Slack):
        ``await runtime.scheduler(outbox).start()`` after the adapter connects."""
        from bot.scheduler import BotScheduler

        return BotScheduler(self.dojo, outbox, self.planner)

    async def close(self) -> None:
        try:
            await self.grader.close()
        finally:
            await self.db.close()
