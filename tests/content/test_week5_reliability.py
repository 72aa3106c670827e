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


def _run(seed_base: int, seeds: int, ref_passed: int, mean: float,
         mutants: tuple[str, ...] = tuple(tr.MUTANTS)) -> dict:
    counts = {"reference_passed": ref_passed, **{f"{m}_failed": seeds for m in mutants}}
    return {"seeds": seeds, "seed_base": seed_base, "unexpected": [], "wall_seconds": 10.0,
            "mutants": list(mutants),
            "items": {"5.1.1": {"checks": {"train_loop_1": counts},
                                "reference_seconds_max": mean + 1,
                                "reference_seconds_mean": mean}}}


def test_chunked_runs_combine_into_one_report():
    out = tr.combine([_run(1000, 5, 5, 2.0), _run(1005, 15, 15, 4.0)])
    assert out["seeds"] == 20 and out["all_reliable"]
    assert out["seed_ranges"] == [[1000, 1005], [1005, 1020]]
    assert out["items"]["5.1.1"]["checks"]["train_loop_1"]["reference_passed"] == 20
    assert out["items"]["5.1.1"]["reference_seconds_mean"] == 3.5
    assert not tr.combine([_run(1000, 5, 4, 2.0), _run(1005, 5, 5, 2.0)])["all_reliable"]


def test_reference_only_runs_combine_and_do_not_mix_with_full_runs():
    out = tr.combine([_run(1000, 5, 5, 2.0, ()), _run(1005, 5, 5, 2.0, ())])
    assert out["mutants"] == [] and out["all_reliable"]
    assert not tr.combine([_run(1000, 5, 4, 2.0, ()), _run(1005, 5, 5, 2.0, ())])["all_reliable"]
    with pytest.raises(ValueError, match="different mutants"):
        tr.combine([_run(1000, 5, 5, 2.0, ()), _run(1005, 5, 5, 2.0)])


def test_overlapping_seed_ranges_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        tr.combine([_run(1000, 5, 5, 2.0), _run(1003, 5, 5, 2.0)])
