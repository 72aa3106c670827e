"""``queue``: the grading backlog per lane, for an operator (README "Scaling"):
what waits and since when, what is being graded, how fast the last minutes'
verdicts came and whether chat has shown them. Read from the database alone,
so it answers the same from any machine, whichever processes grade."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import TYPE_CHECKING

import typer

from bot.cli.common import (
    database_exit,
    database_url_or_exit,
    existing_database_or_exit,
    redact,
)

if TYPE_CHECKING:
    from bot.core.backlog import Backlog


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def queue(
    window_min: float = typer.Option(5.0, "--window", min=0.1, max=24 * 60,
                                     help="minutes of verdicts to count"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object"),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="overrides DATABASE_URL"),
) -> None:
    """The grading backlog per lane: waiting, grading, recent verdicts, undelivered."""
    url = database_url_or_exit(database_url)
    existing_database_or_exit(url)
    try:
        report = asyncio.run(_read(url, timedelta(minutes=window_min)))
    except Exception as exc:
        from bot.core.storage import database_failure

        if not database_failure(exc):
            raise
        database_exit(url, exc)
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    typer.echo(f"grading on {redact(url)}, verdicts of the last {window_min:g} min")
    typer.echo(f"{'lane':<6} {'waiting':>7} {'oldest':>8} {'grading':>7} {'longest':>8} "
               f"{'graded':>6} {'failed':>6} {'to verdict p50':>14} {'max':>8}")
    for lane in report.lanes:
        typer.echo(f"{lane.lane:<6} {lane.waiting:>7} {_s(lane.oldest_waiting_s):>8} "
                   f"{lane.grading:>7} {_s(lane.longest_grading_s):>8} {lane.graded:>6} "
                   f"{lane.could_not_grade:>6} {_s(lane.verdict_p50_s):>14} "
                   f"{_s(lane.verdict_max_s):>8}")
    typer.echo(f"not yet shown in chat: {report.undelivered}"
               + (f" (oldest {_s(report.oldest_undelivered_s)})" if report.undelivered else ""))


async def _read(url: str, window: timedelta) -> Backlog:
    from bot.core.backlog import backlog
    from bot.core.clock import SystemClock
    from bot.core.storage import open_database
    from curriculum import load_curriculum

    db = await open_database(url)
    try:
        return await backlog(db, load_curriculum(), SystemClock().now(), window)
    finally:
        await db.close()
