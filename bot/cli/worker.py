"""``worker``: a grading worker — pulls grading jobs from the PostgreSQL job
queue, has them graded by ``GRADER_URL`` and writes verdicts through the
core. No chat connection and no torch: the process connected to Discord or
Slack delivers the verdicts (README "Scaling"). Start as many as the graders
can keep busy, on any machine that reaches the database and the grader.
"""

from __future__ import annotations

import asyncio
import logging
import signal

import typer

from bot.cli.common import redact, runtime_or_exit, settings_or_exit
from bot.config import Settings


def worker(
    lanes: str = typer.Option(
        "all", "--lanes", envvar="TORCHDOJO_LANES",
        help="lanes to grade: all, or some of quick,heavy,gpu (gpu: in front of a GPU grader)",
    ),
    slots: str | None = typer.Option(
        None, "--slots", envvar="TORCHDOJO_LANE_SLOTS",
        help="gradings at once per lane, e.g. quick=8,heavy=1 (lanes not named: sized to "
             "GRADER_URL's workers)",
    ),
    heartbeat_s: float = typer.Option(
        5.0, "--heartbeat-s", min=0.2, help="seconds between this worker's heartbeats"),
    stalled_s: float = typer.Option(
        15.0, "--stalled-s", min=1.0,
        help="a worker silent this long is dead: its gradings are retried elsewhere"),
) -> None:
    """Grade submissions from the PostgreSQL job queue (DATABASE_URL) with GRADER_URL."""
    from bot.core.lanes import LaneSlots, parse_lanes

    settings = settings_or_exit()
    if settings.database_url.startswith("sqlite"):
        typer.echo("torchdojo: a separate worker needs PostgreSQL (DATABASE_URL); with SQLite "
                   "the bot grades in its own process", err=True)
        raise typer.Exit(2)
    try:
        chosen = parse_lanes(lanes)
        LaneSlots.parse(slots)  # refused here, before anything starts
    except ValueError as exc:
        typer.echo(f"torchdojo: {exc}", err=True)
        raise typer.Exit(2) from None
    if not chosen:
        typer.echo("torchdojo: --lanes none leaves this worker nothing to do", err=True)
        raise typer.Exit(2)
    if stalled_s <= heartbeat_s * 2:
        typer.echo("torchdojo: --stalled-s must be more than twice --heartbeat-s", err=True)
        raise typer.Exit(2)
    asyncio.run(_work(settings, chosen, slots, heartbeat_s, stalled_s))


async def _work(settings: Settings, lanes: tuple[str, ...], slots: str | None,
                heartbeat_s: float, stalled_s: float) -> None:

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("torchdojo.worker")
    rt = await runtime_or_exit(settings, serving=True, exclusive=False, lanes=lanes,
                               slot_overrides=slots, heartbeat_s=heartbeat_s,
                               stalled_s=stalled_s)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    grader = redact(settings.grader_url) if settings.grader_url else "the in-process pool"
    log.info("worker ready: lanes %s, grader %s, database %s",
             rt.dojo.dispatcher.slots.describe(lanes), grader, redact(settings.database_url))
    try:
        await stop.wait()
        log.info("stopping: running gradings get a few seconds to finish")
    finally:
        await rt.close()
