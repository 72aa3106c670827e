"""One command parser for every adapter: ``/dojo VERB [SUB] [ARGS] [key=value]``.

The first line is the command; the rest of the message (code blocks) is kept
as ``body``. Typos get the closest verb back (``/dojo leaderbord`` → did you
mean ``leaderboard``?) instead of silence.
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field

from bot.core.rules import FREEZE_EVERY, MAX_FREEZES

PREFIXES = ("/dojo", "!dojo", "dojo")

# verb -> allowed sub-verbs (empty: free arguments)
VERBS: dict[str, tuple[str, ...]] = {
    "help": (),
    "today": (),
    "show": (),
    "submit": (),
    "status": (),
    "streak": (),
    "progress": (),
    "leaderboard": ("week", "all"),
    "challenge": ("open", "status", "start"),
    "cohort": ("create", "join", "leave", "info"),
    "schedule": ("show", "time", "tz", "start", "pause", "resume"),
    "export": (),
    "remind": ("on", "off"),
    "tz": (),
    "dashboard": (),
    "review": (),
    "hint": (),
}
CONSOLE_VERBS: dict[str, tuple[str, ...]] = {"as": (), "clock": (), "reply": ()}
ALIASES = {"lb": "leaderboard", "board": "leaderboard", "info": "cohort", "join": "cohort"}
#: Verbs that take nothing after them (only ever about the member asking).
NO_ARGS = {"today", "streak", "progress", "export", "dashboard"}
#: How many words (besides key=value options) each verb, or verb and sub-verb, takes,
#: and its usage. A word more is refused, not dropped (``/dojo show 1.1.1 1.1.2`` would
#: otherwise answer for 1.1.1 alone, ``/dojo remind on off`` turn reminders on).
#: Not here: ``submit`` (words after its id are code without its fences: the handler
#: says so), ``cohort create`` (a name of several words), ``leaderboard`` (``image``),
#: ``challenge open`` (``at TIME``/``for LENGTH``) and ``hint`` (``yes``), checked below.
#: (``/dojo as`` and ``/dojo clock`` are the console's own, read before parsing.)
ARITY: dict[tuple[str, str | None], tuple[int, str]] = {
    ("help", None): (1, "/dojo help [VERB|streak]"),
    ("today", None): (0, "/dojo today"),
    ("streak", None): (0, "/dojo streak"),
    ("progress", None): (0, "/dojo progress"),
    ("export", None): (0, "/dojo export"),
    ("dashboard", None): (0, "/dojo dashboard"),
    ("show", None): (1, "/dojo show ID"),
    ("review", None): (1, "/dojo review [ID]"),
    ("status", None): (1, "/dojo status [#N]"),
    ("tz", None): (1, "/dojo tz [ZONE|clear]"),
    ("challenge", "start"): (1, "/dojo challenge start ID"),
    ("challenge", "status"): (1, "/dojo challenge status [ID]"),
    ("cohort", "join"): (1, "/dojo cohort join [tz=ZONE]"),
    ("cohort", "leave"): (0, "/dojo cohort leave"),
    ("cohort", "info"): (0, "/dojo cohort info"),
    ("schedule", "show"): (0, "/dojo schedule show"),
    ("schedule", "pause"): (0, "/dojo schedule pause"),
    ("schedule", "resume"): (0, "/dojo schedule resume"),
    ("schedule", "time"): (1, "/dojo schedule time HH:MM"),
    ("schedule", "tz"): (1, "/dojo schedule tz ZONE"),
    ("schedule", "start"): (1, "/dojo schedule start YYYY-MM-DD"),
    ("remind", None): (0, "/dojo remind [on|off]"),
    ("remind", "on"): (0, "/dojo remind on"),
    ("remind", "off"): (0, "/dojo remind off"),
    ("reply", None): (1, "/dojo reply POST-ID"),
}
#: Words that confirm a hint's cost (``/dojo hint ID yes``).
YES_WORDS = ("yes", "y", "reveal", "confirm")
#: Verbs whose first argument is an exercise id, and words people put before one.
ID_VERBS = {"show", "submit", "review", "hint", "challenge"}
ID_WORDS = {"ex", "exercise", "id"}
DEFAULT_SUB = {"leaderboard": "week", "challenge": "status", "cohort": "info",
               "schedule": "show"}


@dataclass
class Command:
    verb: str
    sub: str | None = None
    args: list[str] = field(default_factory=list)
    opts: dict[str, str] = field(default_factory=dict)
    body: str = ""
    raw: str = ""


@dataclass
class ParseError:
    message: str
    suggestion: str | None = None


def is_command(text: str) -> bool:
    first = (text or "").lstrip().split(None, 1)
    return bool(first) and first[0].lower() in PREFIXES[:2]


def split_words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:  # an unbalanced quote: fall back to whitespace
        return line.split()


def parse(text: str, *, console: bool = False) -> Command | ParseError:
    """Parse a message; a leading ``/dojo`` is optional (slash commands strip it)."""
    text = (text or "").lstrip()
    first, _, body = text.partition("\n")
    # A code fence may start on the command line: keep it with the body.
    if "```" in first:
        idx = first.index("```")
        first, body = first[:idx], first[idx:] + ("\n" + body if body else "")
    tokens = split_words(first)
    if tokens and tokens[0].lower() in PREFIXES:
        tokens = tokens[1:]
    verbs = dict(VERBS, **CONSOLE_VERBS) if console else VERBS
    if not tokens:
        return Command("help", raw=text)
    head = tokens[0].lower()
    if head in ("info", "join"):
        tokens = ["cohort", *tokens]
        head = "cohort"
    head = ALIASES.get(head, head)
    if head not in verbs:
        close = difflib.get_close_matches(head, list(verbs), n=1, cutoff=0.5)
        return ParseError(
            f"I don't know the command {tokens[0]!r}",
            f"/dojo {close[0]}" if close else "/dojo help",
        )
    cmd = Command(head, body=body, raw=text)
    rest = tokens[1:]
    subs = verbs[head]
    if subs:
        if rest and rest[0].lower() in subs:
            cmd.sub = rest[0].lower()
            rest = rest[1:]
        elif rest and not _looks_like_arg(head, rest[0]):
            close = difflib.get_close_matches(rest[0].lower(), subs, n=1, cutoff=0.5)
            if close:
                return ParseError(
                    f"/dojo {head} has no {rest[0]!r}", f"/dojo {head} {close[0]}"
                )
            return ParseError(
                f"/dojo {head} has no {rest[0]!r}",
                "use one of: " + ", ".join(f"/dojo {head} {s}" for s in subs),
            )
        else:
            cmd.sub = DEFAULT_SUB.get(head)
    if head in ID_VERBS and len(rest) > 1 and rest[0].lower().rstrip(":#.") in ID_WORDS:
        rest = rest[1:]  # "/dojo show ex 1.1.1": the word before the id is not the id
    for tok in rest:
        key, eq, value = tok.partition("=")
        if eq and key and key.isidentifier():
            cmd.opts[key.lower()] = value
        else:
            cmd.args.append(tok)
    if head == "help":  # "/dojo help /dojo submit" is about submit
        cmd.args = [a for a in cmd.args if a.lower().lstrip("/!") != "dojo"] or cmd.args[:1]
    if head in NO_ARGS and rest:  # "/dojo streak bob" shows no one else's: say so
        return ParseError(f"/dojo {head} takes nothing after it (got {_words(rest)}); "
                          f"usage: /dojo {head}", f"/dojo {head}")
    refused = extra_words(cmd)
    if refused is not None:
        return refused
    if head == "leaderboard" and any(a.lower() != "image" for a in cmd.args):
        odd = next(a for a in cmd.args if a.lower() != "image")
        return ParseError(f"/dojo leaderboard has no {odd!r}",
                          f"/dojo leaderboard {cmd.sub or 'week'} image")
    return cmd


def _words(words: list[str]) -> str:
    return ", ".join(repr(w) for w in words)


def extra_words(cmd: Command) -> ParseError | None:
    """Words the command does not take, refused with its usage (None: none)."""
    verb = f"/dojo {cmd.verb}" + (f" {cmd.sub}" if cmd.sub else "")
    if cmd.verb == "hint":  # an id, and "yes" to confirm the cost offered
        ids = [a for a in cmd.args if a.lower() not in YES_WORDS]
        yes = [a for a in cmd.args if a.lower() in YES_WORDS]
        extra = ids[1:] + yes[1:]
        if extra:
            keep = " ".join(ids[:1] + yes[:1])
            return ParseError(f"/dojo hint takes an exercise id and, to confirm the cost, "
                              f"yes (got {_words(extra)} too); usage: /dojo hint ID [yes]",
                              f"/dojo hint {keep}")
        return None
    if (cmd.verb, cmd.sub) == ("challenge", "open"):  # ID [at TIME] [for LENGTH]
        rest, extra = cmd.args[1:], []
        while rest:
            word = rest.pop(0)
            if word.lower() in ("at", "for") and rest:
                rest.pop(0)
            else:
                extra.append(word)
        if extra:
            return ParseError(f"/dojo challenge open takes one challenge (got {_words(extra)} "
                              f"after {cmd.args[0]!r}); usage: /dojo challenge open ID "
                              "[at=TIME] [for=90m] — open each challenge with its own command",
                              f"/dojo challenge open {cmd.args[0]}")
        return None
    arity = ARITY.get((cmd.verb, cmd.sub))
    if arity is None or len(cmd.args) <= arity[0]:
        return None
    n, how = arity
    extra = cmd.args[n:]
    if n == 0:
        return ParseError(f"{verb} takes nothing after it (got {_words(extra)}); usage: {how}",
                          verb)
    taken = " ".join(cmd.args[:n])
    word = "one word" if n == 1 else f"{n} words"
    return ParseError(f"{verb} takes {word} (got {_words(extra)} after {taken!r}); "
                      f"usage: {how}", f"{verb} {taken}")


def _looks_like_arg(verb: str, token: str) -> bool:
    """An exercise id or key=value right after a verb with sub-verbs (e.g.
    ``/dojo challenge 1.4.1``) is an argument, not a mistyped sub-verb."""
    return "=" in token or token[:1].isdigit() or token.startswith("#")


HELP = """\
**TorchDojo commands**
/dojo today — today's drills and your status
/dojo show ID — an exercise's prompt and contract
/dojo submit [ID] + a ```python code block``` (or attach a .py file, or reply to a drill post)
/dojo status [#N] — where your latest submission is
/dojo streak — your streak and banked freezes (/dojo help streak: how they work)
/dojo review [ID] — exercises due for spaced review (fresh inputs; no points if passed before)
/dojo hint ID — the next hint for where your attempt got stuck (costs points; confirm first)
/dojo progress — your calendar, points, reviews and best times as a picture
/dojo leaderboard [week|all] [image] — cohort standings
/dojo challenge start ID — start your personal timer (reveals the prompt); once passed: practice
/dojo challenge status [ID] — windows, timers and who passed
/dojo cohort join [tz=Europe/Berlin] | leave | info
/dojo schedule show — the cohort's days ahead: what is posted when
/dojo tz [ZONE|clear] — your own time zone for streaks (bare: show it)
/dojo remind on|off — streak-at-risk reminders and review nudges
Instructors: /dojo cohort create NAME [tz=…] [start=YYYY-MM-DD] [time=HH:MM],
/dojo schedule time HH:MM | tz ZONE | start DATE | pause | resume,
/dojo challenge open ID [at=TIME] [for=90m], /dojo export,
/dojo dashboard — a private one-time sign-in link to the web dashboard
/dojo help VERB — how to use one command, with an example (e.g. /dojo help submit)"""

#: ``/dojo help VERB``: how to use one verb, with an example to copy. Also the
#: hint of a reply to a verb given a value it cannot use (a bad time, zone, …).
VERB_HELP: dict[str, str] = {
    "help": "/dojo help — all commands; /dojo help VERB — one of them (e.g. /dojo help submit); "
            "/dojo help streak — how streaks and freezes work",
    "today": "/dojo today — today's items and your status on each (before the post time: "
             "yesterday's)",
    "show": "/dojo show ID — an exercise's prompt and contract, e.g. /dojo show 1.1.1 "
            "(ids are on /dojo today)",
    "submit": "/dojo submit ID, then your code in a ```python code block``` in the same "
              "message, e.g.\n/dojo submit 1.1.1\n```python\nimport torch\n…\n```\n"
              "Or attach a .py file, or reply to the drill post with a code block. Without an "
              "id: today's only item, or the one whose names your code defines.",
    "status": "/dojo status — where your latest submissions are; /dojo status #12 — one of them",
    "streak": "/dojo streak — your streak, your best and the freezes banked "
              "(/dojo help streak: how they work)",
    "progress": "/dojo progress — your calendar, points, reviews and best times as a picture",
    "leaderboard": "/dojo leaderboard [week|all] [image] — cohort standings, e.g. "
                   "/dojo leaderboard all image",
    "challenge": "/dojo challenge start ID — start your personal timer (reveals the prompt) "
                 "for a challenge the cohort has no window for; /dojo challenge status [ID] — "
                 "windows, timers and who passed (once the window closed); instructors: "
                 "/dojo challenge open ID [at=18:00] [for=90m]",
    "cohort": "/dojo cohort join [tz=Europe/Berlin] | leave | info; instructors: "
              "/dojo cohort create NAME [tz=Europe/Berlin] [start=YYYY-MM-DD] [time=09:00]",
    "schedule": "/dojo schedule show; instructors: /dojo schedule time 09:00 | tz Europe/Berlin "
                "| start 2026-03-02 | pause | resume",
    "export": "/dojo export — every submission as CSV, sent privately (instructors)",
    "dashboard": "/dojo dashboard — a private one-time sign-in link to the web dashboard "
                 "(instructors)",
    "review": "/dojo review — your spaced reviews, due and coming; /dojo review 1.1.1 — "
              "where one exercise stands",
    "hint": "/dojo hint ID — the cost of the next hint for where your latest attempt got "
            "stuck; /dojo hint ID yes — reveal it, e.g. /dojo hint 1.1.1 yes",
    "remind": "/dojo remind on | off — streak-at-risk reminders and review nudges; "
              "/dojo remind — whether they are on",
    "tz": "/dojo tz Europe/Berlin — your own time zone for streaks (an IANA name); "
          "/dojo tz clear — follow the cohort's; /dojo tz — the zone in use",
    "as": "/dojo as USER [instructor] — act as another member (console only)",
    "clock": "/dojo clock 2026-03-02T09:00 | +1d | +3h | -30m — move time (console only)",
    "reply": "/dojo reply m2, then a code block on the next lines — answer that post "
             "(console only)",
}


def usage(verb: str) -> str | None:
    """How to use ``verb`` (None for an unknown one)."""
    return VERB_HELP.get(ALIASES.get(verb, verb))


def help_word(topic: str) -> str:
    """The word a help topic is about: ``/dojo help /dojo submit`` is about submit."""
    words = [w.lstrip("/") for w in topic.lower().split()]
    words = [w for w in words if w and w != "dojo"]
    return words[0] if words else topic.lower().strip()


def help_verb(topic: str, *, console: bool = False) -> str | None:
    """The verb a help topic names (``/dojo help leaderbord`` → leaderboard),
    None when it names none."""
    word = help_word(topic)
    word = ALIASES.get(word, word)
    verbs = dict(VERBS, **CONSOLE_VERBS) if console else VERBS
    if word in verbs:
        return word
    close = difflib.get_close_matches(word, list(verbs), n=1, cutoff=0.75)
    return close[0] if close else None


CONSOLE_HELP = """\
Console only: /dojo as USER [instructor] — act as another member;
/dojo clock ISO-TIME | +1d | +3h | -30m — move time; /dojo reply MSGID — next lines reply to a post;
/dojo submit ID < file.py — attach a file. Pictures are written to files."""

HELP_STREAK = "\n".join([
    "**Streaks and freezes**",
    "A day counts for your streak when you pass something new or due that day (in your "
    "time zone, /dojo tz): that day's item, a review that is due (/dojo review), or an "
    "exercise you had not passed before. Re-submitting something you passed earlier does "
    "not count. Days the cohort is paused or has nothing scheduled neither break nor extend "
    "a streak.",
    f"A **freeze** covers one day you miss, automatically, so the streak survives (it does "
    f"not grow that day). You earn one for every {FREEZE_EVERY} streak days and can bank up "
    f"to {MAX_FREEZES}. More missed days in a row than freezes banked end the streak, and "
    f"then no freeze is spent: they stay banked. Earning one and using one are each "
    f"announced to you once.",
    "/dojo streak shows your streak, your best and the freezes banked; /dojo remind on|off "
    "turns the evening \"streak at risk\" reminder (and the review nudges) on or off.",
])
