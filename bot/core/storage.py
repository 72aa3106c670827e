"""Opening and migrating the database, for the wiring code (runtime, CLI)
that must not touch ``bot.db`` itself."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.db import Database
from bot.db.migrate import current_head, upgrade_url
from bot.db.session import DatabaseUnavailable


async def open_database(url: str) -> Database:
    """A migrated database (migrations are applied on every start)."""
    db = Database(url)
    await db.upgrade()
    return db


async def upgrade_database(url: str) -> str | None:
    """Apply every pending migration; the revision the database is at now."""
    await upgrade_url(url)
    return current_head()


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (absolute); None for any other database, an
    in-memory one or a URI, or a URL that does not parse."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" \
            or name.startswith("file:"):
        return None
    return Path(name).expanduser().absolute()


def database_problem(url: str, exc: BaseException) -> str:
    """What is wrong with a database that would not open, for a person: the folder of
    a SQLite file that does not exist or cannot be written (the driver only says
    "unable to open database file"), else the driver's first line without
    SQLAlchemy's link to its error catalogue."""
    path = sqlite_file(url)
    if path is not None:
        folder = path.parent
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
    return isinstance(exc, DBAPIError | DatabaseUnavailable | OSError)
