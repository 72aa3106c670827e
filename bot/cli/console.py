"""``console``: the whole bot in a terminal (SQLite, the bot's own grader process)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import typer

from bot.cli.common import runtime_or_exit, settings_or_exit
from bot.config import Settings


def console(
    script: Path | None = typer.Option(
        None, "--script", exists=True, dir_okay=False,
        help="replay a transcript of /dojo lines and print the replies",
    ),
    database_url: str | None = typer.Option(
        None, "--database-url",
        help="database to use (default: DATABASE_URL, or ./torchdojo.sqlite3; "
             "--script uses a fresh temporary database unless this is given)",
    ),
    clock: str | None = typer.Option(
        None, "--clock", help="start time, ISO 8601 (UTC if no offset); default: the "
                              "simulated time saved by the last run, else now"
    ),
    demo: bool = typer.Option(True, "--demo/--no-demo", help="create the demo cohort"),
    output_dir: Path = typer.Option(
        Path("torchdojo-output"), "--output-dir", help="where pictures and exports go"
    ),
) -> None:
    """The whole bot in a terminal: SQLite and the bot's own grader, no accounts.

    The grader runs as a child process; nothing else is needed."""
    if script is not None:
        _check_script(script)
    settings = settings_or_exit()
    start = None
    if clock:
        try:
            start = datetime.fromisoformat(clock)
        except ValueError:
            typer.echo(f"torchdojo: --clock {clock!r} is not an ISO time", err=True)
            raise typer.Exit(2) from None
    try:
        code = asyncio.run(_console(settings, script, database_url, start, demo, output_dir))
    except KeyboardInterrupt:
        typer.echo("\nbye", err=True)
        code = 130
    raise typer.Exit(code)


def _check_script(script: Path) -> None:
    """A transcript must be readable UTF-8 text: say where it is not, exit 2."""
    try:
        data = script.read_bytes()
        data.decode("utf-8")
    except OSError as exc:
        typer.echo(f"torchdojo: cannot read --script {script}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        typer.echo(f"torchdojo: --script {script} is not UTF-8 text (line {line}, byte "
                   f"0x{data[exc.start]:02x}); save it as UTF-8", err=True)
        raise typer.Exit(2) from None


async def _console(settings: Settings, script: Path | None, database_url: str | None,
                   start: datetime | None, demo: bool, output_dir: Path) -> int:
    from bot.adapters.console import run_console
    from bot.core.clock import ManualClock, OffsetClock

    tmp = None
    if database_url is None and script is not None and not os.environ.get("DATABASE_URL"):
        tmp = tempfile.TemporaryDirectory(prefix="torchdojo-")
        database_url = f"sqlite+aiosqlite:///{tmp.name}/console.sqlite3"
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if script is not None:
        clk: ManualClock | OffsetClock = ManualClock(start)
    else:
        clk = OffsetClock()
        if start is not None:
            clk.set(start)
    try:
        rt = await runtime_or_exit(settings, database_url=database_url, clock=clk)
    except typer.Exit:
        return 1
    try:
        return await run_console(rt, script=script, demo=demo, output_dir=output_dir,
                                 restore_clock=start is None)
    finally:
        await rt.close()
        if tmp is not None:
            tmp.cleanup()
