"""Loads and validates every exercise file at start.

A broken file stops the load with the file and the field at fault
(``curriculum/week1/1.1.1.yaml: checks.3.dtype: ...``), never a half-loaded
curriculum.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from curriculum.probes import ProbeSourceError, assemble, defined_names, shared_text
from curriculum.schema import Exercise, Kind, PythonCheck

ROOT = Path(__file__).parent
JUDGES = ROOT / "judges"
# libyaml's parser when PyYAML has it (ten times faster on ~100 exercise files), else Python's
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> object:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)


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
        data = _read_yaml(path)
    except yaml.YAMLError as exc:
        raise CurriculumError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CurriculumError(f"{path}: (top level): expected a mapping")
    stem = path.name[: -len(".yaml")]
    ref = path.with_name(f"{stem}.ref.py")
    checks = path.with_name(f"{stem}.checks.py")
    probes = path.with_name(f"{stem}.probe.py")
    if not ref.exists():
        raise CurriculumError(f"{path}: reference: missing reference solution {ref.name}")
    data["reference"] = ref.read_text(encoding="utf-8")
    if checks.exists():
        data["checks_source"] = checks.read_text(encoding="utf-8")
    if probes.exists():
        data["probe_source"] = probes.read_text(encoding="utf-8")
    data["source_file"] = str(path.relative_to(ROOT.parent) if path.is_relative_to(ROOT.parent)
                              else path)
    try:
        exercise = Exercise.model_validate(data)
    except ValidationError as exc:
        raise CurriculumError(_format_error(path, exc)) from None
    if exercise.id != stem:
        raise CurriculumError(f"{path}: id: {exercise.id!r} does not match the file name")
    checks_defined = _top_level_names(exercise.checks_source, checks.name, path)
    own_probes = _defined(exercise.probe_source, probes.name, path)
    resolved = []
    for i, check in enumerate(exercise.checks):
        if isinstance(check, PythonCheck):
            check = _resolve_python_check(path, i, check, exercise, checks_defined, own_probes,
                                          checks.name, probes.name)
        resolved.append(check)
    return exercise.model_copy(update={"checks": resolved})


def _top_level_names(source: str, name: str, path: Path) -> set[str]:
    """Functions, assignments and imports at the top of a checks module."""
    if not source:
        return set()
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise CurriculumError(f"{path.with_name(name)}: not valid Python: {exc.msg} "
                              f"(line {exc.lineno})") from None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _defined(source: str, name: str, path: Path) -> set[str]:
    if not source:
        return set()
    try:
        return defined_names(source)
    except ProbeSourceError as exc:
        raise CurriculumError(f"{path.with_name(name)}: {exc}") from None


@functools.cache
def _judge_names(module: str) -> frozenset[str]:
    """Top-level names of curriculum/judges/<module>.py, read without importing it
    (the bot loads the curriculum and has no torch)."""
    path = JUDGES / f"{module}.py"
    if module.startswith("_") or not path.is_file():
        return frozenset()
    return defined_names(path.read_text(encoding="utf-8"))


def _resolve_python_check(path: Path, index: int, check: PythonCheck, exercise: Exercise,
                          checks_defined: set[str], own_probes: set[str], checks_name: str,
                          probe_name: str) -> PythonCheck:
    where = f"{path}: checks.{index}"
    for field_name in ("judge", "inputs"):
        name = getattr(check, field_name)
        if name is None:
            continue
        if "." in name:
            module, _, function = name.partition(".")
            if function not in _judge_names(module):
                raise CurriculumError(f"{where}.{field_name}: {name!r}: curriculum/judges/"
                                      f"{module}.py defines no {function!r}")
        elif name not in checks_defined:
            raise CurriculumError(f"{where}.{field_name}: {name!r} is not defined in "
                                  f"{checks_name}")
    try:
        if check.shared_probe is not None:
            module, function = check.shared_probe
            code = assemble(shared_text(module), function, check.probe_args,
                            where=f"curriculum/probes/{module}.py")
        elif check.probe in own_probes:
            code = assemble(exercise.probe_source, check.probe, check.probe_args,
                            where=str(path.with_name(probe_name)))
        else:
            raise ProbeSourceError(f"{check.probe!r} is not defined in {probe_name}")
    except ProbeSourceError as exc:
        raise CurriculumError(f"{where}.probe: {exc}") from None
    return check.model_copy(update={"probe_code": code})


def load_schedule(path: Path, exercises: dict[str, Exercise]) -> dict[int, list[str]]:
    data = _read_yaml(path) or {}
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
