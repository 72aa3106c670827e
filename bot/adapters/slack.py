"""Slack adapter on slack-bolt (async): a thin translator between Slack and the
platform-neutral chat layer (see the contract in :mod:`bot.chat`).

What it translates, and nothing more:

* ``/dojo …`` slash commands → :class:`~bot.chat.Incoming` (role from Slack:
  workspace admins/owners, ``SLACK_INSTRUCTORS`` user ids or members of the
  ``SLACK_INSTRUCTOR_GROUP`` user group are instructors). ``/dojo submit``
  without code opens a modal.
* Messages with a code block (or an uploaded ``.py`` snippet, or a long paste
  sent as a text snippet) in a drill post's thread → a submission for that drill
  (``reply_to`` = the thread); a direct message is told where code goes.
* Buttons on drill posts: "Full prompt" (a modal) and "Submit" (a modal).
* ``app_home_opened`` → the App Home tab (streak, progress, standing, next).
* Core events (day posts, results, notices) → Block Kit messages
  (:class:`SlackOutbox`). A submission's "grading…" message is updated in place
  (``chat.update``) when its verdict arrives through the core's notices, also
  after a restart; challenge submissions are private (ephemeral) — the cohort
  sees results when the window closes. The chat layer makes those decisions.

One module for one platform on purpose (~1,000 lines): Block Kit layout, the
Bolt listeners, the Web API calls and App Home share Slack's types and size
limits; no decision is made here (the chat layer makes them).

Slack's rules are honoured here: every listener acknowledges first and works
after (the 3-second deadline), blocks and texts are clipped to Slack's sizes
with "…", 429s are retried after ``Retry-After`` by slack_sdk's retry
handler, and everything not written by us is escaped (``&``, ``<``, ``>``)
so learner output can never become ``<!channel>``, ``<!here>`` or a mention.
"""

from __future__ import annotations

import asyncio
import collections
import importlib
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import render
from bot.chat.extract import MAX_CODE_BYTES, Attachment, looks_like_code
from bot.chat.handler import ChatHandler, Incoming
from bot.chat.parser import Command, parse
from bot.chat.replies import Reply, VerdictParts
from bot.chat.safe import display_name, plain, render_marked
from bot.config import ConfigError, Settings
from bot.core.errors import DojoError
from bot.core.types import (
    ChallengeOpened,
    CouldNotGradeNotice,
    DayPost,
    DelayNotice,
    Event,
    GradedNotice,
    GradingProgress,
    ReviewNudge,
    Role,
    StatusRef,
    StreakReminder,
    SubmissionNotice,
)
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"  # Bolt's default (docs/configuration.md)

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks)
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
FALLBACK_TEXT = 3000  # the notification text; Slack truncates past 40k anyway
MODAL_TITLE = 24
INPUT_MAX = 3000  # plain_text_input max_length
USER_CACHE_S = 300.0
#: Where a member who wrote to the app directly is sent: no cohort is reached from a DM.
DM_POINTER = ("👋 I don't read direct messages, and nothing sent here is graded. In your "
              "cohort's channel, submit with `/dojo submit ID` and your code in a code "
              "block, or post the code block in the drill's thread; `/dojo help` lists "
              "every command.")

DAY_ICON = {"passed": "🟩", "missed": "🟥", "frozen": "🧊", "open": "⬜", "future": "▫️",
            "before": "▫️", "paused": "⏸️", "rest": "💤"}


# ---- configuration ---------------------------------------------------------------------

@dataclass(frozen=True)
class SlackConfig:
    """The Slack settings of one process. ``app_token`` set → Socket Mode."""

    bot_token: str
    signing_secret: str = ""
    app_token: str | None = None
    api_url: str = "https://slack.com/api/"
    port: int = 8080
    instructors: frozenset[str] = frozenset()
    instructor_group: str | None = None

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @classmethod
    def from_settings(cls, settings: Settings, env: dict[str, str] | None = None) -> SlackConfig:
        """Validate at start: HTTP mode needs the signing secret, Socket Mode an
        ``xapp-`` token; instructors come from ``SLACK_INSTRUCTORS`` (comma-separated
        user ids) and ``SLACK_INSTRUCTOR_GROUP`` (a user group id, ``S…``)."""
        env = dict(os.environ if env is None else env)
        if not settings.slack_bot_token:
            raise ConfigError("missing setting: SLACK_BOT_TOKEN (the xoxb-… bot token)")
        if not settings.slack_app_token and not settings.slack_signing_secret:
            raise ConfigError(
                "missing setting: SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN "
                "(Socket Mode)")
        if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-…)")
        users = frozenset(u.strip() for u in env.get("SLACK_INSTRUCTORS", "").split(",")
                          if u.strip())
        bad = [u for u in users if not re.fullmatch(r"[UW][A-Z0-9]+", u)]
        if bad:
            raise ConfigError(f"SLACK_INSTRUCTORS: {', '.join(bad)} are not Slack user ids "
                              "(U…/W…)")
        group = env.get("SLACK_INSTRUCTOR_GROUP", "").strip() or None
        if group and not re.fullmatch(r"S[A-Z0-9]+", group):
            raise ConfigError(f"SLACK_INSTRUCTOR_GROUP: {group!r} is not a user group id (S…)")
        return cls(settings.slack_bot_token, settings.slack_signing_secret or "",
                   settings.slack_app_token, settings.slack_api_url, settings.port,
                   users, group)


