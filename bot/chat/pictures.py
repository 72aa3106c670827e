"""PNG pictures with matplotlib's headless Agg backend (no display needed).

Sized for a chat message: a chat client shows a picture about 400–550 pixels
wide, so text is set large enough to read at half size, and every picture says
what it shows in words as well as colours.

Names in pictures are learner-controlled: matplotlib would read ``$…$`` in a
display name as math, so math parsing is off for every text drawn here.

Imported lazily by the handler: matplotlib costs ~0.5 s to import and most
commands never draw.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt
from matplotlib.patches import Patch

from bot.core import rules
from bot.core.rules import DayState
from bot.core.types import BoardRow
from bot.core.views import ProgressData

COLORS = {
    DayState.passed: "#2e9d4f",
    DayState.frozen: "#5aa9e6",
    DayState.missed: "#d9534f",
    DayState.open: "#f0ad4e",
    DayState.future: "#ffffff",
    DayState.before: "#eeeeee",
    DayState.paused: "#bbbbbb",
    DayState.rest: "#eadfc4",
}
LEGEND = (DayState.passed, DayState.frozen, DayState.missed, DayState.open, DayState.rest)
BLUE = "#2e6fd9"
STYLE = {"text.parse_math": False, "font.size": 11}
NAME_MAX = 24


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _short(name: str) -> str:
    name = " ".join(name.split())
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"


def progress_png(p: ProgressData) -> bytes:
    """Calendar of cohort days (one row per week), points by day from the
    cohort's start to today, and a panel with the reviews due and best times."""
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(10, 6.2))
        grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.35], height_ratios=[2.2, 1],
                                hspace=0.45, wspace=0.25)
        _calendar(fig.add_subplot(grid[0, 0]), p)
        _points(fig.add_subplot(grid[0, 1]), p)
        _learning(fig.add_subplot(grid[1, :]), p)
        points = f"{p.total} point{'s' if p.total != 1 else ''}"
        fig.suptitle(f"{_short(p.name)} — {points}, streak {p.streak.current} "
                     f"(best {p.streak.best})", fontsize=14, fontweight="bold")
        return _png(fig)


