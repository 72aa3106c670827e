"""What every command shares: settings that fail with a clear message and
exit code 2, a database that cannot be opened said in a sentence (exit code 1),
and URLs printed without their passwords."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.runtime import Runtime


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(f"torchdojo: {exc}", err=True)
        raise typer.Exit(2) from None


def database_url_or_exit(override: str | None) -> str:
    """The database a command works on: ``--database-url`` when given, else
    ``DATABASE_URL``; either invalid exits 2 with the reason."""
    from bot.config import normalize_database_url

    settings = settings_or_exit()
    try:
        return normalize_database_url(override) if override else settings.database_url
    except ValueError as exc:
        typer.echo(f"torchdojo: {exc}", err=True)
        raise typer.Exit(2) from None


def existing_database_or_exit(url: str) -> None:
    """A command that only reads (``torchdojo queue``) must not create an empty SQLite
    file where none is: it did, migrated it, and reported an idle queue to an operator
    in the wrong folder. Exit 1 with where it looked instead."""
    from bot.core.storage import sqlite_file

    path = sqlite_file(url)
    if path is not None and not path.exists():
        typer.echo(f"torchdojo: no database at {path}: run this where the bot "
                   "runs, or name its database with --database-url or DATABASE_URL (the bot "
                   "creates it when it first starts; so does `torchdojo db upgrade`)", err=True)
        raise typer.Exit(1)


def redact(url: str) -> str:
    """Hide a password in a URL before printing it."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


async def runtime_or_exit(settings: Settings, **kwargs: Any) -> Runtime:
    """``Runtime.start``, or exit 1 with a sentence when its database cannot be opened
    (instead of a traceback ending in the driver's words)."""
    from bot.core.storage import database_failure
    from bot.runtime import Runtime

    try:
        return await Runtime.start(settings, **kwargs)
    except Exception as exc:
        if not database_failure(exc):
            raise
        database_exit(kwargs.get("database_url") or settings.database_url, exc)


def database_exit(url: str, exc: BaseException) -> NoReturn:
    """Says what is wrong with the database and exits 1."""
    from bot.core.storage import database_problem

    typer.echo(f"torchdojo: cannot open the database {redact(url)}: "
               f"{database_problem(url, exc)}", err=True)
    raise typer.Exit(1) from None
