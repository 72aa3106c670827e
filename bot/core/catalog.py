"""The curriculum as the core sees it: exercise lookup with "did you mean",
the neutral :class:`ExerciseItem` summary, challenge detection, the daily
schedule, and guessing which exercise a piece of code answers.

The curriculum object itself (``curriculum.Curriculum``) is plain data loaded
from YAML; this wrapper is the only place the bot reads it, so adapters and
the chat layer never depend on its shape."""

from __future__ import annotations

import ast
import re
from typing import Any

from bot.core.errors import NotFound
from bot.core.types import ExerciseItem


def kind_of(ex: Any) -> str:
    return getattr(ex.kind, "value", str(ex.kind))


def item_of(ex: Any, status: str = "") -> ExerciseItem:
    return ExerciseItem(
        id=ex.id,
        title=ex.title,
        kind=kind_of(ex),
        max_score=ex.max_score,
        summary=ex.summary,
        time_limit_min=ex.time_limit_min,
        status=status,
    )


def defined_names(code: str) -> set[str]:
    """Top-level names the code binds (to guess which exercise it answers)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set(re.findall(r"^([A-Za-z_]\w*)\s*=", code, re.M))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
    return names


class Catalog:
    """Read-only access to the curriculum."""

    def __init__(self, curriculum: Any) -> None:
        self.curriculum = curriculum

    @property
    def schedule(self) -> dict[int, list[str]]:
        return self.curriculum.schedule

    def get(self, exercise_id: str) -> Any | None:
        return self.curriculum.get(exercise_id)

    def exercise(self, exercise_id: str) -> Any:
        """The exercise, or NotFound with the closest ids as the hint."""
        ex = self.curriculum.get(exercise_id)
        if ex is None:
            close = self.curriculum.closest(exercise_id)
            hint = f"did you mean {', '.join(close)}?" if close else "see /dojo today"
            raise NotFound(f"no exercise {exercise_id[:40]!r}", hint)
        return ex

    def closest(self, text: str) -> list[str]:
        return list(self.curriculum.closest(text))

    def item(self, exercise_id: str, status: str = "") -> ExerciseItem:
        return item_of(self.exercise(exercise_id), status)

    def is_challenge(self, exercise_id: str | None) -> bool:
        ex = self.curriculum.get(exercise_id) if exercise_id else None
        return ex is not None and kind_of(ex) == "challenge"

    def items_of_day(self, day: int) -> list[ExerciseItem]:
        ids = self.schedule.get(day, []) if day >= 1 else []
        return [item_of(ex) for ex in (self.curriculum.get(i) for i in ids) if ex is not None]

    def choices(self, current: str, limit: int = 25) -> list[ExerciseItem]:
        """Autocomplete: ids starting with what was typed first, then titles
        containing it."""
        needle = (current or "").strip().lower()
        exercises = self.curriculum.ordered()
        hits = [ex for ex in exercises if ex.id.startswith(needle)]
        hits += [ex for ex in exercises if needle and not ex.id.startswith(needle)
                 and needle in ex.title.lower()]
        return [item_of(ex) for ex in hits[:limit]]

    def names_of(self, exercise_id: str) -> set[str]:
        """The names an exercise's checks look for (``zeros_1``, ``SimpleLinear1``…)."""
        ex = self.curriculum.get(exercise_id)
        if ex is None:
            return set()
        return {getattr(ch, "name", None) or ch.id for ch in ex.checks}

    def best_match(self, code: str, candidates: list[str]) -> str | None:
        """The candidate exercise whose names the code defines most."""
        names = defined_names(code)
        best, score = None, 0
        for ex_id in candidates:
            hit = len(self.names_of(ex_id) & names)
            if hit > score:
                best, score = ex_id, hit
        return best

    def looks_like(self, code: str, exercise_id: str) -> str | None:
        """Another exercise this code answers, when it defines none of
        ``exercise_id``'s names but all of another's (e.g. zeros code sent to
        1.1.2 → "1.1.1")."""
        names = defined_names(code)
        if not names or self.names_of(exercise_id) & names:
            return None
        best, score = None, 0
        for ex in self.curriculum.ordered():
            if ex.id == exercise_id:
                continue
            wanted = self.names_of(ex.id)
            hit = len(wanted & names)
            if wanted and hit > score and hit * 2 >= len(wanted):
                best, score = ex.id, hit
        return best
