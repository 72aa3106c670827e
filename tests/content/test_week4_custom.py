"""Exercise 4.3 (custom layers, problem-specific architectures): wrong solutions fail on the
check a teacher expects."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


# (exercise, [(old, new, count), ...], failing check id, expected kind, checks that must pass)
WRONG = [
    # 4.3.1a LinearWithStats
    ("4.3.1a", [("self.momentum = 0.1", "self.momentum = 0.5", 1)], "tracked", "value", []),
    ("4.3.1a", [("input_std = x.std()", "input_std = x.std(unbiased=False)", 1)],
     "tracked", "value", ["layout"]),
    ("4.3.1a", [("if self.training:", "if True:", 2)], "eval_frozen", "value", ["tracked"]),
    ("4.3.1a", [("self.num_batches_tracked.zero_()", "pass", 1)], "reset", "value",
     ["tracked", "eval_frozen"]),
    ("4.3.1a", [("nn.Linear(in_features, out_features, bias=bias)",
                 "nn.Linear(in_features, out_features)", 1)], "layout", "module", ["tracked"]),
    # 4.3.1b ResidualBlock
    ("4.3.1b", [("out = out + identity", "out = out", 1)], "forward", "value", ["structure"]),
    ("4.3.1b", [("self.activation = nn.GELU()", "self.activation = nn.ReLU()", 1)],
     "forward", "value", ["structure"]),
    ("4.3.1b", [("if dropout > 0:", "if dropout > 1:", 1)], "structure", "module", []),
    # 4.3.1c AttentionLayer
    ("4.3.1c", [("self.scale = 1.0 / (attention_dim ** 0.5)", "self.scale = 1.0", 1)],
     "output", "value", ["weights"]),
    ("4.3.1c", [("F.softmax(attention_scores, dim=-1)", "F.softmax(attention_scores, dim=1)", 1)],
     "weights", "value", []),
]


@pytest.mark.parametrize(("exercise_id", "edits", "check_id", "kind", "passing"), WRONG,
                         ids=[f"{w[0]}-{w[2]}-{i}" for i, w in enumerate(WRONG)])
async def test_wrong_solution_fails_on_expected_check(grader, curriculum, exercise_id, edits,
                                                      check_id, kind, passing):
    source = curriculum.get(exercise_id).reference
    for old, new, count in edits:
        assert source.count(old) == count, old
        source = source.replace(old, new)
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "failed", result
    failed = _failed(result)
    assert failed.get(check_id) == kind, (failed, [c["message"] for c in result["checks"]
                                                   if c["status"] == "failed"])
    for cid in passing:
        assert cid not in failed, (cid, failed)
