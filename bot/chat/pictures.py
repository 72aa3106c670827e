"""PNG pictures with matplotlib's headless Agg backend (no display needed).

Imported lazily by the handler: matplotlib costs ~0.5 s to import and most
commands never draw.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt
from matplotlib.patches import Patch

from bot.core.dojo import ProgressData
from bot.core.rules import DayState
from bot.core.types import BoardRow

COLORS = {
    DayState.passed: "#2e9d4f",
    DayState.frozen: "#5aa9e6",
    DayState.missed: "#d9534f",
    DayState.open: "#f0ad4e",
    DayState.future: "#dddddd",
    DayState.before: "#eeeeee",
    DayState.paused: "#bbbbbb",
}


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def progress_png(p: ProgressData) -> bytes:
    """Calendar of cohort days (one row per week) and cumulative points."""
    fig, (cal, pts) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 1.4]})
    weeks = max((len(p.days) + 6) // 7, 1)
    for n, _d, state in p.days:
        w, col = (n - 1) // 7, (n - 1) % 7
        cal.add_patch(
            plt.Rectangle((col, weeks - 1 - w), 0.9, 0.9, color=COLORS.get(state, "#ccc"))
        )
        cal.text(col + 0.45, weeks - 1 - w + 0.45, str(n), ha="center", va="center", fontsize=8)
    cal.set_xlim(-0.1, 7)
    cal.set_ylim(-0.1, weeks)
    cal.set_xticks([i + 0.45 for i in range(7)], [f"d{i + 1}" for i in range(7)], fontsize=7)
    cal.tick_params(length=0)
    cal.set_yticks([weeks - 1 - w + 0.45 for w in range(weeks)],
                   [f"week {w + 1}" for w in range(weeks)], fontsize=7)
    cal.set_title(f"{p.name}: streak {p.streak.current}, freezes {p.streak.freezes}", fontsize=9)
    cal.set_aspect("equal")
    cal.legend(
        handles=[Patch(color=COLORS[s], label=s.value) for s in
                 (DayState.passed, DayState.frozen, DayState.missed, DayState.open)],
        loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, fontsize=7, frameon=False,
    )
    for spine in cal.spines.values():
        spine.set_visible(False)
    if p.points:
        xs = [d for d, _ in p.points]
        ys = [v for _, v in p.points]
        pts.step(xs, ys, where="post", color="#2e6fd9")
        pts.plot(xs, ys, "o", color="#2e6fd9", markersize=3)
    else:
        pts.text(0.5, 0.5, "no points yet", ha="center", va="center", transform=pts.transAxes)
    pts.set_title(f"points over time (total {p.total})", fontsize=9)
    pts.tick_params(labelsize=7)
    pts.tick_params(axis="x", rotation=30)
    return _png(fig)


def leaderboard_png(title: str, rows: list[BoardRow]) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 0.4 * max(len(rows), 3) + 1))
    names = [f"{r.rank}. {r.name}" for r in rows][::-1]
    values = [r.points for r in rows][::-1]
    bars = ax.barh(names, values, color="#2e6fd9")
    for bar, v in zip(bars, values, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v}", va="center",
                fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("points")
    if not rows:
        ax.text(0.5, 0.5, "no points yet", ha="center", va="center", transform=ax.transAxes)
    return _png(fig)
