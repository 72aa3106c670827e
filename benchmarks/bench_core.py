"""Scale benchmark of the bot core (a script, not a test).

Seeds a database with COHORTS cohorts, MEMBERS members and SUBMISSIONS
submissions (with the awards their first passes earn), then measures the two
commands people run most — ``/dojo leaderboard`` (week and all time) and
``/dojo streak`` — through the real core code path (``Dojo.leaderboard`` /
``Dojo.streak``: SQL + rule computation), on SQLite and on PostgreSQL, and the
time to plan one day's posts for PLAN_COHORTS cohorts. Prints one JSON object.

    .venv/bin/python benchmarks/bench_core.py                 # full size
    .venv/bin/python benchmarks/bench_core.py --smoke         # seconds, small numbers
    .venv/bin/python benchmarks/bench_core.py --no-postgres   # SQLite only

Seeding bypasses the ORM (sqlite3 executemany / PostgreSQL COPY) because it is
setup, not what is measured. Target: p95 ≤ 50 ms for both commands on both
databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.clock import ManualClock
from bot.core.dojo import Dojo
from bot.core.types import Actor, Role
from bot.db import Database

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Los_Angeles",
         "Australia/Sydney", "Asia/Kolkata", "Europe/London"]
NOW = datetime(2026, 3, 30, 15, 0, tzinfo=UTC)
DAYS = 35
CHUNK = 50_000


class _NoGrader:
    async def grade(self, exercise_id: str, code: str) -> dict[str, Any]:
        raise RuntimeError("the benchmark does not grade")

    async def health(self) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        return None


def _curriculum() -> Any:
    from curriculum import load_curriculum

    return load_curriculum()


def generate(cohorts: int, members: int, submissions: int, exercises: list[str],
             seed: int = 7) -> Iterator[tuple[str, list[tuple]]]:
    """Rows per table, in chunks: (table, rows). Deterministic for a seed."""
    rng = random.Random(seed)
    start = (NOW - timedelta(days=DAYS)).date()
    created = NOW - timedelta(days=DAYS + 1)
    yield "cohorts", [
        (c + 1, "bench", f"chan{c + 1}", f"Cohort {c + 1}", ZONES[c % len(ZONES)], start,
         "09:00", None, 0, created, "coach")
        for c in range(cohorts)
    ]
    yield "members", [
        (m + 1, m % cohorts + 1, f"user{m + 1}", f"user{m + 1}",
         ZONES[(m * 7) % len(ZONES)] if m % 3 == 0 else None, True, created, None)
        for m in range(members)
    ]
    per_member = max(submissions // members, 1)
    sub_id = award_id = 0
    subs: list[tuple] = []
    awards: list[tuple] = []
    for m in range(members):
        cohort = m % cohorts + 1
        active = rng.random()
        seen: set[str] = set()
        times = sorted(NOW - timedelta(seconds=rng.randint(0, DAYS * 86400 - 1))
                       for _ in range(per_member))
        for at in times:
            sub_id += 1
            ex = exercises[rng.randrange(len(exercises))]
            passed = rng.random() < 0.4 + 0.5 * active
            subs.append((sub_id, cohort, m + 1, ex, "x = 1\n", "graded", at, at, None, at, 1,
                         None, None, False, '{"status": "passed"}' if passed else
                         '{"status": "failed"}', "passed" if passed else "failed",
                         10 if passed else 3, 10, passed, None))
            if passed and ex not in seen:
                seen.add(ex)
                award_id += 1
                awards.append((award_id, cohort, m + 1, ex, sub_id, None, 10, 0, False, None, at))
        if len(subs) >= CHUNK:  # awards only after the submissions they point to
            yield "submissions", subs
            subs = []
            if awards:
                yield "awards", awards
                awards = []
    if subs:
        yield "submissions", subs
    if awards:
        yield "awards", awards


COLUMNS = {
    "cohorts": ["id", "platform", "channel_id", "name", "tz", "start_date", "post_time",
                "paused_since", "paused_days", "created_at", "created_by"],
    "members": ["id", "cohort_id", "user_id", "display_name", "tz", "reminders", "joined_at",
                "left_at"],
    "submissions": ["id", "cohort_id", "member_id", "exercise_id", "code", "status",
                    "received_at", "started_at", "lease_until", "graded_at", "attempts",
                    "next_attempt_at", "last_error", "delay_notified", "result",
                    "result_status", "score", "max_score", "passed", "origin_message_id"],
    "awards": ["id", "cohort_id", "member_id", "exercise_id", "submission_id", "window_id",
               "points", "bonus", "late", "elapsed_s", "passed_at"],
}


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(v, date):
        return v.isoformat()
    return v


def seed_sqlite(path: str, rows: Iterator[tuple[str, list[tuple]]]) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    n = 0
    for table, chunk in rows:
        cols = COLUMNS[table]
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [tuple(_sqlite_value(v) for v in r) for r in chunk],
        )
        n += len(chunk)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return n


async def seed_postgres(db: Database, rows: Iterator[tuple[str, list[tuple]]]) -> int:
    n = 0
    async with db.engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        for table, chunk in rows:
            recs = [tuple(v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime)
                          else v for v in r) for r in chunk]
            await raw.copy_records_to_table(table, records=recs, columns=COLUMNS[table])
            n += len(chunk)
        for table in COLUMNS:
            await raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))")
        await raw.execute("ANALYZE")
    return n


def _pct(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {
        "p50_ms": round(statistics.median(s) * 1000, 2),
        "p95_ms": round(s[min(len(s) - 1, int(len(s) * 0.95))] * 1000, 2),
        "max_ms": round(s[-1] * 1000, 2),
        "n": len(s),
    }


async def measure(db: Database, cohorts: int, members: int, queries: int) -> dict[str, Any]:
    dojo = Dojo(db, _curriculum(), _NoGrader(), ManualClock(NOW))
    rng = random.Random(11)
    out: dict[str, Any] = {}
    for scope in ("week", "all"):
        times: list[float] = []
        sizes: list[int] = []
        for _ in range(queries):
            c = rng.randrange(cohorts) + 1
            actor = Actor("bench", f"chan{c}", "x", "x", Role.member)
            t = time.perf_counter()
            _, _, rows = await dojo.leaderboard(actor, scope)
            times.append(time.perf_counter() - t)
            sizes.append(len(rows))
        out[f"leaderboard_{scope}"] = _pct(times)
        out[f"leaderboard_{scope}"]["mean_rows"] = round(sum(sizes) / len(sizes), 1)
    times = []
    streaks = []
    for _ in range(queries):
        m = rng.randrange(members)
        c = m % cohorts + 1
        actor = Actor("bench", f"chan{c}", f"user{m + 1}", f"user{m + 1}", Role.member)
        t = time.perf_counter()
        info = await dojo.streak(actor)
        times.append(time.perf_counter() - t)
        streaks.append(info.streak.current)
    out["streak"] = _pct(times)
    out["mean_streak"] = round(sum(streaks) / len(streaks), 2)
    return out


async def plan_day(db: Database, plan_cohorts: int, existing: int) -> dict[str, Any]:
    """Add cohorts up to ``plan_cohorts`` and time planning one day's posts."""
    async with db.session() as s:
        from bot.db import Cohort

        start = (NOW - timedelta(days=3)).date()
        for i in range(existing, plan_cohorts):
            s.add(Cohort(platform="bench-plan", channel_id=f"p{i}", name=f"P{i}",
                         tz=ZONES[i % len(ZONES)], start_date=start,
                         post_time=f"{6 + i % 12:02d}:{(i * 7) % 60:02d}", paused_days=0,
                         created_at=NOW - timedelta(days=4), created_by="coach"))
    planner = Dojo(db, _curriculum(), _NoGrader(), ManualClock(NOW)).planner
    day0 = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    times = []
    planned = 0
    for _ in range(5):
        t = time.perf_counter()
        posts = await planner.plan(day0, day0 + timedelta(days=1))
        times.append(time.perf_counter() - t)
        planned = len(posts)
    t = time.perf_counter()
    due = await planner.due(NOW)
    due_s = time.perf_counter() - t
    return {"cohorts": plan_cohorts, "posts_planned": planned,
            "plan_day_ms": round(min(times) * 1000, 1),
            "due_now_ms": round(due_s * 1000, 1), "due_now_posts": len(due)}


