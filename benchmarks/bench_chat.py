"""Chat-speed grading under a cohort burst, end to end (a script that prints
figures; nothing here is asserted).

Through the real discord.py client against the local fake Discord of the
adapter tests (``tests/adapters/fake_discord.py``): a member posts
``/dojo submit 1.1.1`` with a code block; the time measured runs from the
moment the message is pushed through the gateway to the moment the bot's
edit of that member's "⏳ grading…" message with the verdict reaches the fake
REST API. Two set-ups:

* ``embedded`` — SQLite, one bot process with its own grader process (what
  ``./scripts/run.sh`` runs; ``--compare-in-process`` adds the same with the
  grader's pool inside the bot's process, the earlier default);
* ``postgres`` — PostgreSQL, the bot process only hands work out (no lanes),
  ``torchdojo worker`` processes grade through ``torchdojo grader serve``
  processes (HTTP), and the bot delivers the verdicts, woken by NOTIFY.

Scenarios: ``lone`` (one drill at a time, chat pace), ``training_alone`` (one
5.1.1 training loop alone), ``burst`` (two 5.1.1 training submissions, then
50 members post a 1.1.1 answer within one second), and ``scale`` (200 drills
from 200 members posted at once, on PostgreSQL with 1 or 2 workers and 1 or 2
grader services). The members joined the cohort (``/dojo cohort join``)
before the moment measured, as a cohort's members have. For each:
min/p50/p95/max of the drills, the training
verdicts, submissions lost (no verdict within the time limit), graded twice
(more than one verdict notice in the database) and delivered twice (more than
one verdict edit of one status message), and the CPU seconds each process
used (its whole process tree: a grader service with its sandboxes).

    .venv/bin/python benchmarks/bench_chat.py                 # everything (minutes)
    .venv/bin/python benchmarks/bench_chat.py --quick         # CI smoke (embedded, small)
    .venv/bin/python benchmarks/bench_chat.py --setup postgres --no-scale
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("TORCHDOJO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DRILL, TRAINING = "1.1.1", "5.1.1"
TICKS = os.sysconf("SC_CLK_TCK")


def load_fake(name: str) -> Any:
    """One of the adapter tests' fake platforms (``tests/adapters/NAME.py``)."""
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "tests" / "adapters" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fake_discord = load_fake("fake_discord")


class TimedFake(fake_discord.FakeDiscord):  # type: ignore[misc, name-defined]
    """The adapter tests' fake Discord, stamping when each REST call arrives."""

    async def _record(self, call: Any) -> None:
        call.t = time.perf_counter()
        await super()._record(call)


def reference(exercise: str) -> str:
    return (ROOT / f"curriculum/week{exercise.split('.')[0]}/{exercise}.ref.py").read_text()


# ---- processes and their CPU -------------------------------------------------------------------

def _proc_table() -> dict[int, tuple[int, float]]:
    """pid → (parent pid, CPU seconds of it and its reaped children)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ppid = int(fields[1])
        ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        table[int(entry)] = (ppid, ticks / TICKS)
    return table


def tree_cpu(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process and its descendants (a named
    process below another one counts for itself only)."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    roots = set(pids.values())
    out = {}
    for name, root in pids.items():
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            total += table.get(pid, (0, 0.0))[1]
            todo.extend(c for c in children.get(pid, []) if c not in roots)
        out[name] = total
    return out


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=ROOT,
                            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


async def wait_for_log(proc: subprocess.Popen[bytes], log: Path, text: str,
                       timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{log.name} did not start:\n{log.read_text()[-2000:]}")
        await asyncio.sleep(0.1)


async def references_ahead(url: str) -> dict[str, Any]:
    """The grader service's training references made ahead and taken so far."""
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(f"{url}/v1/health") as resp:
        return (await resp.json(content_type=None)).get("references_ahead", {})


async def wait_for_grader(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    import aiohttp

    deadline = time.monotonic() + 180
    async with aiohttp.ClientSession() as http:
        while True:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(f"{url}/v1/health") as resp:
                    if resp.status == 200:
                        return
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"grader did not start:\n{log.read_text()[-2000:]}")
            await asyncio.sleep(0.2)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


# ---- the chat ---------------------------------------------------------------------------------

