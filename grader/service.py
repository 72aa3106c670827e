"""HTTP grader service (aiohttp): ``POST /v1/grade``, ``GET /v1/health``, ``GET /v1/exercises``.

Stateless apart from its warm pool, so replicas scale behind any load
balancer. Every answer is JSON, errors included (``{"error": MESSAGE, ...}``,
documented in the README): a body over the size limit is refused before it
is read (413), a malformed request says which field is wrong (400), an
unknown exercise suggests close ids (404), a full queue answers 503 with
``Retry-After``. A submission's own failures are never HTTP errors: they are
verdicts in a 200 result.

Slow clients: a connection must send its request's headers within
:data:`~grader.limits.HTTP_HEADER_TIMEOUT_S` (also its idle time between
requests) and its body within :data:`~grader.limits.HTTP_BODY_TIMEOUT_S`
(else 408, and the connection is closed), so a client trickling bytes cannot
hold the service's connections and memory open. The other way round, what the
service writes (a JSON answer, each line of a stream) must leave its buffers
within :data:`~grader.limits.HTTP_WRITE_TIMEOUT_S`: a client that reads slower,
or not at all, is dropped (see :func:`_deliver`), and each connection's kernel
send buffer is fixed at :data:`~grader.limits.HTTP_SEND_BUFFER_BYTES`, so a
stalled client pins a bounded amount of memory for a bounded time.

Streaming: ``POST /v1/grade`` with ``Accept: application/x-ndjson`` answers
one JSON object per line — ``{"progress": {...}}`` lines as the grading goes
(data from the trusted side: stage, check index, total, kind), then one
``{"result": {...}}`` line. Every refusal (400, 404, 413, 503) is still a
status code: the stream only starts once the grader has taken the job (a job
refused after that ends it with an ``{"unavailable": ...}`` line instead). A
grading over within :data:`STREAM_AFTER_S` (every drill) is answered in one
plain JSON piece instead, and a running stream carries the newest report at
most every :data:`STREAM_EVERY_S`: see :func:`_grade_streamed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from grader.errors import PoolBusy, UnknownExercise
from grader.grading import Grader
from grader.limits import (
    HTTP_BODY_TIMEOUT_S,
    HTTP_HEADER_TIMEOUT_S,
    HTTP_SEND_BUFFER_BYTES,
    HTTP_WRITE_TIMEOUT_S,
    http_body_bytes,
)

log = logging.getLogger("torchdojo.grader.service")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
GRADER_KEY = web.AppKey("grader", Grader)
MAX_BODY_KEY = web.AppKey("max_body", int)
BODY_TIMEOUT_KEY = web.AppKey("body_timeout_s", float)
WRITE_TIMEOUT_KEY = web.AppKey("write_timeout_s", float)
#: How often :func:`_deliver` looks whether a slow client has taken what was written.
FLUSH_POLL_S = 0.05
USAGE = 'the body must be a JSON object {"exercise": ID, "code": SOURCE}'
NDJSON = "application/x-ndjson"
#: A streamed grading over within this many seconds of being taken is answered
#: as plain JSON (see :func:`_grade_streamed`).
STREAM_AFTER_S = 0.5
#: At most one progress line per this many seconds once a stream runs.
STREAM_EVERY_S = 0.25
STREAM_AFTER_KEY = web.AppKey("stream_after_s", float)


class GradeRequest(BaseModel):
    """The body of ``POST /v1/grade``: exactly these two strings."""

    model_config = ConfigDict(extra="forbid", strict=True)

    exercise: str
    code: str


def _error(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _explain(exc: ValidationError) -> str:
    """One line per wrong field: ``code: field required``."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "body"
        problems.append(f"{where}: {err['msg'][0].lower()}{err['msg'][1:]}")
    return "; ".join(problems)


async def grade(request: web.Request) -> web.Response:
    grader = request.app[GRADER_KEY]
    timeout = request.app[BODY_TIMEOUT_KEY]
    try:
        async with asyncio.timeout(timeout):
            raw = await request.read()
    except TimeoutError:  # trickled: the connection goes, with what it sent so far
        response = _error(408, f"the request body did not arrive within {timeout:g} s")
        response.force_close()
        return response
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[MAX_BODY_KEY]
        return _error(413, f"the request body is larger than {limit} bytes; submissions are "
                           f"limited to {grader.settings.max_code_kb} KB of code",
                      limit_bytes=limit)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, f"{USAGE}; it is not valid JSON ({str(exc)[:200]})")
    except RecursionError:  # [[[[…]]]] thousands deep: the request's fault, not ours
        return _error(400, f"{USAGE}; it is nested too deeply")
    if not isinstance(data, dict):
        return _error(400, f"{USAGE}; got a JSON {type(data).__name__}")
    try:
        body = GradeRequest.model_validate(data)
    except ValidationError as exc:
        return _error(400, f"{USAGE}; {_explain(exc)}")
    if NDJSON in request.headers.get("Accept", ""):
        return await _grade_streamed(request, grader, body)
    try:
        result = await grader.grade(body.exercise, body.code)
    except (UnknownExercise, PoolBusy) as exc:
        return _refused(exc)
    return web.json_response(result)


