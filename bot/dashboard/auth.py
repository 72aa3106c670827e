"""Who may see what, checked on the server for every page and every action.

The browser's session cookie (Starlette's ``SessionMiddleware``: signed,
HttpOnly, SameSite=Lax, Secure behind HTTPS) holds only the ids of the
sessions it signed in to and a CSRF token. The ids are worth nothing on their
own: each request asks the core which of them are still live
(``SignIns.grants``), and a cohort page is served only if one of them grants
*that* cohort.

CSRF: every POST goes through :func:`checked_form`, which compares the form's
``csrf`` field with the session's token in constant time (the synchronizer
token pattern) and refuses cross-site requests the browser labels as such
(``Origin``, ``Sec-Fetch-Site``). A small home-made check on purpose: the
session already exists, and a double-submit middleware would add a second
cookie without adding protection.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from bot.core.signin import MAX_SESSIONS_PER_BROWSER, Grant, SignIns

SESSION_KEY = "sessions"
CSRF_KEY = "csrf"


class NoAccess(Exception):
    """The browser holds no live session for this cohort. ``signed_in``: it
    holds one for another cohort; ``ended``: it holds none live, but its
    cookie still names sessions (they expired, or were signed out elsewhere)."""

    def __init__(self, signed_in: bool, ended: bool = False) -> None:
        super().__init__("no access to this cohort")
        self.signed_in = signed_in
        self.ended = ended


def session_ids(request: Request) -> list[str]:
    ids = request.session.get(SESSION_KEY)
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


async def grants(request: Request) -> list[Grant]:
    """This browser's live sessions (asked once per request)."""
    cached = getattr(request.state, "grants", None)
    if cached is None:
        signins: SignIns = request.app.state.signins
        cached = request.state.grants = await signins.grants(session_ids(request))
    return list(cached)


async def grant_for(request: Request, cohort_id: int) -> Grant:
    """The grant for ``cohort_id`` or :class:`NoAccess` (a 403 page)."""
    live = await grants(request)
    for g in live:
        if g.cohort_id == cohort_id:
            return g
    raise NoAccess(signed_in=bool(live), ended=not live and bool(session_ids(request)))


def remember(request: Request, grant: Grant) -> None:
    """Add a new session to the cookie (newest first; a cookie keeps a few)."""
    ids = [grant.session_id, *(i for i in session_ids(request) if i != grant.session_id)]
    request.session[SESSION_KEY] = ids[:MAX_SESSIONS_PER_BROWSER]
    request.state.grants = None
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)  # a new token per sign-in


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _same_site(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    allowed = {_origin(str(request.base_url))}
    site = getattr(request.app.state, "site", None)
    if site is not None:
        allowed.add(_origin(site.base_url))
    return origin.lower() in allowed


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token and origin are proven; else 403."""
    form = await request.form()
    sent = form.get(CSRF_KEY)
    expected = request.session.get(CSRF_KEY)
    if (
        not isinstance(sent, str)
        or not isinstance(expected, str)
        or not hmac.compare_digest(sent.encode(), expected.encode())
        or not _same_site(request)
    ):
        raise HTTPException(403, "This form has expired or came from another site. "
                                 "Reload the page and try again.")
    return form
