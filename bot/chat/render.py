"""Domain results and events → neutral replies (the wording lives here).

A verdict leads with the cause (what stopped the code, with its line and a
caret; "this looks like 1.1.1" when the code answers another exercise), then
the checks that were judged, then what to do next (a hint on offer, when the
exercise comes back for review). How much learner-influenced text it quotes
is a platform's choice (:class:`Caps`): chat platforms keep their caps, the
console shows everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.chat.replies import CheckLine, Reply, Table, VerdictParts
from bot.chat.safe import display_name, safe_output, untrusted
from bot.core import rules
from bot.core.types import (
    BestNote,
    BoardRow,
    ChallengeClosed,
    ChallengeOpened,
    CouldNotGradeNotice,
    DayPost,
    DelayNotice,
    Event,
    ExerciseItem,
    FreezeNews,
    GradedNotice,
    GradingProgress,
    HintOffer,
    ReviewNote,
    ReviewNudge,
    StreakReminder,
    WeeklyBoard,
)
from bot.core.views import BestView, HintStep, ReviewItem, ReviewQueue
from grader.result import MAX_MESSAGE, CheckResult, CheckStatus, ErrorCause, GradeResult, Status

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


@dataclass(frozen=True)
class Caps:
    """How much learner-influenced text a verdict quotes (characters, lines)."""

    message: int = 300  # one check's message
    cause: int = 600
    cause_lines: int = 6
    explanation: int = 500
    output: int = 600
    output_lines: int = 12
    max_checks: int | None = MAX_CHECKS_SHOWN


#: Discord, Slack: a verdict fits one message.
CHAT = Caps()
#: The console has no size limit: full messages and every failing check.
FULL = Caps(message=MAX_MESSAGE, cause=MAX_MESSAGE, cause_lines=60, explanation=MAX_MESSAGE,
            output=8000, output_lines=200, max_checks=None)

def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 member``, ``2 members`` (``many``: an irregular plural)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def span(minutes: float) -> str:
    """A length of time a person reads at a glance: ``40 min``, ``2 h 5 min``,
    ``20 days 20 h`` (``30000 min`` read as nothing)."""
    m = max(0, round(minutes))
    if m < 60:
        return f"{m} min"
    days, rest = divmod(m, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return plural(days, "day") + (f" {hours} h" if hours else "")
    return f"{hours} h" + (f" {mins} min" if mins else "")


def local(at: datetime | None, tz: str) -> str:
    if at is None:
        return "—"
    return at.astimezone(rules.zone(tz)).strftime("%a %d %b %H:%M")


def board_table(rows: list[BoardRow], tz: str) -> Table:
    """Names go in a table, which every adapter draws in a code block."""
    return Table(
        ["#", "member", "points", f"reached ({tz})"],
        [[str(r.rank), safe_output(r.name, 60, 1), str(r.points), local(r.reached_at, tz)]
         for r in rows],
    )


def item_line(it: ExerciseItem) -> str:
    mark = {"passed": "✅ ", "tried": "✏️ "}.get(it.status, "")
    extra = f", {it.time_limit_min} min" if it.time_limit_min else ""
    state = " — tried, not passed yet" if it.status == "tried" else ""
    return f"{mark}`{it.id}` {it.title} ({it.kind}, {it.max_score} pts{extra}){state}"


def outage_words(reason: str) -> str:
    """What a member reads of an outage: the bot's own words ("grader unreachable",
    "grader busy or down"), without the technical tail — the connection error
    names internal hosts, addresses and ports, which a channel has no business
    seeing (the whole reason stays in the submission's record for instructors)."""
    head = re.split(r"[:(\[]", reason or "", maxsplit=1)[0].strip()
    return head or "no reason given"


def cause_block(cause: ErrorCause, caps: Caps = CHAT) -> str:
    """``SyntaxError on line 2: '(' was never closed`` with the line and a caret."""
    where = f" on line {cause.line}" if cause.line else ""
    message = cause.message
    if cause.type in ("SyntaxError", "IndentationError"):
        message = message.split(" (<submission>", 1)[0]  # the line is said already
    # one line each: a class named "Err\n✅ passed" must not draw a line of its own
    lines = [f"{' '.join(cause.type.split())}{where}: {' '.join(message.split())}"]
    if cause.text and cause.text.strip():
        code = cause.text.strip("\r\n").splitlines()[0].rstrip().expandtabs(4)
        indent = len(code) - len(code.lstrip())
        lines.append("    " + code.strip())
        if cause.col and indent < cause.col <= len(code) + 1:  # on the line, not past it
            lines.append("    " + " " * (cause.col - 1 - indent) + "^")
    return safe_output("\n".join(lines), caps.cause, caps.cause_lines)


def day_word(day: date, today: date | None = None) -> str:
    """``tomorrow``, ``Thu 12 Mar``."""
    if today is not None:
        if day <= today:
            return "today"
        if (day - today).days == 1:
            return "tomorrow"
    return f"{day:%a %d %b}"


def review_tip(note: ReviewNote, passed: bool, at: datetime) -> str:
    """When the exercise comes back, in the member's days."""
    today = rules.local_date(at, note.tz)
    back = day_word(rules.local_date(note.due, note.tz), today)
    if note.was_due and passed:
        return f"🔁 Review done: it comes back {back}" + (
            " — well remembered, the gap grows." if note.rating == "good" else ".")
    if passed:
        return f"🔁 It comes back for review {back}, to make it stick."
    return f"🔁 It comes back for review {back} — pass it then to make it stick."


def best_line(best: BestNote) -> str:
    """``⏱️ 11:05 — new best (18:42 → 11:05, −41 %)``."""
    time = rules.clock_time(best.elapsed_s)
    tail = " (practice run: no points)" if best.practice else ""
    if best.previous_s is None:
        return f"⏱️ Your time: {time}{tail}. Start it again to practise and beat it."
    change = rules.time_change(best.previous_s, best.elapsed_s)
    if best.elapsed_s <= best.best_s:
        return f"⏱️ {time} — new best ({change}){tail}"
    return f"⏱️ {time} ({change}; best {rules.clock_time(best.best_s)}){tail}"


def hint_tip(exercise_id: str, offer: HintOffer) -> str:
    cost = (f"costs {offer.cost} point{'s' if offer.cost != 1 else ''} of the first pass"
            if offer.cost else "free: this one is scored already")
    return (f"💡 Stuck? /dojo hint {exercise_id} shows hint {offer.level} of up to "
            f"{rules.HINT_LEVELS} ({cost}; you confirm first).")


def freeze_line(news: FreezeNews) -> str:
    """One line per freeze earned or used, told once."""
    left = f"{news.banked} banked" if news.banked else "none left"
    if news.kind == "earned":
        return (f"🧊 Freeze earned for {rules.FREEZE_EVERY} streak days: a day you miss "
                f"is covered automatically ({left}; /dojo help streak).")
    return (f"🧊 A freeze covered {news.day:%a %d %b}, which you missed: your streak lives on "
            f"({left}).")


def review_queue(q: ReviewQueue) -> str:
    """/dojo review: what is due (with how to review it), what comes next, and
    the retention estimate."""
    if not q.cards:
        return ("Nothing to review yet. Exercises you fail, need several tries for, or pass "
                "slowly come back here on a spaced-repetition schedule.")
    lines = []
    if q.due:
        lines.append(f"Due now ({len(q.due)}) — submit each again, e.g. /dojo submit "
                     f"{q.due[0].item.id}; fresh hidden inputs, counts for your streak, "
                     f"{review_points([r.item for r in q.due])}:")
        for r in q.due:
            late = (q.today - r.due_day).days
            since = f", due since {r.due_day:%a %d %b}" if late > 0 else ""
            how = (f" (/dojo challenge start {r.item.id} to time it)"
                   if r.item.kind == "challenge" else "")
            unpassed = (f" — not passed yet: +{r.item.max_score} on its first pass"
                        if r.item.status != "passed" else "")
            lines.append(f"• `{r.item.id}` {r.item.title}{since}{how}{unpassed}")
    else:
        lines.append("Nothing due today. ✅")
    if q.upcoming:
        lines.append("Coming up: " + ", ".join(
            f"`{r.item.id}` {day_word(r.due_day, q.today)}" for r in q.upcoming[:8]))
    lines.append(review_summary(q))
    return "\n".join(lines)


def review_of(q: ReviewQueue, exercise_id: str, title: str) -> str:
    """/dojo review ID: where one exercise stands in the member's review queue."""
    for r in q.due:
        if r.item.id == exercise_id:
            late = (q.today - r.due_day).days
            since = f" since {r.due_day:%a %d %b}" if late > 0 else " today"
            start = (f"/dojo challenge start {exercise_id} to time it" if
                     r.item.kind == "challenge" else f"/dojo submit {exercise_id}")
            return (f"`{exercise_id}` {title} is due{since}: {start} — fresh hidden inputs, "
                    f"{review_points([r.item])}, counts for your streak. "
                    f"{_reviewed(r).capitalize()}.")
    for r in q.upcoming:
        if r.item.id == exercise_id:
            return (f"`{exercise_id}` {title} comes back for review "
                    f"{day_word(r.due_day, q.today)} ({_reviewed(r)}).")
    return (f"`{exercise_id}` {title} is not in your review queue: exercises you fail, need "
            "several tries for, or pass slowly come back there. /dojo review lists your queue.")


def review_points(items: list[ExerciseItem]) -> str:
    """What reviewing these earns: nothing for an exercise passed before; one never
    passed still scores its points on its first pass (``status`` "passed" or not)."""
    passed = [i for i in items if i.status == "passed"]
    if len(passed) == len(items):
        return "no points (you passed " + ("it" if len(items) == 1 else "them") + " before)"
    if not passed:
        if len(items) == 1:
            return f"its first pass still scores its {plural(items[0].max_score, 'point')}"
        return "a first pass still scores its points"
    return "no points for what you passed before; the others still score on their first pass"


def _reviewed(item: ReviewItem) -> str:
    done = item.reviewed
    return f"reviewed {done}× so far" if done else "not reviewed yet"


def time_left(hours: float) -> str:
    """``3h`` — or ``40 min`` under an hour (``0h left`` read as none)."""
    return f"{hours:.0f}h" if hours >= 1 else f"{max(1, round(hours * 60))} min"


def review_summary(q: ReviewQueue) -> str:
    """``🔁 2 due, 5 in review; retention estimate 87 %``."""
    retention = (f"; retention estimate {q.retention * 100:.0f} % (FSRS: the chance you "
                 "recall them today)" if q.retention is not None else "")
    return f"🔁 Reviews: {len(q.due)} due, {q.cards} in your queue{retention}."


def best_summary(b: BestView) -> str:
    """``⏱️ 6.1.1: best 11:05; 18:42 → 11:05, −41 % (3 runs)``."""
    line = f"⏱️ `{b.item.id}`: best {rules.clock_time(b.best_s)}"
    if b.previous_s is not None:
        line += f"; last {rules.time_change(b.previous_s, b.latest_s)}"
    return line + f" ({len(b.times)} run{'s' if len(b.times) != 1 else ''})"


def hint_step(step: HintStep) -> str:
    """A hint step: the hints seen so far, then either this level's text, or
    what revealing it costs and how to confirm."""
    what = {"check": f"check `{step.target}`", "error": f"the {step.target} that stopped "
            "your code", "status": f"the {step.target.replace('_', ' ')} your code hit"}
    lines = [f"For {what.get(step.about, step.target)} in your latest attempt:"]
    for i, text in enumerate(step.seen, 1):
        lines.append(f"{i}. {text}")
    if step.text:
        lines.append(f"{step.level}. {step.text}")
        cost = (f"−{step.cost} point{'s' if step.cost != 1 else ''}: your first pass now "
                f"scores at most {step.points_after}" if step.cost else "free")
        lines.append(f"(hint {step.level} of {step.levels}, {cost})")
    elif step.level > step.levels:
        lines.append(f"That was every hint for it ({step.levels}). The verdict's message for "
                     "the check says what it expected and what it found.")
    else:
        if step.unconfirmed:
            lines.append("Nothing revealed yet: confirm a hint's cost once you have seen it.")
        lines.append(
            f"Hint {step.level} of {step.levels} costs {step.cost} "
            f"point{'s' if step.cost != 1 else ''} of this exercise's first pass "
            f"({step.points_now} → {step.points_after} of {step.item.max_score}). "
            f"Reveal it with /dojo hint {step.item.id} yes")
    return "\n".join(lines)


def verdict(ev: GradedNotice, caps: Caps = CHAT) -> VerdictParts:
    """A verdict, cause first: what stopped the code (with its line) or the
    exercise the code really answers, then the checks that were judged; checks
    that could not run are folded into one line; what to do next comes last."""
    res: GradeResult = ev.result
    icon, word, advice = STATUS_WORDING[res.status]
    head = (f"#{ev.submission_id} `{ev.exercise_id}` {ev.exercise_title}: {word} "
            f"{res.score}/{res.max_score}")
    parts = VerdictParts(status=res.status.value, icon=icon, headline=head,
                         max_checks=caps.max_checks)
    if ev.delayed:
        parts.notes.append("(graded now that the grader is back)")
    if ev.looks_like and not res.passed:
        parts.notes.append(f"🤔 This looks like `{ev.looks_like}`: your code defines its names, "
                           f"not {ev.exercise_id}'s. Meant for it? /dojo submit {ev.looks_like}")
    if res.passed:
        if ev.first_pass:
            points = "+" + plural(ev.points, "point")
            if ev.hinted:
                points += f" ({ev.hinted} less for the hints used)"
            if ev.bonus:
                points += (f" + {ev.bonus} speed bonus (for now: it is worked out again as "
                           "the cohort grows and others pass)")
            if ev.late:
                points += " (after the window: half points, no bonus)"
            parts.notes.append(points)
        elif ev.counted:
            parts.notes.append("already passed before: no new points")
        else:
            parts.notes.append("already passed before: no new points, and an old pass keeps "
                               "no streak alive — today's item or a due review does")
        if ev.streak:
            parts.notes.append(f"🔥 streak {ev.streak} day{'s' if ev.streak != 1 else ''}")
        if ev.best is not None:
            parts.notes.append(best_line(ev.best))
    parts.notes.extend(freeze_line(n) for n in ev.freeze_news)
    judged = [c for c in res.checks if c.status is not CheckStatus.not_run]
    folded = len(res.checks) - len(judged)
    missing: list[CheckResult] = []
    if res.cause is not None:
        parts.cause = cause_block(res.cause, caps)
        # checks that only failed because the code stopped early say nothing new
        blocked = [c for c in judged if c.kind == "name" and not c.passed]
        folded += len(blocked)
        judged = [c for c in judged if c not in blocked]
    elif res.status is Status.error and res.message:
        parts.explanation = untrusted(res.message, caps.explanation)
        # "Not defined: a, b, …" already names them; one line per name says it again
        missing = [c for c in judged if c.kind == "name" and not c.passed]
        if len(missing) > 1:
            folded += len(missing)
            judged = [c for c in judged if c not in missing]
    if res.status.is_limit or res.status is Status.rejected:
        parts.explanation = res.message or advice
    judged.sort(key=lambda c: c.passed)
    parts.checks = [CheckLine(c.id, c.kind, c.passed,
                              untrusted(c.message or c.status.value, caps.message)
                              if not c.passed else "")
                    for c in judged]
    if folded and not res.passed:
        why = (" (your code stopped first)" if parts.cause or res.status.is_limit
               else " (a name they need is not defined)" if missing else "")
        parts.folded = f"{folded} check{'s' if folded != 1 else ''} not run{why}"
    if not res.passed and res.stdout:
        parts.output = safe_output(res.stdout, caps.output, caps.output_lines)
    parts.facts.append(f"score {res.score}/{res.max_score}")
    if ev.streak:
        parts.facts.append(f"🔥 streak {ev.streak}")
    if res.duration_ms:
        parts.facts.append(f"graded in {res.duration_ms:.0f} ms")
    if ev.hint is not None and not res.passed:
        parts.tips.append(hint_tip(ev.exercise_id, ev.hint))
    if ev.review is not None:
        parts.tips.append(review_tip(ev.review, res.passed, ev.graded_at or ev.review.due))
    return parts


def graded(ev: GradedNotice, caps: Caps = CHAT) -> Reply:
    return Reply(
        verdict=verdict(ev, caps),
        mention=ev.user_id,
        level="success" if ev.result.passed else "warning",
        status_of=ev.submission_id,
        private=ev.status is not None and ev.status.private,
    )


STAGE_WORDS = {"running": "running your code", "judging": "judging the results"}
KIND_WORDS = {"train": "training", "grad": "gradient", "module": "module", "shape": "shape",
              "value": "value"}


def progress(ev: GradingProgress) -> Reply:
    """``⏳ #12 `5.1.3` grading: training check 2/4…`` — worded here from the
    grader's data (stage, index, total, kind), never from text it sent.

    A check is named while the sandbox runs it and again while the trusted
    side judges it (``judging the results: training check 3/5``): on a busy
    machine the whole sandbox run can pass between two edits, and judging a
    training check's data is the part the member then waits for."""
    doing = STAGE_WORDS.get(ev.stage, "grading")
    if ev.stage in ("check", "judging") and ev.index and ev.total:
        kind = KIND_WORDS.get(ev.kind, "")
        check = f"{kind + ' ' if kind else ''}check {ev.index}/{ev.total}"
        doing = check if ev.stage == "check" else f"{doing}: {check}"
    took = f" ({ev.elapsed_s:.0f} s so far)" if ev.elapsed_s >= 1 else ""
    return Reply(text=f"⏳ #{ev.submission_id} `{ev.exercise_id}` grading: {doing}…{took}",
                 status_of=ev.submission_id,
                 private=ev.status is not None and ev.status.private)


def items_list(items: list[ExerciseItem], limit: int = 8) -> str:
    shown = ", ".join(f"`{i.id}` {i.title}" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def event(ev: Event, caps: Caps = CHAT) -> list[Reply]:
    """Render an event for its channel (drill posts: one message per exercise)."""
    if isinstance(ev, GradedNotice):
        return [graded(ev, caps)]
    if isinstance(ev, GradingProgress):
        return [progress(ev)]
    if isinstance(ev, ReviewNudge):
        n = len(ev.due)
        return [Reply(
            text=f"🔁 {n} review{'s' if n != 1 else ''} due today: {items_list(ev.due)}. "
                 f"Submit each again — fresh inputs, {review_points(ev.due)}, and it counts "
                 "for your streak. "
                 "/dojo review shows them. (/dojo remind off to stop these)",
            mention=ev.user_id, private=True)]
    if isinstance(ev, DelayNotice):
        return [Reply(
            text=f"⏳ #{ev.submission_id} `{ev.exercise_id}` is safely queued: the grader is "
                 f"unavailable right now ({untrusted(outage_words(ev.reason), 120)}). I'll grade "
                 "it when it's back and tell you here.",
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
                 "with N members in the cohort, the first to pass gets N points extra, "
                 "the next N−1, and so on",
            exercise_id=ev.item.id)]
    if isinstance(ev, ChallengeClosed):
        tz = ev.target.tz
        res = (board_table(ev.results, tz) if ev.results else None)
        return [
            Reply(title=f"🏁 Challenge `{ev.item.id}` closed — "
                        f"{len(ev.results)} passed in the window",
                  table=res, text="" if ev.results else "Nobody passed in the window."),
            Reply(title="🏆 Leaderboard (all time)",
                  table=board_table(ev.board, tz) if ev.board else None,
                  text="" if ev.board else "No points yet — be the first!"),
        ]
    if isinstance(ev, WeeklyBoard):
        return [Reply(title=f"🏆 Week {ev.week} leaderboard",
                      table=board_table(ev.rows, ev.target.tz) if ev.rows else None,
                      text="" if ev.rows else "No points this week.")]
    if isinstance(ev, StreakReminder):
        return [Reply(
            text=f"🔥 Your {ev.streak}-day streak is at risk: nothing passed today yet "
                 f"({time_left(ev.hours_left)} left). /dojo today shows what's on. "
                 "(/dojo remind off to stop these)",
            mention=ev.user_id, private=True)]
    return []
