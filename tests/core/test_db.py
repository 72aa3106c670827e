"""Migrations are the only way the schema changes; settings fail clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.config import ConfigError, load_settings, normalize_database_url
from bot.db import Base, Database


async def test_migrations_match_the_models(db_url: str) -> None:
    db = Database(db_url)
    try:
        await db.upgrade()  # twice: idempotent
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
                )
            )
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert diff == []
        assert {"cohorts", "members", "submissions", "awards", "posts", "alembic_version"} <= tables
    finally:
        await db.close()


def test_db_upgrade_command_from_another_directory(tmp_path: Path) -> None:
    """`torchdojo db upgrade` finds its migrations wherever it is run from."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    exe = Path(sys.executable).with_name("torchdojo")
    proc = subprocess.run([str(exe), "db", "upgrade"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    from bot.db.migrate import current_head

    assert f"is at revision {current_head()}" in proc.stdout
    assert (tmp_path / "x.sqlite3").exists()


def test_bad_settings_fail_at_start_with_a_clear_message(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL="mysql://nope", GRADER_URL="not a url", PORT="99999")
    exe = Path(sys.executable).with_name("torchdojo")
    proc = subprocess.run([str(exe), "db", "upgrade"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "DATABASE_URL" in proc.stderr and "GRADER_URL" in proc.stderr
    assert "PORT" in proc.stderr and "Traceback" not in proc.stderr


def test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DATABASE_URL", "GRADER_URL", "PORT", "SLACK_API_URL"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///./torchdojo.sqlite3"
    assert s.grader_url is None and s.discord_api_base == "https://discord.com/api/v10"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/dojo")
    assert load_settings().database_url == "postgresql+asyncpg://u:p@db:5432/dojo"
    assert normalize_database_url("postgres://h/d") == "postgresql+asyncpg://h/d"
    monkeypatch.setenv("SLACK_API_URL", "http://localhost:9/api")
    with pytest.raises(ConfigError, match="SLACK_API_URL"):
        load_settings()
    monkeypatch.delenv("SLACK_API_URL")
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_settings().require("DISCORD_TOKEN")
