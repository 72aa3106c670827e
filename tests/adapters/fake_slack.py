"""A local fake of the Slack Web API (and of Socket Mode's WebSocket) on aiohttp.

The real slack_sdk/slack-bolt clients talk to it through ``SLACK_API_URL``.
Every call is recorded (method, arguments, headers) so tests can assert what
the bot said, where, and in which order; ``fail_next`` makes a method answer
an HTTP error once (e.g. 429 with ``Retry-After``). Uploaded files, snippet
downloads (``url_private_download``), ``response_url`` posts and Socket Mode
envelopes are served here too.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    result: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    def text_all(self) -> str:
        """Everything the call would show a user (text and blocks), for searching."""
        return json.dumps({k: self.args.get(k) for k in ("text", "blocks", "view")},
                          ensure_ascii=False)


@dataclass
class FakeSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    ws_received: list[dict[str, Any]] = field(default_factory=list)
    fail_next: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    #: seconds a Web API method takes to answer (a slow Slack)
    delays: dict[str, float] = field(default_factory=dict)
    url: str = ""

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._ws_out: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._runner: web.AppRunner | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.add_routes([
            web.route("*", "/api/{method}", self.api),
            web.get("/files/{name}", self.file),
            web.post("/upload/{fid}", self.upload),
            web.post("/respond/{rid}", self.respond),
            web.get("/ws", self.ws),
        ])
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- recording -----------------------------------------------------------------------

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    async def wait_for(self, method: str, pred: Any = None, timeout: float = 20.0,
                       after: int = 0) -> Call:
        """The first successful ``method`` call (from index ``after``) matching ``pred``."""
        def find() -> Call | None:
            for c in self.calls[after:]:
                if c.method == method and c.status == 200 and (pred is None or pred(c)):
                    return c
            return None

        async def wait() -> Call:
            async with self._changed:
                while (hit := find()) is None:
                    await self._changed.wait()
                return hit

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            seen = [(c.method, c.args.get("text", "")[:80]) for c in self.calls[after:]]
            raise AssertionError(f"no {method} call matched; calls: {seen}") from None

    # ---- handlers -----------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                args.update(await request.json())
            elif ctype == "application/x-www-form-urlencoded":
                args.update(dict(parse_qsl(await request.text())))
            elif ctype.startswith("multipart/"):
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        headers = {k: v for k, v in request.headers.items()}
        fails = self.fail_next.get(method)
        if fails:
            status, extra = fails.pop(0)
            await self._record(Call(method, args, headers, status))
            return web.json_response({"ok": False, "error": "ratelimited"}, status=status,
                                     headers=extra)
        body = self.answer(method, args)
        await self._record(Call(method, args, headers, 200, body))
        return web.json_response(body)

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return {**ok, "url": "https://dojo.example/", "team": "Dojo", "user": "torchdojo",
                    "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            return {**ok, "channel": args.get("channel"), "ts": ts,
                    "message": {"text": args.get("text"), "ts": ts}}
        if method == "chat.update":
            return {**ok, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "chat.postEphemeral":
            return {**ok, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method in ("views.open", "views.publish", "views.update"):
            return {**ok, "view": {"id": "V1", **(args.get("view") or {})}}
        if method == "users.info":
            uid = args.get("user", "")
            user = {"id": uid, "name": uid.lower(), "is_admin": False, "is_owner": False,
                    "profile": {"display_name": uid.title()}}
            user.update(self.users.get(uid, {}))
            return {**ok, "user": user}
        if method == "usergroups.users.list":
            return {**ok, "users": self.groups.get(args.get("usergroup", ""), [])}
        if method == "conversations.open":
            return {**ok, "channel": {"id": "D" + str(args.get("users", "X"))}}
        if method == "files.getUploadURLExternal":
            fid = f"F{next(self._ts)}"
            return {**ok, "upload_url": f"{self.url}upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            files = json.loads(args.get("files", "[]")) if isinstance(args.get("files"), str) \
                else args.get("files", [])
            return {**ok, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method == "files.info":
            return {**ok, "file": {"id": args.get("file"), "name": "upload"}}
        if method == "apps.connections.open":
            return {**ok, "url": self.url.replace("http://", "ws://") + "ws"}
        return ok

    async def file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        await self._record(Call("GET /files", {"name": name}, dict(request.headers)))
        if request.headers.get("Authorization") != "Bearer xoxb-test":
            return web.Response(status=403)
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type="text/plain")

    async def upload(self, request: web.Request) -> web.Response:
        fid = request.match_info["fid"]
        self.uploads[fid] = await request.read()
        await self._record(Call("POST /upload", {"file_id": fid}, dict(request.headers)))
        return web.Response(text="OK")

    async def respond(self, request: web.Request) -> web.Response:
        args = await request.json()
        await self._record(Call("response_url", args, dict(request.headers)))
        return web.Response(text="ok")

    async def ws(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, send queued envelopes, record what comes back."""
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        await sock.send_json({"type": "hello", "num_connections": 1,
                              "connection_info": {"app_id": "A1"}})

        async def pump() -> None:
            while True:
                await sock.send_json(await self._ws_out.get())

        sender = asyncio.create_task(pump())
        try:
            async for msg in sock:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    self.ws_received.append(data)
                    await self._record(Call("ws ack", data, {}))
        finally:
            sender.cancel()
        return sock

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        await self._ws_out.put(envelope)


# ---- signed requests as Slack sends them -----------------------------------------------------

def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def post_signed(url: str, body: str, content_type: str, secret: str, *,
                      timestamp: int | None = None, sign: bool = True,
                      bad: bool = False) -> tuple[int, str, float]:
    """POST like Slack does: ``X-Slack-Signature`` over ``v0:timestamp:body``.
    Returns (status, body, seconds until the response)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"Content-Type": content_type}
    if sign:
        headers["X-Slack-Request-Timestamp"] = ts
        headers["X-Slack-Signature"] = signature("wrong" if bad else secret, ts, body)
    t0 = time.monotonic()
    async with aiohttp.ClientSession() as s, s.post(url, data=body.encode(),
                                                    headers=headers) as resp:
        return resp.status, await resp.text(), time.monotonic() - t0


def command_body(text: str, user: str, channel: str, response_url: str,
                 trigger: str = "trig1") -> str:
    return urlencode({"token": "legacy", "team_id": "T1", "team_domain": "dojo",
                      "channel_id": channel, "channel_name": "study", "user_id": user,
                      "user_name": user.lower(), "command": "/dojo", "text": text,
                      "api_app_id": "A1", "response_url": response_url,
                      "trigger_id": trigger})


def event_body(event: dict[str, Any], event_id: str = "Ev1") -> str:
    return json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1",
                       "type": "event_callback", "event_id": event_id,
                       "event_time": int(time.time()), "event": event,
                       "authorizations": [{"team_id": "T1", "user_id": "UBOT",
                                           "is_bot": True}]})


def payload_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})
