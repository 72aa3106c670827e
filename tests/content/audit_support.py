"""Helpers shared by the audit test files (tests/content/test_audit*.py): the reference
source of an exercise, edits that turn it into a learner's variant, and readers of a
result's failed checks. Imported as ``audit_support`` (``tests/content`` is on pytest's
``pythonpath``: the suite runs with ``--import-mode=importlib``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def reference(exercise_id: str) -> str:
    """The reference solution's source."""
    week = exercise_id.split(".")[0]
    return (ROOT / "curriculum" / f"week{week}" / f"{exercise_id}.ref.py").read_text()


def replace_once(source: str, old: str, new: str) -> str:
    """``source`` with its first ``old`` replaced (which must be there)."""
    assert old in source, old
    return source.replace(old, new, 1)


def edit_each(source: str, edits: list[tuple[str, str]]) -> str:
    """``source`` with each ``(old, new)`` applied; every ``old`` occurs exactly once."""
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def failed(result: dict) -> dict[str, str]:
    """{check id: kind} of the checks that failed (not those skipped or errored)."""
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


def not_passed(result: dict) -> dict[str, str]:
    """{check id: kind} of every check that did not pass."""
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] != "passed"}


def message(result: dict, check_id: str) -> str:
    return next(c["message"] for c in result["checks"] if c["id"] == check_id)


def messages(result: dict) -> dict[str, str]:
    """{check id: message} of every check that did not pass."""
    return {c["id"]: c["message"] for c in result["checks"] if c["status"] != "passed"}


async def grade_on_seeds(grader, exercise_id: str, source: str,
                         seeds: tuple[int, ...]) -> list[dict]:
    """``source`` graded once per fixed seed, at once (the pool has two workers)."""
    import asyncio

    return list(await asyncio.gather(*(grader.grade(exercise_id, source, seed=s)
                                       for s in seeds)))


async def fails_with_its_cause(grader, curriculum, entry: tuple, seeds: tuple[int, ...],
                               name: str) -> None:
    """An audit's wrong submission ``(exercise, edits, check, fragments)`` fails on
    every seed, ``check``'s message holding every fragment."""
    exercise_id, edits, check, fragments = entry
    source = edit_each(curriculum.get(exercise_id).reference, edits)
    for result in await grade_on_seeds(grader, exercise_id, source, seeds):
        assert result["status"] == "failed", (name, messages(result))
        said = messages(result).get(check, "")
        assert all(f in said for f in fragments), (name, messages(result))


async def passes(grader, curriculum, entry: tuple, seeds: tuple[int, ...], name: str) -> None:
    """An audit's correct submission ``(exercise, edits)`` passes on every seed."""
    exercise_id, edits = entry
    source = edit_each(curriculum.get(exercise_id).reference, edits)
    for result in await grade_on_seeds(grader, exercise_id, source, seeds):
        assert result["status"] == "passed", (name, messages(result))


def audit_tests(wrong: dict, correct: dict, seeds: tuple[int, ...], *,
                slow: bool = True) -> tuple:
    """The two tests of an audit file, ``test_wrong_solution_fails_with_its_cause`` and
    ``test_correct_solution_passes``, over its ``wrong`` and ``correct`` entries (bind them
    to those names at module level, where pytest collects them); ``slow`` marks them so."""
    import pytest

    marks = [pytest.mark.asyncio(loop_scope="session")] + ([pytest.mark.slow] if slow else [])

    @pytest.mark.parametrize("name", sorted(wrong))
    async def test_wrong_solution_fails_with_its_cause(grader, curriculum, name):
        await fails_with_its_cause(grader, curriculum, wrong[name], seeds, name)

    @pytest.mark.parametrize("name", sorted(correct))
    async def test_correct_solution_passes(grader, curriculum, name):
        await passes(grader, curriculum, correct[name], seeds, name)

    for mark in marks:
        test_wrong_solution_fails_with_its_cause = mark(test_wrong_solution_fails_with_its_cause)
        test_correct_solution_passes = mark(test_correct_solution_passes)
    return test_wrong_solution_fails_with_its_cause, test_correct_solution_passes
