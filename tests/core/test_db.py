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
    # the bot's own grader (no GRADER_URL): its TORCHDOJO_* settings are read up front
    monkeypatch.setenv("TORCHDOJO_WORKERS", "abc")
    with pytest.raises(ConfigError, match="TORCHDOJO_WORKERS"):
        load_settings()
    monkeypatch.setenv("GRADER_URL", "http://grader:8080")  # then they are the service's
    assert load_settings().grader_url == "http://grader:8080"


async def test_upgrading_an_existing_database_keeps_its_data(tmp_path: Path) -> None:
    """A SQLite table rebuilt by a migration (batch mode) must not cascade-delete
    the rows that reference it: awards survived 0003 → 0004 only by luck of the
    column default before this was checked. Duplicate posted-message ids are
    resolved to the newest post."""
    from sqlalchemy import text

    from bot.db.migrate import upgrade_engine
    from bot.db.session import make_engine

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/old.sqlite3")
    try:
        await upgrade_engine(engine, "0003")
        async with engine.begin() as conn:
            for sql in (
                "INSERT INTO cohorts (id, platform, channel_id, name, tz, start_date, post_time,"
                " paused_days, created_at, created_by) VALUES (1, 'console', 'console', 'C',"
                " 'UTC', '2026-03-02', '09:00', 0, '2026-03-02 08:00:00', 'coach')",
                "INSERT INTO members (id, cohort_id, user_id, display_name, reminders, joined_at)"
                " VALUES (1, 1, 'you', 'you', 1, '2026-03-02 08:00:00')",
                "INSERT INTO submissions (id, cohort_id, member_id, exercise_id, code, status,"
                " received_at, attempts, delay_notified, passed) VALUES (1, 1, 1, '1.1.1', 'x',"
                " 'graded', '2026-03-02 09:10:00', 1, 0, 1)",
                "INSERT INTO awards (id, cohort_id, member_id, exercise_id, submission_id, points,"
                " bonus, late, passed_at) VALUES (1, 1, 1, '1.1.1', 1, 10, 0, 0,"
                " '2026-03-02 09:10:00')",
                "INSERT INTO posts (id, cohort_id, key, kind, scheduled_for, claimed_at,"
                " claimed_by) VALUES (1, 1, 'day:1', 'day', '2026-03-02 09:00:00',"
                " '2026-03-02 09:00:00', 'a'), (2, 1, 'day:2', 'day', '2026-03-03 09:00:00',"
                " '2026-03-03 09:00:00', 'b')",
                "INSERT INTO posted_messages (id, post_id, cohort_id, message_id, exercise_id)"
                " VALUES (1, 1, 1, 'm2', '1.1.1'), (2, 2, 1, 'm2', '1.2.1')",
            ):
                await conn.execute(text(sql))
        await upgrade_engine(engine)
        async with engine.connect() as conn:
            awards = (await conn.execute(text("SELECT points FROM awards"))).all()
            subs = (await conn.execute(text("SELECT status FROM submissions"))).all()
            posted = (await conn.execute(text(
                "SELECT message_id, exercise_id FROM posted_messages"))).all()
            broken = (await conn.execute(text("PRAGMA foreign_key_check"))).all()
        assert [tuple(r) for r in awards] == [(10,)] and [tuple(r) for r in subs] == [("graded",)]
        assert [tuple(r) for r in posted] == [("m2", "1.2.1")]
        assert broken == []
    finally:
        await engine.dispose()


async def test_an_unreachable_database_is_told_apart_from_errors_of_our_own(
        tmp_path: Path, db_url: str) -> None:
    """Database.session raises DatabaseUnavailable for a database it cannot
    reach (here: a PostgreSQL port nobody listens on, and a SQLite file whose
    folder is gone); an OSError of the caller's own inside the transaction, or
    a wrong statement, stays what it is."""
    import socket

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from bot.db import DatabaseUnavailable

    with socket.socket() as s:  # a free port, closed again: connections are refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for url in (f"postgresql://postgres@127.0.0.1:{port}/nowhere",
                f"sqlite:///{tmp_path}/gone/db.sqlite3"):
        db = Database(url)
        try:
            with pytest.raises(DatabaseUnavailable, match="unreachable"):
                async with db.session() as session:
                    await session.execute(text("SELECT 1"))
        finally:
            await db.close()
    db = Database(db_url)  # a reachable one, SQLite and PostgreSQL
    try:
        with pytest.raises(ConnectionRefusedError):
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
                raise ConnectionRefusedError("a peer of the caller's own")
        with pytest.raises(DBAPIError, match="nowhere") as wrong:
            async with db.session() as session:
                await session.execute(text("SELECT * FROM nowhere"))
        assert not isinstance(wrong.value, DatabaseUnavailable)
    finally:
        await db.close()
