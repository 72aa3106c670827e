"""HTTP grader service (aiohttp): ``POST /v1/grade``, ``GET /v1/health``, ``GET /v1/exercises``.

Stateless apart from its warm pool, so replicas scale behind any load
balancer. Oversized bodies are refused by aiohttp before they are read
(413); a full queue answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from grader.errors import PoolBusy, UnknownExercise
from grader.grading import Grader

log = logging.getLogger("torchdojo.grader.service")
GRADER_KEY = web.AppKey("grader", Grader)


def _error(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


async def grade(request: web.Request) -> web.Response:
    grader = request.app[GRADER_KEY]
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "body must be JSON: {\"exercise\": ID, \"code\": SOURCE}")
    if not isinstance(body, dict) or not isinstance(body.get("exercise"), str) \
            or not isinstance(body.get("code"), str):
        return _error(400, "body must be JSON: {\"exercise\": ID, \"code\": SOURCE}")
    try:
        result = await grader.grade(body["exercise"], body["code"])
    except UnknownExercise as exc:
        return _error(404, str(exc), suggestions=exc.suggestions)
    except PoolBusy as exc:
        return web.json_response({"error": str(exc)}, status=503,
                                 headers={"Retry-After": str(int(exc.retry_after))})
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


def make_app(grader: Grader, max_body_kb: int | None = None) -> web.Application:
    limit = (max_body_kb or grader.settings.max_code_kb * 2 + 16) * 1024
    app = web.Application(client_max_size=limit)
    app[GRADER_KEY] = grader

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
