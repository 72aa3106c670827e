"""The curriculum as the core sees it: exercise lookup with "did you mean",
the neutral :class:`ExerciseItem` summary, challenge detection, the daily
schedule, and guessing which exercise a piece of code answers.

The curriculum object itself (``curriculum.Curriculum``) is plain data loaded
from YAML; this wrapper is the only place the bot reads it, so adapters and
the chat layer never depend on its shape."""

from __future__ import annotations

import ast
import difflib
import re
import unicodedata
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


_QUOTES = "`'\"“”‘’«»()[]<>*_~ \t"
_ID_WORD = re.compile(r"^(?:exercise|ex|id)\b[\s.:#-]*|^(?:exercise|ex)(?=\d)", re.I)
_PART = re.compile(r"(\d+\.\d+\.\d+)[a-z]")
_ID_SEP = re.compile(r"\s*[.,;:/\\_\-\s]\s*")


def _id_key(text: str) -> str:
    """``text`` as an id would be written: ``` `Ex 1,1,1:` ``` → ``1.1.1``; invisible
    format characters a copy from chat carries (zero-width space, BOM, bidi marks) are
    dropped."""
    t = "".join(ch for ch in (text or "") if unicodedata.category(ch) != "Cf")
    t = t.strip().strip(_QUOTES)
    t = _ID_WORD.sub("", t).lstrip("#").strip(_QUOTES)
    t = t.rstrip(".,;:!?").strip(_QUOTES)
    return _ID_SEP.sub(".", t).lower()[:40]


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
        """The exercise, or NotFound with the closest ids as the hint. An id
        written another way that can only mean one exercise is that exercise
        (see :meth:`resolve`)."""
        ex = self.curriculum.get(exercise_id)
        if ex is None:
            found = self.resolve(exercise_id)
            if found is not None:
                return self.curriculum.get(found)
            close = self.suggest(exercise_id)
            hint = (f"did you mean {', '.join(close)}?" if close else
                    "ids look like 1.1.1: /dojo today has today's, /dojo schedule show the "
                    "days ahead")
            raise NotFound(f"no exercise {exercise_id[:40]!r}", hint)
        return ex

    def resolve(self, text: str) -> str | None:
        """The id meant by ``text`` when it is an exercise id written another
        way: copied with its backticks or quotes (`` `1.1.1` ``), with a ``#``,
        ``ex``/``exercise`` or trailing punctuation (``1.1.1:``), other
        separators (``1,1,1``, ``1-1-1``, ``1 1 1``) or another case
        (``2.3.1A``). None when no exercise has that id: a near miss such as
        ``1.1.10`` is never taken for ``1.1.1``."""
        if self.curriculum.get(text) is not None:
            return text
        key = _id_key(text)
        return key if key and self.curriculum.get(key) is not None else None

    def suggest(self, text: str, n: int = 3) -> list[str]:
        """Ids to offer for an unknown one: those of the same exercise first
        (``1.1`` → 1.1.1, 1.1.2, …; ``1.1.10`` → 1.1.1 …), else the closest."""
        key = _id_key(text) or text.strip().lower()
        parts = key.split(".")
        ids = self.ids()
        if len(parts) >= 2 and all(parts[:2]):
            group = [i for i in ids if i.split(".")[:2] == parts[:2]]
            if len(parts) == 2 or (len(parts) == 3 and not parts[2]):
                return group[:n]  # a bare "W.E": its first items, in order
            scored = [(difflib.SequenceMatcher(None, key, i).ratio(), -k, i)
                      for k, i in enumerate(group)]
            close = [i for r, _, i in sorted(scored, reverse=True) if r >= 0.5][:n]
            if close:
                return close
        return list(self.curriculum.closest(key))

    def ids(self) -> list[str]:
        """Every exercise id, in curriculum order."""
        return [ex.id for ex in self.curriculum.ordered()]

    def closest(self, text: str) -> list[str]:
        return list(self.curriculum.closest(text))

    def item(self, exercise_id: str, status: str = "") -> ExerciseItem:
        return item_of(self.exercise(exercise_id), status)

    def is_challenge(self, exercise_id: str | None) -> bool:
        found = self.resolve(exercise_id) if exercise_id else None
        ex = self.curriculum.get(found) if found else None
        return ex is not None and kind_of(ex) == "challenge"

    def parts_of(self, exercise_id: str) -> list[str]:
        """The parts of a timed challenge split for chat (``6.1.5a``, ``6.1.5b``): one
        challenge sharing one window, so opening or starting either part opens or
        starts them all. An id is a part when it is ``<base><letter>`` and another
        challenge has the same base; anything else is its own only part. (The
        curriculum has no field for this: the id pattern of DESIGN.md's split items
        is the link, read here and nowhere else.)"""
        ex = self.curriculum.get(exercise_id)
        m = _PART.fullmatch(exercise_id)
        if ex is None or m is None or kind_of(ex) != "challenge":
            return [exercise_id]
        parts = [i for i in self.ids() if _PART.fullmatch(i) and i[:-1] == m.group(1)
                 and kind_of(self.curriculum.get(i)) == "challenge"]
        return sorted(parts) if len(parts) > 1 else [exercise_id]

    def items_of_day(self, day: int) -> list[ExerciseItem]:
        ids = self.schedule.get(day, []) if day >= 1 else []
        return [item_of(ex) for ex in (self.curriculum.get(i) for i in ids) if ex is not None]

    def choices(self, current: str, limit: int = 25) -> list[ExerciseItem]:
        """Autocomplete: ids starting with what was typed first, then titles
        containing it."""
        needle = (current or "").strip().lower()
        key = _id_key(current) if needle else ""  # "1,1" and "`1.1" start ids as "1.1" does
        exercises = self.curriculum.ordered()
        hits = [ex for ex in exercises if ex.id.startswith(needle)
                or (key and ex.id.startswith(key))]
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
        """The candidate exercise whose names the code defines most. A one-letter
        name (``x``, ``w``) is every other exercise's too: on its own it guesses
        nothing (code binding only ``x = 1`` is not 1.2.1's answer)."""
        names = {n for n in defined_names(code) if len(n) > 1}
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
