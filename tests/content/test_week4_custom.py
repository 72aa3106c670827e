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
    # a formula bug is a `tracked` failure only: eval_frozen compares the learner's own stats
    ("4.3.1a", [("input_std = x.std()", "input_std = x.std(unbiased=False)", 1)],
     "tracked", "value", ["layout", "eval_frozen", "reset"]),
    ("4.3.1a", [("if self.training:", "if True:", 2)], "eval_frozen", "value", ["tracked"]),
    ("4.3.1a", [("self.num_batches_tracked.zero_()", "pass", 1)], "reset", "value",
     ["tracked", "eval_frozen"]),
    # assigning a new tensor to a buffer changes its shape: the state_dict no longer loads
    ("4.3.1a", [("self.input_mean_running.fill_(input_mean)",
                 "self.input_mean_running = input_mean", 1)], "layout", "module",
     ["tracked", "eval_frozen", "reset"]),
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
    # 4.3.2a TimeSeriesPredictor
    ("4.3.2a", [("            nn.Softplus()  # Ensure positive std\n", "", 1),
                ("std_pred = self.std_head(current_hidden) + 1e-6",
                 "std_pred = self.std_head(current_hidden)", 1)],
     "uncertainty", "value", ["shapes", "horizon"]),
    ("4.3.2a", [("torch.stack(predictions, dim=1)", "torch.stack(predictions, dim=1)[:, -1]", 1)],
     "shapes", "shape", []),
    ("4.3.2a", [("torch.stack(predictions, dim=1)", "torch.stack(predictions[::-1], dim=1)", 1)],
     "horizon", "value", ["shapes", "uncertainty"]),
    # 4.3.2b ImageClassifierWithCAM
    ("4.3.2b", [("self.feature_maps = None\n", "self.feature_maps = None\n"
                 "        self.register_forward_hook = True\n", 1)],
     "logits", "module", ["cam_range", "cam_values"]),
    ("4.3.2b", [("return torch.where(span > 0, (cam - lo) / span.clamp_min(1e-12), cam)",
                 "return cam", 1)], "cam_range", "value", ["logits"]),
    ("4.3.2b", [("        self.feature_maps = feature_maps.detach()\n",
                 "        if self.training or return_cam:\n"
                 "            self.feature_maps = feature_maps.detach()\n", 1),
                ("            feature_maps = self.features(x)\n",
                 "            self.forward(x)\n            feature_maps = self.feature_maps\n", 1)],
     "cam_values", "value", ["logits", "cam_range"]),
    # 4.3.2c MultiTaskNetwork
    ("4.3.2c", [("self.task_heads[task_name](shared_features)",
                 "self.task_heads[task_name](shared_features.detach())", 1)],
     "independent", "grad", ["outputs", "balancing"]),
    ("4.3.2c", [("        if active_tasks is None:\n            active_tasks = self.task_names",
                 "        active_tasks = self.task_names", 1)], "outputs", "shape", ["balancing"]),
    ("4.3.2c", [("self.task_weights.data = self.task_weights.data / self.task_weights.data.sum()"
                 " * len(self.task_names)", "pass", 1)], "balancing", "value", ["outputs"]),
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
