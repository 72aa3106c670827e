"""1.1.9 (Exercise 1.1 self-check quiz): wrong answers fail on the expected check."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

WRONG = [
    ("q1", "torch.zeros(4, 3)", "shape"),
    ("q1", "torch.tensor([[0.0] * 4] * 3)", "api"),
    ("q1", "torch.ones(3, 4)", "value"),
    ("q2", "torch.rand(3)", "shape"),
    ("q2", "torch.full((10,), 0.5)", "value"),
    ("q2", "torch.randn(50)", "value"),
    ("q2", "[0.1, 0.5, 0.9]", "type"),
    ("q3", "torch.arange(1, 10)", "shape"),
    ("q3", "torch.linspace(0, 9, 10)", "api"),
    ("q3", "torch.tensor(list(range(10)))", "api"),
    ("q4", "torch.linspace(0, 1, 4)", "shape"),
    ("q4", "torch.arange(0, 1.25, 0.25)", "api"),
    ("q4", "torch.linspace(0, 5, 5)", "value"),
]


@pytest.mark.parametrize(("name", "rhs", "kind"), WRONG, ids=[f"{w[0]}-{w[2]}" for w in WRONG])
async def test_wrong_answer_fails(grader, curriculum, name, rhs, kind):
    source = re.sub(rf"^{name} = .*$", f"{name} = {rhs}", curriculum.get("1.1.9").reference,
                    flags=re.M)
    result = await grader.grade("1.1.9", source)
    assert result["status"] == "failed"
    assert {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"} == \
        {name: kind}, result["checks"]


async def test_missing_answer_is_named(grader, curriculum):
    source = re.sub(r"^q2 = .*\n", "", curriculum.get("1.1.9").reference, flags=re.M)
    result = await grader.grade("1.1.9", source)
    assert result["status"] == "error"
    assert "q2" in result["message"]
