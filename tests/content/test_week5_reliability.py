"""CI-sized run of benchmarks/training_reliability.py: every training item of weeks 4-6.

On two seeds, each item's reference passes every train check and each
non-learning mutant (constant prediction, frozen weights, no optimizer.step(),
no zero_grad()) fails every train check. The full 50-seed run is the script.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from curriculum import load_curriculum

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import training_reliability as tr


def test_discovers_week5_items(curriculum):
    found = tr.training_items(curriculum)
    for eid in ("5.1.1", "5.1.2", "5.1.3", "5.1.4"):
        assert eid in found
    assert found["5.1.1"] == [f"train_loop_{k}" for k in range(1, 6)]


def test_mutants_keep_the_source_valid(curriculum):
    for eid in tr.training_items(curriculum):
        for mutant in tr.MUTANTS:
            ast.parse(tr.mutate(curriculum.get(eid).reference, mutant))


ITEMS = list(tr.training_items(load_curriculum()))


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("exercise_id", ITEMS)
async def test_training_checks_are_reliable_on_two_seeds(grader, exercise_id):
    out = await tr.measure_with(grader, seeds=2, items=[exercise_id])
    assert out["all_reliable"], (out["items"], out["unexpected"])
