"""What every command shares: settings that fail with a clear message and
exit code 2, a database that cannot be opened said in a sentence (exit code 1),
and URLs printed without their passwords."""

from __future__ import annotations

import os
import re
from pathlib import Path
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


def redact(url: str) -> str:
    """Hide a password in a URL before printing it."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def database_problem(url: str, exc: BaseException) -> str:
    """What is wrong with a database that would not open, for a person: the folder of
    a SQLite file that does not exist or cannot be written (the driver only says
    "unable to open database file"), else the driver's first line without
    SQLAlchemy's link to its error catalogue."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        parsed = None
    name = parsed.database if parsed is not None else None
    if parsed is not None and parsed.get_backend_name() == "sqlite" and name \
            and name != ":memory:" and not name.startswith("file:"):
        folder = Path(name).expanduser().absolute().parent
        if not folder.is_dir():
            return (f"the folder {folder} does not exist: create it (mkdir -p {folder}) "
                    "or set DATABASE_URL to a file in a folder that does")
        if not os.access(folder, os.W_OK | os.X_OK):
            return (f"cannot write in {folder}: give this user write access to it, or set "
                    "DATABASE_URL to a file in a folder it can write")
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return re.sub(r"^\((?:[\w.]+)\)\s*", "", first)[:500]


def database_failure(exc: BaseException) -> bool:
    """An exception that means the database could not be reached or opened."""
    from sqlalchemy.exc import DBAPIError

    from bot.db.session import DatabaseUnavailable

    return isinstance(exc, DBAPIError | DatabaseUnavailable | OSError)


async def runtime_or_exit(settings: Settings, **kwargs: Any) -> Runtime:
    """``Runtime.start``, or exit 1 with a sentence when its database cannot be opened
    (instead of a traceback ending in the driver's words)."""
    from bot.runtime import Runtime

    try:
        return await Runtime.start(settings, **kwargs)
    except Exception as exc:
        if not database_failure(exc):
            raise
        database_exit(kwargs.get("database_url") or settings.database_url, exc)


def database_exit(url: str, exc: BaseException) -> NoReturn:
    """Says what is wrong with the database and exits 1."""
    typer.echo(f"torchdojo: cannot open the database {redact(url)}: "
               f"{database_problem(url, exc)}", err=True)
    raise typer.Exit(1) from None
