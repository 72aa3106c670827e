"""Alembic environment, async-capable.

Used three ways: by ``bot.db.migrate`` (a live connection is passed in
``config.attributes['connection']``), by the ``alembic`` CLI with
``alembic.ini`` (URL from ``DATABASE_URL`` or the ini), and offline (``--sql``).
On PostgreSQL an advisory lock serialises two bots upgrading at once.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.config import DEFAULT_DATABASE_URL, normalize_database_url
from bot.db.models import Base

config = context.config
target_metadata = Base.metadata
LOCK_ID = 7_411_2026


def _url() -> str:
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    return normalize_database_url(url or DEFAULT_DATABASE_URL)


def do_run_migrations(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({LOCK_ID})"))
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    from bot.db.session import make_engine

    engine = make_engine(_url())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())