def web_client(token: str, api_url: str) -> AsyncWebClient:
    """The Web API client: ``SLACK_API_URL`` as base, 429s waited out (Retry-After),
    connection resets and 5xx retried a few times."""
    return AsyncWebClient(
        token=token,
        base_url=api_url,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


# ---- text and Block Kit ------------------------------------------------------------------

def clip(text: str, limit: int) -> str:
    """Fit Slack's size limits, marking the cut with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack's control characters: whatever is escaped can never be a mention,
    a ``<!channel>``/``<!here>`` or a link, whatever learner output contains."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack sends ``<``, ``>``, ``&`` in message and command text as entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _our_mrkdwn(text: str) -> str:
    text = escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
    return re.sub(r"^#{1,6}\s+(.+)$", r"*\1*", text, flags=re.M)


def mrkdwn(text: str) -> str:
    """Neutral reply text (Markdown-ish) → escaped Slack mrkdwn; learner pieces
    become inline code (no links, no formatting, no mentions)."""
    return render_marked(text, trusted=_our_mrkdwn, inert=lambda p: f"`{escape(p)}`")


def chunks(text: str, size: int = SECTION_TEXT) -> list[str]:
    """Split at line ends into pieces Slack accepts, without breaking a code fence."""
    out: list[str] = []
    cur = ""
    fence = False
    for line in text.split("\n"):
        piece = line if len(line) <= size - 8 else clip(line, size - 8)
        if cur and len(cur) + len(piece) + 1 > size - 4:
            out.append(cur + ("\n```" if fence else ""))
            cur = "```" if fence else ""
        cur = f"{cur}\n{piece}" if cur else piece
        if line.count("```") % 2:
            fence = not fence
    if cur.strip():
        out.append(cur + ("\n```" if fence else ""))
    return out


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT)}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_TEXT)}]}


def code_section(code: str) -> dict[str, Any]:
    return section("```" + clip(escape(code), SECTION_TEXT - 8) + "```")


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value[:2000],
                         "text": {"type": "plain_text", "text": clip(text, 75), "emoji": True}}
    if style:
        b["style"] = style
    return b


def exercise_buttons(exercise_id: str) -> dict[str, Any]:
    """"Full prompt" (a modal) and "Submit" (a form) under a drill or challenge."""
    return {"type": "actions", "block_id": f"ex:{exercise_id}", "elements": [
        button("📖 Full prompt", "dojo_prompt", exercise_id),
        button("📤 Submit", "dojo_submit_open", exercise_id, "primary")]}


def reply_blocks(reply: Reply, mention: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """A neutral reply as (notification text, blocks), inside Slack's limits."""
    who = f"<@{mention}> " if mention and re.fullmatch(r"[A-Z0-9]+", mention) else ""
    blocks: list[dict[str, Any]] = []
    head = mrkdwn(reply.title) if reply.title else ""
    body = mrkdwn(reply.text) if reply.text else ""
    if head:
        blocks.append(section(who + f"*{head}*"))
        who = ""
    for i, piece in enumerate(chunks(body) if body else []):
        blocks.append(section((who if i == 0 else "") + piece))
        who = ""
    if who:
        blocks.append(section(who.strip()))
    if reply.fields:
        fields = [{"type": "mrkdwn",
                   "text": clip(f"*{mrkdwn(k)}*\n{mrkdwn(v) or '—'}", FIELD_TEXT)}
                  for k, v in reply.fields[:MAX_FIELDS]]
        blocks.append({"type": "section", "fields": fields})
    if reply.table is not None:
        blocks.append(code_section(reply.table.as_text()))
    if reply.code:
        blocks.append(code_section(reply.code))
    room = MESSAGE_BLOCKS - 2  # drill posts add their points line and buttons
    if len(blocks) > room:
        blocks = [*blocks[: room - 1], context("… (more than Slack shows at once)")]
    fallback = reply.as_text().replace("**", "*")
    ping = f"<@{mention}> " if mention and re.fullmatch(r"[A-Z0-9]+", mention) else ""
    text = clip(ping + escape(fallback), FALLBACK_TEXT)
    return text, blocks


def verdict_blocks(parts: VerdictParts, user_id: str) -> tuple[str, list[dict[str, Any]]]:
    """A verdict: status line, notes, the cause, every check ✓/✗ with its teaching
    message, score and streak, and (when it failed) the clipped, defused output."""
    blocks = [section(f"<@{user_id}> *{escape(parts.icon + ' ' + parts.headline)}*")]
    notes = list(parts.notes)
    if parts.explanation:
        notes.append(mrkdwn(parts.explanation))
    if notes:
        blocks.append(section("\n".join(escape(n) if n in parts.notes else n for n in notes)))
    if parts.cause:
        blocks.append(code_section(parts.cause))
    lines = [f"{'✓' if c.passed else '✗'} `{escape(c.id)}` ({escape(c.kind)})"
             + (f": {mrkdwn(c.message)}" if c.message else "")
             for c in parts.checks[:30]]
    if len(parts.checks) > 30:
        lines.append(f"… and {len(parts.checks) - 30} more checks")
    if parts.folded:
        lines.append(escape(parts.folded))
    for piece in chunks("\n".join(lines))[:10]:
        blocks.append(section(piece))
    blocks.append(context(escape(" · ".join(parts.facts))))
    if parts.tips:
        blocks.append(section("\n".join(mrkdwn(tip) for tip in parts.tips)))
    if parts.output:
        blocks.append(code_section(parts.output))
    text = clip(f"<@{user_id}> " + escape(parts.icon + " " + parts.headline), FALLBACK_TEXT)
    return text, blocks


def md_prompt(prompt: str) -> list[dict[str, Any]]:
    """An exercise prompt (Markdown) as modal sections."""
    return [section(piece) for piece in chunks(mrkdwn(prompt))][: VIEW_BLOCKS - 4]


def submit_view(exercise_id: str, channel: str, thread_ts: str | None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "dojo_submit",
        "title": {"type": "plain_text", "text": "Submit a solution"},
        "submit": {"type": "plain_text", "text": "Grade it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"channel": channel, "thread_ts": thread_ts}),
        "blocks": [
            {"type": "input", "block_id": "exercise",
             "label": {"type": "plain_text", "text": "Exercise id"},
             "element": {"type": "plain_text_input", "action_id": "value", "max_length": 20,
                         **({"initial_value": exercise_id} if exercise_id else {}),
                         "placeholder": {"type": "plain_text", "text": "e.g. 1.1.1"}}},
            {"type": "input", "block_id": "code",
             "label": {"type": "plain_text", "text": "Your code"},
             "hint": {"type": "plain_text", "text": "Challenge submissions stay private until "
                                                     "the window closes. Longer code: /dojo "
                                                     "submit ID with the code block after it "
                                                     "(private too), or for a drill a .py "
                                                     "snippet in its thread."},
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                         "max_length": INPUT_MAX}},
        ],
    }


# ---- where a reply goes ----------------------------------------------------------------------

@dataclass
class Where:
    channel: str
    user: str
    thread_ts: str | None = None
    private: bool = False  # everything ephemeral (challenge submissions)
    respond: Callable[..., Awaitable[Any]] | None = None  # slash-command response_url


def status_ref(where: Where, ts: str | None, private: bool) -> StatusRef:
    """Where a "grading…" message is, for the verdict to find it (also after a
    restart): the channel and thread (``C123/1700000000.000100``) and the
    message's ts (None for an ephemeral message, which cannot be edited)."""
    place = where.channel + (f"/{where.thread_ts}" if where.thread_ts else "")
    return StatusRef(place, ts, private)


def status_place(ref: StatusRef) -> tuple[str, str | None]:
    channel, _, thread = ref.channel_id.partition("/")
    return channel, thread or None


@dataclass
class _User:
    name: str
    admin: bool
    at: float


class SlackOutbox:
    """Delivers core events as Block Kit (``Outbox`` of :mod:`bot.core.types`)."""

    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    async def deliver(self, event: Event) -> list[str]:
        bot = self.bot
        channel = event.target.channel_id
        if isinstance(event, GradingProgress):
            await bot.deliver_progress(event)
            return []
        if isinstance(event, GradedNotice | DelayNotice | CouldNotGradeNotice):
            return await bot.deliver_result(event)
        if isinstance(event, ReviewNudge):
            text, blocks = reply_blocks(render.event(event)[0])
            try:
                await bot.post_dm(event.user_id, text, blocks)
            except SlackApiError:  # no DM allowed: say it where only they see it
                log.info("could not DM %s; nudging in the channel", event.user_id)
                await bot.post_ephemeral(channel, event.user_id, text, blocks)
            return []
        if isinstance(event, StreakReminder):
            text, blocks = reply_blocks(render.event(event)[0], event.user_id)
            await bot.post_ephemeral(channel, event.user_id, text, blocks)
            return []
        ids: list[str] = []
        first: str | None = None
        items = {it.id: it for it in getattr(event, "items", [])}
        for reply in render.event(event):
            text, blocks = reply_blocks(reply)
            if reply.exercise_id:
                it = items.get(reply.exercise_id) or getattr(event, "item", None)
                due = ""
                if isinstance(event, DayPost):
                    due = (f"⏰ counts for your streak until the end of "
                           f"{event.local_date:%a %d %b} (your time zone, else {event.target.tz})")
                elif isinstance(event, ChallengeOpened):
                    due = (f"⏰ window closes {render.local(event.closes_at, event.target.tz)} "
                           f"({event.target.tz})")
                pts = f"🎯 {it.max_score} points" if it is not None else ""
                blocks.append(context(" · ".join(x for x in (pts, due) if x)))
                blocks.append(exercise_buttons(reply.exercise_id))
            ts = await bot.post(channel, text, blocks)
            if reply.exercise_id:
                ids.append(ts)
            first = first or ts
        if not isinstance(event, DayPost) and not ids and first:
            ids.append(first)
        return ids


class SlackBot:
    """One Bolt app bound to a :class:`Runtime`."""

    def __init__(self, runtime: Runtime, config: SlackConfig,
                 client: AsyncWebClient | None = None) -> None:
        self.rt = runtime
        self.config = config
        self.client = client or web_client(config.bot_token, config.api_url)
        self.handler = ChatHandler(runtime.dojo)
        self.outbox = SlackOutbox(self)
        self.delivery: asyncio.Task[None] | None = None
        self._users: dict[str, _User] = {}
        self._refreshing: set[str] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._group: tuple[float, frozenset[str]] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._api_session: aiohttp.ClientSession | None = None  # the Web API client's
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.scheduler: Any = None
        self.app = AsyncApp(  # the token comes with the client
            signing_secret=config.signing_secret,
            client=self.client,
            name="torchdojo",
        )
        self._register()

    # ---- Bolt listeners: ack first, work after --------------------------------------------

    def _register(self) -> None:
        app = self.app
        app.command("/dojo")(self.on_command)
        app.action("dojo_prompt")(self.on_prompt_button)
        app.action("dojo_submit_open")(self.on_submit_button)
        app.view("dojo_submit")(self.on_submit_view)
        app.event("app_home_opened")(self.on_home)
        app.event("message")(self.on_message)
        app.error(self.on_error)

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack listener failed: %s", error, exc_info=error)

    async def on_command(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        # Acknowledged first; nothing after it holds the event loop (pictures are
        # drawn on a thread of their own), so Bolt sends the answer at once.
        await ack()
        uid, channel = command["user_id"], command["channel_id"]
        text = unescape(command.get("text") or "").strip()
        where = Where(channel, uid, respond=respond)
        try:
            parsed = parse("/dojo " + text)
            if isinstance(parsed, Command) and parsed.verb == "submit" and "```" not in text:
                ex_id = parsed.args[0] if parsed.args else ""
                await self.client.views_open(trigger_id=command["trigger_id"],
                                             view=submit_view(ex_id, channel, None))
                return
            name, role = await self.identity(uid)
            msg = Incoming(PLATFORM, channel, uid, name, "/dojo " + text, role)
            await self.send(await self.handler.handle(msg), where)
        except Exception:
            log.exception("/dojo %s failed", text[:100])
            await self._apologize(where)

    async def on_message(self, event: dict[str, Any], body: dict[str, Any],
                         context: dict[str, Any]) -> None:
        """Thread replies with code (or a .py snippet) submit for the drill posted there;
        a message that mentions the bot is shown the way to talk to it."""
        subtype = event.get("subtype")
        if subtype == "message_changed":
            await self.on_message_edit(event, body)
            return
        if event.get("bot_id") or subtype not in (None, "file_share", "thread_broadcast"):
            return
        if self._redelivered(str(body.get("event_id") or "")):
            return
        uid, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
        if not uid or not channel or not ts:
            return
        if event.get("channel_type") == "im":
            await self._point_from_direct_message(channel)
            return
        bot_uid = context.get("bot_user_id")
        if bot_uid and f"<@{bot_uid}>" in (event.get("text") or "") \
                and event.get("thread_ts") in (None, ts):
            await self._point_to_the_command(event, channel, uid)
            return
        await self._thread_message(event, channel, uid, ts)

    async def _point_to_the_command(self, event: dict[str, Any], channel: str,
                                    uid: str) -> None:
        """``@TorchDojo help`` in a channel: on Slack the bot answers its slash command
        (a mention went unanswered; on Discord it is a command)."""
        words = re.sub(r"<@[A-Z0-9]+>", " ", unescape(event.get("text") or "")).split()
        verb = words[0].lower().lstrip("/") if words else ""
        try_this = f"/dojo {verb}" if verb and verb.isalpha() and len(verb) <= 12 \
            else "/dojo help"
        try:
            await self.post_ephemeral(channel, uid, f"👋 On Slack I answer the /dojo command: "
                                                    f"try {try_this}.", None)
        except Exception:
            log.exception("could not answer a mention")

    async def _point_from_direct_message(self, channel: str) -> None:
        """A message in the member's DM with the app: no cohort is reached from there
        (nothing is graded), so they are shown where their code goes."""
        try:
            await self.post(channel, DM_POINTER, None)
        except SlackApiError:
            log.info("could not answer a direct message in %s", channel)

    async def on_message_edit(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """An edited thread reply, as on Discord: a submission edited within
        :data:`EDIT_REGRADE_WINDOW` of being posted is graded again and its verdict
        replaces the old one in the same status message; a reply that made no
        submission (no code block yet, a file it could not read) is handled as a
        new message, so the member fixes it by editing, without pasting again."""
        new, old = event.get("message") or {}, event.get("previous_message") or {}
        channel = event.get("channel")
        uid, ts = new.get("user"), new.get("ts")
        if (new.get("bot_id") or not uid or not channel or not ts
                or (new.get("text") or "") == (old.get("text") or "")
                or self._redelivered(str(body.get("event_id") or ""))):
            return
        edited = (new.get("edited") or {}).get("ts") or event.get("event_ts") or event.get("ts")
        try:
            age = timedelta(seconds=float(edited) - float(ts))
        except (TypeError, ValueError):
            return
        await self._thread_message({**new, "channel": channel}, channel, uid, ts, edited=age)

    async def _thread_message(self, event: dict[str, Any], channel: str, uid: str, ts: str,
                              edited: timedelta | None = None) -> None:
        """A message in a channel: code replying in a drill post's thread is a
        submission; ``edited`` (how long after posting) for an edited one."""
        text = unescape(event.get("text") or "")
        thread = event.get("thread_ts")
        reply_to = thread if thread and thread != ts else None
        code = "```" in text or looks_like_code(text)
        files = [f for f in event.get("files") or [] if not _is_media(f)]
        if reply_to is None or not (files or code):
            return  # conversation, not a submission (code without a block is told how)
        where = Where(channel, uid, thread_ts=reply_to)
        try:
            attachments = [a for a in [await self._attachment(f) for f in files] if a]
            if not (attachments or code):
                return  # a long question or a log pasted as a snippet: conversation
            name, _ = await self.identity(uid, need_role=False)
            msg = Incoming(PLATFORM, channel, uid, name, text, Role.member,
                           attachments, reply_to, ts, public=True)
            status = None
            if edited is not None:
                plan = await self.handler.edit_plan(msg, edited)
                if not plan.handle:
                    await self.send(list(plan.replies), where)
                    return
                status = plan.status
            await self.send(await self.handler.handle(msg), where, status)
        except Exception:
            log.exception("message submission failed")
            await self._apologize(where)

    def _redelivered(self, event_id: str) -> bool:
        """Slack redelivers an event it thinks was missed; a submission counts once."""
        if not event_id:
            return False
        if event_id in self._seen:
            return True
        self._seen[event_id] = None
        while len(self._seen) > 2000:
            self._seen.popitem(last=False)
        return False

    async def on_prompt_button(self, ack: Any, body: dict[str, Any],
                               action: dict[str, Any]) -> None:
        await ack()
        uid = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id", "")
        ex_id = action.get("value", "")
        msg = Incoming(PLATFORM, channel, uid, uid, "")
        reply = await self.handler.prompt(msg, ex_id)
        if reply.exercise_id:
            blocks = md_prompt(reply.text)
        else:
            blocks = [section(mrkdwn(reply.text))]
        await self.client.views_open(trigger_id=body["trigger_id"], view={
            "type": "modal",
            "title": {"type": "plain_text", "text": clip(f"Exercise {ex_id}", MODAL_TITLE)},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": blocks[:VIEW_BLOCKS],
        })

    async def on_submit_button(self, ack: Any, body: dict[str, Any],
                               action: dict[str, Any]) -> None:
        await ack()
        channel = (body.get("channel") or {}).get("id", "")
        thread = (body.get("message") or {}).get("ts")
        await self.client.views_open(
            trigger_id=body["trigger_id"],
            view=submit_view(action.get("value", ""), channel, thread))

    async def on_submit_view(self, ack: Any, body: dict[str, Any],
                             view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        ex_id = (values["exercise"]["value"].get("value") or "").strip()
        code = values["code"]["value"].get("value") or ""
        problem = self.handler.unknown_exercise(ex_id) if ex_id else "Which exercise?"
        if problem:
            await ack(response_action="errors",
                      errors={"exercise": clip(problem[:1].upper() + problem[1:], 150)})
            return
        await ack()
        meta = json.loads(view.get("private_metadata") or "{}")
        uid = body["user"]["id"]
        where = Where(meta.get("channel", ""), uid, thread_ts=meta.get("thread_ts"),
                      private=self.handler.private_exercise(ex_id))
        try:
            name, _ = await self.identity(uid, need_role=False)
            form = Attachment("submission.py", code.encode("utf-8"), pasted=True)
            msg = Incoming(PLATFORM, where.channel, uid, name, f"/dojo submit {ex_id}",
                           Role.member, [form])
            await self.send(await self.handler.handle(msg), where)
        except Exception:
            log.exception("modal submission failed")
            await self._apologize(where)

    async def on_home(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        uid = event["user"]
        await self.client.views_publish(user_id=uid, view={
            "type": "home", "blocks": (await self.home_blocks(uid))[:VIEW_BLOCKS]})

    # ---- App Home -----------------------------------------------------------------------------

    async def home_blocks(self, uid: str) -> list[dict[str, Any]]:
        """Streak, progress, standing and next items for each cohort (channel) the
        member belongs to."""
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": "🥋 TorchDojo"}}]
        cards = await self.handler.home_cards(PLATFORM, uid)
        if not cards:
            blocks.append(section("You're not in a cohort yet. In your study channel, type "
                                  "`/dojo cohort join`; `/dojo help` lists every command."))
            return blocks
        for card in cards:
            st = card.streak
            blocks.append({"type": "divider"})
            blocks.append(section(f"*{mrkdwn(display_name(card.cohort_name))}* in "
                                  f"<#{card.channel_id}> — day {card.day}"))
            blocks.append({"type": "section", "fields": [
                {"type": "mrkdwn", "text": f"*Streak*\n🔥 {st.current} days (best {st.best}), "
                                           f"{st.freezes} freeze{'s' if st.freezes != 1 else ''}"},
                {"type": "mrkdwn", "text": f"*Points*\n{card.points}"},
                {"type": "mrkdwn", "text": f"*Standing*\n{escape(card.standing)}"},
                {"type": "mrkdwn", "text": "*Today*\n" + (
                    "✅ done" if st.today_passed
                    else f"open, {card.hours_left_today:.0f}h left")},
            ]})
            weeks = [f"w{n} " + "".join(DAY_ICON.get(state, "▫️") for state in row)
                     for n, row in enumerate(card.week_rows, 1)]
            if weeks:
                blocks.append(section("*Progress*\n" + "\n".join(weeks[-8:])))
                blocks.append(context("🟩 passed · 🟥 missed · 🧊 frozen · ⬜ still open · "
                                      "⏸️ paused · 💤 rest day"))
            lines = [mrkdwn(render.item_line(i)) for i in card.next_items[:8]]
            blocks.append(section("*Next*\n" + ("\n".join(lines) if lines
                                                 else "All done for today 🎉")))
        return blocks

    # ---- replies --------------------------------------------------------------------------------

    async def send(self, replies: list[Reply], where: Where,
                   status: StatusRef | None = None) -> None:
        """``status``: the status message of the submission an edited message made,
        which the new "⏳ grading…" replaces."""
        for reply in replies:
            if reply.status_of is not None:
                await self._status_message(reply, where, status)
                continue
            text, blocks = reply_blocks(reply, reply.mention)
            private = reply.private or where.private or reply.takedown
            if reply.exercise_id:
                blocks.append(exercise_buttons(reply.exercise_id))
            if private:
                await self.post_ephemeral(where.channel, where.user, text, blocks,
                                          where.thread_ts, where.respond)
            else:
                await self.post(where.channel, text, blocks, where.thread_ts, where.respond)
            for f in [*reply.images, *reply.files]:
                await self.upload(where.channel if not private else None, where.user,
                                  f.filename, f.data, where.thread_ts)

    async def _status_message(self, reply: Reply, where: Where,
                              previous: StatusRef | None = None) -> None:
        """Post "⏳ grading…" (or put it in the status message of the edited
        submission) and tell the chat layer where it is: the verdict, delivered
        through the notices, replaces it in place (private ones cannot be edited on
        Slack; their verdict comes as a new private message)."""
        private = reply.private or where.private
        text, blocks = reply_blocks(reply, reply.mention)
        ts: str | None = None
        if previous is not None and previous.message_id and not previous.private \
                and not private:
            channel, _ = status_place(previous)
            try:
                await self.call("chat_update", channel=channel, ts=previous.message_id,
                                 text=text, blocks=blocks)
            except SlackApiError:
                log.warning("could not reuse the status message of an edited submission")
            else:
                await self.handler.status_posted(reply, previous)
                return
        try:
            if private:
                await self.post_ephemeral(where.channel, where.user, text, blocks,
                                          where.thread_ts, where.respond)
            else:
                ts = await self.post(where.channel, text, blocks, where.thread_ts,
                                     where.respond) or None
        finally:
            thread = where.thread_ts or ts
            await self.handler.status_posted(
                reply, status_ref(Where(where.channel, where.user, thread), ts, private))

    async def deliver_result(self, ev: SubmissionNotice) -> list[str]:
        reply = render.event(ev)[0]
        if reply.verdict is not None:
            text, blocks = verdict_blocks(reply.verdict, ev.user_id)
        else:
            text, blocks = reply_blocks(reply, ev.user_id)
        ref = ev.status
        if ref is None:  # no status message was posted: say it in the channel
            return [await self.post(ev.target.channel_id, text, blocks)]
        channel, thread = status_place(ref)
        if ref.private:
            await self.post_ephemeral(channel, ev.user_id, text, blocks, thread)
            return []
        if not ref.message_id:
            return [await self.post(channel, text, blocks, thread)]
        await self.call("chat_update", channel=channel, ts=ref.message_id, text=text,
                        blocks=blocks)
        if isinstance(ev, GradedNotice) and ev.delayed:
            # An edit notifies nobody: tell the member their result is in.
            await self.post(channel, clip(f"<@{ev.user_id}> " + escape(plain(
                reply.verdict.headline if reply.verdict else reply.text)) + " (result above)",
                FALLBACK_TEXT), None, thread)
        return [ref.message_id]

    async def deliver_progress(self, ev: GradingProgress) -> None:
        """A long grading's progress: update its "⏳ grading…" message in place
        (an ephemeral one cannot be updated: it stays as it is)."""
        ref = ev.status
        if ref is None or ref.private or not ref.message_id:
            return
        channel, _ = status_place(ref)
        text, blocks = reply_blocks(render.event(ev)[0])
        try:
            await self.call("chat_update", channel=channel, ts=ref.message_id, text=text,
                            blocks=blocks)
        except SlackApiError:
            log.info("could not show the progress of #%s", ev.submission_id, exc_info=True)

    # ---- Web API --------------------------------------------------------------------------------

    async def call(self, method: str, **kwargs: Any) -> Any:
        return await getattr(self.client, method)(**kwargs)

    async def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None,
                   thread_ts: str | None = None,
                   respond: Callable[..., Awaitable[Any]] | None = None) -> str:
        """chat.postMessage without link/mention expansion; ``respond`` (a slash
        command's response_url) covers channels the bot was not invited to."""
        kw: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False,
                              "unfurl_media": False}
        if blocks:
            kw["blocks"] = blocks
        if thread_ts:
            kw["thread_ts"] = thread_ts
        try:
            resp = await self.client.chat_postMessage(**kw)
        except SlackApiError as exc:
            if respond is not None and exc.response.get("error") in (
                    "not_in_channel", "channel_not_found"):
                await respond(text=text, blocks=blocks, response_type="in_channel")
                return ""
            raise
        return str(resp.get("ts") or "")

    async def post_ephemeral(self, channel: str, user: str, text: str,
                             blocks: list[dict[str, Any]] | None, thread_ts: str | None = None,
                             respond: Callable[..., Awaitable[Any]] | None = None) -> None:
        if respond is not None and not thread_ts:
            await respond(text=text, blocks=blocks, response_type="ephemeral")
            return
        kw: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if blocks:
            kw["blocks"] = blocks
        if thread_ts:
            kw["thread_ts"] = thread_ts
        await self.client.chat_postEphemeral(**kw)

    async def post_dm(self, user: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        """A private message in the member's DM with the app (``im:write``)."""
        dm = await self.client.conversations_open(users=user)
        await self.post(dm["channel"]["id"], text, blocks)

    async def upload(self, channel: str | None, user: str, filename: str, data: bytes,
                     thread_ts: str | None = None) -> None:
        """Pictures go to the channel; private files (exports) to the user's DM."""
        if channel is None:
            dm = await self.client.conversations_open(users=user)
            channel, thread_ts = dm["channel"]["id"], None
        kw: dict[str, Any] = {"channel": channel, "filename": filename, "content": data,
                              "title": filename}
        if thread_ts:
            kw["thread_ts"] = thread_ts
        await self.client.files_upload_v2(**kw)

    async def _attachment(self, f: dict[str, Any]) -> Attachment | None:
        """A file of a thread reply for the chat layer: a Python file or snippet; text
        pasted as a snippet (Slack's offer for a long message) or a plain-text file,
        marked ``pasted`` and read as the message's text would be — None when it holds
        neither a code block nor code (a long question, a log: conversation); any other
        file empty, for the chat layer to say what it reads."""
        if _is_python(f):
            return await self.download(f)
        if not _is_pasted_text(f):
            return Attachment(str(f.get("name") or f.get("title") or "file"), b"")
        att = await self.download(f, pasted=True)
        if len(att.data) > MAX_CODE_BYTES or b"\0" in att.data:
            return att  # too large, or not UTF-8 (UTF-16): the chat layer refuses it
        try:
            body = att.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return att
        return att if "```" in body or looks_like_code(body) else None

    async def download(self, f: dict[str, Any], *, pasted: bool = False) -> Attachment:
        """Fetch an uploaded snippet (an oversized one is reported from its size, not
        read whole: at most the code limit + 1 byte is read). The bot token is only
        sent to Slack's own hosts."""
        name = f.get("name") or ("message.txt" if pasted else "snippet.py")
        if not pasted and not name.lower().endswith(".py"):
            name += ".py"
        size = int(f.get("size") or 0)
        if size > MAX_CODE_BYTES:
            return Attachment(name, b"\0" * min(size, 16 * MAX_CODE_BYTES), pasted=pasted)
        url = f.get("url_private_download") or f.get("url_private") or ""
        host = urlsplit(url).hostname or ""
        api_host = urlsplit(self.config.api_url).hostname or ""
        if not (host == api_host or host == "slack.com" or host.endswith(".slack.com")):
            raise DojoError("that file is not on Slack")
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        async with self._http.get(url, headers={
                "Authorization": f"Bearer {self.config.bot_token}"}) as resp:
            resp.raise_for_status()
            data = await resp.content.read(MAX_CODE_BYTES + 1)
        return Attachment(name, data, pasted=pasted)

    async def identity(self, uid: str, need_role: bool = True) -> tuple[str, Role]:
        """Display name and neutral role: workspace admins/owners and configured
        instructors (users or a user group) instruct. Cached for five minutes;
        after that the known answer is used while a fresh one is fetched beside
        the command (a member's command does not wait for ``users.info`` again)."""
        u = self._users.get(uid)
        if u is None:
            u = self._users[uid] = await self._user_info(uid)
        elif time.monotonic() - u.at > USER_CACHE_S and uid not in self._refreshing:
            self._refreshing.add(uid)
            task = asyncio.get_running_loop().create_task(self._refresh_user(uid))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        if not need_role:
            return u.name, Role.member
        if u.admin:
            return u.name, Role.admin
        if uid in self.config.instructors or uid in await self.group_members():
            return u.name, Role.instructor
        return u.name, Role.member

    async def _user_info(self, uid: str) -> _User:
        now = time.monotonic()
        try:
            info = (await self.client.users_info(user=uid))["user"]
        except SlackApiError:
            log.warning("users.info failed for %s", uid, exc_info=True)
            return _User(uid, False, now)
        prof = info.get("profile") or {}
        name = (prof.get("display_name") or prof.get("real_name")
                or info.get("real_name") or info.get("name") or uid)
        return _User(name, bool(info.get("is_admin") or info.get("is_owner")), now)

    async def _refresh_user(self, uid: str) -> None:
        try:
            self._users[uid] = await self._user_info(uid)
        finally:
            self._refreshing.discard(uid)

    async def group_members(self) -> frozenset[str]:
        group = self.config.instructor_group
        if not group:
            return frozenset()
        now = time.monotonic()
        if self._group is None or now - self._group[0] > USER_CACHE_S:
            try:
                resp = await self.client.usergroups_users_list(usergroup=group)
                self._group = (now, frozenset(resp.get("users") or []))
            except SlackApiError:
                log.warning("usergroups.users.list failed for %s", group, exc_info=True)
                return self._group[1] if self._group else frozenset()
        return self._group[1]

    async def _apologize(self, where: Where) -> None:
        try:
            await self.post_ephemeral(where.channel, where.user,
                                      "Something went wrong on my side; try again. If it keeps "
                                      "happening, tell an instructor.", None, where.thread_ts,
                                      where.respond)
        except Exception:
            log.exception("could not even apologize")

    # ---- running ---------------------------------------------------------------------------------

    def web_app(self) -> web.Application:
        """Bolt's aiohttp application serving ``/slack/events`` (HTTP mode)."""
        return self.app.web_app(path=EVENTS_PATH, port=self.config.port)

    def _keep_alive(self) -> None:
        """One HTTP session (kept-alive connections) for every Web API call:
        without one, slack_sdk opens and closes a session and a connection per
        call — three or four per submission."""
        if self.client.session is None or self.client.session.closed:
            self._api_session = self.client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.client.timeout))

    def start_delivery(self) -> None:
        """Deliver verdicts (the core's notices) while serving."""
        self._keep_alive()
        if self.delivery is None:
            self.delivery = self.rt.deliver_forever(PLATFORM, self.outbox)

    async def start_scheduler(self) -> None:
        """Scheduled posts (daily drills, windows, reminders, grading retries)."""
        self.start_delivery()
        self.scheduler = self.rt.scheduler(self.outbox)
        await self.scheduler.start()

    async def serve_http(self, host: str = "0.0.0.0", port: int | None = None) -> web.AppRunner:
        self.start_delivery()
        runner = web.AppRunner(self.web_app())
        await runner.setup()
        await web.TCPSite(runner, host, self.config.port if port is None else port).start()
        return runner

    async def connect_socket_mode(self) -> Any:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        self.start_delivery()
        handler = AsyncSocketModeHandler(self.app, self.config.app_token)
        await handler.connect_async()
        return handler

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.delivery is not None:
            self.delivery.cancel()
        if self._http is not None:
            await self._http.close()
        if self._api_session is not None:
            await self._api_session.close()
            self._api_session = None


def _is_python(f: dict[str, Any]) -> bool:
    name = str(f.get("name") or "").lower()
    return name.endswith(".py") or f.get("filetype") == "python"


def _is_pasted_text(f: dict[str, Any]) -> bool:
    """A text snippet (what Slack makes of a message too long to send) or a plain-text
    file."""
    name = str(f.get("name") or "").lower()
    return (f.get("filetype") in ("text", "auto") or name.endswith(".txt")
            or str(f.get("mimetype") or "").startswith("text/plain"))


def _is_media(f: dict[str, Any]) -> bool:
    """A picture, video or sound: in a drill's thread that is conversation."""
    kind = str(f.get("mimetype") or "").split("/")[0]
    return kind in ("image", "video", "audio") or str(f.get("name") or "").lower().endswith(
        (".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".mp4", ".mov", ".mp3", ".wav"))


async def run_slack(rt: Runtime, config: SlackConfig, host: str = "0.0.0.0",
                    stop: asyncio.Event | None = None) -> None:
    """``torchdojo bot slack``: serve HTTP (``/slack/events`` on ``PORT``) or connect
    in Socket Mode, start the scheduler, and run until ``stop`` is set."""
    bot = SlackBot(rt, config)
    stop = stop or asyncio.Event()
    # matplotlib's import takes seconds on a busy host: pay it off the event loop
    await asyncio.to_thread(importlib.import_module, "bot.chat.pictures")
    runner = handler = None
    try:
        if config.socket_mode:
            handler = await bot.connect_socket_mode()
            log.warning("TorchDojo Slack bot connected (Socket Mode)")
        else:
            runner = await bot.serve_http(host)
            log.warning("TorchDojo Slack bot listening on http://%s:%s%s", host, config.port,
                        EVENTS_PATH)
        await bot.start_scheduler()
        await stop.wait()
    finally:
        if handler is not None:
            await handler.close_async()
        if runner is not None:
            await runner.cleanup()
        await bot.close()


__all__ = ["SlackBot", "SlackConfig", "SlackOutbox", "run_slack"]
