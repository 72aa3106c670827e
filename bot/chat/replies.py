"""Neutral replies: what the bot says, independent of how a platform draws it.

The chat layer makes every decision (what to say, to whom, whether it is
private, whether it replaces a "grading…" message, whether the member's own
message must come down); adapters only lay replies out (Discord embeds, Slack
blocks, console text). A verdict comes as structured :class:`VerdictParts`
(headline, cause, checks, output), so no adapter has to split text that the
chat layer joined. Learner-controlled pieces inside texts are marked (see
:mod:`bot.chat.safe`); ``as_text`` is the plain rendering the console and
tests use, and the fallback for anything an adapter cannot draw.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.chat.safe import plain


@dataclass
class Image:
    filename: str
    data: bytes
    alt: str = ""


@dataclass
class File:
    filename: str
    data: bytes
    mime: str = "application/octet-stream"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]

    def as_text(self) -> str:
        cols = [self.headers, *self.rows]
        widths = [max(len(str(r[i])) for r in cols) for i in range(len(self.headers))]
        lines = ["  ".join(str(h).ljust(w) for h, w in zip(self.headers, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        for r in self.rows:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
        return "\n".join(line.rstrip() for line in lines)


@dataclass
class CheckLine:
    id: str
    kind: str
    passed: bool
    message: str = ""  # marked learner-influenced text (may quote their values)


@dataclass
class VerdictParts:
    """A grading verdict in the order a learner needs it: what happened, why
    (the cause), what each check found, and what the code printed."""

    status: str
    icon: str
    headline: str  # "#12 `1.1.1` Zeros: passed 10/10"
    notes: list[str] = field(default_factory=list)  # points, streak, "graded now that…"
    cause: str = ""  # learner-facing cause block (syntax error with caret, exception)
    explanation: str = ""  # one sentence on the status (limits, what to do)
    checks: list[CheckLine] = field(default_factory=list)  # judged checks, failing first
    folded: str = ""  # "6 checks not run"
    output: str = ""  # what the code printed (safe for a code block)
    facts: list[str] = field(default_factory=list)  # "score 3/10", "graded in 12 ms"
    tips: list[str] = field(default_factory=list)  # what next: a hint on offer, a review date
    max_checks: int | None = 6  # failing checks listed (None: all — the console)

    @property
    def failing(self) -> list[CheckLine]:
        return [c for c in self.checks if not c.passed]

    def body(self, *, code: Callable[[str], str] = str,
             text: Callable[[str], str] = str) -> list[str]:
        """The lines under the headline, in order; ``code`` formats a check id and
        ``text`` a marked text for the platform."""
        lines = list(self.notes)
        if self.cause:
            lines.append("```\n" + self.cause + "\n```")
        if self.explanation:
            lines.append(text(self.explanation))
        failing = self.failing
        shown = failing if self.max_checks is None else failing[:self.max_checks]
        for c in shown:
            lines.append(f"• {code(c.id)} ({c.kind}): {text(c.message)}")
        if len(failing) > len(shown):
            lines.append(f"… and {len(failing) - len(shown)} more failing checks")
        if self.folded:
            lines.append(self.folded)
        lines.extend(text(tip) for tip in self.tips)
        return lines

    def as_text(self) -> str:
        return "\n".join([f"{self.icon} {self.headline}", *self.body()])


@dataclass
class Reply:
    """One message. ``code`` is learner output, already truncated and defused."""

    text: str = ""
    title: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    table: Table | None = None
    code: str | None = None
    images: list[Image] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    mention: str | None = None  # platform user id this reply addresses
    private: bool = False  # only the asker may see it (errors, help, timed challenges)
    level: str = "info"  # info | success | warning | error
    exercise_id: str | None = None  # drill posts: which exercise a reply-to means
    status_of: int | None = None  # the "grading…" message of this submission
    verdict: VerdictParts | None = None  # a grading verdict, laid out by the adapter
    takedown: bool = False  # remove the member's message (a challenge answer in public)

    def as_text(self) -> str:
        parts: list[str] = []
        if self.title:
            parts.append(self.title)
        if self.verdict is not None:
            parts.append(self.verdict.as_text())
        if self.text:
            parts.append(self.text)
        for name, value in self.fields:
            parts.append(f"{name}: {value}")
        if self.table is not None:
            parts.append(self.table.as_text())
        code = self.code if self.code is not None else (
            self.verdict.output if self.verdict is not None else "")
        if code:
            parts.append("```\n" + code + "\n```")
        return plain("\n".join(parts))


_PLAIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?[,:;!?]?")


def sentence(text: str) -> str:
    """Capitalise a sentence that starts with a plain word ("unknown zone …" →
    "Unknown zone …"), never a name it starts with: a file name, an id, a
    command or a quoted value stays as given ("latin1.py is not UTF-8 text")."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if _PLAIN_WORD.fullmatch(first):
        return text[:1].upper() + text[1:]
    return text


def error(message: str, hint: str | None = None) -> Reply:
    text = sentence(message)
    if hint:
        text += f"\n→ {sentence(hint)}"
    return Reply(text=text, private=True, level="error")
