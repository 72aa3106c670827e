"""Run Alembic migrations programmatically.

The script location is found from the installed ``migrations`` package, not
from the working directory, so ``torchdojo db upgrade`` works from a fresh
clone, from an installed wheel and inside the container alike. The async
engine's connection is handed to Alembic (``config.attributes``) so upgrading
also works from inside a running event loop (upgrade-on-start).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def _downgrade(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, revision)


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    await _migrate(engine, _upgrade, revision)


async def downgrade_engine(engine: AsyncEngine, revision: str) -> None:
    """Undo migrations down to ``revision`` (operators rolling back a release)."""
    await _migrate(engine, _downgrade, revision)


async def _migrate(engine: AsyncEngine, step: Callable[[Connection, str], None],
                   revision: str) -> None:
    """Run one Alembic command in a transaction.

    SQLite alters many things by rebuilding a table (Alembic's batch mode:
    copy, drop, rename). With foreign keys on, dropping the old table would
    cascade-delete every row that references it (awards of submissions), so
    on SQLite the migrations run with foreign keys off — switched outside the
    transaction, where SQLite honours it — and the result is checked with
    ``PRAGMA foreign_key_check`` before they are switched back on."""
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            await conn.run_sync(step, revision)
        return
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await conn.commit()
        try:
            async with conn.begin():
                await conn.run_sync(step, revision)
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"migration left dangling references: {broken[:5]}")
        finally:
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            await conn.commit()


async def upgrade_url(url: str, revision: str = "head") -> None:
    from bot.db.session import make_engine

    engine = make_engine(url)
    try:
        await upgrade_engine(engine, revision)
    finally:
        await engine.dispose()


def current_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