def _calendar(cal: plt.Axes, p: ProgressData) -> None:
    """Cohort days in rows of seven, the rest of this week greyed as to come."""
    cells = [(n, state) for n, _d, state in p.days]
    last = cells[-1][0] if cells else 0
    cells += [(n, DayState.future) for n in range(last + 1, (last + 6) // 7 * 7 + 1)]
    weeks = max((len(cells) + 6) // 7, 1)
    for n, state in cells:
        w, col = (n - 1) // 7, (n - 1) % 7
        y = weeks - 1 - w
        cal.add_patch(plt.Rectangle((col, y), 0.9, 0.9, facecolor=COLORS.get(state, "#ccc"),
                                    edgecolor="#cccccc" if state is DayState.future else "none"))
        dark = state in (DayState.passed, DayState.missed, DayState.frozen)
        cal.text(col + 0.45, y + 0.45, str(n), ha="center", va="center", fontsize=11,
                 color="white" if dark else "#555555")
    cal.set_xlim(-0.1, 7)
    cal.set_ylim(-0.1, weeks)
    cal.xaxis.tick_top()
    cal.set_xticks([i + 0.45 for i in range(7)], [f"d{i + 1}" for i in range(7)], fontsize=9)
    cal.tick_params(length=0)
    cal.set_yticks([weeks - 1 - w + 0.45 for w in range(weeks)],
                   [f"week {w + 1}" for w in range(weeks)], fontsize=10)
    cal.set_title(f"your days — {p.streak.freezes} freeze"
                  f"{'s' if p.streak.freezes != 1 else ''} banked", fontsize=11, pad=22)
    cal.set_aspect("equal")
    cal.legend(handles=[Patch(color=COLORS[s], label=s.value) for s in LEGEND],
               loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, fontsize=9,
               frameon=False)
    for spine in cal.spines.values():
        spine.set_visible(False)


def _points(pts: plt.Axes, p: ProgressData) -> None:
    """Running total on every day from the cohort's start to today, from 0."""
    days = [d for d, _ in p.points]
    totals = [v for _, v in p.points]
    if days:
        xs = list(range(len(days)))
        pts.plot(xs, totals, drawstyle="steps-mid", color=BLUE, linewidth=2)
        pts.plot(xs, totals, "o", color=BLUE, markersize=4)
        pts.fill_between(xs, totals, step="mid", color=BLUE, alpha=0.12)
        pts.annotate(str(totals[-1]), (xs[-1], totals[-1]), textcoords="offset points",
                     xytext=(0, 8), ha="center", fontsize=11, color=BLUE)
        every = max(1, (len(days) + 6) // 7)
        ticks = xs[::every]
        pts.set_xticks(ticks, [f"{days[i]:%d %b}" for i in ticks], fontsize=9)
        pts.set_xlim(-0.6, len(days) - 0.4)
    pts.set_ylim(bottom=0, top=max([*totals, 10]) * 1.2)
    pts.set_title("points, day by day", fontsize=11)
    pts.set_ylabel("points")
    pts.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        pts.spines[side].set_visible(False)


def _learning(ax: plt.Axes, p: ProgressData) -> None:
    """Reviews due and best times, in words (they are lists, not trends)."""
    ax.axis("off")
    lines: list[str] = []
    q = p.reviews
    if q is not None and q.cards:
        due = ", ".join(r.item.id for r in q.due[:6]) + (" …" if len(q.due) > 6 else "")
        retention = (f"   retention estimate {q.retention * 100:.0f} %"
                     if q.retention is not None else "")
        lines.append(f"Reviews due today: {len(q.due)}" + (f" ({due})" if due else "")
                     + f"   in queue: {q.cards}{retention}")
        if q.upcoming:
            nxt = q.upcoming[0]
            lines.append(f"Next review: {nxt.item.id} on {nxt.due_day:%a %d %b}")
    else:
        lines.append("Reviews: none yet — what you fail or pass after several tries "
                     "comes back here.")
    if p.bests:
        for b in p.bests[:3]:
            line = f"Best time {b.item.id}: {rules.clock_time(b.best_s)}"
            if b.previous_s is not None:
                change = rules.improvement(b.previous_s, b.latest_s)
                line += (f"   last run {rules.clock_time(b.previous_s)} → "
                         f"{rules.clock_time(b.latest_s)}")
                if change is not None:  # none from a previous time of 0:00
                    line += f" ({change:+.0f} %)".replace("-", "−")
            lines.append(line)
    else:
        lines.append("Best times: none yet — pass a timed challenge, then start it again "
                     "to beat your time.")
    for i, line in enumerate(lines[:5]):
        ax.text(0.0, 1 - i * 0.24, line, transform=ax.transAxes, fontsize=12, va="top")


def leaderboard_png(title: str, rows: list[BoardRow]) -> bytes:
    """Everyone in the cohort, 0 points included, best first."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7, 0.5 * max(len(rows), 3) + 1.2))
        names = [f"{r.rank}. {_short(r.name)}" for r in rows][::-1]
        values = [r.points for r in rows][::-1]
        top = max([*values, 1])
        bars = ax.barh(range(len(rows)), values, color=BLUE, height=0.65)
        for bar, v in zip(bars, values, strict=True):
            ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2,
                    f"{v}", va="center", fontsize=12)
        ax.set_yticks(range(len(rows)), names, fontsize=12)
        ax.set_xlim(0, top * 1.15)
        ax.set_title(title, fontsize=14, fontweight="bold", loc="left")
        ax.set_xlabel("points")
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if not rows:
            ax.text(0.5, 0.5, "no members yet", ha="center", va="center",
                    transform=ax.transAxes)
        return _png(fig)
