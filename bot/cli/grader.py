"""``grader serve``: the HTTP grader service."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

grader_app = typer.Typer(no_args_is_help=True, help="The sandboxed torch grader service.")


@grader_app.command("serve")
def grader_serve(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="port (default: $PORT or 8080)")] = None,
    workers: Annotated[int | None, typer.Option(help="warm workers")] = None,
    unsafe_no_sandbox: Annotated[bool, typer.Option("--unsafe-no-sandbox")] = False,
    unix: Annotated[str | None, typer.Option(
        help="listen on this Unix socket instead of HOST:PORT (the bot's own grader)")] = None,
) -> None:
    """Run the HTTP grader service."""
    from grader.cli import serve_command

    if unix:
        serve_command(host, 0, workers, unsafe_no_sandbox, unix=unix)
        return
    try:
        resolved = port if port is not None else int(os.environ.get("PORT", "8080"))
    except ValueError:
        Console(stderr=True).print("error: PORT must be an integer")
        raise typer.Exit(2) from None
    serve_command(host, resolved, workers, unsafe_no_sandbox)
