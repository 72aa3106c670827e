"""``torchdojo bot discord|slack``: run a chat adapter (the ``bot`` command group).

Each adapter registers its command on :data:`bot_app`; ``register`` adds the group
to the main app. The adapters themselves are imported only when their command runs.
"""

from __future__ import annotations

import asyncio

import typer

from bot.config import ConfigError

bot_app = typer.Typer(no_args_is_help=True, help="Run a chat adapter (Discord, Slack).")


def register(app: typer.Typer) -> None:
    app.add_typer(bot_app, name="bot")


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
    from bot.cli_core import _settings_or_exit

    settings = _settings_or_exit()
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
    from bot.runtime import Runtime

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = await Runtime.start(settings)
    try:
        await run_discord(rt, instructor_roles=roles, sync_commands=sync, **shards)
    finally:
        await rt.close()


from bot.cli_slack import register as _register_slack  # noqa: E402

_register_slack(bot_app)
