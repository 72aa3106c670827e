"""``bot discord`` and ``bot slack``: run a chat adapter. The adapters (and their
SDKs) are imported only when their command runs.

Slack: HTTP mode (``SLACK_BOT_TOKEN`` + ``SLACK_SIGNING_SECRET``; Slack posts to
``http://HOST:PORT/slack/events``) or Socket Mode (``SLACK_APP_TOKEN`` set: no
public URL needed). Settings are validated before anything starts.
"""

from __future__ import annotations

import asyncio

import typer

from bot.cli.common import runtime_or_exit, settings_or_exit
from bot.config import ConfigError

bot_app = typer.Typer(no_args_is_help=True, help="Run a chat adapter (Discord, Slack).")


@bot_app.command("discord")
def discord_command(
    instructor_roles: str = typer.Option(
        "", "--instructor-roles", envvar="DISCORD_INSTRUCTOR_ROLES",
        help="comma-separated role names or ids that may use instructor verbs "
             "(Manage Server always may)",
    ),
    sync: bool = typer.Option(True, "--sync/--no-sync",
                              help="register the /dojo commands with Discord on start"),
    shard_id: int | None = typer.Option(None, "--shard-id", min=0,
                                        help="run only this shard (with --shard-count)"),
    shard_count: int | None = typer.Option(None, "--shard-count", min=1,
                                           help="total shards across processes"),
) -> None:
    """Run the Discord bot (DISCORD_TOKEN; DISCORD_API_BASE / DISCORD_GATEWAY_URL optional)."""
    settings = settings_or_exit()
    try:
        settings.require("DISCORD_TOKEN")
    except ConfigError as exc:
        typer.echo(f"torchdojo: {exc} (the bot token from the Discord developer portal)",
                   err=True)
        raise typer.Exit(2) from None
    roles = [r.strip() for r in instructor_roles.split(",") if r.strip()]
    if (shard_id is None) != (shard_count is None) or (
            shard_id is not None and shard_count is not None and shard_id >= shard_count):
        typer.echo("torchdojo: give --shard-id and --shard-count together, "
                   "with 0 <= shard-id < shard-count", err=True)
        raise typer.Exit(2)
    shards = {} if shard_count is None else {"shard_id": shard_id, "shard_count": shard_count}
    try:
        asyncio.run(_discord(settings, roles, sync, shards))
    except KeyboardInterrupt:
        typer.echo("\nbye", err=True)


async def _discord(settings, roles: list[str], sync: bool,  # type: ignore[no-untyped-def]
                   shards: dict[str, int]) -> None:
    import logging

    from bot.adapters.discord import run_discord

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = await runtime_or_exit(settings, serving=True)
    try:
        await run_discord(rt, instructor_roles=roles, sync_commands=sync, **shards)
    finally:
        await rt.close()


@bot_app.command("slack")
def slack_command(
    host: str = typer.Option("0.0.0.0", "--host", help="bind address (HTTP mode)"),
    port: int | None = typer.Option(None, "--port", help="port (HTTP mode; default $PORT "
                                                          "or 8080)"),
) -> None:
    """Run the Slack bot (HTTP mode, or Socket Mode when SLACK_APP_TOKEN is set)."""
    from bot.adapters.slack import SlackConfig
    from bot.config import ConfigError

    settings = settings_or_exit()
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

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = await runtime_or_exit(settings, serving=True)
    try:
        await run_slack(rt, config, host)
    finally:
        await rt.close()