def _refused(exc: UnknownExercise | PoolBusy) -> web.Response:
    if isinstance(exc, UnknownExercise):
        return _error(404, str(exc), suggestions=exc.suggestions)
    return web.json_response({"error": str(exc), "retry_after": int(exc.retry_after)},
                             status=503, headers={"Retry-After": str(int(exc.retry_after))})


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj).encode() + b"\n"


async def _grade_streamed(request: web.Request, grader: Grader, body: GradeRequest
                          ) -> web.StreamResponse:
    """The NDJSON answer: progress lines, then the result line.

    The grading's first step either refuses the job (unknown exercise, full
    queue: raised before it awaits anything) or reports ``running``; nothing
    is sent before that step, so refusals keep their status codes. A job
    refused later, once the stream has begun (it waited for workers that then
    left service; a container back-end's container did not start), ends the
    stream with an ``{"unavailable": {"error", "retry_after"}}`` line: the
    503 it would have been, which clients retry like one.

    Progress is for long gradings. A grading over within
    :data:`STREAM_AFTER_S` of being taken (every drill) is answered as one
    plain JSON object: a stream would cost both sides a write and a wake-up
    per line for reports nobody shows. After that the stream starts, and
    carries the newest report at most every :data:`STREAM_EVERY_S` (a report
    not yet sent is replaced by a newer one: each says where the grading is
    now). A client that goes away mid-stream does not stop the grading
    (cancelling it would cost a worker); its lines are just not sent.
    """
    latest: list[dict[str, Any]] = []  # the newest report not sent yet
    reported = asyncio.Event()

    def note(report: dict[str, Any]) -> None:
        latest[:] = [report]
        reported.set()

    task = asyncio.create_task(grader.grade(body.exercise, body.code, progress=note))
    first = asyncio.create_task(reported.wait())
    await asyncio.wait({task, first}, return_when=asyncio.FIRST_COMPLETED)
    first.cancel()
    await asyncio.wait({task}, timeout=request.app[STREAM_AFTER_KEY])
    if task.done():  # no stream: the answer a plain request gets
        exc = task.exception()
        if isinstance(exc, UnknownExercise | PoolBusy):  # (also when refused after
            return _refused(exc)                         # `running`: a job still queued)
        return web.json_response(task.result())  # a failure: a 500, as without streaming
    response = web.StreamResponse(headers={"Content-Type": f"{NDJSON}; charset=utf-8",
                                           "Cache-Control": "no-store"})
    # A client gone already, or too slow to take a line (dropped): the grading
    # still ends, and nothing more is written.
    connected = await _deliver(request, lambda: response.prepare(request))

    async def send(obj: dict[str, Any]) -> None:
        nonlocal connected
        if connected:
            connected = await _deliver(request, lambda: response.write(_line(obj)))

    while not task.done():
        if latest:
            await send({"progress": latest.pop()})
        await asyncio.wait({task}, timeout=STREAM_EVERY_S)
    try:
        result = task.result()
    except PoolBusy as exc:  # refused after the stream began: no verdict, the 503's line
        await send({"unavailable": {"error": str(exc), "retry_after": int(exc.retry_after)}})
    except Exception:
        log.exception("internal error grading %s (streamed)", body.exercise)
        await send({"error": "internal error in the grader service; it has been logged"})
    else:
        await send({"result": result})
    if connected:
        await _deliver(request, response.write_eof)
    return response


