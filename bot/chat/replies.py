"""Neutral replies: what the bot says, independent of how a platform draws it.

Adapters render these (Discord embeds, Slack blocks, console text). ``as_text``
is the plain rendering the console and tests use, and a fallback for any
adapter that cannot draw fields or tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    ephemeral: bool = False  # only the asker needs to see it (errors, help)
    level: str = "info"  # info | success | warning | error
    exercise_id: str | None = None  # drill posts: which exercise a reply-to means
    submission_id: int | None = None  # "received and queued": the verdict may replace it

    def as_text(self) -> str:
        parts: list[str] = []
        if self.title:
            parts.append(self.title)
        if self.text:
            parts.append(self.text)
        for name, value in self.fields:
            parts.append(f"{name}: {value}")
        if self.table is not None:
            parts.append(self.table.as_text())
        if self.code:
            parts.append("```\n" + self.code + "\n```")
        return "\n".join(parts)


def error(message: str, hint: str | None = None) -> Reply:
    text = message[:1].upper() + message[1:]
    if hint:
        text += f"\n→ {hint[:1].upper() + hint[1:]}"
    return Reply(text=text, ephemeral=True, level="error")
