"""The dashboard's ASGI app: routes, sessions, security headers, error pages.

``create_app(dojo, site)`` binds the app to one core (the same ``Dojo`` the
bot uses, or one of its own over the same database) and one site (public
address and secret). The app holds no state of its own beyond that, so any
number of replicas can run behind a load balancer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.core.clock import Clock
from bot.core.errors import DatabaseUnavailable, DojoError, NotAllowed, NotFound
from bot.core.insights import Insights
from bot.core.signin import SESSION_TTL, DashboardSite, SignIns
from bot.dashboard import actions, pages
from bot.dashboard.auth import NoAccess
from bot.dashboard.render import HERE, code_css, templates

SESSION_COOKIE = "torchdojo_dashboard"
# No script at all, nothing from elsewhere, never framed, forms post only here.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
MAX_BODY = 64 * 1024  # the largest form is a few fields


class SecurityHeaders:
    """Headers every response carries (pure ASGI: no body buffering)."""

    HEADERS = (
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        # sign-in links carry a token in their path: never send it to another
        # site ("no-referrer" would also blank the Origin of our own form posts)
        (b"referrer-policy", b"same-origin"),
        (b"cache-control", b"no-store"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in self.HEADERS if k not in names)]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _message(request: Request, status: int, title: str, message: str,
                   hint: str | None = None) -> Response:
    return await pages.render(request, "message.html", status, title=title, message=message,
                              hint=hint, grants=[])


async def _no_access(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NoAccess)
    hours = int(SESSION_TTL.total_seconds() // 3600)
    return await _message(
        request, 403, "No access to this cohort",
        "This browser is not signed in to that cohort." if exc.signed_in else
        f"This browser's sign-in has ended: a session lasts {hours} hours, and signing "
        "out ends it." if exc.ended else
        "This browser is not signed in.",
        "In the cohort's channel, an instructor types /dojo dashboard for a sign-in link.")


async def _dojo_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DojoError)
    status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, NotAllowed) else 400
    return await _message(request, status, "Not found" if status == 404 else "Refused",
                          exc.message, exc.hint)


async def _unavailable(request: Request, exc: Exception) -> Response:
    """The database is down or restarting: a page that says so (503, retry
    shortly) instead of a server error; a form posted now changed nothing."""
    response = await _message(
        request, 503, "Database unreachable",
        "The dashboard cannot reach its database right now, so nothing was shown or "
        "changed.", "Reload the page in a minute.")
    response.headers["Retry-After"] = "30"
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {403: "Refused", 404: "Not found", 405: "Not allowed", 413: "Too large"}
    return await _message(request, exc.status_code, titles.get(exc.status_code, "Error"),
                          str(exc.detail))


async def _code_css(request: Request) -> Response:
    return Response(request.app.state.code_css, media_type="text/css",
                    headers={"Cache-Control": "public, max-age=3600"})


async def _health(request: Request) -> Response:
    return PlainTextResponse("ok")


class RowId(Convertor[int]):
    """A database row id in a path: at most 18 digits, so it fits the 64-bit integer
    columns (``/members/99999999999999999999999`` is a 404, not a server error)."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("rowid", RowId())


def routes() -> list[Route | Mount]:
    cohort = "/c/{cohort_id:rowid}"
    get: list[tuple[str, Callable[[Request], Awaitable[Response]]]] = [
        ("/", pages.home),
        ("/signin/{token}", pages.signin_page),
        (cohort + "/", pages.overview),
        (cohort + "/exercises/{exercise_id}", pages.exercise),
        (cohort + "/members/{member_id:rowid}", pages.member),
        (cohort + "/submissions/{submission_id:rowid}", pages.submission),
        (cohort + "/challenges", pages.challenges),
        (cohort + "/schedule", pages.schedule),
        (cohort + "/export", pages.export),
        (cohort + "/export/submissions.csv", pages.export_submissions),
        (cohort + "/export/members.csv", pages.export_members),
        ("/static/code.css", _code_css),
        ("/healthz", _health),
    ]
    post: list[tuple[str, Callable[[Request], Awaitable[Response]]]] = [
        ("/signin/{token}", actions.signin),
        ("/signout", actions.signout),
        (cohort + "/schedule/pause", actions.pause),
        (cohort + "/schedule/resume", actions.resume),
        (cohort + "/challenges/open", actions.open_challenge),
        (cohort + "/submissions/{submission_id:rowid}/regrade", actions.regrade),
    ]
    return [
        *(Route(path, fn, methods=["GET"]) for path, fn in get),
        *(Route(path, fn, methods=["POST"]) for path, fn in post),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(dojo: Any, site: DashboardSite, *, clock: Clock | None = None) -> Starlette:
    """The dashboard over ``dojo``; ``clock`` times sign-ins (default: real time)."""
    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(GZipMiddleware, minimum_size=2048),
            Middleware(SessionMiddleware, secret_key=site.secret, session_cookie=SESSION_COOKIE,
                       max_age=int(SESSION_TTL.total_seconds()), same_site="lax",
                       https_only=site.secure),
        ],
        exception_handlers={NoAccess: _no_access, DojoError: _dojo_error,
                            HTTPException: _http_error, DatabaseUnavailable: _unavailable},
        max_body_size=MAX_BODY,
    )
    app.state.dojo = dojo
    app.state.site = site
    app.state.insights = Insights(dojo)
    app.state.signins = SignIns(dojo.db, site.secret, clock)
    app.state.templates = templates()
    app.state.code_css = code_css()
    return app