async def _deliver(request: web.Request, write: Callable[[], Awaitable[object]]) -> bool:
    """Runs ``write`` (a write to ``request``'s connection), then waits until its bytes
    have left this process (the kernel took them), all within the app's write timeout.

    aiohttp has no such timeout: a write waits for a client that does not read
    for ever, holding the handler, the connection and the bytes (and asyncio
    keeps a closed connection open until its buffer drains, so even a finished
    answer stayed). A client that misses the deadline is dropped: the
    connection is aborted, which frees its buffer and wakes any write waiting
    on it, and is reset (``SO_LINGER`` 0), so the kernel drops what it had taken
    too instead of trying to deliver it. True when the bytes left; False when
    the client is gone or dropped.
    """
    timeout = request.app[WRITE_TIMEOUT_KEY]
    transport = request.transport
    try:
        async with asyncio.timeout(timeout):
            await write()
            while transport is not None and transport.get_write_buffer_size():
                await asyncio.sleep(FLUSH_POLL_S)
    except TimeoutError:
        log.warning("dropped a client that did not read the answer to %s %s within %g s",
                    request.method, request.path, timeout)
        if transport is not None:
            sock = transport.get_extra_info("socket")
            with contextlib.suppress(OSError, AttributeError):  # a reset, not a FIN after
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,  # the kernel's buffer
                                struct.pack("ii", 1, 0))
            transport.abort()
        return False
    except (ConnectionError, RuntimeError):  # gone already (aiohttp: RuntimeError after eof)
        return False
    return transport is not None


@web.middleware
async def write_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer is written under :func:`_deliver`'s deadline.

    aiohttp writes a returned response after the middlewares, without a
    deadline; it is written here instead (aiohttp then finds it sent). A
    streamed answer has written itself the same way already. The kernel's
    send buffer is fixed first (see :data:`~grader.limits.HTTP_SEND_BUFFER_BYTES`).
    """
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, HTTP_SEND_BUFFER_BYTES)
    response = await handler(request)
    if not response.prepared:
        async def send() -> None:
            await response.prepare(request)
            await response.write_eof()

        delivered = await _deliver(request, send)
        if delivered and response.status == 408 and request.transport is not None:
            # a body that did not arrive in time: aiohttp would go on reading it for
            # its lingering time (10 s) before closing, the trickler's connection held
            request.transport.close()
    return response


async def health(request: web.Request) -> web.Response:
    info = request.app[GRADER_KEY].health()
    return web.json_response(info, status=200 if info["status"] == "ok" else 503)


async def exercises(request: web.Request) -> web.Response:
    grader = request.app[GRADER_KEY]
    items = [
        {"id": e.id, "title": e.title, "week": e.week, "kind": e.kind.value,
         "max_score": e.max_score, "time_limit_min": e.time_limit_min, "device": e.device}
        for e in grader.curriculum.ordered()
    ]
    return web.json_response({"exercises": items})




@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown paths, wrong methods and unexpected failures answer JSON too."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.reason if exc.status != 404 else f"no such endpoint: {request.path}"
        extra = {"allowed": sorted(exc.allowed_methods)} \
            if isinstance(exc, web.HTTPMethodNotAllowed) else {}
        return _error(exc.status, message, **extra)
    except Exception:
        log.exception("internal error answering %s %s", request.method, request.path)
        return _error(500, "internal error in the grader service; it has been logged")


def make_app(grader: Grader, max_body_kb: int | None = None, *,
             stream_after_s: float = STREAM_AFTER_S,
             header_timeout_s: float = HTTP_HEADER_TIMEOUT_S,
             body_timeout_s: float = HTTP_BODY_TIMEOUT_S,
             write_timeout_s: float = HTTP_WRITE_TIMEOUT_S) -> web.Application:
    """``stream_after_s``: see :data:`STREAM_AFTER_S` (tests stream every grading);
    the timeouts: see the module docstring (tests shorten them)."""
    limit = max_body_kb * 1024 if max_body_kb else http_body_bytes(grader.settings.max_code_kb)
    # handler_args override the runner's (web.run_app's keep-alive is 75 s).
    app = web.Application(client_max_size=limit, middlewares=[write_deadline, json_errors],
                          handler_args={"keepalive_timeout": header_timeout_s})
    app[GRADER_KEY] = grader
    app[MAX_BODY_KEY] = limit
    app[BODY_TIMEOUT_KEY] = body_timeout_s
    app[STREAM_AFTER_KEY] = stream_after_s
    app[WRITE_TIMEOUT_KEY] = write_timeout_s

    async def on_startup(app: web.Application) -> None:
        await app[GRADER_KEY].start()

    async def on_cleanup(app: web.Application) -> None:
        await app[GRADER_KEY].close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.add_routes([
        web.post("/v1/grade", grade),
        web.get("/v1/health", health),
        web.get("/v1/exercises", exercises),
    ])
    return app
