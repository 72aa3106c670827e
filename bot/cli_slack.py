"""``torchdojo bot slack``: the Slack adapter's command, added to the ``bot`` group.

HTTP mode (``SLACK_BOT_TOKEN`` + ``SLACK_SIGNING_SECRET``; Slack posts to
``http://HOST:PORT/slack/events``) or Socket Mode (``SLACK_APP_TOKEN`` set: no
public URL needed). Settings are validated before anything starts.
"""

from __future__ import annotations

import asyncio

import typer


def register(bot_app: typer.Typer) -> None:
    bot_app.command("slack")(slack_command)


def slack_command(
    host: str = typer.Option("0.0.0.0", "--host", help="bind address (HTTP mode)"),
    port: int | None = typer.Option(None, "--port", help="port (HTTP mode; default $PORT "
                                                          "or 8080)"),
) -> None:
    """Run the Slack bot (HTTP mode, or Socket Mode when SLACK_APP_TOKEN is set)."""
    from bot.adapters.slack import SlackConfig
    from bot.cli_core import _settings_or_exit
    from bot.config import ConfigError

    settings = _settings_or_exit()
    try:
        config = SlackConfig.from_settings(settings)
    except ConfigError as exc:
        typer.echo(f"torchdojo: {exc}", err=True)
        raise typer.Exit(2) from None
    if port is not None:
        from dataclasses import replace

        config = replace(config, port=port)
    try:
        asyncio.run(_slack(settings, config, host))
    except KeyboardInterrupt:
        typer.echo("\nbye", err=True)


async def _slack(settings, config, host: str) -> None:  # type: ignore[no-untyped-def]
    import logging

    from bot.adapters.slack import run_slack
    from bot.runtime import Runtime

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = await Runtime.start(settings)
    try:
        await run_slack(rt, config, host)
    finally:
        await rt.close()
