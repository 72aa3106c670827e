"""Week 1 items owned here (1.1.9, 1.2.x, 1.3.x): starters compile and don't pass as-is."""

from __future__ import annotations

import pytest

IDS = ["1.1.9", *(f"1.2.{k}" for k in range(1, 8)), *(f"1.3.{k}" for k in range(1, 5))]


@pytest.mark.parametrize("exercise_id", IDS)
def test_starter_compiles_and_names_the_contract(curriculum, exercise_id):
    ex = curriculum.get(exercise_id)
    compile(ex.starter, f"{exercise_id}-starter", "exec")
    for check in ex.checks:
        target = getattr(check, "name", "") or check.id
        if check.kind == "tensor" or exercise_id.startswith(("1.1.", "1.2.")):
            assert f"`{target}`" in ex.prompt, (exercise_id, target)
            assert target in ex.starter, (exercise_id, target)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("exercise_id", ["1.2.1", "1.2.7", "1.3.1", "1.3.2", "1.3.3", "1.3.4"])
async def test_starter_is_graded_not_passed(grader, curriculum, exercise_id):
    result = await grader.grade(exercise_id, curriculum.get(exercise_id).starter)
    assert result["status"] in ("failed", "error"), result
    base_points = sum(c.points for c in curriculum.get(exercise_id).checks if c.kind == "tensor")
    assert result["score"] <= base_points  # only the given `x = torch.randn(...)` line scores


@pytest.mark.parametrize("exercise_id", [f"1.2.{k}" for k in range(1, 8)])
def test_indexing_prompt_matches_the_judged_expressions(curriculum, exercise_id):
    """The judged expressions (the YAML's `args`) and the prompt say the same."""
    ex = curriculum.get(exercise_id)
    variants = [c for c in ex.checks if c.kind == "python"]
    assert variants and all(c.judge == "indexing.indexed" for c in variants)
    for check in variants:
        name, expr = check.args["name"], check.args["expr"]
        assert name == check.id
        assert f"`{name}`: {check.title}" in ex.prompt, name
        assert exercise_id == "1.2.7" or f"`{expr}`" in ex.prompt, name
        assert f"{name} = {expr}" in ex.reference, name