@dataclass
class Sent:
    who: str
    exercise: str
    message_id: str
    t0: float
    verdicts: list[float] = field(default_factory=list)

    @property
    def latency_ms(self) -> float | None:
        return (self.verdicts[0] - self.t0) * 1000 if self.verdicts else None


class Chat:
    """The bot connected to the fake Discord, one cohort channel."""

    def __init__(self, fake: Any, bot: Any, rt: Any, channel: str) -> None:
        self.fake, self.bot, self.rt, self.channel = fake, bot, rt, channel
        self.users = 0
        self.seen = 0
        self.messages_seen = 0
        self.sent: dict[str, Sent] = {}
        self.status_of: dict[str, str] = {}

    def member(self) -> Any:
        self.users += 1
        return fake_discord.User(self.fake.snowflake(), f"member{self.users}")

    async def join(self, n: int) -> list[Any]:
        """``n`` members who joined the cohort before the moment measured (a
        cohort's members, not newcomers whose submission makes them join)."""
        users = [self.member() for _ in range(n)]
        asked = set()
        for user in users:
            asked.add((await self.fake.post(self.channel, user, "/dojo cohort join"))["id"])
        deadline = time.monotonic() + 60
        while not asked <= set(self.status_of.values()) and time.monotonic() < deadline:
            self._scan()  # the bot answers each join with a reply to it
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        return users

    async def post(self, exercise: str, user: Any = None) -> Sent:
        user = user or self.member()
        text = f"/dojo submit {exercise}\n```python\n{reference(exercise)}\n```"
        t0 = time.perf_counter()
        msg = await self.fake.post(self.channel, user, text)
        sent = Sent(user.name, exercise, msg["id"], t0)
        self.sent[msg["id"]] = sent
        return sent

    def _scan(self) -> None:
        fresh = list(self.fake.messages.values())[self.messages_seen:]
        self.messages_seen += len(fresh)
        for m in fresh:  # the bot's replies, by the message they answer
            ref = (m.get("message_reference") or {}).get("message_id")
            if ref is not None and m["author"]["id"] == fake_discord.BOT_ID:
                self.status_of[m["id"]] = ref
        calls = self.fake.calls
        for call in calls[self.seen:]:
            if call.method != "PATCH" or "/messages/" not in call.path:
                continue
            ref = self.status_of.get(call.path.rsplit("/", 1)[-1])
            text = call.text.lower()
            if ref in self.sent and "grading" not in text and "queued" not in text:
                self.sent[ref].verdicts.append(call.t)
        self.seen = len(calls)

    async def wait(self, sents: list[Sent], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._scan()
            if all(s.verdicts for s in sents):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # a second edit would show now
        self._scan()


def stats(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {"n": len(values), "min_ms": round(ordered[0], 1),
            "p50_ms": round(statistics.median(values), 1), "p95_ms": q(0.95),
            "max_ms": round(ordered[-1], 1)}


def over_alone(burst: dict[str, Any], baseline_ms: float | None) -> float | None:
    """The slowest training verdict of a burst over a baseline time: the same
    training's alone (the issue's target: at most 1.5)."""
    slowest = burst.get("training", {}).get("max_ms")
    return round(slowest / baseline_ms, 2) if slowest and baseline_ms else None


async def graded_twice(rt: Any) -> int:
    from sqlalchemy import func, select

    from bot.db import Notice

    async with rt.dojo.db.session() as s:
        rows = (await s.execute(select(Notice.submission_id).where(Notice.kind == "graded")
                                .group_by(Notice.submission_id)
                                .having(func.count() > 1))).all()
    return len(rows)


async def outcome(chat: Chat, sents: list[Sent]) -> dict[str, Any]:
    return {
        "lost": sum(1 for s in sents if not s.verdicts),
        "graded_twice": await graded_twice(chat.rt),
        "delivered_twice": sum(1 for s in sents if len(s.verdicts) > 1),
    }


# ---- scenarios ---------------------------------------------------------------------------------

async def lone(chat: Chat, n: int) -> dict[str, Any]:
    lat = []
    for user in await chat.join(n):
        sent = await chat.post(DRILL, user)
        await chat.wait([sent], 30)
        if sent.latency_ms is not None:
            lat.append(sent.latency_ms)
        await asyncio.sleep(0.15)
    return stats(lat)


async def training_alone(chat: Chat) -> dict[str, Any]:
    """The second of two (the first pays for the grader's cached reference)."""
    for user in await chat.join(2):
        sent = await chat.post(TRAINING, user)
        await chat.wait([sent], 120)
    return stats([sent.latency_ms] if sent.latency_ms is not None else [])


async def burst(chat: Chat, drills: int, trainings: int, spread_s: float,
                procs: dict[str, int]) -> dict[str, Any]:
    """``drills`` drills by members of the cohort within ``spread_s``,
    ``trainings`` 5.1.1 loops 50 ms before them."""
    users = await chat.join(drills + trainings)
    cpu0 = tree_cpu(procs)
    t0 = time.perf_counter()
    train = [await chat.post(TRAINING, users.pop()) for _ in range(trainings)]
    if trainings:
        await asyncio.sleep(0.05)
    drill = []
    for i, user in enumerate(users):
        due = t0 + 0.05 + spread_s * i / max(drills, 1)
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        drill.append(await chat.post(DRILL, user))
    posted_s = time.perf_counter() - t0
    await chat.wait(train + drill, 180)
    wall = max((s.verdicts[0] for s in train + drill if s.verdicts), default=t0) - t0
    cpu1 = tree_cpu(procs)
    return {
        "drills": stats([s.latency_ms for s in drill if s.latency_ms is not None]),
        "training": stats([s.latency_ms for s in train if s.latency_ms is not None]),
        **await outcome(chat, train + drill),
        "posted_within_s": round(posted_s, 2),
        "all_verdicts_s": round(wall, 2),
        "cpu_s": {k: round(cpu1[k] - cpu0.get(k, 0.0), 2) for k in cpu1},
    }


# ---- set-ups -----------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def connected(database_url: str, **runtime: Any) -> AsyncIterator[Chat]:
    """The fake Discord, a runtime on ``database_url``, the bot connected, a cohort."""
    import discord

    from bot.adapters.discord import DojoDiscord, configure_endpoints
    from bot.config import load_settings
    from bot.core.types import Actor, Role
    from bot.runtime import Runtime

    fake = TimedFake()
    await fake.start()
    _, channels, _ = fake.add_guild("Bench", ["dojo"])
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    configure_endpoints(fake.api_base, fake.gateway_url)
    rt = await Runtime.start(load_settings(), database_url=database_url, serving=True,
                             **runtime)
    bot = DojoDiscord(rt, sync_commands=False, start_scheduler=False,
                      guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start("bench-token"))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        coach = Actor("discord", channels[0], "coach", "Coach", Role.instructor)
        await rt.dojo.create_cohort(coach, "Bench", start=rt.dojo.now().date())
        yield Chat(fake, bot, rt, channels[0])
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        await rt.close()
        await fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


def processes(grader: Any) -> dict[str, int]:
    """The processes whose CPU a run reports: the bot (with the fake Discord),
    and the grader process where it has one (each with its sandboxes)."""
    proc = getattr(grader, "proc", None)
    if proc is None:
        return {"bot+grader": os.getpid()}
    return {"bot": os.getpid(), "grader": proc.pid}


async def embedded(args: argparse.Namespace, in_process: bool = False) -> dict[str, Any]:
    """SQLite, one bot process with its own grader process (the default), or with
    the grader's pool inside the bot's process (``in_process``)."""
    from bot.grader_client import client_from_env

    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        started = time.perf_counter()
        grader = client_from_env(None, in_process=in_process)
        async with connected(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
                             grader=grader) as chat:
            ready_s = time.perf_counter() - started
            out: dict[str, Any] = {"ready_s": round(ready_s, 2)}
            out["lone_drill"] = await lone(chat, args.lone)
            out["training_alone"] = await training_alone(chat)
            out["burst"] = await burst(chat, args.drills, args.trainings, 1.0,
                                       processes(grader))
            out["burst"]["training_over_alone"] = over_alone(
                out["burst"], out["training_alone"].get("p50_ms"))
            return out


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    import asyncpg

    name = f"torchdojo_bench_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN.replace("postgresql://", "postgres://")
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def distributed(workers: int, graders: int, scenarios: list[str],
                      args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    """PostgreSQL, ``workers`` worker processes, ``graders`` grader services."""
    from bot.core.storage import upgrade_database

    async with postgres_database() as url:
        await upgrade_database(url)
        procs: list[subprocess.Popen[bytes]] = []
        named: dict[str, int] = {}
        try:
            grader_urls = []
            for g in range(graders):
                port = 18700 + g + random.randrange(0, 200) * 4
                log = logs / f"grader{g}.log"
                p = spawn(["grader", "serve", "--port", str(port),
                           "--workers", str(args.grader_workers)], {}, log)
                procs.append(p)
                named[f"grader{g}"] = p.pid
                grader_urls.append((f"http://127.0.0.1:{port}", p, log))
            for gurl, p, log in grader_urls:
                await wait_for_grader(gurl, p, log)
            for w in range(workers):
                log = logs / f"worker{w}.log"
                env = {"DATABASE_URL": url, "GRADER_URL": grader_urls[w % graders][0]}
                p = spawn(["worker", "--slots", args.slots], env, log)
                procs.append(p)
                named[f"worker{w}"] = p.pid
                await wait_for_log(p, log, "worker ready")
            out: dict[str, Any] = {"workers": workers, "graders": graders}
            async with connected(url, lanes=()) as chat:
                named["bot"] = os.getpid()
                if "lone" in scenarios:
                    out["lone_drill"] = await lone(chat, args.lone)
                if "training_alone" in scenarios:
                    out["training_alone"] = await training_alone(chat)
                if "burst" in scenarios:
                    before = [await references_ahead(g[0]) for g in grader_urls]
                    out["burst"] = await burst(chat, args.drills, args.trainings, 1.0, named)
                    out["burst"]["references_ahead"] = {"before": before, "after": [
                        await references_ahead(g[0]) for g in grader_urls]}
                    out["burst"]["training_over_alone"] = over_alone(
                        out["burst"], out.get("training_alone", {}).get("p50_ms"))
                if "scale" in scenarios:
                    out["scale"] = await burst(chat, args.scale_drills, 0, 0.0, named)
            return out
        finally:
            stop(procs)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2)},
        "via": "discord.py against tests/adapters/fake_discord.py",
    }
    if args.setup in ("embedded", "all"):
        result["embedded"] = await embedded(args)
        if args.compare_in_process:
            result["embedded_in_process"] = await embedded(args, in_process=True)
    if args.setup in ("postgres", "all"):
        with tempfile.TemporaryDirectory(prefix="bench-chat-logs-") as tmp:
            logs = Path(tmp)
            result["postgres"] = await distributed(
                2, 1, ["lone", "training_alone", "burst"], args, logs)
            if args.scale:
                result["scale_out"] = [
                    await distributed(w, g, ["scale"], args, logs)
                    for w, g in ((1, 1), (2, 1), (2, 2))
                ]
    result["machine"]["load_1min_after"] = round(os.getloadavg()[0], 2)
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI smoke: embedded set-up, a few drills, one training")
    parser.add_argument("--setup", choices=("embedded", "postgres", "all"), default="all")
    parser.add_argument("--no-scale", dest="scale", action="store_false",
                        help="skip the 200-drill scale-out runs")
    parser.add_argument("--compare-in-process", action="store_true",
                        help="also run the embedded set-up with the grader's pool inside the "
                             "bot's process (TORCHDOJO_GRADER_IN_PROCESS), the baseline")
    parser.add_argument("--lone", type=int, default=20, help="lone drills, one at a time")
    parser.add_argument("--drills", type=int, default=50, help="drills in the burst")
    parser.add_argument("--trainings", type=int, default=2, help="5.1.1 trainings in the burst")
    parser.add_argument("--scale-drills", type=int, default=200)
    parser.add_argument("--grader-workers", type=int, default=3,
                        help="warm workers per grader service (more than the heavy slots of "
                             "all workers together, so a drill always finds one)")
    parser.add_argument("--slots", default="quick=4,heavy=1,gpu=1",
                        help="lane slots of each worker process")
    args = parser.parse_args(argv)
    if args.quick:
        args.setup, args.scale, args.lone, args.drills, args.trainings = (
            "embedded", False, 3, 8, 1)
    return args


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(asyncio.run(main_async(parse_args())), indent=2))


if __name__ == "__main__":
    main()
