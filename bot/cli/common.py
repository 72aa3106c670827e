"""What every command shares: settings that fail with a clear message and
exit code 2, and URLs printed without their passwords."""

from __future__ import annotations

import re

import typer

from bot.config import ConfigError, Settings, load_settings


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(f"torchdojo: {exc}", err=True)
        raise typer.Exit(2) from None


def redact(url: str) -> str:
    """Hide a password in a URL before printing it."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
