"""A small fake Discord (REST + gateway WebSocket) on aiohttp for adapter tests.

The real discord.py client connects to it (``DISCORD_API_BASE`` /
``DISCORD_GATEWAY_URL``). It answers the REST calls the bot makes with the
objects Discord would return, records each call (method, path, JSON payload,
uploaded files) for assertions, and lets a test push gateway events: READY and
GUILD_CREATE on identify, then MESSAGE_CREATE / MESSAGE_UPDATE /
INTERACTION_CREATE built from plain parameters. Only what the adapter uses is
modelled; anything else answers 404 and is recorded, so a surprise shows.

Discord's rules that decide who sees what are modelled too: a deferred ("thinking…")
response fixes the visibility of its first follow-up, whose own ephemeral flag is
ignored (:attr:`Call.shown_flags` is what Discord made of each message), and direct
messages reach the bot only when it asked for the DIRECT_MESSAGES intent.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = "900000000000000001"
DIRECT_MESSAGES = 1 << 12  # the gateway intent without which no DM reaches a bot
BOT_ID = APP_ID
DISCORD_EPOCH = 1420070400000
ALL_PERMS = str((1 << 41) - 1)


def _json(data: Any, status: int = 200) -> web.Response:
    """discord.py parses a body only for exactly ``application/json`` (no charset)."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json"})


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    #: The flags of the message this call made or changed, as Discord applied them
    #: (a deferral's first follow-up takes the deferral's, whatever it asked for).
    shown_flags: int | None = None

    @property
    def ephemeral(self) -> bool:
        """Only the asker sees the message this call made (as Discord showed it)."""
        return bool((self.shown_flags or 0) & 64)

    @property
    def embeds(self) -> list[dict[str, Any]]:
        data = self.json if isinstance(self.json, dict) else {}
        return data.get("embeds") or (data.get("data") or {}).get("embeds") or []

    @property
    def text(self) -> str:
        """Everything a member would read in this call (content, embeds)."""
        data = self.json if isinstance(self.json, dict) else {}
        inner = data.get("data") if isinstance(data.get("data"), dict) else data
        parts = [inner.get("content") or ""]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in e.get("fields", [])]
        return "\n".join(p for p in parts if p)


@dataclass
class User:
    id: str
    name: str
    roles: list[str] = field(default_factory=list)  # role ids
    permissions: int = 0  # guild-level, as an interaction reports it

    def payload(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.name, "global_name": self.name,
                "discriminator": "0", "avatar": None, "bot": False}

    def member(self) -> dict[str, Any]:
        return {"roles": self.roles, "joined_at": _now_iso(), "deaf": False, "mute": False,
                "flags": 0, "nick": None}


