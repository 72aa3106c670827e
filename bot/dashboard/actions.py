"""What an instructor does from the dashboard (POST): sign in and out, pause
and resume, open a challenge window, regrade a submission.

Each action proves its CSRF token first (``auth.checked_form``), then its
access, then calls the same core operation the chat verb calls, as the
instructor in their cohort's channel, and answers with a redirect (so a
reload never repeats it) and a one-time notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.core import rules
from bot.core.errors import DojoError
from bot.core.signin import SignInRefused, SignIns
from bot.dashboard import auth
from bot.dashboard.pages import render
from bot.dashboard.render import local

MAX_WINDOW = timedelta(days=14)


def _flash(request: Request, text: str, level: str = "success") -> None:
    """A notice for the next page; a refusal from the core reads as a sentence there."""
    if level == "error":
        text = _sentence(text)
    request.session["flash"] = {"text": text[:500], "level": level}


def _back(path: str) -> Response:
    return RedirectResponse(path, 303)


async def signin(request: Request) -> Response:
    await auth.checked_form(request)
    signins: SignIns = request.app.state.signins
    try:
        grant = await signins.redeem(request.path_params["token"])
    except SignInRefused as exc:
        return await render(request, "message.html", 403, title="Sign-in link refused",
                            message=exc.message, hint=exc.hint)
    auth.remember(request, grant)
    _flash(request, f"Signed in to {grant.cohort_name} as {grant.name}.")
    return _back(f"/c/{grant.cohort_id}/")


async def signout(request: Request) -> Response:
    await auth.checked_form(request)
    signins: SignIns = request.app.state.signins
    await signins.sign_out(auth.session_ids(request))
    request.session.clear()
    request.state.grants = None
    return _back("/")


async def pause(request: Request) -> Response:
    return await _schedule_action(request, "pause")


async def resume(request: Request) -> Response:
    return await _schedule_action(request, "resume")


async def _schedule_action(request: Request, what: str) -> Response:
    await auth.checked_form(request)
    cohort_id = request.path_params["cohort_id"]
    grant = await auth.grant_for(request, cohort_id)
    dojo = request.app.state.dojo
    try:
        if what == "pause":
            await dojo.pause(grant.actor)
            _flash(request, "Paused: no daily posts until you resume; paused days do not "
                            "break anyone's streak.")
        else:
            cohort = await dojo.resume(grant.actor)
            _flash(request, f"Resumed: the schedule moved by the days paused "
                            f"({cohort.paused_days} so far).")
    except DojoError as exc:
        _flash(request, exc.message, "error")
    return _back(f"/c/{cohort_id}/schedule")


async def open_challenge(request: Request) -> Response:
    form = await auth.checked_form(request)
    cohort_id = request.path_params["cohort_id"]
    grant = await auth.grant_for(request, cohort_id)
    dojo = request.app.state.dojo
    insights = request.app.state.insights
    back = f"/c/{cohort_id}/challenges"
    tz = (await insights.schedule(cohort_id)).cohort.tz
    try:  # only the form's own fields: a bug further on is not "not readable"
        start = _when(str(form.get("start") or ""), tz)
        minutes = int(str(form.get("minutes") or "0") or 0)
    except ValueError:
        _flash(request, "The start time or the minutes are not readable.", "error")
        return _back(back)
    # bounded before timedelta sees it (a 30-digit number overflowed there): past the
    # longest window it is refused below like any other length out of range
    longest = MAX_WINDOW // timedelta(minutes=1)
    duration = timedelta(minutes=max(-1, min(minutes, longest + 1))) if minutes else None
    try:
        if duration is not None and not timedelta(0) < duration <= MAX_WINDOW:
            raise DojoError("a window lasts between 1 minute and 14 days")
        _, window = await dojo.open_challenge(
            grant.actor, str(form.get("exercise") or ""), start, duration)
    except DojoError as exc:
        # the core's hints speak chat (at=18:00, for=90m); the form has its own fields
        _flash(request, exc.message, "error")
        return _back(back)
    item = dojo.catalog.item(window.exercise_id)
    _flash(request, f"{item.id} {item.title}: window from {local(window.opens_at, tz)} "
                    f"to {local(window.closes_at, tz)} ({tz}).")
    return _back(back)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
            if text else text)


def _when(text: str, tz: str) -> datetime | None:
    """A ``datetime-local`` form value in the cohort's zone; empty means now."""
    if not text.strip():
        return None
    at = datetime.fromisoformat(text.strip())
    return at.replace(tzinfo=rules.zone(tz)) if at.tzinfo is None else at


async def regrade(request: Request) -> Response:
    await auth.checked_form(request)
    cohort_id = request.path_params["cohort_id"]
    submission_id = request.path_params["submission_id"]
    grant = await auth.grant_for(request, cohort_id)
    try:
        new_id = await request.app.state.dojo.regrade(grant.actor, submission_id)
    except DojoError as exc:
        _flash(request, exc.message, "error")
        return _back(f"/c/{cohort_id}/submissions/{submission_id}")
    _flash(request, f"#{submission_id} queued for grading again as #{new_id}; the member "
                    "gets the verdict in the channel like any other.")
    return _back(f"/c/{cohort_id}/submissions/{new_id}")
