"""Chat-speed grading through Slack, end to end (a script that prints figures;
nothing here is asserted): the burst of the issue "Grading dispatch at chat
speed", measured the way it was first measured.

The real Bolt app in HTTP mode behind its endpoint, the real slack_sdk client
against the local fake Slack of the adapter tests
(``tests/adapters/fake_slack.py``), SQLite, and the bot's own grader process
(the embedded default; ``--in-process`` for the pool inside the bot's
process). Each member sends a signed ``/dojo submit 1.1.1`` slash command
with a code block; the time runs from the moment the command is sent to the
moment the bot's ``chat.update`` of that member's "⏳ grading…" message with
the verdict reaches the fake Slack.

Scenarios: ``lone`` (one member at a time), ``training_alone`` (5.1.1
training loops alone, one at a time: the median is the baseline), ``burst``
(30 members at the same moment),
``burst_of_newcomers`` (the same by 30 people whose submission makes them
join the cohort: a ``users.info`` call, a membership and a welcome message
each) and ``burst_behind_training`` (30 members, 50 ms after two members
submitted a 5.1.1 training loop; first the grader is given the quiet seconds it
needs to compute those trainings' references ahead, as between a cohort's
submissions, unless ``--cold-stock``). Members joined the cohort before the
moment measured, as a cohort's members have. Printed: p50/p95/max of the drills, the training
verdicts and their slowest over the training's time alone (and over the
slowest of the same two trainings submitted together with no drills:
``trainings_without_drills``, what the drills cost them), submissions lost
(no verdict), verdicts delivered twice, and the CPU seconds of the bot and
grader processes.

    .venv/bin/python benchmarks/bench_slack.py
    .venv/bin/python benchmarks/bench_slack.py --quick       # smoke: a few members
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_chat import (  # noqa: E402
    load_fake,
    over_alone,
    processes,
    reference,
    stats,
    tree_cpu,
)

SECRET = "bench-signing-secret"
FORM = "application/x-www-form-urlencoded"
DRILL, TRAINING = "1.1.1", "5.1.1"


fake_slack = load_fake("fake_slack")


@dataclass
class Sent:
    user: str
    exercise: str
    t0: float
    verdicts: list[float] = field(default_factory=list)

    @property
    def latency_ms(self) -> float | None:
        return (self.verdicts[0] - self.t0) * 1000 if self.verdicts else None


class Workspace:
    """The Slack app on a runtime, the fake Slack, one cohort channel."""

    def __init__(self, fake: Any, url: str) -> None:
        self.fake, self.url = fake, url
        self.members = 0
        self.sent: dict[str, Sent] = {}  # user → their submission
        self.by_ts: dict[str, Sent] = {}  # status message → its submission
        self.seen = 0

    async def command(self, text: str, user: str) -> None:
        body = fake_slack.command_body(text, user, "C1", f"{self.fake.url}respond/{user}",
                                       f"trig-{user}")
        status, out, _ = await fake_slack.post_signed(self.url, body, FORM, SECRET)
        if status != 200:
            raise RuntimeError(f"/dojo {text[:40]} answered {status}: {out[:200]}")

    def newcomer(self) -> str:
        self.members += 1
        return f"UMEM{self.members}"

    async def join(self, n: int) -> list[str]:
        """``n`` members who joined the cohort (and whom the bot knows by name)
        before the moment measured — a cohort's members, not newcomers."""
        users = [self.newcomer() for _ in range(n)]
        for user in users:
            await self.command("cohort join", user)
        return users

    async def submit(self, exercise: str, user: str | None = None) -> Sent:
        user = user or self.newcomer()
        code = reference(exercise)
        sent = self.sent[user] = Sent(user, exercise, time.monotonic())
        await self.command(f"submit {exercise}\n```\n{code}\n```", user)
        return sent

    def scan(self) -> None:
        """Reads the fake's calls that arrived since the last scan (the bench
        shares the bot's event loop: it must not cost it much)."""
        calls = self.fake.calls
        for call in calls[self.seen:]:
            if call.status != 200:
                continue
            text = call.args.get("text") or ""
            if call.method == "chat.postMessage" and "grading" in text:
                found = re.search(r"<@(UMEM\d+)>", text)
                if found and found.group(1) in self.sent:
                    self.by_ts[call.result.get("ts")] = self.sent[found.group(1)]
            elif call.method == "chat.update":
                sent = self.by_ts.get(call.args.get("ts"))
                if sent is not None and "grading" not in text.lower() \
                        and "queued" not in text.lower():
                    sent.verdicts.append(call.at)
        self.seen = len(calls)

    async def wait(self, sents: list[Sent], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.scan()
            if all(s.verdicts for s in sents):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # a second edit would show now
        self.scan()


def outcome(sents: list[Sent]) -> dict[str, int]:
    return {"lost": sum(1 for s in sents if not s.verdicts),
            "delivered_twice": sum(1 for s in sents if len(s.verdicts) > 1)}


async def burst(ws: Workspace, members: int, trainings: int, procs: dict[str, int], *,
                newcomers: bool = False) -> dict[str, Any]:
    """``members`` drills at the same moment (``trainings`` 5.1.1 loops 50 ms
    before): by members of the cohort, or by ``newcomers`` whose submission
    makes them join (a users.info call, a membership and a welcome each)."""
    users: list[str | None] = [None] * (members + trainings)
    if not newcomers:
        users = list(await ws.join(members + trainings))
        await asyncio.sleep(0.3)  # their join replies are out of the way
    cpu0 = tree_cpu(procs)
    train = [await ws.submit(TRAINING, users.pop()) for _ in range(trainings)]
    if trainings:
        await asyncio.sleep(0.05)
    drills = await asyncio.gather(*(ws.submit(DRILL, user) for user in users))
    await ws.wait([*train, *drills], 180)
    cpu1 = tree_cpu(procs)
    return {
        "drills": stats([s.latency_ms for s in drills if s.latency_ms is not None]),
        "training": stats([s.latency_ms for s in train if s.latency_ms is not None]),
        **outcome([*train, *drills]),
        "cpu_s": {k: round(cpu1[k] - cpu0.get(k, 0.0), 2) for k in cpu1},
    }


async def settle_stock(rt: Any, wanted: int, timeout_s: float = 120.0) -> dict[str, Any]:
    """Wait (at most ``timeout_s``) until the grader holds ``wanted`` training
    references computed ahead (:mod:`grader.stock`), as it does a few quiet
    seconds after gradings of the exercise: the steady state a cohort's burst
    meets. ``wanted`` 0: measure as things are (right after the training alone
    ran, none is stocked yet: each training of the burst trains its reference)."""
    started = time.perf_counter()
    held = 0
    while True:
        ahead = (await rt.grader.health()).get("references_ahead") or {}
        held = int(ahead.get("made", 0)) - int(ahead.get("taken", 0))
        if held >= wanted or time.perf_counter() - started > timeout_s:
            break
        await asyncio.sleep(0.5)
    return {"wanted": wanted, "held": held,
            "waited_s": round(time.perf_counter() - started, 1)}


async def trainings_alone(rt: Any, ws: Workspace, n: int, stocked: int) -> dict[str, Any]:
    """``n`` 5.1.1 trainings one at a time, nothing else running, after a first
    that pays for the grader's cached reference; each waits for ``stocked``
    references computed ahead, as the burst behind trainings does (else each
    would also train its reference, and the burst's trainings would be
    compared with a slower time alone). Several, since one varies by ±20 %."""
    first = await ws.submit(TRAINING, (await ws.join(1))[0])
    await ws.wait([first], 120)
    times = []
    for user in await ws.join(n):
        await settle_stock(rt, stocked)
        sent = await ws.submit(TRAINING, user)
        await ws.wait([sent], 120)
        if sent.latency_ms is not None:
            times.append(sent.latency_ms)
    return stats(times)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.adapters.slack import EVENTS_PATH, SlackBot, SlackConfig
    from bot.config import load_settings
    from bot.core.types import Actor, Role
    from bot.grader_client import client_from_env
    from bot.runtime import Runtime

    fake = await fake_slack.FakeSlack().start()
    with tempfile.TemporaryDirectory(prefix="bench-slack-") as tmp:
        os.environ.update({
            "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url + "api/", "SLACK_INSTRUCTORS": "UCOACH",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"})
        for name in ("SLACK_APP_TOKEN", "GRADER_URL"):
            os.environ.pop(name, None)
        settings = load_settings()
        grader = client_from_env(None, in_process=args.in_process)
        started = time.perf_counter()
        rt = await Runtime.start(settings, grader=grader, serving=True)
        bot = SlackBot(rt, SlackConfig.from_settings(settings))
        runner = await bot.serve_http("127.0.0.1", 0)
        try:
            ready_s = time.perf_counter() - started
            port = runner.addresses[0][1]
            ws = Workspace(fake, f"http://127.0.0.1:{port}{EVENTS_PATH}")
            coach = Actor("slack", "C1", "UCOACH", "Coach", Role.instructor)
            await rt.dojo.create_cohort(coach, "Bench", start=rt.dojo.now().date())
            procs = processes(grader)
            out: dict[str, Any] = {"grader": "in the bot's process" if args.in_process
                                   else "the bot's own grader process",
                                   "ready_s": round(ready_s, 2)}
            lone = []
            for user in await ws.join(args.lone):
                sent = await ws.submit(DRILL, user)
                await ws.wait([sent], 30)
                if sent.latency_ms is not None:
                    lone.append(sent.latency_ms)
                await asyncio.sleep(0.15)
            out["lone_drill"] = stats(lone)
            out["training_alone"] = await trainings_alone(
                rt, ws, args.alone, stocked=0 if args.cold_stock else 1)
            out["burst"] = await burst(ws, args.members, 0, procs)
            await asyncio.sleep(0.5)
            out["burst_of_newcomers"] = await burst(ws, args.members, 0, procs, newcomers=True)
            await asyncio.sleep(0.5)
            stocked = 0 if args.cold_stock else args.trainings
            # the same trainings, submitted together, with no drills behind them: what
            # the drills cost them, apart from what the trainings cost each other
            await settle_stock(rt, stocked)
            out["trainings_without_drills"] = await burst(ws, 0, args.trainings, procs)
            out["stock"] = await settle_stock(rt, stocked)
            ahead = (await rt.grader.health()).get("references_ahead")
            behind = await burst(ws, args.members, args.trainings, procs)
            # training references computed ahead in quiet moments (grader.stock): when the
            # burst found none stocked, each training also trained its reference
            behind["references_ahead"] = {
                "before": ahead, "after": (await rt.grader.health()).get("references_ahead")}
            behind["training_over_alone"] = over_alone(
                behind, out["training_alone"].get("p50_ms"))
            behind["training_over_without_drills"] = over_alone(
                behind, out["trainings_without_drills"]["training"].get("max_ms"))
            out["burst_behind_training"] = behind
            return out
        finally:
            await runner.cleanup()
            await bot.close()
            await rt.close()
            await fake.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke: a few members")
    parser.add_argument("--in-process", action="store_true",
                        help="the grader's pool inside the bot's process (the earlier default)")
    parser.add_argument("--lone", type=int, default=10)
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--trainings", type=int, default=2)
    parser.add_argument("--alone", type=int, default=3,
                        help="trainings timed alone (their median is the burst's baseline)")
    parser.add_argument("--cold-stock", action="store_true",
                        help="do not wait for the training references computed ahead "
                             "before the burst behind trainings (a grader just started)")
    args = parser.parse_args()
    if args.quick:
        args.lone, args.members, args.trainings, args.alone = 2, 5, 1, 1
    result = {"machine": {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2)},
              "via": "slack-bolt HTTP mode against tests/adapters/fake_slack.py",
              **asyncio.run(run(args))}
    result["machine"]["load_1min_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