async def run_backend(name: str, url: str, args: argparse.Namespace,
                      exercises: list[str]) -> dict[str, Any]:
    db = Database(url)
    try:
        await db.upgrade()
        t = time.perf_counter()
        rows = generate(args.cohorts, args.members, args.submissions, exercises)
        if name == "sqlite":
            await db.engine.dispose()
            n = seed_sqlite(url.split("///", 1)[1], rows)
        else:
            n = await seed_postgres(db, rows)
        seed_s = time.perf_counter() - t
        res = {"seeded_rows": n, "seed_s": round(seed_s, 1)}
        res.update(await measure(db, args.cohorts, args.members, args.queries))
        res["plan"] = await plan_day(db, args.plan_cohorts, args.cohorts)
        return res
    finally:
        await db.close()


def _pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(admin_url.replace("postgresql://", "postgres://"), timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    exercises = sorted(_curriculum().exercises) or ["1.1.1"]
    if len(exercises) < 40:  # a fuller course: ids beyond what is written so far
        exercises += [f"{w}.{e}.{s}" for w in range(2, 7) for e in range(1, 3)
                      for s in range(1, 5)][: 40 - len(exercises)]
    result: dict[str, Any] = {
        "config": {k: getattr(args, k) for k in
                   ("cohorts", "members", "submissions", "queries", "plan_cohorts")},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }
    with tempfile.TemporaryDirectory(prefix="torchdojo-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        result["sqlite"] = await run_backend("sqlite", url, args, exercises)
        print(json.dumps({"sqlite": result["sqlite"]}), file=sys.stderr, flush=True)
    if args.postgres:
        name = f"torchdojo_bench_{uuid.uuid4().hex[:8]}"
        admin = args.postgres
        try:
            await asyncio.to_thread(_pg_admin, admin, f'CREATE DATABASE "{name}"')
        except Exception as exc:
            result["postgres"] = {"skipped": f"PostgreSQL not reachable at {admin}: {exc}"}
        else:
            try:
                url = admin.rsplit("/", 1)[0] + "/" + name
                result["postgres"] = await run_backend("postgres", url, args, exercises)
            finally:
                await asyncio.to_thread(_pg_admin, admin,
                                        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    targets = []
    for backend in ("sqlite", "postgres"):
        r = result.get(backend, {})
        for key in ("leaderboard_week", "leaderboard_all", "streak"):
            if key in r:
                targets.append(r[key]["p95_ms"] <= 50.0)
    result["p95_target_50ms_met"] = all(targets) if targets else None
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cohorts", type=int, default=100)
    p.add_argument("--members", type=int, default=10_000)
    p.add_argument("--submissions", type=int, default=1_000_000)
    p.add_argument("--queries", type=int, default=300, help="samples per measured command")
    p.add_argument("--plan-cohorts", type=int, default=1000)
    p.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres",
                   help="admin URL of a PostgreSQL server (a scratch database is created)")
    p.add_argument("--no-postgres", dest="postgres", action="store_const", const=None)
    p.add_argument("--smoke", action="store_true", help="tiny numbers, for a quick check")
    args = p.parse_args(argv)
    if args.smoke:
        args.cohorts, args.members, args.submissions = 5, 50, 2000
        args.queries, args.plan_cohorts = 20, 30
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    result = asyncio.run(main_async(parse_args(argv)))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
