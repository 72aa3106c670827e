"""Make untrusted text safe to echo into a chat.

Everything a learner controls — stdout, exception and check messages, display
names, class names — is hostile. Two kinds of it reach a reply:

* **blocks** (output, a syntax error with its caret): shown in a code block
  (:func:`safe_output`), fences defused so it stays inside;
* **inline pieces** (a check's message, a name): wrapped by :func:`untrusted`
  in private-use marker characters. Each adapter renders a marked piece as
  inert text for its platform (inline code on Discord and Slack, plain text in
  the console) with :func:`render_marked`, so it can carry no link, no
  formatting that changes meaning and no line of its own (a forged
  "✅ passed" line is impossible: newlines inside a piece become spaces).

In both kinds mentions are broken (``@everyone``, ``<@id>``, ``<!channel>``)
and links defanged (``https​://``), so no client makes them clickable.
"""

from __future__ import annotations

import re
from collections.abc import Callable

ZWSP = "\u200b"
OPEN, CLOSE = "\ue000", "\ue001"  # private-use code points: never in our own text
_MASS = re.compile(r"@(everyone|here|channel)", re.I)
_ANGLE = re.compile(r"<([@!#])")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)")
_WWW = re.compile(r"\b(www)\.", re.I)
_MARKED = re.compile(f"{OPEN}(.*?){CLOSE}", re.S)
#: Bidirectional marks, embeddings, overrides and isolates: a name or an
#: output holding U+202E shows the text after it backwards ("Trojan Source"),
#: so a piece could make our own words around it read differently. Dropped
#: here; the dashboard shows them (``bot.dashboard.render``).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: DEL and the C1 controls (NEL among them: a line break to some clients).
_C1 = re.compile("[\u007f-\u009f]")
#: Line and paragraph separators: line breaks to chat clients.
_SEPARATORS = re.compile("[\u2028\u2029]")
#: Lone UTF-16 surrogates: no UTF-8 writer (a chat API's JSON, a terminal) takes them.
_SURROGATES = re.compile("[\ud800-\udfff]")


def neutralize(text: str) -> str:
    """Break mentions, defang links and defuse code fences."""
    text = _MASS.sub(lambda m: "@" + ZWSP + m.group(1), text)
    text = _ANGLE.sub(lambda m: "<" + ZWSP + m.group(1), text)
    text = _SCHEME.sub(lambda m: m.group(1) + ":" + ZWSP + m.group(2), text)
    text = _WWW.sub(lambda m: m.group(1) + ZWSP + ".", text)
    return text.replace("```", "`" + ZWSP + "``")


def _printable(text: str, keep_newlines: bool) -> str:
    """Control and layout characters out: bidi controls dropped, Unicode line
    separators made plain newlines (or spaces), other controls ``?``."""
    keep = "\n\t" if keep_newlines else ""
    text = text.replace(OPEN, "").replace(CLOSE, "")
    text = _C1.sub("?", BIDI_CONTROLS.sub("", text))
    text = _SEPARATORS.sub("\n" if keep_newlines else " ", text)
    text = _SURROGATES.sub("\ufffd", text)
    return "".join(ch if ch in keep or ch >= " " else "?" for ch in text)


def truncate(text: str, max_chars: int = 800, max_lines: int = 15) -> str:
    lines = text.splitlines()
    cut = False
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        cut = True
    out = "\n".join(lines)
    if len(out) > max_chars:
        out = out[:max_chars]
        cut = True
    return out + ("\n… (truncated)" if cut else "")


def safe_output(text: str | None, max_chars: int = 800, max_lines: int = 15) -> str:
    """Learner output as it may appear in a code block."""
    if not text:
        return ""
    return neutralize(truncate(_printable(str(text), True), max_chars, max_lines))


def untrusted(text: object, max_chars: int = 300) -> str:
    """A learner-controlled piece for inline use: one line, capped, defanged and
    marked so each adapter renders it as inert text."""
    one_line = " ".join(_printable(str(text), True).split())
    if len(one_line) > max_chars:
        one_line = one_line[: max_chars - 1] + "…"
    # A backtick would close the inline code it is shown in; a quote reads the
    # same in a message ("use 'torch.zeros'") and is literal inside code.
    return OPEN + neutralize(one_line).replace("`", "'") + CLOSE


def render_marked(text: str, trusted: Callable[[str], str] = lambda s: s,
                  inert: Callable[[str], str] = lambda s: s) -> str:
    """Render text with marked pieces: ``trusted`` for our own text, ``inert`` for
    each learner piece (e.g. wrap it in inline code). Stray markers are dropped."""
    out: list[str] = []
    pos = 0
    for m in _MARKED.finditer(text):
        out.append(trusted(text[pos:m.start()].replace(OPEN, "").replace(CLOSE, "")))
        if m.group(1):
            out.append(inert(m.group(1)))
        pos = m.end()
    out.append(trusted(text[pos:].replace(OPEN, "").replace(CLOSE, "")))
    return "".join(out)


def plain(text: str) -> str:
    """Marked text as plain text (the console, notification fallbacks)."""
    return render_marked(text)


def display_name(name: str) -> str:
    """A member's display name for a sentence (names are user-controlled)."""
    return untrusted(name or "someone", 80)
