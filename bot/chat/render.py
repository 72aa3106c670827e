"""Domain results and events → neutral replies (the wording lives here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.chat.replies import Reply, Table
from bot.chat.safe import neutralize, safe_output
from bot.core import rules
from bot.core.types import (
    BoardRow,
    ChallengeClosed,
    ChallengeOpened,
    CouldNotGradeNotice,
    DayPost,
    DelayNotice,
    Event,
    ExerciseItem,
    GradedNotice,
    StreakReminder,
    WeeklyBoard,
)

ICON = {"passed": "✅", "failed": "❌", "error": "💥", "timeout": "⏱️", "oom": "🧠",
        "rejected": "🚫"}


def local(at: datetime | None, tz: str) -> str:
    if at is None:
        return "—"
    return at.astimezone(rules.zone(tz)).strftime("%a %d %b %H:%M")


def board_table(rows: list[BoardRow], tz: str) -> Table:
    return Table(
        ["#", "member", "points", "reached"],
        [[str(r.rank), neutralize(r.name), str(r.points), local(r.reached_at, tz)] for r in rows],
    )


def item_line(it: ExerciseItem) -> str:
    mark = {"passed": "✅ ", "tried": "… "}.get(it.status, "")
    extra = f", {it.time_limit_min} min" if it.time_limit_min else ""
    return f"{mark}`{it.id}` {it.title} ({it.kind}, {it.max_score} pts{extra})"


def graded(ev: GradedNotice) -> Reply:
    res: dict[str, Any] = ev.result
    status = str(res.get("status", "?"))
    head = (
        f"{ICON.get(status, '•')} #{ev.submission_id} `{ev.exercise_id}` {ev.exercise_title}: "
        f"{status} {res.get('score', 0)}/{res.get('max_score', '?')}"
    )
    lines = [head]
    if ev.delayed:
        lines.append("(graded now that the grader is back)")
    if status == "passed":
        if ev.first_pass:
            pts = f"+{ev.points} points"
            if ev.bonus:
                pts += f" + {ev.bonus} speed bonus"
            if ev.late:
                pts += " (after the window: half points, no bonus)"
            lines.append(pts)
        else:
            lines.append("already passed before: no new points")
        if ev.streak:
            lines.append(f"🔥 streak {ev.streak} day{'s' if ev.streak != 1 else ''}")
    checks = [c for c in res.get("checks", []) if c.get("status") != "passed"]
    for c in checks[:6]:
        msg = safe_output(c.get("message") or c.get("status"), 200, 3)
        lines.append(f"• {neutralize(str(c.get('id')))} ({c.get('kind')}): {msg}")
    if len(checks) > 6:
        lines.append(f"… and {len(checks) - 6} more failing checks")
    out = safe_output(res.get("stdout"), 600, 12) if status != "passed" else ""
    if res.get("message") and status in ("error", "rejected", "timeout", "oom"):
        lines.append(safe_output(str(res["message"]), 300, 5))
    return Reply(
        text="\n".join(lines),
        code=out or None,
        mention=ev.user_id,
        level="success" if status == "passed" else "warning",
    )


def event(ev: Event) -> list[Reply]:
    """Render an event for its channel (drill posts: one message per exercise)."""
    if isinstance(ev, GradedNotice):
        return [graded(ev)]
    if isinstance(ev, DelayNotice):
        return [Reply(
            text=f"⏳ #{ev.submission_id} `{ev.exercise_id}` is safely queued: the grader is "
                 f"unavailable right now ({neutralize(ev.reason)[:120]}). I'll grade it when "
                 "it's back and tell you here.",
            mention=ev.user_id, level="warning")]
    if isinstance(ev, CouldNotGradeNotice):
        return [Reply(
            text=f"⚠️ #{ev.submission_id} `{ev.exercise_id}` could not be graded: "
                 f"{neutralize(ev.reason)}. Your code is saved; an instructor can look at it.",
            mention=ev.user_id, level="error")]
    if isinstance(ev, DayPost):
        name = neutralize(ev.target.cohort_name)
        out = [Reply(title=f"📅 {name} — day {ev.day} (week {ev.week}), "
                           f"{ev.local_date:%a %d %b}",
                     text="Reply to a drill with a code block to submit it.")]
        for it in ev.items:
            if it.kind == "challenge":
                body = (f"⏱️ Timed challenge, {it.time_limit_min} min. The prompt is revealed "
                        f"when you start: /dojo challenge start {it.id}")
            else:
                body = it.summary
            out.append(Reply(title=item_line(it), text=body, exercise_id=it.id))
        return out
    if isinstance(ev, ChallengeOpened):
        tz = ev.target.tz
        return [Reply(
            title=f"⏱️ Challenge `{ev.item.id}` {ev.item.title} is open until "
                  f"{local(ev.closes_at, tz)} ({tz})",
            text=ev.item.summary + f"\n\nSubmit with /dojo submit {ev.item.id}. Speed bonus: "
                 "the first passer gets N points extra, the next N−1, …",
            exercise_id=ev.item.id)]
    if isinstance(ev, ChallengeClosed):
        tz = ev.target.tz
        res = (board_table(ev.results, tz) if ev.results else None)
        return [
            Reply(title=f"🏁 Challenge `{ev.item.id}` closed — "
                        f"{len(ev.results)} passed in the window",
                  table=res, text="" if ev.results else "Nobody passed in the window."),
            Reply(title="🏆 Leaderboard (all time)", table=board_table(ev.board, tz)),
        ]
    if isinstance(ev, WeeklyBoard):
        return [Reply(title=f"🏆 Week {ev.week} leaderboard",
                      table=board_table(ev.rows, ev.target.tz) if ev.rows else None,
                      text="" if ev.rows else "No points this week.")]
    if isinstance(ev, StreakReminder):
        return [Reply(
            text=f"🔥 Your {ev.streak}-day streak is at risk: nothing passed today yet "
                 f"({ev.hours_left:.0f}h left). /dojo today shows what's on. "
                 "(/dojo remind off to stop these)",
            mention=ev.user_id, ephemeral=True)]
    return []
