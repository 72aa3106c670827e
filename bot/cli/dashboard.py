"""``torchdojo dashboard serve``: the instructor dashboard as its own service."""

from __future__ import annotations

import asyncio
import os

import typer

from bot.cli.common import database_exit, settings_or_exit
from bot.config import ConfigError

dashboard_app = typer.Typer(no_args_is_help=True,
                            help="The instructor dashboard (a web app; sign-in from chat).")


@dashboard_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="bind address"),
    port: int | None = typer.Option(None, "--port", help="port (default: $PORT or 8000)"),
) -> None:
    """Serve the dashboard (needs DASHBOARD_SECRET; DASHBOARD_URL is its public address)."""
    from bot.dashboard.serve import serve_service

    settings = settings_or_exit()
    try:
        resolved = port if port is not None else int(os.environ.get("PORT", "8000"))
    except ValueError:
        typer.echo("torchdojo: PORT must be an integer", err=True)
        raise typer.Exit(2) from None
    try:
        asyncio.run(serve_service(settings, host, resolved))
    except ConfigError as exc:
        typer.echo(f"torchdojo: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as exc:
        from bot.core.storage import database_failure

        if not database_failure(exc):
            raise
        database_exit(settings.database_url, exc)
