"""HTTP grader service (aiohttp): ``POST /v1/grade``, ``GET /v1/health``, ``GET /v1/exercises``.

Stateless apart from its warm pool, so replicas scale behind any load
balancer. Every answer is JSON, errors included (``{"error": MESSAGE, ...}``,
documented in the README): a body over the size limit is refused before it
is read (413), a malformed request says which field is wrong (400), an
unknown exercise suggests close ids (404), a full queue answers 503 with
``Retry-After``. A submission's own failures are never HTTP errors: they are
verdicts in a 200 result.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from grader.errors import PoolBusy, UnknownExercise
from grader.grading import Grader
from grader.limits import http_body_bytes

log = logging.getLogger("torchdojo.grader.service")
GRADER_KEY = web.AppKey("grader", Grader)
MAX_BODY_KEY = web.AppKey("max_body", int)
USAGE = 'the body must be a JSON object {"exercise": ID, "code": SOURCE}'


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
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[MAX_BODY_KEY]
        return _error(413, f"the request body is larger than {limit} bytes; submissions are "
                           f"limited to {grader.settings.max_code_kb} KB of code",
                      limit_bytes=limit)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, f"{USAGE}; it is not valid JSON ({str(exc)[:200]})")
    if not isinstance(data, dict):
        return _error(400, f"{USAGE}; got a JSON {type(data).__name__}")
    try:
        body = GradeRequest.model_validate(data)
    except ValidationError as exc:
        return _error(400, f"{USAGE}; {_explain(exc)}")
    try:
        result = await grader.grade(body.exercise, body.code)
    except UnknownExercise as exc:
        return _error(404, str(exc), suggestions=exc.suggestions)
    except PoolBusy as exc:
        return web.json_response({"error": str(exc), "retry_after": int(exc.retry_after)},
                                 status=503, headers={"Retry-After": str(int(exc.retry_after))})
    return web.json_response(result)


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


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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


def make_app(grader: Grader, max_body_kb: int | None = None) -> web.Application:
    limit = max_body_kb * 1024 if max_body_kb else http_body_bytes(grader.settings.max_code_kb)
    app = web.Application(client_max_size=limit, middlewares=[json_errors])
    app[GRADER_KEY] = grader
    app[MAX_BODY_KEY] = limit

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
