"""Exercise 1.2 (indexing drills and the indexing quiz): wrong solutions fail where expected."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _replace_line(source: str, name: str, new_rhs: str) -> str:
    pattern = re.compile(rf"^{name} = .*$", re.M)
    assert pattern.search(source), name
    return pattern.sub(f"{name} = {new_rhs}", source)


def _drop_line(source: str, name: str) -> str:
    out = re.sub(rf"^{name} = .*\n", "", source, flags=re.M)
    assert out != source
    return out


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


# (exercise, name, wrong right-hand side, {check id: expected failing kind})
WRONG = [
    # .item() turns the 0-d tensor into a float
    ("1.2.1", "elem_1", "x[0, 1, 2].item()", {"elem_1": "type"}),
    ("1.2.1", "elem_4", "x[3, 4, 4]", {"elem_4": "value"}),
    # hard-coded output cannot match a random base tensor
    ("1.2.1", "elem_2", "torch.tensor(0.5)", {"elem_2": "value"}),
    # right value, wrong API (not indexing syntax)
    ("1.2.1", "elem_3", "x.select(0, 2)[2, 1]", {"elem_3": "api"}),
    # the negative-index variants: the same element counted from the start passed
    ("1.2.1", "elem_8", "x[0, 4, 0]", {"elem_8": "api"}),
    ("1.2.2", "slice_6", "x[-3]", {"slice_6": "value"}),
    ("1.2.2", "slice_9", "x6[0:1]", {"slice_9": "shape"}),
    ("1.2.2", "x6", "torch.rand(6, 5, 6)", {"x6": "value"}),
    ("1.2.3", "range_1", "x[0]", {"range_1": "shape"}),
    ("1.2.3", "range_2", "x.narrow(0, 1, 2)", {"range_2": "api"}),
    ("1.2.4", "all_5", "x[:, :, 0].double()", {"all_5": "dtype"}),
    ("1.2.4", "all_1", "x[0].clone()", {"all_1": "api"}),
    ("1.2.5", "step_1", "x[::3]", {"step_1": "value"}),
    ("1.2.5", "step_2", "x[::4]", {"step_2": "shape"}),
    ("1.2.5", "step_3", "torch.index_select(x, 1, torch.tensor([0, 2, 4]))", {"step_3": "api"}),
    ("1.2.6", "neg_15", "x[1, -3, 3]", {"neg_15": "value"}),
    ("1.2.6", "neg_1", "x[-1:]", {"neg_1": "shape"}),
    ("1.2.7", "q1", "x[2, 3, 4].item()", {"q1": "type"}),
    ("1.2.7", "q3", "x[:2]", {"q3": "shape"}),
    ("1.2.7", "q8", "x[:, -2, ::2]", {"q8": "shape"}),
    # the base tensor itself: wrong distribution / dtype
    ("1.2.1", "x", "torch.ones(4, 5, 6)", {"x": "value"}),
    ("1.2.6", "x", "torch.randn(4, 5, 6, dtype=torch.float64)", {"x": "dtype"}),
    ("1.2.4", "x", "torch.randn(5, 4, 6)", {"x": "shape", **{f"all_{k}": "value"
                                                              for k in range(1, 16)}}),
]


@pytest.mark.parametrize(("exercise_id", "name", "rhs", "expected"), WRONG,
                         ids=[f"{w[0]}-{w[1]}" for w in WRONG])
async def test_wrong_variant_fails_on_expected_check(grader, curriculum, exercise_id, name, rhs,
                                                     expected):
    source = _replace_line(curriculum.get(exercise_id).reference, name, rhs)
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "failed", result
    assert _failed(result) == expected, result["checks"]


@pytest.mark.parametrize(("exercise_id", "name"), [("1.2.5", "step_7"), ("1.2.7", "q2")])
async def test_missing_name_is_reported(grader, curriculum, exercise_id, name):
    source = _drop_line(curriculum.get(exercise_id).reference, name)
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "error"
    assert _failed(result) == {name: "name"}
    assert name in result["message"]


async def test_other_learners_base_is_used(grader, curriculum):
    """Values follow the learner's own x (a fixed seed of their own is fine)."""
    source = curriculum.get("1.2.3").reference.replace(
        "import torch\n", "import torch\ntorch.manual_seed(1234)\n", 1)
    result = await grader.grade("1.2.3", source)
    assert result["status"] == "passed", result["checks"]


async def test_failure_message_teaches_without_values(grader, curriculum):
    source = _replace_line(curriculum.get("1.2.2").reference, "slice_9", "x6[0:1]")
    result = await grader.grade("1.2.2", source)
    msg = next(c["message"] for c in result["checks"] if c["id"] == "slice_9")
    assert "(5, 6)" in msg and "(1, 5, 6)" in msg and "x6[0]" in msg