@dataclass
class Guild:
    id: str
    name: str
    channels: list[str]
    roles: dict[str, tuple[str, int]] = field(default_factory=dict)  # id → (name, perms)
    owner_id: str = "1"


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.guilds: list[Guild] = []
        self.cdn: dict[str, bytes] = {}
        self.downloads: dict[str, bytes] = {}  # what the bot fetched from the CDN
        self.identify: dict[str, Any] = {}  # the bot's IDENTIFY payload
        self.messages: dict[str, dict[str, Any]] = {}  # id → message payload
        self.channels: dict[str, dict[str, Any]] = {}
        self.dm_of: dict[str, str] = {}  # DM channel id → the user it reaches
        self.dms_closed: set[str] = set()  # users whose DMs refuse the bot
        self.commands: list[dict[str, Any]] = []
        self._originals: dict[str, dict[str, Any]] = {}  # interaction token → response
        self._token_channel: dict[str, str] = {}  # interaction token → channel id
        self._thinking: set[str] = set()  # tokens whose deferral awaits its first follow-up
        self._ids = itertools.count(1)
        self._seq = 0
        self._ws: web.WebSocketResponse | None = None
        self._identified = asyncio.Event()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- set-up ------------------------------------------------------------------

    def snowflake(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH
        return str((ms << 22) | (next(self._ids) & 0x3FFFFF))

    def add_guild(self, name: str, channels: list[str], roles: dict[str, int] | None = None
                  ) -> tuple[Guild, list[str], dict[str, str]]:
        """A guild with text channels (names) and roles (name → permission bits);
        returns the guild, its channel ids and role ids by name."""
        gid = self.snowflake()
        g = Guild(gid, name, [])
        g.roles[gid] = ("@everyone", 0)
        role_ids = {}
        for rname, perms in (roles or {}).items():
            rid = self.snowflake()
            g.roles[rid] = (rname, perms)
            role_ids[rname] = rid
        for i, cname in enumerate(channels):
            cid = self.snowflake()
            g.channels.append(cid)
            self.channels[cid] = {"id": cid, "type": 0, "guild_id": gid, "name": cname,
                                  "position": i, "permission_overwrites": [], "nsfw": False,
                                  "parent_id": None, "topic": None, "rate_limit_per_user": 0,
                                  "last_message_id": None, "flags": 0}
        self.guilds.append(g)
        return g, list(g.channels), role_ids

    def guild_of(self, channel_id: str) -> Guild:
        ch = self.channels[channel_id]
        return next(g for g in self.guilds if g.id == ch["guild_id"])

    # ---- server ------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/{name}", self._cdn)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- waiting for the bot -------------------------------------------------------------

    async def wait_for(self, pred: Callable[[Call], bool], *, after: int = 0,
                       timeout: float = 20.0) -> Call:
        """The first call (from index ``after``) that satisfies ``pred``."""
        async def find() -> Call:
            async with self._changed:
                while True:
                    for c in self.calls[after:]:
                        if pred(c):
                            return c
                    await self._changed.wait()
        return await asyncio.wait_for(find(), timeout)

    async def settle(self, quiet: float = 0.3) -> None:
        """Wait until the bot has made no call for ``quiet`` seconds."""
        n = -1
        while n != len(self.calls):
            n = len(self.calls)
            await asyncio.sleep(quiet)

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        return self.calls[mark:]

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # ---- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif data["op"] in (2, 6):
                self.identify = data["d"]
                await self._ready(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        await self.dispatch("READY", {
            "v": 10, "user": self.bot_user(), "guilds": [
                {"id": g.id, "unavailable": True} for g in self.guilds],
            "session_id": "fake-session", "resume_gateway_url": self.gateway_url,
            "application": {"id": APP_ID, "flags": 0}, "private_channels": [],
            "relationships": [], "user_settings": {},
        })
        for g in self.guilds:
            await self.dispatch("GUILD_CREATE", self.guild_payload(g))
        self._identified.set()

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self._ws is not None, "the bot is not connected"
        self._seq += 1
        await self._ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    def bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "username": "TorchDojo", "discriminator": "0", "avatar": None,
                "bot": True, "global_name": None, "verified": True, "mfa_enabled": False,
                "flags": 0}

    def guild_payload(self, g: Guild) -> dict[str, Any]:
        return {
            "id": g.id, "name": g.name, "icon": None, "owner_id": g.owner_id,
            "roles": [{"id": rid, "name": n, "permissions": str(p), "position": i,
                       "color": 0, "hoist": False, "managed": False, "mentionable": False,
                       "flags": 0} for i, (rid, (n, p)) in enumerate(g.roles.items())],
            "channels": [{k: v for k, v in self.channels[c].items() if k != "guild_id"}
                         for c in g.channels],
            "threads": [], "members": [], "voice_states": [], "presences": [],
            "member_count": 10, "large": False, "unavailable": False, "features": [],
            "emojis": [], "stickers": [], "joined_at": _now_iso(), "premium_tier": 0,
            "preferred_locale": "en-US", "verification_level": 0, "mfa_level": 0,
            "explicit_content_filter": 0, "default_message_notifications": 0,
            "system_channel_flags": 0, "nsfw_level": 0,
        }

    async def connected(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._identified.wait(), timeout)

    # ---- events a member causes ------------------------------------------------------------

    def _message(self, channel_id: str, author: dict[str, Any], content: str, *,
                 member: dict[str, Any] | None = None, reply_to: str | None = None,
                 attachments: list[dict[str, Any]] | None = None,
                 mid: str | None = None) -> dict[str, Any]:
        guild = self.guild_of(channel_id)
        msg: dict[str, Any] = {
            "id": mid or self.snowflake(), "channel_id": channel_id, "guild_id": guild.id,
            "author": author, "content": content, "timestamp": _now_iso(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": attachments or [],
            "embeds": [], "pinned": False, "type": 19 if reply_to else 0, "flags": 0,
            "components": [],
        }
        if member is not None:
            msg["member"] = member
        if reply_to:
            msg["message_reference"] = {"message_id": reply_to, "channel_id": channel_id,
                                        "guild_id": guild.id, "type": 0}
            msg["referenced_message"] = self.messages.get(reply_to)
        return msg

    def attachment(self, filename: str, data: bytes) -> dict[str, Any]:
        aid = self.snowflake()
        self.cdn[f"{aid}-{filename}"] = data
        url = f"{self.base}/cdn/{aid}-{filename}"
        kind = "text/x-python" if filename.endswith(".py") else (
            mimetypes.guess_type(filename)[0] or "application/octet-stream")
        if kind.startswith("text/"):
            kind += "; charset=utf-8"  # as Discord labels message.txt
        return {"id": aid, "filename": filename, "size": len(data), "url": url,
                "proxy_url": url, "content_type": kind}

    async def post(self, channel_id: str, user: User, content: str, *,
                   reply_to: str | None = None,
                   files: dict[str, bytes] | None = None) -> dict[str, Any]:
        """A member posts a message (MESSAGE_CREATE); returns its payload."""
        atts = [self.attachment(n, d) for n, d in (files or {}).items()]
        msg = self._message(channel_id, user.payload(), content, member=user.member(),
                            reply_to=reply_to, attachments=atts)
        self.messages[msg["id"]] = msg
        await self.dispatch("MESSAGE_CREATE", msg)
        return msg

    async def dm(self, user: User, content: str) -> dict[str, Any] | None:
        """A member writes to the bot directly (MESSAGE_CREATE in their DM channel, no
        guild). Discord sends it only to a bot with the DIRECT_MESSAGES intent: None
        when the bot did not ask for it."""
        cid = next((c for c, u in self.dm_of.items() if u == user.id), None) \
            or self.snowflake()
        self.dm_of[cid] = user.id
        msg = {"id": self.snowflake(), "channel_id": cid, "author": user.payload(),
               "content": content, "timestamp": _now_iso(), "edited_timestamp": None,
               "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
               "attachments": [], "embeds": [], "pinned": False, "type": 0, "flags": 0,
               "components": []}
        if not int(self.identify.get("intents") or 0) & DIRECT_MESSAGES:
            return None
        self.messages[msg["id"]] = msg
        await self.dispatch("MESSAGE_CREATE", msg)
        return msg

    async def edit(self, message_id: str, content: str) -> None:
        msg = self.messages[message_id]
        msg["content"] = content
        msg["edited_timestamp"] = _now_iso()
        await self.dispatch("MESSAGE_UPDATE", msg)

    def _interaction(self, itype: int, channel_id: str, user: User,
                     data: dict[str, Any], message: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
        guild = self.guild_of(channel_id)
        perms = user.permissions
        for rid in user.roles:
            perms |= guild.roles[rid][1]
        ch = self.channels[channel_id]
        payload: dict[str, Any] = {
            "id": self.snowflake(), "application_id": APP_ID, "type": itype, "data": data,
            "guild_id": guild.id, "channel_id": channel_id,
            "channel": dict(ch, permissions=str(perms)),
            "member": dict(user.member(), user=user.payload(), permissions=str(perms)),
            "token": f"tok-{next(self._ids)}", "version": 1, "app_permissions": ALL_PERMS,
            "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "authorizing_integration_owners": {"0": guild.id}, "context": 0,
        }
        if message is not None:
            payload["message"] = message
        self._token_channel[payload["token"]] = channel_id
        return payload

    async def slash(self, channel_id: str, user: User, sub: str, *,
                    focused: str | None = None, attachments: dict[str, bytes] | None = None,
                    **options: Any) -> dict[str, Any]:
        """``/dojo SUB option:value …`` (``focused``: an autocomplete request for it)."""
        types = {bool: 5, int: 4}
        opts = []
        resolved: dict[str, Any] = {}
        for name, value in options.items():
            opt = {"name": name, "type": types.get(type(value), 3), "value": value}
            if name == focused:
                opt["focused"] = True
            opts.append(opt)
        for name, data in (attachments or {}).items():
            att = self.attachment(name, data)
            resolved.setdefault("attachments", {})[att["id"]] = att
            opts.append({"name": "file", "type": 11, "value": att["id"]})
        data = {"id": self.command_id("dojo"), "name": "dojo", "type": 1,
                "options": [{"name": sub, "type": 1, "options": opts}]}
        if resolved:
            data["resolved"] = resolved
        payload = self._interaction(4 if focused else 2, channel_id, user, data)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def click(self, channel_id: str, user: User, message_id: str,
                    custom_id: str) -> dict[str, Any]:
        payload = self._interaction(3, channel_id, user,
                                    {"custom_id": custom_id, "component_type": 2},
                                    message=self.messages[message_id])
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def submit_modal(self, channel_id: str, user: User, modal: dict[str, Any],
                           values: dict[str, str]) -> dict[str, Any]:
        """Fill the modal the bot opened (its callback ``data``) with values by label."""
        comps = copy.deepcopy(modal["components"])

        def fill(node: Any, label: str | None = None) -> None:
            if isinstance(node, list):
                for n in node:
                    fill(n, label)
                return
            if not isinstance(node, dict):
                return
            label = node.get("label", label)
            if node.get("type") == 4:
                node["value"] = values.get(label or "", "")
                for k in ("label", "style", "placeholder", "max_length", "min_length",
                          "required"):
                    node.pop(k, None)
            fill(node.get("components", []), label)
            if "component" in node:
                fill(node["component"], label)

        fill(comps)
        payload = self._interaction(5, channel_id, user,
                                    {"custom_id": modal["custom_id"], "components": comps})
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def command_id(self, name: str) -> str:
        for c in self.commands:
            if c["name"] == name:
                return c["id"]
        return self.snowflake()

    # ---- REST ----------------------------------------------------------------------------------

    async def _cdn(self, request: web.Request) -> web.Response:
        data = self.cdn.get(request.match_info["name"])
        if data is not None:
            self.downloads[request.match_info["name"]] = data
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    async def _read(self, request: web.Request) -> tuple[Any, dict[str, bytes]]:
        files: dict[str, bytes] = {}
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files[part.filename or part.name or "?"] = await part.read()  # type: ignore[union-attr]
            return payload, files
        if request.can_read_body:
            text = await request.text()
            return (json.loads(text) if text else None), files
        return None, files

    def _bot_message(self, channel_id: str, payload: dict[str, Any], files: dict[str, bytes],
                     mid: str | None = None, flags: int = 0) -> dict[str, Any]:
        msg = self._message(channel_id, self.bot_user(), payload.get("content") or "", mid=mid)
        msg["embeds"] = payload.get("embeds") or []
        msg["components"] = payload.get("components") or []
        msg["attachments"] = [self.attachment(n, d) for n, d in files.items()]
        msg["flags"] = payload.get("flags", flags) or 0
        if payload.get("message_reference"):
            msg["message_reference"] = {k: str(v) if isinstance(v, int) and not
                                        isinstance(v, bool) else v
                                        for k, v in payload["message_reference"].items()}
            msg["type"] = 19
        return msg

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        payload, files = await self._read(request)
        call = Call(request.method, path, payload, files, dict(request.query))
        response = await self._answer(request.method, path, payload, files)
        if response.status < 300 and response.body:
            made = json.loads(response.body)  # type: ignore[arg-type]
            if isinstance(made, dict):
                made = (made.get("resource") or {}).get("message", made)
                if "flags" in made and "channel_id" in made:
                    call.shown_flags = int(made["flags"] or 0)
        await self._record(call)
        return response

    async def _answer(self, m: str, path: str, payload: Any,
                      files: dict[str, bytes]) -> web.Response:
        parts = path.strip("/").split("/")
        p = payload if isinstance(payload, dict) else {}
        if m == "GET" and path == "/users/@me":
            return _json(self.bot_user())
        if m == "GET" and path in ("/oauth2/applications/@me", "/applications/@me"):
            return _json({
                "id": APP_ID, "name": "TorchDojo", "description": "", "icon": None,
                "bot_public": True, "bot_require_code_grant": False,
                "owner": {"id": "1", "username": "owner", "discriminator": "0",
                          "avatar": None}, "verify_key": "0" * 64, "flags": 0})
        if m == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            self.commands = [dict(c, id=self.snowflake(), application_id=APP_ID, version="1")
                             for c in payload]
            return _json(self.commands)
        if parts[0] == "channels":
            return await self._channels(m, parts, p, files)
        if parts[0] == "interactions" and parts[-1] == "callback":
            return self._callback(parts, p, files)
        if parts[0] == "webhooks":
            return self._webhook(m, parts, p, files)
        if m == "POST" and path == "/users/@me/channels":  # Discord: one DM channel a user
            user = str(p.get("recipient_id"))
            cid = next((c for c, u in self.dm_of.items() if u == user), None) \
                or self.snowflake()
            self.dm_of[cid] = user
            return _json({"id": cid, "type": 1, "recipients": [
                {"id": p.get("recipient_id"), "username": "dm", "discriminator": "0",
                 "avatar": None}], "last_message_id": None})
        return _json({"message": "404: Not Found (fake)", "code": 0}, status=404)

    async def _channels(self, m: str, parts: list[str], p: dict[str, Any],
                        files: dict[str, bytes]) -> web.Response:
        cid = parts[1]
        if m == "GET" and len(parts) == 2:
            if cid in self.channels:
                return _json(self.channels[cid])
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        if m == "POST" and parts[2:] == ["typing"]:
            return web.Response(status=204)
        if m == "POST" and parts[2:] == ["messages"]:
            if self.dm_of.get(cid) in self.dms_closed:  # Discord: 50007
                return _json({"message": "Cannot send messages to this user", "code": 50007},
                             status=403)
            if cid in self.dm_of or cid not in self.channels:  # a DM channel (the 2nd too)
                self.channels[cid] = {"id": cid, "type": 1}
                msg = self._bot_message_dm(cid, p, files)
            else:
                msg = self._bot_message(cid, p, files)
            self.messages[msg["id"]] = msg
            return _json(msg)
        if len(parts) >= 4 and parts[2] == "messages":
            mid = parts[3]
            if m == "PATCH":
                msg = self.messages.get(mid) or self._bot_message(cid, {}, {}, mid=mid)
                for k in ("content", "embeds", "components"):
                    if k in p:
                        msg[k] = p[k]
                if files:
                    msg["attachments"] = [self.attachment(n, d) for n, d in files.items()]
                self.messages[mid] = msg
                return _json(msg)
            if m == "DELETE":
                self.messages.pop(mid, None)
                return web.Response(status=204)
            if m == "GET":
                return _json(self.messages[mid])
            if m == "POST" and parts[4:] == ["threads"]:
                guild = self.guild_of(cid)
                thread = {"id": mid, "type": 11, "guild_id": guild.id, "parent_id": cid,
                          "name": p.get("name", "thread"), "owner_id": BOT_ID,
                          "message_count": 0, "member_count": 1, "rate_limit_per_user": 0,
                          "flags": 0, "last_message_id": None,
                          "thread_metadata": {"archived": False, "locked": False,
                                              "auto_archive_duration":
                                                  p.get("auto_archive_duration", 1440),
                                              "archive_timestamp": _now_iso()}}
                self.channels[mid] = thread
                asyncio.get_running_loop().call_soon(
                    lambda: asyncio.ensure_future(
                        self.dispatch("THREAD_CREATE", dict(thread, newly_created=True))))
                return _json(thread)
        return _json({"message": "404: Not Found (fake)", "code": 0}, status=404)

    def _bot_message_dm(self, cid: str, p: dict[str, Any], files: dict[str, bytes]
                        ) -> dict[str, Any]:
        return {"id": self.snowflake(), "channel_id": cid, "author": self.bot_user(),
                "content": p.get("content") or "", "timestamp": _now_iso(),
                "edited_timestamp": None, "tts": False, "mention_everyone": False,
                "mentions": [], "mention_roles": [], "attachments": [],
                "embeds": p.get("embeds") or [], "pinned": False, "type": 0, "flags": 0,
                "components": []}

    def _callback(self, parts: list[str], p: dict[str, Any],
                  files: dict[str, bytes]) -> web.Response:
        iid, token = parts[1], parts[2]
        ctype = p.get("type")
        data = p.get("data") or {}
        inter: dict[str, Any] = {"id": iid, "type": 2}
        resource: dict[str, Any] = {"type": ctype}
        if ctype in (4, 5, 7):
            msg = self._bot_message(self._token_channel[token], data, files,
                                    flags=data.get("flags", 0) or 0)
            self.messages[msg["id"]] = msg
            self._originals[token] = msg
            if ctype == 5:
                self._thinking.add(token)
            inter.update(response_message_id=msg["id"],
                         response_message_loading=ctype == 5,
                         response_message_ephemeral=bool((data.get("flags") or 0) & 64))
            resource["message"] = msg
        return _json({"interaction": inter, "resource": resource})

    def _webhook(self, m: str, parts: list[str], p: dict[str, Any],
                 files: dict[str, bytes]) -> web.Response:
        token = parts[2]
        original = self._originals.get(token)
        channel_id = original["channel_id"] if original else self._token_channel[token]
        if len(parts) >= 5 and parts[3] == "messages":
            if original is None:
                return _json({"message": "Unknown Message", "code": 10008},
                                         status=404)
            if m == "DELETE":
                self._thinking.discard(token)
                self._originals.pop(token, None)
                self.messages.pop(original["id"], None)
                return web.Response(status=204)
            if m == "PATCH":
                self._thinking.discard(token)
                self._update(original, p, files)
            return _json(original)
        if token in self._thinking:
            # Discord: the first follow-up after a deferral becomes the "thinking…"
            # message, seen by whom the deferral said; its own ephemeral flag is ignored
            self._thinking.discard(token)
            self._update(original or {}, p, files)
            return _json(original)
        msg = self._bot_message(channel_id, p, files)
        self.messages[msg["id"]] = msg
        return _json(msg)

    def _update(self, msg: dict[str, Any], p: dict[str, Any], files: dict[str, bytes]) -> None:
        for k in ("content", "embeds", "components"):
            if k in p:
                msg[k] = p[k]
        if files:
            msg["attachments"] = [self.attachment(n, d) for n, d in files.items()]
