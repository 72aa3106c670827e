"""Discord adapter (discord.py 2.x): a thin translator between Discord and the
chat layer (see the contract in :mod:`bot.chat`).

What it translates, and nothing more:

* the ``/dojo`` application-command group (one sub-command per verb, exercise
  ids autocompleted) → a ``/dojo …`` line for :class:`bot.chat.ChatHandler`;
* messages: a code block or ``.py`` attachment replying to a drill post, or
  posted in the drill post's thread, is a submission (the handler decides); a
  long paste Discord sent as ``message.txt`` is read as the message's text; a
  direct message is told where code goes;
* :class:`bot.chat.Reply` → embeds (title, text, fields, a monospace table,
  learner output in a code block, the progress PNG as an attachment), every
  Discord size limit honoured with "…";
* core events (:class:`bot.core.types.Event`) → channel posts: drill posts get
  a "Full prompt" button and a discussion thread (the thread id equals the
  post's id on Discord, so a code block in the thread submits for that drill).

Submissions show "⏳ grading…" and that very message is edited when the
verdict arrives through the core's notices — also after a restart of the bot,
and also when the grader was down and the verdict comes hours later. Only a
late verdict (:func:`is_late`: the grader was down, or it came
:data:`LATE_VERDICT` or more after "⏳ grading…") also pings the member once
with a link to it; a prompt one is just the edit. Editing the submitted message within
:data:`EDIT_REGRADE_WINDOW` regrades it. Timed-challenge answers go through
``/dojo submit`` (a modal) and get an ephemeral result so nobody copies a
working answer; the chat layer decides that, and when a message must come down.

Nothing a learner's code prints can ping or link: every message is sent with
``AllowedMentions`` that allow at most the one user a reply addresses, and
learner-controlled pieces marked by the chat layer are drawn as inline code.

One module for one platform on purpose (~900 lines): its embed layout, its
command tree and its client share discord.py's types and limits, and each
part is a few dozen lines; the rules they would otherwise tempt one to add
live in the chat layer.

The module is named ``discord`` like the library; with absolute imports (the
Python 3 default) ``import discord`` below is the library, not this file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import discord
import yarl
from discord import app_commands

from bot.chat import render
from bot.chat.extract import MAX_CODE_BYTES, Attachment, looks_like_code
from bot.chat.handler import ChatHandler, Incoming
from bot.chat.parser import is_command
from bot.chat.replies import File, Reply, VerdictParts
from bot.chat.safe import render_marked
from bot.core.types import (
    CouldNotGradeNotice,
    DayPost,
    DelayNotice,
    Event,
    GradedNotice,
    GradingProgress,
    ReviewNudge,
    Role,
    StatusRef,
    SubmissionNotice,
)
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PLATFORM = "discord"
#: Interaction tokens live 15 minutes; after that a result goes to the channel.
INTERACTION_TTL = timedelta(minutes=14)
#: Answer a slash command directly if the handler is this quick, else defer.
QUICK_ANSWER_S = 2.0
#: A verdict this long after its "⏳ grading…" message is late: the member has
#: likely looked away, and an edit pings nobody, so they are pinged once with a link.
LATE_VERDICT = timedelta(minutes=1)
#: How many private (interaction) status messages are remembered for edits.
STATUS_KEEP = 5000
#: A status message that is an interaction response, not a channel message.
INTERACTION_PREFIX = "interaction:"
COLORS = {"info": 0x5865F2, "success": 0x57F287, "warning": 0xFEE75C, "error": 0xED4245}

# Discord's documented limits.
TITLE_MAX, DESC_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX, FIELDS_MAX = 256, 4096, 256, 1024, 25
EMBED_TOTAL_MAX, CONTENT_MAX, THREAD_NAME_MAX, CHOICES_MAX = 6000, 2000, 100, 25


# ---- rendering: neutral replies → Discord payloads ------------------------------------


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, ending with "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip_block(body: str, limit: int) -> str:
    """A code block that stays a code block when it has to be cut."""
    fence = "```\n", "\n```"
    room = limit - len(fence[0]) - len(fence[1])
    if room <= 1:
        return ""
    return fence[0] + clip(body, room) + fence[1]


def md(text: str) -> str:
    """Chat-layer text as Discord markdown: learner pieces become inline code
    (no links, no formatting, no mentions inside code)."""
    return render_marked(text, inert=lambda piece: f"`{piece}`")


def verdict_text(parts: VerdictParts) -> str:
    """A verdict laid out for an embed description."""
    return "\n".join(parts.body(code=lambda ex_id: f"`{ex_id}`", text=md))


def reply_embed(reply: Reply) -> discord.Embed:
    """One embed for one reply, inside every per-part and total size limit."""
    embed = discord.Embed(color=COLORS.get(reply.level, COLORS["info"]))
    title = reply.title
    text = md(reply.text or "")
    code = reply.code
    if reply.verdict is not None:
        title = f"{reply.verdict.icon} {reply.verdict.headline}"
        text = verdict_text(reply.verdict) + ("\n" + text if text else "")
        code = code or reply.verdict.output or None
    if title:
        embed.title = clip(md(title), TITLE_MAX)
    has_body = bool(text or reply.table or code)
    room = EMBED_TOTAL_MAX - len(embed.title or "") - (1500 if has_body else 16)
    fields: list[tuple[str, str]] = []
    for n, v in reply.fields[:FIELDS_MAX]:  # fields first, leaving room for the text
        name = clip(md(n) or "—", FIELD_NAME_MAX)
        value = clip(md(v) or "—", min(FIELD_VALUE_MAX, room - len(name)))
        if room - len(name) < 20:
            break
        fields.append((name, value))
        room -= len(name) + len(value)
    budget = EMBED_TOTAL_MAX - len(embed.title or "") - sum(len(n) + len(v) for n, v in fields)
    budget = min(budget - 16, DESC_MAX)
    parts: list[str] = []
    blocks = []
    if reply.table is not None:
        blocks.append(reply.table.as_text())
    if code:
        blocks.append(code)
    # Text first, then each block keeps its fences even when cut.
    need = sum(len(b) + 9 for b in blocks)
    text_room = max(budget - need, min(len(text), budget // 2))
    if text:
        parts.append(clip(text, max(text_room, 1)))
    for b in blocks:
        room = budget - len("\n".join(parts)) - 1
        block = _clip_block(b, room)
        if block:
            parts.append(block)
    if parts:
        embed.description = clip("\n".join(parts), budget)
    for name, value in fields:
        embed.add_field(name=name, value=value, inline=len(value) <= 40)
    if reply.images:
        embed.set_image(url=f"attachment://{reply.images[0].filename}")
    return embed


def reply_files(reply: Reply) -> list[discord.File]:
    import io

    return [discord.File(io.BytesIO(f.data), filename=f.filename,
                         description=clip(getattr(f, "alt", "") or f.filename, 1024))
            for f in [*reply.images, *reply.files]]


def mentions_for(reply: Reply) -> discord.AllowedMentions:
    """At most the user the reply addresses; never @everyone, roles or others."""
    if reply.mention and reply.mention.isdigit():
        return discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                       users=[discord.Object(int(reply.mention))])
    return discord.AllowedMentions.none()


def reply_content(reply: Reply) -> str | None:
    return f"<@{reply.mention}>" if reply.mention and reply.mention.isdigit() else None


def role_of(user: discord.abc.User, permissions: discord.Permissions | None,
            instructor_roles: Iterable[str]) -> Role:
    """Manage Server (or Administrator), or a configured role name/id → instructor."""
    if not isinstance(user, discord.Member):
        return Role.member
    perms = permissions or user.guild_permissions
    if perms.administrator:
        return Role.admin
    wanted = {r.strip().lower() for r in instructor_roles if r.strip()}
    if perms.manage_guild or any(r.name.lower() in wanted or str(r.id) in wanted
                                 for r in user.roles):
        return Role.instructor
    return Role.member


#: Where a member who wrote to the bot directly is sent: no cohort is reached from a DM.
DM_POINTER = ("👋 I don't read direct messages, and nothing sent here is graded. In your "
              "cohort's channel, submit with `/dojo submit ID` and your code in a code "
              "block, or post the code block in the drill's thread; `/dojo help` there "
              "lists every command.")
MEDIA = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".heic", ".svg", ".mp4", ".mov",
         ".webm", ".mp3", ".ogg", ".wav", ".m4a")


def is_pasted_text(filename: str) -> bool:
    """Text pasted into the message box: Discord sends a message too long for one as a
    ``message.txt`` attachment. (Any other .txt is a file like any other: refused.)"""
    return filename.lower() == "message.txt"


def _text_of(att: Attachment) -> str | None:
    """A pasted attachment's text (None: too large or not UTF-8, for the chat layer to
    refuse)."""
    if len(att.data) > MAX_CODE_BYTES or b"\0" in att.data:  # \0: UTF-16, say
        return None
    try:
        return att.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def is_media(filename: str, content_type: str | None) -> bool:
    """A picture, video or sound: in a drill's thread that is conversation."""
    kind = (content_type or "").split("/")[0]
    return kind in ("image", "video", "audio") or filename.lower().endswith(MEDIA)


