"""Migration 0006 on data, on SQLite and PostgreSQL: passes that scored keep
counting for streaks, re-submissions do not; existing timers are on their
first run; nothing that refers to a submission or a window is lost on the way
up or back (on SQLite, recreating a table would delete them by cascade)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from bot.db import Database
from bot.db.migrate import downgrade_engine, upgrade_engine

NOW = datetime(2026, 3, 2, 10, 0)  # naive UTC, as the tables store times


async def run(db: Database, sql: str, **params: Any) -> list[Any]:
    async with db.engine.begin() as conn:
        result = await conn.execute(text(sql), params)
        return list(result.all()) if result.returns_rows else []


async def test_0006_on_existing_data(db_url: str) -> None:
    db = Database(db_url)
    try:
        await downgrade_engine(db.engine, "0004")
        await run(db, "INSERT INTO cohorts (id, platform, channel_id, name, tz, start_date, "
                      "post_time, paused_days, created_at, created_by) VALUES (1, 'test', 'c1', "
                      "'C', 'UTC', '2026-03-02', '09:00', 0, :now, 'coach')", now=NOW)
        await run(db, "INSERT INTO members (id, cohort_id, user_id, display_name, reminders, "
                      "joined_at) VALUES (1, 1, 'ann', 'Ann', TRUE, :now)", now=NOW)
        for sub_id in (1, 2):
            await run(db, "INSERT INTO submissions (id, cohort_id, member_id, exercise_id, code, "
                          "status, received_at, attempts, failures, delay_notified, passed, "
                          "reply_state, reply_private) VALUES (:id, 1, 1, '1.1.1', 'x', "
                          "'graded', :now, 1, 0, FALSE, TRUE, 'none', FALSE)", id=sub_id, now=NOW)
        await run(db, "INSERT INTO awards (cohort_id, member_id, exercise_id, submission_id, "
                      "points, bonus, late, passed_at) VALUES (1, 1, '1.1.1', 1, 10, 0, FALSE, "
                      ":now)", now=NOW)
        await run(db, "INSERT INTO challenge_windows (id, cohort_id, exercise_id, member_id, "
                      "opens_at, closes_at, created_by, created_at) VALUES (1, 1, '1.4.1', 1, "
                      ":now, :now, 'ann', :now)", now=NOW)

        await upgrade_engine(db.engine)
        counts = await run(db, "SELECT id, counts FROM submissions ORDER BY id")
        assert [(i, bool(c)) for i, c in counts] == [(1, True), (2, False)]
        assert await run(db, "SELECT attempt FROM challenge_windows") == [(1,)]
        assert await run(db, "SELECT submission_id, window_id FROM awards") == [(1, None)]
        await run(db, "UPDATE awards SET window_id = 1")

        await downgrade_engine(db.engine, "0004")
        assert await run(db, "SELECT submission_id, window_id FROM awards") == [(1, 1)]
        assert len(await run(db, "SELECT id FROM submissions")) == 2
        await upgrade_engine(db.engine)
        assert await run(db, "SELECT count(*) FROM awards") == [(1,)]
    finally:
        await db.close()
