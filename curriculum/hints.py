"""Hint ladders as data: ``curriculum/hints/*.yaml``.

Each failing check can offer up to three hints of growing specificity —
concept, then the API, then the near-solution shape. ``week*.yaml`` files hold
the ladders written for particular exercises, keyed by exercise id and check
id (``"*"``: every check of that exercise without its own ladder);
``generic.yaml`` holds the fallbacks by check kind (a shape off by one axis,
gradients piling up, a wrong dtype, …), by the error that stopped the code
(``SyntaxError``, ``NameError``, …) and by result status (``timeout``, …).

Kept apart from the exercise files on purpose: hints are written from what
learners get wrong, after the exercises exist, and change more often. The
loader validates shapes and sizes here; :func:`unknown_targets` checks the
ids against a loaded curriculum (the test suite runs it on the real one).
A hint may say ``{check}`` where the failing check's name belongs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ROOT = Path(__file__).parent / "hints"
MAX_LEVELS = 3
MAX_HINT = 700

Ladder = tuple[str, ...]


class HintError(ValueError):
    """A hints file is invalid; the message names the file and the entry."""


def _ladder(value: list[str]) -> list[str]:
    if not 1 <= len(value) <= MAX_LEVELS:
        raise ValueError(f"a ladder has 1 to {MAX_LEVELS} hints, not {len(value)}")
    for text in value:
        if not text.strip():
            raise ValueError("a hint is empty")
        if len(text) > MAX_HINT:
            raise ValueError(f"a hint is {len(text)} characters; at most {MAX_HINT}")
    return [" ".join(text.split()) for text in value]


class _ExerciseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exercises: dict[str, dict[str, list[str]]] = Field(default_factory=dict)

    @field_validator("exercises")
    @classmethod
    def _ladders(cls, v: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        return {ex: {check: _ladder(hints) for check, hints in checks.items()}
                for ex, checks in v.items()}


class _GenericFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kinds: dict[str, list[str]] = Field(default_factory=dict)
    causes: dict[str, list[str]] = Field(default_factory=dict)
    statuses: dict[str, list[str]] = Field(default_factory=dict)
    default: list[str]

    @field_validator("kinds", "causes", "statuses")
    @classmethod
    def _ladders(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return {key: _ladder(hints) for key, hints in v.items()}

    @field_validator("default")
    @classmethod
    def _default(cls, v: list[str]) -> list[str]:
        return _ladder(v)


@dataclass(frozen=True)
class HintBook:
    exercises: dict[str, dict[str, Ladder]] = field(default_factory=dict)
    kinds: dict[str, Ladder] = field(default_factory=dict)
    causes: dict[str, Ladder] = field(default_factory=dict)
    statuses: dict[str, Ladder] = field(default_factory=dict)
    default: Ladder = ()

    def for_check(self, exercise_id: str, check_id: str, kind: str) -> Ladder:
        """The ladder of a failing check: its own, its exercise's, its kind's,
        else the general one."""
        own = self.exercises.get(exercise_id, {})
        return own.get(check_id) or own.get("*") or self.kinds.get(kind) or self.default

    def for_cause(self, error_type: str) -> Ladder:
        """The ladder for code that stopped with ``error_type`` before the checks."""
        return self.causes.get(error_type) or self.causes.get("default") or self.default

    def for_status(self, status: str) -> Ladder:
        """The ladder for a limit breach or refusal (``timeout``, ``oom``, …)."""
        return self.statuses.get(status) or self.default


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise HintError(f"{path}: not valid YAML: {exc}") from exc


def _errors(path: Path, exc: ValidationError) -> str:
    return "\n".join(f"{path}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                     for e in exc.errors())


def load_hints(root: Path = ROOT) -> HintBook:
    """Every ladder under ``root``; an invalid file stops the load, naming it."""
    exercises: dict[str, dict[str, Ladder]] = {}
    for path in sorted(root.glob("week*.yaml")):
        try:
            data = _ExerciseFile.model_validate(_read(path))
        except ValidationError as exc:
            raise HintError(_errors(path, exc)) from None
        for ex_id, checks in data.exercises.items():
            if ex_id in exercises:
                raise HintError(f"{path}: exercises.{ex_id}: hints for it are in another file")
            exercises[ex_id] = {check: tuple(hints) for check, hints in checks.items()}
    path = root / "generic.yaml"
    try:
        generic = _GenericFile.model_validate(_read(path))
    except ValidationError as exc:
        raise HintError(_errors(path, exc)) from None
    return HintBook(
        exercises=exercises,
        kinds={k: tuple(v) for k, v in generic.kinds.items()},
        causes={k: tuple(v) for k, v in generic.causes.items()},
        statuses={k: tuple(v) for k, v in generic.statuses.items()},
        default=tuple(generic.default),
    )


@functools.cache
def default_hints() -> HintBook:
    return load_hints()


def unknown_targets(book: HintBook, curriculum: Any) -> list[str]:
    """Ladders written for exercises or checks the curriculum does not have."""
    problems = []
    for ex_id, checks in book.exercises.items():
        ex = curriculum.get(ex_id)
        if ex is None:
            problems.append(f"{ex_id}: no such exercise")
            continue
        ids = {c.id for c in ex.checks}
        problems += [f"{ex_id}: no check {check!r}" for check in checks
                     if check != "*" and check not in ids]
    return problems
