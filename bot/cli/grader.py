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
    port: Annotated[int | None, typer.Option(help="port (default: $PORT or 8080)", min=1,
                                             max=65535)] = None,
    workers: Annotated[int | None, typer.Option(help="warm workers", min=1, max=64)] = None,
    unsafe_no_sandbox: Annotated[bool, typer.Option(
        "--unsafe-no-sandbox", help="grade without namespaces (trusted code only)")] = False,
    unix: Annotated[str | None, typer.Option(
        help="listen on this Unix socket instead of HOST:PORT (the bot's own grader)")] = None,
) -> None:
    """Run the HTTP grader service."""
    from grader.cli import ServeError, serve_command

    err = Console(stderr=True)
    try:
        if unix:
            serve_command(host, 0, workers, unsafe_no_sandbox, unix=unix)
            return
        try:
            resolved = port if port is not None else int(os.environ.get("PORT", "8080"))
        except ValueError:
            raise ServeError("PORT must be an integer") from None
        if not 0 < resolved < 65536:
            raise ServeError(f"the port must be between 1 and 65535; found {resolved}")
        serve_command(host, resolved, workers, unsafe_no_sandbox)
    except ServeError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
