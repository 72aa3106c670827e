"""Domain results and events → neutral replies (the wording lives here)."""

from __future__ import annotations

from datetime import datetime

from bot.chat.replies import CheckLine, Reply, Table, VerdictParts
from bot.chat.safe import display_name, safe_output, untrusted
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
from grader.result import CheckStatus, ErrorCause, GradeResult, Status

#: Every status the grader can return: (icon, headline word, advice when the
#: grader sent no explanation of its own).
STATUS_WORDING: dict[Status, tuple[str, str, str]] = {
    Status.passed: ("✅", "passed", ""),
    Status.failed: ("❌", "not yet", "Some checks failed; each says what it expected."),
    Status.error: ("💥", "error", "Your code raised an error before the checks could run."),
    Status.timeout: ("⏱️", "time limit", "Your code ran past its time limit — an infinite "
                                         "loop, or a very slow computation?"),
    Status.oom: ("🧠", "memory limit", "Your code needed more memory than it may use — a "
                                      "huge tensor or a growing list?"),
    Status.output_limit: ("📜", "output limit", "Your code printed more than it may — print "
                                                "less."),
    Status.file_limit: ("🗄️", "file size limit", "Your code wrote a file larger than allowed."),
    Status.process_limit: ("🧵", "process limit", "Your code started too many processes or "
                                                  "threads."),
    Status.rejected: ("🚫", "not accepted", "The submission was refused before running."),
}
MAX_CHECKS_SHOWN = 6

def local(at: datetime | None, tz: str) -> str:
    if at is None:
        return "—"
    return at.astimezone(rules.zone(tz)).strftime("%a %d %b %H:%M")


def board_table(rows: list[BoardRow], tz: str) -> Table:
    """Names go in a table, which every adapter draws in a code block."""
    return Table(
        ["#", "member", "points", "reached"],
        [[str(r.rank), safe_output(r.name, 60, 1), str(r.points), local(r.reached_at, tz)]
         for r in rows],
    )


def item_line(it: ExerciseItem) -> str:
    mark = {"passed": "✅ ", "tried": "… "}.get(it.status, "")
    extra = f", {it.time_limit_min} min" if it.time_limit_min else ""
    return f"{mark}`{it.id}` {it.title} ({it.kind}, {it.max_score} pts{extra})"


def cause_block(cause: ErrorCause) -> str:
    """``SyntaxError on line 2: '(' was never closed`` with the line and a caret."""
    where = f" on line {cause.line}" if cause.line else ""
    message = cause.message
    if cause.type in ("SyntaxError", "IndentationError"):
        message = message.split(" (<submission>", 1)[0]  # the line is said already
    lines = [f"{cause.type}{where}: {' '.join(message.split())}"]
    if cause.text:
        code = cause.text.rstrip().expandtabs(4)
        indent = len(code) - len(code.lstrip())
        lines.append("    " + code.strip())
        if cause.col and cause.col > indent:
            lines.append("    " + " " * (cause.col - 1 - indent) + "^")
    return safe_output("\n".join(lines), 600, 6)


def verdict(ev: GradedNotice) -> VerdictParts:
    """A verdict, cause first: what stopped the code (with its line), then the
    checks that were judged; checks that could not run are folded into one line."""
    res: GradeResult = ev.result
    icon, word, advice = STATUS_WORDING[res.status]
    head = (f"#{ev.submission_id} `{ev.exercise_id}` {ev.exercise_title}: {word} "
            f"{res.score}/{res.max_score}")
    parts = VerdictParts(status=res.status.value, icon=icon, headline=head)
    if ev.delayed:
        parts.notes.append("(graded now that the grader is back)")
    if res.passed:
        if ev.first_pass:
            points = f"+{ev.points} points"
            if ev.bonus:
                points += f" + {ev.bonus} speed bonus"
            if ev.late:
                points += " (after the window: half points, no bonus)"
            parts.notes.append(points)
        else:
            parts.notes.append("already passed before: no new points")
        if ev.streak:
            parts.notes.append(f"🔥 streak {ev.streak} day{'s' if ev.streak != 1 else ''}")
    judged = [c for c in res.checks if c.status is not CheckStatus.not_run]
    folded = len(res.checks) - len(judged)
    if res.cause is not None:
        parts.cause = cause_block(res.cause)
        # checks that only failed because the code stopped early say nothing new
        blocked = [c for c in judged if c.kind == "name" and not c.passed]
        folded += len(blocked)
        judged = [c for c in judged if c not in blocked]
    elif res.status is Status.error and res.message:
        parts.explanation = untrusted(res.message, 500)
    if res.status.is_limit or res.status is Status.rejected:
        parts.explanation = res.message or advice
    judged.sort(key=lambda c: c.passed)
    parts.checks = [CheckLine(c.id, c.kind, c.passed,
                              untrusted(c.message or c.status.value, 300) if not c.passed
                              else "")
                    for c in judged]
    if folded and not res.passed:
        parts.folded = (f"{folded} check{'s' if folded != 1 else ''} not run"
                        + (" (your code stopped first)" if parts.cause or res.status.is_limit
                           else ""))
    if not res.passed and res.stdout:
        parts.output = safe_output(res.stdout, 600, 12)
    parts.facts.append(f"score {res.score}/{res.max_score}")
    if ev.streak:
        parts.facts.append(f"🔥 streak {ev.streak}")
    if res.duration_ms:
        parts.facts.append(f"graded in {res.duration_ms:.0f} ms")
    return parts


def graded(ev: GradedNotice) -> Reply:
    return Reply(
        verdict=verdict(ev),
        mention=ev.user_id,
        level="success" if ev.result.passed else "warning",
        status_of=ev.submission_id,
        private=ev.status is not None and ev.status.private,
    )


def event(ev: Event) -> list[Reply]:
    """Render an event for its channel (drill posts: one message per exercise)."""
    if isinstance(ev, GradedNotice):
        return [graded(ev)]
    if isinstance(ev, DelayNotice):
        return [Reply(
            text=f"⏳ #{ev.submission_id} `{ev.exercise_id}` is safely queued: the grader is "
                 f"unavailable right now ({untrusted(ev.reason, 120)}). I'll grade it when "
                 "it's back and tell you here.",
            mention=ev.user_id, level="warning", status_of=ev.submission_id,
            private=ev.status is not None and ev.status.private)]
    if isinstance(ev, CouldNotGradeNotice):
        return [Reply(
            text=f"⚠️ #{ev.submission_id} `{ev.exercise_id}` could not be graded: "
                 f"{untrusted(ev.reason, 300)}. Your code is saved; an instructor can look at "
                 "it.",
            mention=ev.user_id, level="error", status_of=ev.submission_id,
            private=ev.status is not None and ev.status.private)]
    if isinstance(ev, DayPost):
        name = display_name(ev.target.cohort_name)
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
            mention=ev.user_id, private=True)]
    return []
