"""Exercise 2.1: wrong shape drills fail on the check a teacher would expect."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _replace_line(source: str, name: str, new_rhs: str) -> str:
    pattern = re.compile(rf"^{name} = .*$", re.M)
    assert pattern.search(source), name
    return pattern.sub(f"{name} = {new_rhs}", source)


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


# (exercise, variant, wrong right-hand side, expected failing kind)
WRONG = [
    ("2.1.1", "view_1", "x.reshape(6, 4)", "api"),
    ("2.1.1", "view_7", "x.view(6, 4)", "shape"),
    ("2.1.1", "view_1", "torch.randn(6, 4)", "value"),
    ("2.1.1", "view_3", "x.view(24).double()", "dtype"),
    ("2.1.2", "reshape_4", "x.view(-1, 4)", "api"),
    ("2.1.2", "reshape_6", "x.reshape(8, 3)", "shape"),
    ("2.1.2", "reshape_1", "x.transpose(0, 1).reshape(6, 4)", "value"),
    ("2.1.3", "unsqueeze_2", "x.unsqueeze(2)", "shape"),
    ("2.1.3", "unsqueeze_12", "v.view(1, 5)", "api"),
    ("2.1.3", "unsqueeze_9", "m.unsqueeze(0).double()", "dtype"),
    ("2.1.4", "squeeze_2", "y.squeeze(2)", "shape"),
    ("2.1.4", "squeeze_8", "y3.view(4)", "api"),
    ("2.1.4", "squeeze_15", "torch.randn(3, 1, 5)", "value"),
    ("2.1.5", "transpose_1", "x.permute(1, 0, 2)", "api"),
    ("2.1.5", "transpose_3", "x.transpose(0, 1)", "shape"),
    ("2.1.5", "transpose_1", "x.reshape(3, 2, 4)", "value"),
    ("2.1.6", "permute_12", "nhwc.permute(0, 3, 2, 1)", "shape"),
    ("2.1.6", "permute_3", "x.transpose(0, 2)", "api"),
    ("2.1.6", "permute_1", "x.reshape(4, 2, 3)", "value"),
    ("2.1.7", "flatten_2", "x.reshape(2, 12)", "api"),
    ("2.1.7", "flatten_3", "x.flatten(1)", "shape"),
    ("2.1.7", "flatten_13", "imgs.permute(0, 2, 3, 1).flatten(1)", "value"),
    ("2.1.7", "flatten_15", "[1, 2, 3]", "type"),
    # the requested call is there, but the work is done by another shape method
    ("2.1.1", "view_12", "x.reshape(1, 2, 12).view(1, 2, 12)", "api"),
    ("2.1.5", "transpose_2", "x.permute(0, 2, 1).transpose(0, 0)", "api"),
    ("2.1.7", "flatten_5", "t4.reshape(2, 60).flatten(1)", "api"),
    # the new dim added elsewhere, then moved: "one call to unsqueeze()" adds it itself
    ("2.1.3", "unsqueeze_13", "v.unsqueeze(0).T", "api"),
    ("2.1.3", "unsqueeze_3", "x.unsqueeze(1).transpose(1, 2)", "api"),
]


@pytest.mark.parametrize(("exercise_id", "name", "rhs", "kind"), WRONG,
                         ids=[f"{w[0]}-{w[1]}-{w[3]}" for w in WRONG])
async def test_wrong_variant_fails_on_expected_check(grader, curriculum, exercise_id, name, rhs,
                                                     kind):
    source = _replace_line(curriculum.get(exercise_id).reference, name, rhs)
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "failed", result
    assert _failed(result) == {name: kind}, result["checks"]


async def test_missing_variant_is_a_name_error(grader, curriculum):
    source = re.sub(r"^view_3 = .*\n", "", curriculum.get("2.1.1").reference, flags=re.M)
    result = await grader.grade("2.1.1", source)
    assert result["status"] == "error"
    assert _failed(result) == {"view_3": "name"}
    assert "view_3" in result["message"]


async def test_constant_base_fails_base_and_every_variant(grader, curriculum):
    source = _replace_line(curriculum.get("2.1.2").reference, "x", "torch.zeros(2, 3, 4)")
    result = await grader.grade("2.1.2", source)
    failed = _failed(result)
    assert failed["base_x"] == "value"
    assert len(failed) == 16 and all(failed[f"reshape_{k}"] == "value" for k in range(1, 16))
    msg = next(c["message"] for c in result["checks"] if c["id"] == "reshape_1")
    assert "distinct random values" in msg


async def test_wrong_base_shape_is_named(grader, curriculum):
    source = _replace_line(curriculum.get("2.1.4").reference, "z", "torch.randn(2, 1, 3, 1, 1)")
    result = await grader.grade("2.1.4", source)
    failed = _failed(result)
    assert failed == {"base_z": "shape", "squeeze_11": "shape", "squeeze_12": "shape",
                      "squeeze_13": "shape"}
    msg = next(c["message"] for c in result["checks"] if c["id"] == "squeeze_12")
    assert "your base `z`" in msg


async def test_base_made_with_rand_fails_only_the_base(grader, curriculum):
    source = _replace_line(curriculum.get("2.1.6").reference, "t3", "torch.rand(5, 6, 7)")
    result = await grader.grade("2.1.6", source)
    assert _failed(result) == {"base_t3": "value"}


async def test_rebinding_the_base_later_is_caught(grader, curriculum):
    source = curriculum.get("2.1.5").reference + "\nx = torch.randn(2, 3, 4)\n"
    result = await grader.grade("2.1.5", source)
    failed = _failed(result)
    assert failed and set(failed.values()) == {"value"}
    assert "transpose_1" in failed
