"""Templates and the few pieces of HTML built in Python.

Every template is autoescaped (``autoescape=True`` for all of them, not by
file extension), so learner names, code, messages and output render as text.
Two things are built here instead of in a template, each for a reason:

* heatmap rows — 500 members × 100 exercises is 50,000 cells; joining
  precomputed cell snippets is ~20× faster than a template loop, and the only
  values in a cell are integers and curriculum ids (escaped once per column);
* highlighted code — Pygments escapes the code it tokenises.

Escaping is not enough for one kind of character: a bidirectional control
(U+202E and its kin) in a name, a message or code reorders the text after it
on the page ("Trojan Source": code that reads differently from what runs).
Every value a template prints shows them as what they are, ``⟨U+202E⟩``
(:func:`show_bidi`, the environment's ``finalize``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from starlette.templating import Jinja2Templates

from bot.chat.safe import BIDI_CONTROLS
from bot.core import rules
from bot.core.insights import CellState
from bot.core.insights.views import Cell, ExerciseColumn

HERE = Path(__file__).parent
STATE_LABEL = {
    CellState.first_try: "passed first try",
    CellState.after_tries: "passed after tries",
    CellState.failing: "failing",
    CellState.not_tried: "not tried",
}
_FORMATTER = HtmlFormatter(linenos="table", cssclass="code", wrapcode=True, style="friendly")


def code_css() -> str:
    """Pygments' token colours for ``.code`` (served as /static/code.css)."""
    return str(_FORMATTER.get_style_defs(".code"))


def highlight_python(code: str) -> Markup:
    return Markup(highlight(code, PythonLexer(stripnl=False, ensurenl=False), _FORMATTER))


def local(at: datetime | None, tz: str, fmt: str = "%a %d %b %H:%M") -> str:
    if at is None:
        return "—"
    return at.astimezone(rules.zone(tz)).strftime(fmt)


def local_end(end: datetime | None, start: datetime | None, tz: str) -> str:
    """When a span ends: its time alone on the local day it started, else day and time
    (a 3-day window read "Fri 20 Mar 18:00 → 18:00")."""
    if end is None or start is None:
        return local(end, tz)
    same_day = rules.local_date(end, tz) == rules.local_date(start, tz)
    return local(end, tz, "%H:%M" if same_day else "%a %d %b %H:%M")


def ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    seconds = (now - at).total_seconds()
    if seconds < 90:
        return "just now"
    if seconds < 3600 * 1.5:
        return f"{round(seconds / 60)} min ago"
    if seconds < 86400 * 1.5:
        return f"{round(seconds / 3600)} h ago"
    return f"{round(seconds / 86400)} d ago"


def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def due_day(day: date, today: date) -> str:
    """When a review card is due, in the member's days: ``today``, ``tomorrow``,
    ``Thu 12 Mar``, or ``overdue since Mon 09 Mar``."""
    if day == today:
        return "today"
    if day < today:
        return f"overdue since {day:%a %d %b}"
    if (day - today).days == 1:
        return "tomorrow"
    return f"{day:%a %d %b}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


class Heatmap:
    """Builds heatmap rows for one set of columns of one cohort: per column and
    state the markup around the submission id is prepared once, so a cell
    costs one dictionary lookup and one string join. Links are relative to
    the overview's address (``/c/ID/``)."""

    def __init__(self, columns: list[ExerciseColumn]) -> None:
        self.cells: list[dict[tuple[CellState, int, int], str]] = []
        for col in columns:
            title = str(escape(col.id))
            by_state = {}
            for state in CellState:
                for pending in (0, 1):
                    for cng in (0, 1):
                        cls = state.value + (" pend" if pending else "") + (" cng" if cng else "")
                        # the link carries its name (a screen reader said "link" 78 times)
                        by_state[(state, pending, cng)] = (
                            f'<td class="h {cls}"><a aria-label="{title}: {STATE_LABEL[state]}"'
                            f' title="{title}: {STATE_LABEL[state]}, ')
            self.cells.append(by_state)
        self.untried = '<td class="h not_tried"></td>'

    def row(self, cells: list[Cell]) -> Markup:
        heads, untried = self.cells, self.untried
        return Markup("".join([
            untried if cell.latest_id is None else
            f'{heads[k][(cell.state, cell.pending, cell.could_not_grade)]}{cell.graded} '
            f'graded" href="submissions/{cell.latest_id}"></a></td>'
            for k, cell in enumerate(cells)
        ]))


_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LIST_ITEM = re.compile(r"^\s*(?:([-*])|(\d+)\.)\s+(.*)$")
# a summary's first line repeats the page's title and points: "**Title** (10 points)"
_TITLE_LINE = re.compile(r"^\*\*[^*\n]+\*\*\s*\(\d+ points?\)\s*$")


def _inline(line: str) -> str:
    """One line of chat text as HTML: escaped, then `code` and **bold** (bold
    may hold code: ``**`torch.zeros()`**``)."""
    spans: list[str] = []

    def hold(m: re.Match[str]) -> str:
        spans.append(f"<code>{escape(m.group(1)[1:-1])}</code>")
        return f"\ue000{len(spans) - 1}\ue001"

    text = line.replace("\ue000", "\ufffd").replace("\ue001", "\ufffd")
    text = _BOLD.sub(r"<strong>\1</strong>", str(escape(_CODE_SPAN.sub(hold, text))))
    return re.sub("\ue000(\\d+)\ue001", lambda m: spans[int(m.group(1))], text)


def chat_text(text: str | None) -> Markup:
    """A chat-sized prompt (an exercise's summary: lines, ``- `` and ``1. ``
    lists, ``**bold**``, `` `code` ``) as HTML instead of its Markdown shown
    raw on one line. Everything is escaped first; only those few marks
    become tags."""
    lines = (text or "").splitlines()
    if lines and _TITLE_LINE.match(lines[0]):
        lines = lines[1:]
    html: list[str] = []
    open_list = ""
    for line in lines:
        item = _LIST_ITEM.match(line)
        kind = ("ul" if item.group(1) else "ol") if item else ""
        if kind != open_list:
            if open_list:
                html.append(f"</{open_list}>")
            if kind:
                html.append(f"<{kind}>")
            open_list = kind
        if item:
            html.append(f"<li>{_inline(item.group(3))}</li>")
        elif line.strip():
            html.append(f"<p>{_inline(line.strip())}</p>")
    if open_list:
        html.append(f"</{open_list}>")
    return Markup("".join(html))


def show_bidi(value: object) -> object:
    """``value`` with each bidirectional control shown as ``⟨U+XXXX⟩`` (markup
    stays markup: the replacement holds no HTML)."""
    if not isinstance(value, str) or not BIDI_CONTROLS.search(value):
        return value
    shown = BIDI_CONTROLS.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", value)
    return Markup(shown) if isinstance(value, Markup) else shown


def templates() -> Jinja2Templates:
    env = Environment(
        finalize=show_bidi,
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(local=local, local_end=local_end, ago=ago, duration=duration,
                       percent=percent, chat_text=chat_text, due_day=due_day,
                       clock=rules.clock_time, time_change=rules.time_change)
    env.globals.update(STATE_LABEL=STATE_LABEL, CellState=CellState)
    return Jinja2Templates(env=env)
