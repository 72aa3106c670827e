"""``db upgrade``: apply migrations (also done automatically on start)."""

from __future__ import annotations

import asyncio

import typer

from bot.cli.common import database_url_or_exit, redact

db_app = typer.Typer(help="Database: apply migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    database_url: str | None = typer.Option(
        None, "--database-url", help="overrides DATABASE_URL"
    ),
) -> None:
    """Apply every pending migration (also done automatically on start)."""
    from bot.core.storage import database_problem, upgrade_database

    url = database_url_or_exit(database_url)
    try:
        head = asyncio.run(upgrade_database(url))
    except Exception as exc:
        typer.echo(f"torchdojo: could not upgrade {redact(url)}: {database_problem(url, exc)}",
                   err=True)
        raise typer.Exit(1) from None
    typer.echo(f"database {redact(url)} is at revision {head}")
