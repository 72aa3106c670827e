"""Every exercise, given an answer that is NaN or inf where a number is checked, fails —
on the check that owns that number, and on the aspect expected (see nonfinite_variants.py).

Python's `err > tol` is False for NaN; these variants are the mutation tests that keep
the judges honest about it. One grading per exercise, all of a week's at once on the shared
warm pool, so the whole set costs about as much as grading each reference once.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

from curriculum import load_curriculum

_spec = importlib.util.spec_from_file_location(
    "nonfinite_variants", Path(__file__).with_name("nonfinite_variants.py"))
variants = importlib.util.module_from_spec(_spec)
sys.modules["nonfinite_variants"] = variants
_spec.loader.exec_module(variants)
EXPECTED, INJECT, NO_NONFINITE, PRELUDE = (variants.EXPECTED, variants.INJECT,
                                           variants.NO_NONFINITE, variants.PRELUDE)

SEED = 11
WEEKS = ["1", "2", "3", "4", "5", "6"]


def _week(exercise_id: str) -> str:
    return "6" if exercise_id.startswith("final") else exercise_id[0]


def test_every_exercise_has_a_nonfinite_variant_or_a_reason():
    ids = {e.id for e in load_curriculum().ordered()}
    assert set(INJECT) == set(EXPECTED)
    assert set(INJECT) | set(NO_NONFINITE) == ids, sorted(ids - set(INJECT) - set(NO_NONFINITE))
    assert not set(INJECT) & set(NO_NONFINITE)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("week", WEEKS)
async def test_nonfinite_answers_fail_on_the_expected_check(grader, curriculum, week):
    ids = [e for e in INJECT if _week(e) == week]

    async def grade(exercise_id: str) -> tuple[str, dict]:
        source = curriculum.get(exercise_id).reference + PRELUDE + INJECT[exercise_id]
        return exercise_id, await grader.grade(exercise_id, source, seed=SEED)

    wrong = []
    for exercise_id, result in await asyncio.gather(*(grade(e) for e in ids)):
        failed = {c["id"]: c["kind"] for c in result["checks"] if c["status"] != "passed"}
        if result["status"] != "failed" or failed != EXPECTED[exercise_id]:
            wrong.append((exercise_id, result["status"], failed,
                          [c["message"][:120] for c in result["checks"]
                           if c["status"] != "passed"][:3]))
    assert not wrong, "\n".join(map(str, wrong))
