"""Opening and migrating the database, for the wiring code (runtime, CLI)
that must not touch ``bot.db`` itself."""

from __future__ import annotations

from bot.db import Database
from bot.db.migrate import current_head, upgrade_url


async def open_database(url: str) -> Database:
    """A migrated database (migrations are applied on every start)."""
    db = Database(url)
    await db.upgrade()
    return db


async def upgrade_database(url: str) -> str | None:
    """Apply every pending migration; the revision the database is at now."""
    await upgrade_url(url)
    return current_head()