def cohort_channel(channel: Any) -> tuple[str, str | None]:
    """(cohort channel id, thread id): a thread belongs to its parent's cohort,
    and a thread started from a drill post has that post's id."""
    if isinstance(channel, discord.Thread):
        return str(channel.parent_id), str(channel.id)
    return str(getattr(channel, "id", "")), None


def command_line(verb: str, *words: str | None, **opts: str | None) -> str:
    """Slash-command options → the ``/dojo`` line every platform shares."""
    out = ["/dojo", verb]
    out += [shlex.quote(w) for w in words if w]
    out += [f"{k}={shlex.quote(v)}" for k, v in opts.items() if v]
    return " ".join(out)


# ---- the prompt button and the submit modal ------------------------------------------


class PromptButton(discord.ui.DynamicItem[discord.ui.Button],  # type: ignore[type-arg]
                   template=r"dojo:prompt:(?P<ex>[0-9A-Za-z._-]{1,40})"):
    """"Full prompt" under a drill post; persistent (works after a restart)."""

    def __init__(self, exercise_id: str) -> None:
        super().__init__(discord.ui.Button(label="Full prompt", emoji="📜",
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=f"dojo:prompt:{exercise_id}"))
        self.exercise_id = exercise_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item,  # type: ignore[override,type-arg]
                             match: Any) -> PromptButton:
        return cls(match["ex"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        client = interaction.client
        assert isinstance(client, DojoDiscord)
        await client.show_prompt(interaction, self.exercise_id)


class SubmitModal(discord.ui.Modal):
    """``/dojo submit`` without a file: paste the code privately."""

    def __init__(self, adapter: DojoDiscord, exercise_id: str | None) -> None:
        super().__init__(title="Submit to TorchDojo", timeout=900)
        self.adapter = adapter
        self.exercise: discord.ui.TextInput[SubmitModal] = discord.ui.TextInput(
            label="Exercise id", default=exercise_id or None, required=False,
            max_length=20, placeholder="1.1.1 (empty: today's drill your code fits)")
        self.code: discord.ui.TextInput[SubmitModal] = discord.ui.TextInput(
            label="Your code", style=discord.TextStyle.paragraph, max_length=4000,
            placeholder="zeros_1 = torch.zeros(3, 4)")
        self.add_item(self.exercise)
        self.add_item(self.code)

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        ex = (self.exercise.value or "").strip() or None
        await self.adapter.submit_interaction(
            interaction, ex, [Attachment("modal.py", self.code.value.encode("utf-8"),
                                         pasted=True)])


async def exercise_autocomplete(interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
    client = interaction.client
    assert isinstance(client, DojoDiscord)
    return client.exercise_choices(current)


# ---- the /dojo group -------------------------------------------------------------------


def build_group(adapter: DojoDiscord) -> app_commands.Group:
    """Every verb of docs/chat-commands.md as a sub-command; each becomes a ``/dojo`` line."""
    dojo = app_commands.Group(name="dojo", description="TorchDojo: PyTorch drills, "
                              "challenges, streaks", guild_only=True)
    ex_ac = app_commands.autocomplete(exercise=exercise_autocomplete)

    async def run(interaction: discord.Interaction, line: str) -> None:
        await adapter.answer(interaction, line)

    @dojo.command(name="help", description="All commands, or one topic")
    @app_commands.describe(topic="a command, or streak: how streaks and freezes work")
    async def help_(interaction: discord.Interaction,
                    topic: Literal["streak", "today", "show", "submit", "status", "progress",
                                   "leaderboard", "challenge", "cohort", "schedule", "review",
                                   "hint", "remind", "tz", "export", "dashboard"] | None = None
                    ) -> None:
        await run(interaction, command_line("help", topic))

    @dojo.command(description="Today's drills and your status")
    async def today(interaction: discord.Interaction) -> None:
        await run(interaction, "/dojo today")

    @dojo.command(description="An exercise's prompt and contract")
    @app_commands.describe(exercise="exercise id, e.g. 1.1.1")
    @ex_ac
    async def show(interaction: discord.Interaction, exercise: str) -> None:
        await run(interaction, command_line("show", exercise))

    @dojo.command(description="Submit code: opens a form, or attach a .py file")
    @app_commands.describe(exercise="exercise id (empty: the drill your code fits)",
                           file="a .py file instead of pasting")
    @ex_ac
    async def submit(interaction: discord.Interaction, exercise: str | None = None,
                     file: discord.Attachment | None = None) -> None:
        if file is None:
            await interaction.response.send_modal(SubmitModal(adapter, exercise))
            return
        await adapter.submit_interaction(interaction, exercise, files=[file])

    @dojo.command(description="Where your latest submissions are")
    @app_commands.describe(number="a submission number, e.g. 12")
    async def status(interaction: discord.Interaction, number: str | None = None) -> None:
        await run(interaction, command_line("status", number))

    @dojo.command(description="Your streak and banked freezes")
    async def streak(interaction: discord.Interaction) -> None:
        await run(interaction, "/dojo streak")

    @dojo.command(description="Your calendar, points, reviews and best times as a picture")
    async def progress(interaction: discord.Interaction) -> None:
        await run(interaction, "/dojo progress")

    @dojo.command(description="Your spaced reviews, or whether one exercise is due")
    @app_commands.describe(exercise="exercise id, e.g. 1.1.1 (empty: everything due)")
    @ex_ac
    async def review(interaction: discord.Interaction, exercise: str | None = None) -> None:
        await run(interaction, command_line("review", exercise))

    @dojo.command(description="The next hint for your latest attempt (costs points; "
                              "you confirm first)")
    @app_commands.describe(exercise="exercise id, e.g. 1.1.1",
                           reveal="yes: reveal it now at the stated cost")
    @ex_ac
    async def hint(interaction: discord.Interaction, exercise: str,
                   reveal: bool = False) -> None:
        await run(interaction, command_line("hint", exercise, "yes" if reveal else None))

    @dojo.command(description="Cohort standings")
    async def leaderboard(interaction: discord.Interaction,
                          scope: Literal["week", "all"] = "week",
                          image: bool = False) -> None:
        await run(interaction, command_line("leaderboard", scope, "image" if image else None))

    @dojo.command(description="Timed challenges: start your timer, status, or open a window "
                              "(instructors)")
    @app_commands.describe(action="start = your personal timer; open = a cohort window",
                           at="open: start time, HH:MM or ISO",
                           duration="open: the window's length, e.g. 90m")
    @app_commands.rename(duration="for")  # `for=90m` as in the text command (a keyword here)
    @ex_ac
    async def challenge(interaction: discord.Interaction,
                        action: Literal["status", "start", "open"] = "status",
                        exercise: str | None = None, at: str | None = None,
                        duration: str | None = None) -> None:
        await run(interaction, command_line("challenge", action, exercise, at=at,
                                            **{"for": duration}))

    @dojo.command(description="Join, leave or see this channel's cohort; create (instructors)")
    @app_commands.describe(name="create: the cohort's name", tz="IANA time zone",
                           start="create: first day, YYYY-MM-DD", time="create: daily post HH:MM")
    async def cohort(interaction: discord.Interaction,
                     action: Literal["info", "join", "leave", "create"] = "info",
                     name: str | None = None, tz: str | None = None,
                     start: str | None = None, time: str | None = None) -> None:
        await run(interaction, command_line("cohort", action, name, tz=tz, start=start,
                                            time=time))

    @dojo.command(description="The cohort's schedule; changes are for instructors")
    @app_commands.describe(value="time HH:MM, tz ZONE or start YYYY-MM-DD")
    async def schedule(interaction: discord.Interaction,
                       action: Literal["show", "time", "tz", "start", "pause", "resume"] = "show",
                       value: str | None = None) -> None:
        await run(interaction, command_line("schedule", action, value))

    @dojo.command(description="Export the cohort's submissions as CSV (instructors)")
    async def export(interaction: discord.Interaction) -> None:
        await run(interaction, "/dojo export")

    @dojo.command(description="A private one-time sign-in link to the web dashboard "
                              "(instructors)")
    async def dashboard(interaction: discord.Interaction) -> None:
        await run(interaction, "/dojo dashboard")

    @dojo.command(description="Streak-at-risk reminders and review nudges: on, off, "
                              "or (empty) whether they are on")
    @app_commands.describe(state="on or off (empty: show whether they are on)")
    async def remind(interaction: discord.Interaction,
                     state: Literal["on", "off"] | None = None) -> None:
        await run(interaction, command_line("remind", state))

    @dojo.command(name="tz", description="Your own time zone for streaks (empty: the zone "
                                         "in use)")
    @app_commands.describe(zone="IANA zone, e.g. Europe/Berlin, or 'clear' (empty: show it)")
    async def tz_(interaction: discord.Interaction, zone: str | None = None) -> None:
        await run(interaction, command_line("tz", zone))

    return dojo


# ---- the client ---------------------------------------------------------------------------


@dataclass
class LiveInteraction:
    """A private "grading…" message is an interaction response: editable through
    its interaction for 15 minutes, by this process only (after that, or after a
    restart, a private verdict goes to the member's DMs)."""

    interaction: discord.Interaction
    created: datetime


def configure_endpoints(api_base: str | None, gateway_url: str | None) -> None:
    """Point discord.py at ``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL`` (process-wide:
    discord.py keeps both as class attributes)."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def intents() -> discord.Intents:
    """Guilds, guild and direct messages, plus message content (privileged: enable it
    in the developer portal) so code blocks in replies and threads can be read."""
    it = discord.Intents.none()
    it.guilds = True
    it.guild_messages = True
    it.dm_messages = True  # a member writing to the bot directly is told where to go
    it.message_content = True
    return it


class DojoDiscord(discord.Client):
    """The TorchDojo bot on Discord; also the :class:`bot.core.types.Outbox`."""

    def __init__(self, runtime: Runtime, *, instructor_roles: Sequence[str] = (),
                 sync_commands: bool = True, start_scheduler: bool = True,
                 **options: Any) -> None:
        options.setdefault("intents", intents())
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(**options)
        self.rt = runtime
        self.handler = ChatHandler(runtime.dojo)
        self.instructor_roles = list(instructor_roles)
        self.sync_commands = sync_commands
        self.start_scheduler = start_scheduler
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(build_group(self))
        self.scheduler: Any = None
        self.delivery: asyncio.Task[None] | None = None
        self._interactions: dict[str, LiveInteraction] = {}  # interaction id → response

    # ---- lifecycle ---------------------------------------------------------------------

    async def setup_hook(self) -> None:
        self.add_dynamic_items(PromptButton)
        if self.sync_commands:
            await self.tree.sync()

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))
        if self.delivery is None:
            self.delivery = self.rt.deliver_forever(PLATFORM, self, owns=self.serves_channel)
        if self.start_scheduler and self.scheduler is None:
            self.scheduler = self.rt.scheduler(self)
            await self.scheduler.start()

    def serves_channel(self, channel_id: str) -> bool:
        """A verdict for a channel of another shard's guild is that shard's to deliver."""
        if self.shard_count is None or self.shard_count <= 1:
            return True
        channel = self.get_channel(int(channel_id)) if channel_id.isdigit() else None
        return channel is not None

    async def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.delivery is not None:
            self.delivery.cancel()
        await super().close()

    # ---- translating who and where -------------------------------------------------------

    def mention_as_command(self, text: str) -> str:
        """``@TorchDojo today`` is ``/dojo today``: a newcomer addresses the bot by
        mentioning it (``@TorchDojo`` alone is ``/dojo``: the help)."""
        if self.user is None:
            return text
        m = re.match(rf"\s*<@!?{self.user.id}>[\s,:]*", text or "")
        return "/dojo " + text[m.end():] if m else text

    def incoming(self, *, channel: Any, user: discord.abc.User, text: str,
                 permissions: discord.Permissions | None = None,
                 attachments: list[Attachment] | None = None, reply_to: str | None = None,
                 message_id: str | None = None, public: bool = False) -> Incoming:
        channel_id, thread = cohort_channel(channel)
        if thread is not None and self.user is not None \
                and getattr(channel, "owner_id", None) != self.user.id:
            thread = None  # only the bot's own drill threads mean "submit for that drill"
        return Incoming(
            PLATFORM, channel_id, str(user.id), user.display_name, text,
            role_of(user, permissions, self.instructor_roles), attachments or [],
            reply_to or thread, message_id, public)

    async def read_attachments(self, atts: Iterable[discord.Attachment], *,
                               media: bool = True) -> list[Attachment]:
        """``.py`` files and pasted text (Discord turns a message too long to send into a
        ``message.txt``) are downloaded, pasted text marked ``pasted``: read as the
        message's text would be. Oversize ones come through as their size (not
        downloaded) so the chat layer explains the limit; any other file comes through
        empty so the chat layer says what it reads — an image, a video or a sound only
        with ``media`` (without it they are chat, not code: a screenshot in a drill's
        thread)."""
        out = []
        for a in atts:
            pasted = is_pasted_text(a.filename)
            if not pasted and not a.filename.lower().endswith(".py"):
                if media or not is_media(a.filename, a.content_type):
                    out.append(Attachment(a.filename, b""))
                continue
            if a.size > MAX_CODE_BYTES:
                # the chat layer words the refusal from the size (capped: not a download)
                out.append(Attachment(a.filename, b"\0" * min(a.size, 16 * MAX_CODE_BYTES),
                                      pasted=pasted))
                continue
            out.append(Attachment(a.filename, await a.read(), pasted=pasted))
        return out

    def exercise_choices(self, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=clip(label, 100), value=ex_id)
                for ex_id, label in self.handler.exercise_choices(current)[:CHOICES_MAX]]

    def _remember(self, key: str, interaction: discord.Interaction) -> None:
        """Keep the interaction of a status message (editable for 15 minutes);
        the map stays bounded."""
        self._interactions[key] = LiveInteraction(interaction, discord.utils.utcnow())
        if len(self._interactions) > STATUS_KEEP:
            cutoff = discord.utils.utcnow() - INTERACTION_TTL
            for key in [k for k, r in self._interactions.items() if r.created < cutoff]:
                del self._interactions[key]
            while len(self._interactions) > STATUS_KEEP:
                del self._interactions[next(iter(self._interactions))]

    # ---- slash commands ---------------------------------------------------------------------

    async def answer(self, interaction: discord.Interaction, line: str,
                     attachments: list[Attachment] | None = None) -> None:
        """Run one ``/dojo`` line; answer directly when quick, else defer first."""
        msg = self.incoming(channel=_where(interaction), user=interaction.user, text=line,
                            permissions=interaction.permissions, attachments=attachments,
                            message_id=str(interaction.id))
        task = asyncio.ensure_future(self.handler.handle(msg))
        deferred: bool | None = None
        try:
            replies = await asyncio.wait_for(asyncio.shield(task), QUICK_ANSWER_S)
        except TimeoutError:
            # "thinking…" fixes who sees the answer: decided now, from the command
            deferred = self.handler.answers_privately(line)
            await interaction.response.defer(thinking=True, ephemeral=deferred)
            replies = await task
        await self.send_interaction(interaction, replies or [Reply(text="Done.")],
                                    deferred=deferred)

    async def send_interaction(self, interaction: discord.Interaction,
                               replies: list[Reply], *, private: bool = False,
                               deferred: bool | None = None) -> None:
        """Each reply as the interaction's response or a follow-up. ``deferred``: who the
        "thinking…" deferral was for (True: the asker alone; None: not deferred).
        Discord gives the first follow-up after a deferral the deferral's visibility,
        whatever its own flags, so only a reply of that visibility may be it: a public
        reply to a private deferral is posted in the channel; a private reply to a
        public deferral waits until the deferral is settled by a neutral line (then
        removed); a deferral that nothing settled is removed."""
        pending = deferred is not None  # the deferral still awaits its first follow-up
        for reply in replies:
            hidden = private or reply.private
            kwargs: dict[str, Any] = {
                "embed": reply_embed(reply), "files": reply_files(reply),
                "ephemeral": hidden,
                "allowed_mentions": discord.AllowedMentions.none(),
            }
            if not interaction.response.is_done():
                await interaction.response.send_message(**kwargs)
            elif not pending or hidden == deferred:
                await interaction.followup.send(**kwargs)
                pending = False
            elif deferred:  # a public part of a privately deferred answer
                if not await self._post_in_channel(interaction, reply):
                    await interaction.followup.send(**kwargs)  # private rather than lost
                    pending = False
            else:  # a private part (a refusal) of a publicly deferred answer
                try:
                    await interaction.edit_original_response(
                        embed=reply_embed(Reply(text="🔒 Answered privately.")),
                        allowed_mentions=discord.AllowedMentions.none())
                except discord.HTTPException:  # unsettled, a follow-up would be public
                    log.warning("could not settle the deferral of %s", interaction.id)
                    continue
                pending = False
                await interaction.followup.send(**kwargs)
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
        if pending:
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()

    async def _post_in_channel(self, interaction: discord.Interaction, reply: Reply) -> bool:
        """A public reply as a message in the interaction's channel (False: not allowed
        there)."""
        try:
            channel = self.get_partial_messageable(int(interaction.channel_id or 0))
            await channel.send(embed=reply_embed(reply), files=reply_files(reply),
                               allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, ValueError):
            log.warning("could not post a public answer in %s", interaction.channel_id,
                        exc_info=True)
            return False
        return True

    async def submit_interaction(self, interaction: discord.Interaction, exercise: str | None,
                                 attachments: list[Attachment] | None = None,
                                 files: Sequence[discord.Attachment] = ()) -> None:
        """Modal or file submission: "⏳ grading…" now (within Discord's 3 s), then the
        file is fetched and the submission stored; its verdict edits that response.
        Timed-challenge answers stay private (ephemeral)."""
        private = self.handler.private_exercise(exercise)
        await interaction.response.send_message(
            embed=reply_embed(Reply(text="⏳ Received — grading…")), ephemeral=private,
            allowed_mentions=discord.AllowedMentions.none())
        if attachments is None:
            # a non-.py file comes through empty so the chat layer explains what it reads
            attachments = await self.read_attachments(files)
        msg = self.incoming(channel=_where(interaction), user=interaction.user,
                            text=command_line("submit", exercise),
                            permissions=interaction.permissions, attachments=attachments,
                            message_id=str(interaction.id))
        replies = await self.handler.handle(msg) or [Reply(text="Done.")]
        first = replies.pop(_status_index(replies))
        await interaction.edit_original_response(
            embed=reply_embed(first), attachments=reply_files(first),
            allowed_mentions=discord.AllowedMentions.none())
        if first.status_of is not None:
            await self.handler.status_posted(first, await self._interaction_status(
                interaction, first.private or private))
        for reply in replies:
            await interaction.followup.send(embed=reply_embed(reply), files=reply_files(reply),
                                            ephemeral=private or reply.private,
                                            allowed_mentions=discord.AllowedMentions.none())

    async def _interaction_status(self, interaction: discord.Interaction,
                                  private: bool) -> StatusRef:
        """Where an interaction's "grading…" response is. Its interaction edits it
        for 15 minutes (this process); a public one is also a channel message that
        any process can edit later; a private one is only reachable through the
        interaction (after that, the verdict goes to the member's DMs)."""
        channel = str(interaction.channel_id or "")
        key = f"{INTERACTION_PREFIX}{interaction.id}"
        if not private:
            try:
                key = str((await interaction.original_response()).id)
            except discord.HTTPException:
                log.warning("could not look up the response of %s", interaction.id)
        self._remember(key, interaction)
        return StatusRef(channel, key, private)

    async def show_prompt(self, interaction: discord.Interaction, exercise_id: str) -> None:
        """The "Full prompt" button: the whole prompt and starter, privately (the
        chat layer withholds a challenge's prompt until its window opened)."""
        msg = self.incoming(channel=_where(interaction), user=interaction.user, text="",
                            permissions=interaction.permissions)
        reply = await self.handler.prompt(msg, exercise_id)
        if len(reply.text) > DESC_MAX - 100:  # the whole text as a file too, nothing lost
            reply.files.append(File(f"{exercise_id}.md", reply.text.encode("utf-8"),
                                    "text/markdown"))
        await self.send_interaction(interaction, [reply], private=True)

    # ---- messages ------------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.guild is None:
            await self._point_from_direct_message(message)
            return
        await self.handle_message(message)

    async def _point_from_direct_message(self, message: discord.Message) -> None:
        """A direct message to the bot: no cohort is reached from here (nothing is
        graded), so the member is shown where their code goes."""
        try:
            await message.channel.send(
                embed=reply_embed(Reply(text=DM_POINTER)),
                allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.info("could not answer a direct message of %s", message.author.id)

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        """An edited message: the chat layer decides (:meth:`ChatHandler.edit_plan`) —
        a recent submission is regraded into its status message, a refused one is
        handled as a new message, anything else is left be."""
        if after.author.bot or after.guild is None or before.content == after.content:
            return
        await self.handle_message(after, edited=discord.utils.utcnow() - after.created_at)

    async def handle_message(self, message: discord.Message,
                             edited: timedelta | None = None) -> None:
        """A new message, or (``edited``: how long after posting) an edited one."""
        ref = message.reference
        reply_to = str(ref.message_id) if ref is not None and ref.message_id else None
        if ref is not None and isinstance(ref.resolved, discord.Message) \
                and self.user is not None and ref.resolved.author.id != self.user.id:
            reply_to = None  # code in reply to a person is conversation, not a submission
        text = self.mention_as_command(message.content)
        if not (reply_to or isinstance(message.channel, discord.Thread) or is_command(text)
                or not text.strip()):
            return  # conversation, whatever it attaches: nothing is downloaded
        attachments = await self.read_attachments(message.attachments,
                                                  media=is_command(text))
        text, attachments = self.pasted_command(text, attachments)
        msg = self.incoming(channel=message.channel, user=message.author, text=text,
                            attachments=attachments, reply_to=reply_to,
                            message_id=str(message.id), public=True)
        if not self.handler.wants(msg):
            return  # ordinary conversation
        status = None
        if edited is not None:
            plan = await self.handler.edit_plan(msg, edited)
            if not plan.handle:
                await self._reply_each(message, list(plan.replies))
                return
            status = plan.status
        replies = await self.handler.handle(msg)
        own = self.handler.answers_privately(msg.text)
        for reply in replies:
            if reply.takedown:
                await self._take_down(message, reply)
            elif reply.status_of is not None:
                await self._post_status(message, reply, status)
            else:
                await self._reply_each(message, [reply], own=own)

    def pasted_command(self, text: str, attachments: list[Attachment]
                       ) -> tuple[str, list[Attachment]]:
        """Pasted text read as the message's text would be: a message Discord turned
        into ``message.txt`` whole — ``/dojo submit 1.1.1`` and a long code block — is
        that command again; a paste holding a code block or code stays (read as pasted
        code); one holding neither (a long question, a log) is conversation, as its
        text would be. One that is too large or not UTF-8 stays, to be refused."""
        if not any(a.pasted for a in attachments):
            return text, attachments
        kept = []
        for a in attachments:
            body = _text_of(a) if a.pasted else None
            if body is None:
                kept.append(a)
            elif not text.strip() and len(attachments) == 1 \
                    and is_command(self.mention_as_command(body)):
                return self.mention_as_command(body), []
            elif "```" in body or looks_like_code(body):
                kept.append(a)
        return text, kept

    async def _reply_each(self, message: discord.Message, replies: list[Reply], *,
                          own: bool = False) -> None:
        """Replies to a channel message. A private one goes to the member's DMs: any
        answer of a command about their own data (``own``: a hint, their status, an
        export, a sign-in link — a refusal too, such as "your latest attempt passed");
        otherwise only one that is not an error (an error only echoes the message)."""
        for reply in replies:
            if reply.private and (own or reply.level != "error"):
                await self._reply_privately(message, reply)
                continue
            await message.reply(content=None, embed=reply_embed(reply),
                                files=reply_files(reply), mention_author=False,
                                allowed_mentions=mentions_for(reply))

    async def _reply_privately(self, message: discord.Message, reply: Reply) -> None:
        """A private answer (a sign-in link, an export, a challenge's prompt, one's own
        status) to a command typed as a channel message, where nothing is ephemeral: it
        goes to the member's DMs and the channel sees a 📬 reaction. With their DMs closed
        the channel is told to use the slash command — never the answer itself."""
        try:
            channel = await self.create_dm(message.author)
            await channel.send(embed=reply_embed(reply), files=reply_files(reply),
                               allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, ValueError):
            log.warning("could not DM user %s a private answer", message.author.id,
                        exc_info=True)
            await message.reply(
                embed=reply_embed(Reply(
                    text="That answer is only for you, and I can't send you direct messages: "
                         "use the /dojo slash command, whose answers only you see.",
                    level="warning")),
                mention_author=False, allowed_mentions=discord.AllowedMentions.none())
            return
        with contextlib.suppress(discord.HTTPException):
            await message.add_reaction("📬")

    async def _post_status(self, message: discord.Message, reply: Reply,
                           previous: StatusRef | None) -> None:
        """Post "⏳ grading…" (or reuse the status message of the edited submission)
        and tell the chat layer where it is, so the verdict edits it."""
        embed = reply_embed(reply)
        try:
            if previous is not None and previous.message_id \
                    and previous.message_id.isdigit():
                sent = await message.channel.get_partial_message(
                    int(previous.message_id)).edit(embed=embed)
            else:
                sent = await message.reply(embed=embed, mention_author=False,
                                           allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not post the status of #%s", reply.status_of, exc_info=True)
            await self.handler.status_posted(reply, None)
            return
        await self.handler.status_posted(
            reply, StatusRef(str(message.channel.id), str(sent.id), False))

    async def _take_down(self, message: discord.Message, reply: Reply) -> None:
        """A timed-challenge answer posted in the open: remove it, say why."""
        try:
            await message.delete()
            reply.text += " I removed your message so nobody copies it."
        except discord.HTTPException:
            log.warning("could not remove a challenge answer posted in the open")
        await message.channel.send(
            content=f"<@{message.author.id}>", embed=reply_embed(reply),
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False,
                                                     users=[message.author]))

    # ---- Outbox: events from the core and the scheduler ---------------------------------------

    async def deliver(self, event: Event) -> list[str]:
        """Render an event into its channel; drill posts get the prompt button and a
        thread. Returns one message id per exercise item (see the chat contract)."""
        if isinstance(event, GradingProgress):
            await self._deliver_progress(event)
            return []
        if isinstance(event, ReviewNudge):
            await self._dm_user(event.user_id, render.event(event)[0])
            return []
        if isinstance(event, (GradedNotice, DelayNotice, CouldNotGradeNotice)) \
                and await self._deliver_result(event):
            return []
        channel = await self._channel(event.target.channel_id)
        ids: list[str] = []
        first: str | None = None
        for reply in render.event(event):
            view = None
            if reply.exercise_id:
                view = discord.ui.View(timeout=None)
                view.add_item(PromptButton(reply.exercise_id))
            sent = await channel.send(content=reply_content(reply), embed=reply_embed(reply),
                                      files=reply_files(reply), view=view,  # type: ignore[arg-type]
                                      allowed_mentions=mentions_for(reply))
            first = first or str(sent.id)
            if reply.exercise_id:
                ids.append(str(sent.id))
                if isinstance(event, DayPost):
                    await self._thread_for(sent, reply.title or reply.exercise_id)
        if isinstance(event, DayPost):
            return ids
        return ids or ([first] if first else [])

    async def _thread_for(self, post: discord.Message, title: str) -> None:
        try:
            await post.create_thread(name=clip(title.replace("`", ""), THREAD_NAME_MAX),
                                     auto_archive_duration=1440)
        except discord.HTTPException:
            log.warning("could not open a thread on drill post %s", post.id, exc_info=True)

    async def _channel(self, channel_id: str) -> Any:
        cid = int(channel_id)
        return self.get_channel(cid) or await self.fetch_channel(cid)

    async def _deliver_result(self, ev: SubmissionNotice) -> bool:
        """A verdict (or delay, or failure) of a submission: edit its "⏳ grading…"
        message in place. An edit notifies nobody, so a late verdict (:func:`is_late`)
        also pings the member once with a link to it; a prompt one does not (the
        member is still looking at it). False: there is no message to edit; post it
        instead."""
        ref = ev.status
        reply = render.event(ev)[0]
        if ref is None or not ref.message_id:
            if ref is not None and ref.private:
                return await self._dm(ev, reply)
            return False
        live = self._interactions.pop(ref.message_id, None)
        posted = live.created if live is not None else _posted_at(ref.message_id)
        if live is not None and discord.utils.utcnow() - live.created > INTERACTION_TTL:
            live = None
        try:
            if live is not None:
                await live.interaction.edit_original_response(
                    embed=reply_embed(reply), attachments=reply_files(reply),
                    allowed_mentions=discord.AllowedMentions.none())
                if isinstance(ev, DelayNotice):  # the verdict will edit it again
                    self._interactions[ref.message_id] = live
                if ref.private:
                    return True
            elif ref.message_id.startswith(INTERACTION_PREFIX):
                return await self._dm(ev, reply) if ref.private else False
            channel = await self._channel(ref.channel_id)
            msg = channel.get_partial_message(int(ref.message_id))
            if live is None:
                await msg.edit(embed=reply_embed(reply), attachments=reply_files(reply),
                               allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, ValueError):
            log.warning("could not edit the status of #%s", ev.submission_id, exc_info=True)
            return False
        if isinstance(ev, GradedNotice | CouldNotGradeNotice) and is_late(ev, posted):
            word = "graded" if isinstance(ev, GradedNotice) else "could not be graded"
            await channel.send(
                content=f"<@{ev.user_id}> #{ev.submission_id} `{ev.exercise_id}` {word}: "
                        f"{msg.jump_url}",
                allowed_mentions=mentions_for(Reply(mention=ev.user_id)))
        return True

    async def _deliver_progress(self, ev: GradingProgress) -> None:
        """A long grading's progress: edit its "⏳ grading…" message — quietly (an
        edit pings nobody), and only where that message can be edited; a
        progress update is never worth a new message."""
        ref = ev.status
        if ref is None or not ref.message_id:
            return
        embed = reply_embed(render.event(ev)[0])
        try:
            if ref.message_id.startswith(INTERACTION_PREFIX):
                live = self._interactions.get(ref.message_id)
                if live is not None and discord.utils.utcnow() - live.created < INTERACTION_TTL:
                    await live.interaction.edit_original_response(
                        embed=embed, allowed_mentions=discord.AllowedMentions.none())
                return
            channel = await self._channel(ref.channel_id)
            await channel.get_partial_message(int(ref.message_id)).edit(
                embed=embed, allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, ValueError):
            log.info("could not show the progress of #%s", ev.submission_id, exc_info=True)

    async def _dm_user(self, user_id: str, reply: Reply) -> bool:
        """A private message to a member (False: their DMs are closed to the bot)."""
        try:
            channel = await self.create_dm(discord.Object(id=int(user_id)))
            await channel.send(embed=reply_embed(reply),
                               allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, ValueError):
            log.warning("could not DM user %s", user_id, exc_info=True)
            return False
        return True

    async def _dm(self, ev: SubmissionNotice, reply: Reply) -> bool:
        """A private result whose form expired (or a restart): send it directly."""
        await self._dm_user(ev.user_id, reply)
        return True  # never publish a private result


def _posted_at(message_id: str) -> datetime | None:
    """When a status message was posted (a snowflake carries its time)."""
    return discord.utils.snowflake_time(int(message_id)) if message_id.isdigit() else None


def is_late(ev: GradedNotice | CouldNotGradeNotice, posted: datetime | None) -> bool:
    """A verdict is late when the member was told it would be (the grader was down:
    a "queued" notice came first), or when it comes :data:`LATE_VERDICT` or more after
    its "⏳ grading…" message was posted (unknown: not late). Only a late verdict
    pings its member besides editing that message."""
    if getattr(ev, "delayed", False):
        return True
    return posted is not None and discord.utils.utcnow() - posted >= LATE_VERDICT


def _where(interaction: discord.Interaction) -> Any:
    """The interaction's channel (a Thread when cached), else just its id."""
    return interaction.channel or discord.Object(interaction.channel_id or 0)


def _status_index(replies: list[Reply]) -> int:
    """Which reply replaces the form's "⏳ received…": the status message (or the
    refusal), not a side note such as "welcome, you joined"."""
    for i, r in enumerate(replies):
        if r.status_of is not None or r.level == "error":
            return i
    return max(len(replies) - 1, 0)


async def run_discord(runtime: Runtime, *, instructor_roles: Sequence[str] = (),
                      sync_commands: bool = True, **options: Any) -> None:
    """``torchdojo bot discord``: connect with ``DISCORD_TOKEN`` until stopped.
    ``options`` go to :class:`discord.Client` (``shard_id``/``shard_count`` to run one
    shard per process on a shared database)."""
    settings = runtime.settings
    settings.require("DISCORD_TOKEN")
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    client = DojoDiscord(runtime, instructor_roles=instructor_roles,
                         sync_commands=sync_commands, **options)
    async with client:
        await client.start(settings.discord_token or "")
