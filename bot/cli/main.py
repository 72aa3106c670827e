"""The ``torchdojo`` application: every command group registered in one place."""

from __future__ import annotations

import sys

import typer

from bot.cli import bots, console, curriculum, dashboard, database, grader, queue, worker

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="TorchDojo: PyTorch study-group bot and sandboxed grader.")
app.command()(curriculum.exercises)
app.command()(curriculum.show)
app.command()(curriculum.grade)
app.command("console")(console.console)
app.command("worker")(worker.worker)
app.command("queue")(queue.queue)
app.add_typer(grader.grader_app, name="grader")
app.add_typer(database.db_app, name="db")
app.add_typer(bots.bot_app, name="bot")
app.add_typer(dashboard.dashboard_app, name="dashboard")


def main() -> None:  # pragma: no cover - `python -m bot.cli`
    app(sys.argv[1:])
