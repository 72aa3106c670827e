"""Loads and validates every exercise file at start.

A broken file stops the load with the file and the field at fault
(``curriculum/week1/1.1.1.yaml: checks.3.dtype: ...``), never a half-loaded
curriculum.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from curriculum.schema import Exercise, Kind

ROOT = Path(__file__).parent


class CurriculumError(ValueError):
    """An exercise file is invalid; the message names file and field."""


@dataclass
class Curriculum:
    exercises: dict[str, Exercise]
    schedule: dict[int, list[str]] = field(default_factory=dict)

    def get(self, exercise_id: str) -> Exercise | None:
        return self.exercises.get(exercise_id)

    def ordered(self, week: int | None = None) -> list[Exercise]:
        items = sorted(self.exercises.values(), key=lambda e: e.sort_key)
        return [e for e in items if week is None or e.week == week]

    def closest(self, text: str, n: int = 3) -> list[str]:
        """Ids that look like ``text`` (for 'did you mean …' replies)."""
        import difflib

        return difflib.get_close_matches(text, list(self.exercises), n=n, cutoff=0.5)


def _format_error(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"{path}: {loc}: {err['msg']}")
    return "\n".join(lines)


def load_exercise(path: Path) -> Exercise:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CurriculumError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CurriculumError(f"{path}: (top level): expected a mapping")
    stem = path.name[: -len(".yaml")]
    ref = path.with_name(f"{stem}.ref.py")
    checks = path.with_name(f"{stem}.checks.py")
    if not ref.exists():
        raise CurriculumError(f"{path}: reference: missing reference solution {ref.name}")
    data["reference"] = ref.read_text(encoding="utf-8")
    if checks.exists():
        data["checks_source"] = checks.read_text(encoding="utf-8")
    data["source_file"] = str(path.relative_to(ROOT.parent) if path.is_relative_to(ROOT.parent)
                              else path)
    try:
        exercise = Exercise.model_validate(data)
    except ValidationError as exc:
        raise CurriculumError(_format_error(path, exc)) from None
    if exercise.id != stem:
        raise CurriculumError(f"{path}: id: {exercise.id!r} does not match the file name")
    needs_module = [c.id for c in exercise.checks if c.kind == "python"]
    if needs_module and not exercise.checks_source:
        raise CurriculumError(f"{path}: checks: {needs_module} need {checks.name}")
    return exercise


def load_schedule(path: Path, exercises: dict[str, Exercise]) -> dict[int, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    days = data.get("days", {})
    schedule: dict[int, list[str]] = {}
    for day, ids in days.items():
        if not isinstance(day, int) or day < 1:
            raise CurriculumError(f"{path}: days.{day}: day must be a positive integer")
        for ex_id in ids or []:
            if ex_id not in exercises:
                raise CurriculumError(f"{path}: days.{day}: unknown exercise {ex_id!r}")
        schedule[day] = list(ids or [])
    return schedule


def load_from(root: Path) -> Curriculum:
    exercises: dict[str, Exercise] = {}
    for path in sorted(root.glob("week*/*.yaml")):
        exercise = load_exercise(path)
        if exercise.id in exercises:
            raise CurriculumError(f"{path}: id: {exercise.id!r} is defined twice")
        exercises[exercise.id] = exercise
    schedule: dict[int, list[str]] = {}
    for path in sorted((root / "schedule").glob("*.yaml")):
        for day, ids in load_schedule(path, exercises).items():
            if day in schedule:
                raise CurriculumError(f"{path}: days.{day}: day {day} is already scheduled")
            schedule[day] = ids
    return Curriculum(exercises, dict(sorted(schedule.items())))


@functools.cache
def load_curriculum() -> Curriculum:
    """The packaged curriculum, loaded once per process."""
    return load_from(ROOT)


__all__ = ["Curriculum", "CurriculumError", "Exercise", "Kind", "load_curriculum", "load_from"]
