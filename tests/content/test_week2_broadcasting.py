"""Exercise 2.2: broadcasting drills, manual expansion, error handling and the quiz."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


def _sub(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new)


TRY_EXPAND = "    try:\n        t.expand(*shape)\n    except RuntimeError:\n        return False\n"

# (exercise, text in the reference, replacement, {check id: failing kind})
WRONG = [
    ("2.2.1", "add_1 = a_1 + b_1", "add_1 = a_1 + b_1.unsqueeze(0)", {"variant_1": "shape"}),
    ("2.2.1", "sub_7 = a_7 - b_7", "sub_7 = b_7 - a_7", {"variant_7": "value"}),
    ("2.2.1", "a_4 = torch.randn(10)", "a_4 = torch.randn(10, dtype=torch.float64)",
     {"variant_4": "dtype"}),
    ("2.2.1", "a_8 = torch.randn(5, 5)", "a_8 = torch.rand(5, 5)", {"variant_8": "api"}),
    ("2.2.1", "div_2 = a_2 / b_2", "div_2 = torch.randn(3, 4)", {"variant_2": "value"}),
    ("2.2.2", "mul_9 = a_9 * b_9", "mul_9 = a_9 * b_9.sum()", {"variant_9": "value"}),
    ("2.2.2", "b_13 = torch.randn(3, 1)", "b_13 = torch.randn(1, 3, 1)", {"variant_13": "shape"}),
    ("2.2.3", "b_18 = torch.randn(3, 4, 1)", "b_18 = torch.ones(3, 4, 1)", {"variant_18": "value"}),
    ("2.2.3", "add_20 = a_20 + b_20", "add_20 = (a_20 + b_20).transpose(0, 1)",
     {"variant_20": "shape"}),
    ("2.2.4", "a_expanded_21 = a_21.expand(2, 3, 4)", "a_expanded_21 = a_21.repeat(1, 3, 1)",
     {"variant_21": "api"}),
    ("2.2.4", "manual_22 = a_expanded_22 + b_expanded_22",
     "manual_22 = a_expanded_22 - b_expanded_22", {"variant_22": "value"}),
    ("2.2.4", "auto_23 = a_23 + b_23", "auto_23 = a_23.expand(4, 2, 6) + b_23.expand(4, 2, 6)",
     {"variant_23": "api"}),
    ("2.2.4", "match_23 = torch.allclose(manual_23, auto_23)", "match_23 = 1",
     {"variant_23": "type"}),
    ("2.2.4", "expanded_24 = a_24.expand(2, -1, 4)", "expanded_24 = a_24.expand(3, 4)",
     {"variant_24": "shape"}),
    ("2.2.4", TRY_EXPAND,
     "    t.expand(*shape)\n", {"can_expand": "value"}),
    ("2.2.4", TRY_EXPAND,
     "    return len(shape) >= t.dim()\n", {"can_expand": "value"}),
    ("2.2.4", "expanded_25 = a_25.expand_as(target_25)", "expanded_25 = a_25.expand(3, 4)",
     {"variant_25": "api"}),
    ("2.2.5", "    try:\n        result = t1 + t2\n    except RuntimeError as e:\n"
              "        return None, str(e)\n", "    result = t1 + t2\n", {"safe_add": "value"}),
    ("2.2.5", "return None, str(e)", "return None, 'broadcasting error'", {"safe_add": "value"}),
    ("2.2.5", "    return tuple(out)", "    return out", {"broadcast_shape": "type"}),
    ("2.2.5", "            raise ValueError(", "            raise RuntimeError(",
     {"broadcast_shape": "type"}),
    ("2.2.5", "    n = max(len(shape1), len(shape2))",
     "    return tuple(torch.broadcast_shapes(shape1, shape2))", {"broadcast_shape": "api"}),
    ("2.2.5", "        elif da == 1:\n            out.append(db)\n", "",
     {"broadcast_shape": "value"}),
    ("2.2.6", "q1 = tuple((torch.randn(5, 1, 7) + torch.randn(6, 1)).shape)", "q1 = (5, 7, 6)",
     {"q1": "value"}),
    ("2.2.6", "q2 = _broadcasts(lambda: torch.randn(3, 4) + torch.randn(4, 3))", "q2 = 'no'",
     {"q2": "type"}),
    ("2.2.6", "q7 = _broadcasts(lambda: torch.randn(3, 1).add_(torch.randn(1, 4)))", "q7 = True",
     {"q7": "value"}),
    ("2.2.6", "q9 = (torch.randn(2, 1, 4) + torch.randn(1, 3, 1)).numel()", "q9 = 24.0",
     {"q9": "type"}),
    ("2.2.6", "q8 = tuple(torch.randn(1, 4).expand(3, 4).stride())", "q8 = (4, 1)",
     {"q8": "value"}),
]


@pytest.mark.parametrize(("exercise_id", "old", "new", "expected"), WRONG,
                         ids=[f"{w[0]}-{next(iter(w[3]))}-{i}" for i, w in enumerate(WRONG)])
async def test_wrong_solution_fails_on_expected_check(grader, curriculum, exercise_id, old, new,
                                                      expected):
    source = _sub(curriculum.get(exercise_id).reference, old, new)
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "failed", result
    assert _failed(result) == expected, result["checks"]


async def test_missing_result_is_a_name_error(grader, curriculum):
    source = _sub(curriculum.get("2.2.1").reference, "div_5 = a_5 / b_5\n", "")
    result = await grader.grade("2.2.1", source)
    assert result["status"] == "error"
    assert _failed(result) == {"variant_5": "name"}


async def test_manual_expansion_in_simple_drill_is_accepted(grader, curriculum):
    source = _sub(curriculum.get("2.2.3").reference, "add_20 = a_20 + b_20",
                  "add_20 = a_20.expand(5, 6, 7, 8) + b_20.expand(5, 6, 7, 8)")
    result = await grader.grade("2.2.3", source)
    assert result["status"] == "passed", result["checks"]


async def test_hidden_inputs_are_not_revealed(grader, curriculum):
    source = _sub(curriculum.get("2.2.5").reference, "        elif da == 1:\n"
                  "            out.append(db)\n", "")
    result = await grader.grade("2.2.5", source, seed=7)
    msg = next(c["message"] for c in result["checks"] if c["id"] == "broadcast_shape")
    assert "hidden case #" in msg and "(" not in msg.split("returned")[-1]


async def test_quiz_accepts_torch_size_and_computed_answers(grader, curriculum):
    source = _sub(curriculum.get("2.2.6").reference,
                  "q1 = tuple((torch.randn(5, 1, 7) + torch.randn(6, 1)).shape)",
                  "q1 = (torch.randn(5, 1, 7) + torch.randn(6, 1)).shape")
    source = _sub(source, "q6 = tuple((x - x.mean(dim=1, keepdim=True)).shape)", "q6 = (4, 3)")
    result = await grader.grade("2.2.6", source)
    assert result["status"] == "passed", result["checks"]


# Wrong broadcast rules that a random draw alone would catch only sometimes; the hidden
# cases include pairs built to separate each of them, so they fail on every seed.
WRONG_RULES = {
    "left-aligned": ("    a = (1,) * (n - len(shape1)) + tuple(shape1)\n"
                     "    b = (1,) * (n - len(shape2)) + tuple(shape2)\n",
                     "    a = tuple(shape1) + (1,) * (n - len(shape1))\n"
                     "    b = tuple(shape2) + (1,) * (n - len(shape2))\n"),
    "same-rank-only": ("    n = max(len(shape1), len(shape2))\n",
                       "    n = max(len(shape1), len(shape2))\n"
                       "    if len(shape1) != len(shape2):\n"
                       "        raise ValueError('ranks differ')\n"),
    "max-without-clash": ("        if da == db or db == 1:\n",
                          "        if True:\n            out.append(max(da, db))\n"
                          "        elif da == db or db == 1:\n"),
}


@pytest.mark.parametrize("rule", list(WRONG_RULES))
async def test_wrong_broadcast_rule_fails_on_every_seed(grader, curriculum, rule):
    old, new = WRONG_RULES[rule]
    source = _sub(curriculum.get("2.2.5").reference, old, new)
    results = await asyncio.gather(*(grader.grade("2.2.5", source, seed=s) for s in range(6)))
    for seed, result in enumerate(results):
        failed = _failed(result)
        assert failed.get("broadcast_shape") in ("value", "type"), (rule, seed, result["checks"])


# can_expand rules that get some shapes wrong: caught on every seed by the built cases
WRONG_EXPAND = {
    "left-aligned": "    try:\n        t.expand(*shape)\n",
    "ignores-new-dims": "    if len(shape) > t.dim():\n        return False\n"
                        "    try:\n        t.expand(*shape)\n",
}


@pytest.mark.parametrize("rule", list(WRONG_EXPAND))
async def test_wrong_can_expand_fails_on_every_seed(grader, curriculum, rule):
    source = curriculum.get("2.2.4").reference
    old = "    try:\n        t.expand(*shape)\n"
    assert old in source
    new = WRONG_EXPAND[rule]
    if rule == "left-aligned":
        new = ("    dims = list(t.shape) + [1] * (len(shape) - t.dim())\n"
               "    if len(shape) < t.dim():\n        return False\n"
               "    return all(d == 1 or s in (d, -1) for d, s in zip(dims, shape))\n" + old)
    source = source.replace(old, new, 1)
    results = await asyncio.gather(*(grader.grade("2.2.4", source, seed=s) for s in range(6)))
    for seed, result in enumerate(results):
        assert _failed(result).get("can_expand") == "value", (rule, seed, result["checks"])

