"""The dashboard's pages (GET): each checks access, asks the core's read model,
and renders a template. Nothing here reads the database."""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.core.insights import CURRENT_WEEK, DEFAULT_BEHIND_DAYS, SORT_KEYS, Insights
from bot.core.signin import SignInRefused, SignIns
from bot.dashboard import auth
from bot.dashboard.render import Heatmap, highlight_python

SORT_LABELS = {"name": "member", "streak": "streak", "best": "best", "points": "points",
               "passed": "passed", "activity": "last activity",
               "since_pass": "days since pass"}
DESCENDING_FIRST = {"streak", "best", "points", "passed", "activity", "since_pass"}


def _int(value: str | None, default: int | None, low: int, high: int) -> int | None:
    try:
        n = int(value) if value is not None else default
    except ValueError:
        return default
    return None if n is None else min(max(n, low), high)


async def render(request: Request, name: str, status_code: int = 200,
                 **values: Any) -> Response:
    """A page with what every page needs: the CSRF token, this browser's
    cohorts, and the one-time notice left by the last action."""
    if "grants" not in values:  # an error page passes none: it must not need the database
        values["grants"] = await auth.grants(request)
    values["csrf"] = auth.csrf_token(request)
    values["flash"] = request.session.pop("flash", None)
    return request.app.state.templates.TemplateResponse(
        request, name, values, status_code=status_code)


async def home(request: Request) -> Response:
    grants = await auth.grants(request)
    if len(grants) == 1:
        return RedirectResponse(f"/c/{grants[0].cohort_id}/", 303)
    return await render(request, "home.html", grants=grants)


async def signin_page(request: Request) -> Response:
    signins: SignIns = request.app.state.signins
    token = request.path_params["token"]
    try:
        preview = await signins.preview(token)
    except SignInRefused as exc:
        return await render(request, "message.html", 403, title="Sign-in link refused",
                            message=exc.message, hint=exc.hint)
    # how long, not until when in UTC: the instructor's zone is not the server's
    left = max(1, math.ceil((preview.expires_at - signins.clock.now()).total_seconds() / 60))
    return await render(request, "signin.html", preview=preview, token=token,
                        minutes_left=left)


async def overview(request: Request) -> Response:
    cohort_id = request.path_params["cohort_id"]
    grant = await auth.grant_for(request, cohort_id)
    q = request.query_params
    week_arg = q.get("week", "")
    insights: Insights = request.app.state.insights
    behind = _int(q.get("behind"), DEFAULT_BEHIND_DAYS, 1, 60) or DEFAULT_BEHIND_DAYS
    week: int | str | None = (None if week_arg == "all"
                              else _int(week_arg, None, 1, 99) if week_arg else CURRENT_WEEK)
    sort = q.get("sort", "name")
    sort = sort if sort in SORT_KEYS else "name"
    order = q.get("order") or ("desc" if sort in DESCENDING_FIRST else "asc")
    order = order if order in ("asc", "desc") else "asc"
    page = _int(q.get("page"), 1, 1, 10_000) or 1
    data = await insights.overview(cohort_id, week=week, behind_days=behind, sort=sort,
                                   descending=order == "desc", page=page)
    heat = Heatmap(data.columns)
    return await render(
        request, "overview.html", grant=grant, data=data, rows=data.rows,
        heat_rows=[heat.row(r.cells) for r in data.rows], sort=sort, order=order,
        sorts=SORT_LABELS, descending_first=DESCENDING_FIRST,
        week_arg="all" if data.week is None else str(data.week),
        behind_rows=data.behind,
    )


async def exercise(request: Request) -> Response:
    cohort_id = request.path_params["cohort_id"]
    grant = await auth.grant_for(request, cohort_id)
    insights: Insights = request.app.state.insights
    data = await insights.exercise(cohort_id, request.path_params["exercise_id"])
    return await render(request, "exercise.html", grant=grant, data=data)


async def member(request: Request) -> Response:
    cohort_id = request.path_params["cohort_id"]
    grant = await auth.grant_for(request, cohort_id)
    insights: Insights = request.app.state.insights
    data = await insights.member(cohort_id, request.path_params["member_id"])
    return await render(request, "member.html", grant=grant, data=data)


async def submission(request: Request) -> Response:
    cohort_id = request.path_params["cohort_id"]
    grant = await auth.grant_for(request, cohort_id)
    insights: Insights = request.app.state.insights
    data = await insights.submission(cohort_id, request.path_params["submission_id"])
    return await render(request, "submission.html", grant=grant, data=data,
                        code=highlight_python(data.code))


async def challenges(request: Request) -> Response:
    cohort_id = request.path_params["cohort_id"]
    grant = await auth.grant_for(request, cohort_id)
    insights: Insights = request.app.state.insights
    data = await insights.challenges(cohort_id)
    return await render(request, "challenges.html", grant=grant, data=data)


async def schedule(request: Request) -> Response:
    cohort_id = request.path_params["cohort_id"]
    grant = await auth.grant_for(request, cohort_id)
    insights: Insights = request.app.state.insights
    data = await insights.schedule(cohort_id)
    return await render(request, "schedule.html", grant=grant, data=data)


async def export(request: Request) -> Response:
    cohort_id = request.path_params["cohort_id"]
    grant = await auth.grant_for(request, cohort_id)
    insights: Insights = request.app.state.insights
    data = await insights.schedule(cohort_id)
    return await render(request, "export.html", grant=grant, cohort=data.cohort,
                        behind_default=DEFAULT_BEHIND_DAYS)


def _csv(name: str, data: bytes) -> Response:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name) or "export.csv"
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


async def export_submissions(request: Request) -> Response:
    """The chat's ``/dojo export`` file, through the same core operation."""
    grant = await auth.grant_for(request, request.path_params["cohort_id"])
    name, data = await request.app.state.dojo.export_csv(grant.actor)
    return _csv(name, data)


async def export_members(request: Request) -> Response:
    cohort_id = request.path_params["cohort_id"]
    await auth.grant_for(request, cohort_id)
    behind = _int(request.query_params.get("behind"), DEFAULT_BEHIND_DAYS, 1, 60)
    insights: Insights = request.app.state.insights
    name, data = await insights.summary_csv(cohort_id, behind_days=behind or DEFAULT_BEHIND_DAYS)
    return _csv(name, data)
