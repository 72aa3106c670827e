"""Exercises 4.1 (25 nn.Module classes) and 4.2 (90 layer declarations): wrong solutions
fail on the check a teacher expects."""

from __future__ import annotations

import pytest

ASYNC = pytest.mark.asyncio(loop_scope="session")


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


# (exercise, [(old, new), ...], failing check id, expected kind)
WRONG = [
    # 4.1.1 basic linear networks
    ("4.1.1", [("hidden_sizes=(128,), output_size=10", "hidden_sizes=(64,), output_size=10")],
     "SimpleLinear1", "module"),
    ("4.1.1", [("input_size=100, hidden_sizes=(256, 64), output_size=1",
                "input_size=100, hidden_sizes=(256, 64), output_size=2")],
     "SimpleLinear2", "shape"),
    ("4.1.1", [("output_size, bias=False)", "output_size)")], "SimpleLinear5", "module"),
    ("4.1.1", [("x = self.dropout(torch.relu(self.layer1(x)))", "x = torch.relu(self.layer1(x))"),
               ("x = self.dropout(torch.relu(self.layer2(x)))", "x = torch.relu(self.layer2(x))"),
               ("x = self.dropout(torch.relu(self.layer3(x)))", "x = torch.relu(self.layer3(x))")],
     "SimpleLinear4", "value"),
    ("4.1.1", [("self.act = nn.LeakyReLU(0.01)", "self.act = nn.ReLU()")],
     "SimpleLinear3", "module"),
    # 4.1.2 sequential networks
    ("4.1.2", [("nn.Linear(16, 1), nn.Sigmoid(),", "nn.Linear(16, 1),")],
     "SequentialModel2", "module"),
    ("4.1.2", [("nn.BatchNorm1d(b)", "nn.LayerNorm(b)")], "SequentialModel5", "module"),
    # layer order is part of the contract: ReLU before BatchNorm, or dropout before ReLU
    ("4.1.2", [("layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]",
                "layers += [nn.Linear(a, b), nn.ReLU(), nn.BatchNorm1d(b)]")],
     "SequentialModel5", "module"),
    ("4.1.2", [("nn.Linear(32, 1),\n", "nn.Linear(32, 2),\n")], "SequentialModel3", "shape"),
    # 4.1.3 CNNs
    ("4.1.3", [("self.pool = nn.AdaptiveAvgPool2d((1, 1))", "self.pool = nn.AvgPool2d(2)")],
     "SimpleCNN5", "shape"),
    ("4.1.3", [("nn.Conv2d(1, 32, 3), nn.ReLU()", "nn.Conv2d(1, 32, 3, padding=1), nn.ReLU()")],
     "SimpleCNN1", "shape"),
    ("4.1.3", [("nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10)", "nn.ReLU(), nn.Linear(256, 10)")],
     "SimpleCNN2", "module"),
    # 4.1.4 mixed models
    ("4.1.4", [("h = h + self.fc2(F.relu(self.fc1(h)))", "h = self.fc2(F.relu(self.fc1(h)))")],
     "MixedModel1", "value"),
    ("4.1.4", [("F.relu(self.branch2(x2))", "F.relu(self.branch2(x2 * 0))")],
     "MixedModel2", "value"),
    ("4.1.4", [("F.softmax(self.score(x).squeeze(-1), dim=1)",
                "F.softmax(self.score(x).squeeze(-1), dim=0)")], "MixedModel5", "value"),
    ("4.1.4", [("return self.fc(h_n[-1])", "return self.fc(_out[0])")], "MixedModel4", "shape"),
    ("4.1.4", [("return self.decoder(self.encode(x))", "return self.decoder(self.encode(x)) * 2")],
     "MixedModel3", "value"),
    # 4.1.5 custom logic
    ("4.1.5", [("return x + self.fc2(F.relu(self.fc1(x)))",
                "return self.fc2(F.relu(self.fc1(x)))")],
     "CustomLogic1", "value"),
    ("4.1.5", [("h3 = F.relu(self.fc3(h2) + h1)", "h3 = F.relu(self.fc3(h2))")],
     "CustomLogic3", "value"),
    ("4.1.5", [("gate = x.mean(dim=1, keepdim=True) > 0", "gate = x.mean() > 0")],
     "CustomLogic4", "value"),
    ("4.1.5", [("torch.cat([b1, b2, b3], dim=1)", "torch.cat([b3, b2, b1], dim=1)")],
     "CustomLogic2", "value"),
    ("4.1.5", [("/ math.sqrt(32), dim=-1)", ", dim=-1)")], "CustomLogic5", "value"),
    # 4.2 layer declarations
    ("4.2.1", [("nn.Linear(784, 10, bias=False)", "nn.Linear(784, 10)")], "linear_9", "value"),
    ("4.2.1", [("linear_3 = nn.Linear(128, 10)", "linear_3 = nn.Conv1d(128, 10, 1)")],
     "linear_3", "type"),
    ("4.2.2", [("padding=1, dilation=2)", "padding=1)")], "conv2d_9", "value"),
    ("4.2.2", [("nn.Conv2d(64, 128, kernel_size=3, stride=2)",
                "nn.Conv2d(64, 128, kernel_size=3)")],
     "conv2d_2", "value"),
    ("4.2.3", [("kernel_size=5, groups=32)", "kernel_size=5)")], "conv1d_8", "value"),
    ("4.2.3", [("conv1d_6 = nn.Conv1d(1, 32, kernel_size=15)", "conv1d_6 = None")],
     "conv1d_6", "type"),
    ("4.2.4", [("pool_5 = nn.AdaptiveMaxPool2d((1, 1))", "pool_5 = nn.AdaptiveAvgPool2d((1, 1))")],
     "pool_5", "type"),
    ("4.2.4", [("nn.MaxPool2d(kernel_size=3, stride=2)", "nn.MaxPool2d(kernel_size=3)")],
     "pool_2", "value"),
    ("4.2.5", [("nn.LayerNorm([256, 256])", "nn.LayerNorm(256)")], "norm_7", "value"),
    ("4.2.5", [("nn.BatchNorm2d(32, eps=1e-3)", "nn.BatchNorm2d(32)")], "norm_9", "value"),
    ("4.2.6", [("activation_9 = nn.SiLU()", "activation_9 = nn.ReLU()")], "activation_9", "type"),
    ("4.2.6", [("nn.Softmax(dim=1)", "nn.Softmax(dim=-1)")], "activation_6", "value"),
    ("4.2.7", [("dropout_3 = nn.Dropout2d(0.1)", "dropout_3 = nn.Dropout(0.1)")],
     "dropout_3", "type"),
    ("4.2.7", [("nn.Dropout(0.8)", "nn.Dropout(0.2)")], "dropout_4", "value"),
    ("4.2.8", [("nn.LSTM(512, 256, dropout=0.2, batch_first=True)",
                "nn.LSTM(512, 256, batch_first=True)")], "rnn_5", "value"),
    ("4.2.8", [("nn.GRU(200, 400, bidirectional=True, batch_first=True)",
                "nn.GRU(200, 400, batch_first=True)")], "rnn_8", "value"),
    ("4.2.9", [("nn.EmbeddingBag(10000, 300, mode='mean')", "nn.EmbeddingBag(10000, 300)"),
               ("embedding_3 = nn.Embedding(50000, 512)",
                "embedding_3 = nn.Embedding(512, 50000)")],
     "embedding_3", "value"),
    ("4.2.9", [("nn.Embedding(5000, 128, padding_idx=0)", "nn.Embedding(5000, 128)")],
     "embedding_2", "value"),
]


@ASYNC
@pytest.mark.parametrize(("exercise_id", "edits", "check_id", "kind"), WRONG,
                         ids=[f"{w[0]}-{w[2]}-{w[3]}" for w in WRONG])
async def test_wrong_solution_fails_on_expected_check(grader, curriculum, exercise_id, edits,
                                                      check_id, kind):
    source = curriculum.get(exercise_id).reference
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new, 1)
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "failed", result
    failed = _failed(result)
    assert failed.get(check_id) == kind, (failed, [c["message"] for c in result["checks"]
                                                   if c["status"] == "failed"])


@ASYNC
async def test_swish_is_an_error_with_a_clear_message(grader, curriculum):
    source = curriculum.get("4.2.6").reference.replace("nn.SiLU()", "nn.Swish()")
    result = await grader.grade("4.2.6", source)
    assert result["status"] == "error"
    assert "Swish" in str(result.get("message", "")) + str(result.get("stdout", ""))


@ASYNC
async def test_missing_class_fails_only_its_check(grader, curriculum):
    source = curriculum.get("4.1.1").reference.replace("class SimpleLinear3", "class Other3")
    result = await grader.grade("4.1.1", source)
    failed = _failed(result)
    assert set(failed) == {"SimpleLinear3"} and failed["SimpleLinear3"] == "name"
    assert result["score"] == 8


@ASYNC
async def test_hidden_batch_sizes_vary_with_the_seed(grader, curriculum):
    """A forward that hard-codes the batch size fails on the hidden batches."""
    source = curriculum.get("4.1.1").reference.replace(
        "x = torch.relu(self.layer1(x))\n        return self.layer2(x)",
        "x = torch.relu(self.layer1(x))\n        return self.layer2(x).reshape(4, 10)", 1)
    result = await grader.grade("4.1.1", source)
    assert _failed(result).get("SimpleLinear1") == "shape"


# Correct solutions written differently from the reference must pass.
EQUIVALENT = [
    ("4.1.3", [("nn.Conv2d(1, 32, 3), nn.ReLU()",
                "nn.Conv2d(1, 32, 3, padding='valid'), nn.ReLU()"),
               ("nn.Conv2d(a, b, 3, padding=1)", "nn.Conv2d(a, b, 3, padding='same')"),
               ("x = x.view(x.size(0), -1)\n        return self.fc_layers(x)",
                "return self.fc_layers(torch.flatten(x, 1))")]),
    ("4.1.1", [("x = torch.relu(self.layer1(x))\n        return self.layer2(x)",
                "return self.layer2(nn.functional.relu(self.layer1(x)))")]),
    ("4.1.4", [("_out, (h_n, _c_n) = self.lstm(h)\n        return self.fc(h_n[-1])",
                "seq, _ = self.lstm(h)\n        return self.fc(seq[:, -1])")]),
    ("4.2.6", [("nn.ReLU()", "torch.nn.ReLU()"), ("nn.LeakyReLU(0.01)",
                                                  "nn.LeakyReLU(negative_slope=0.01)")]),
]


@ASYNC
@pytest.mark.parametrize(("exercise_id", "edits"), EQUIVALENT,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(EQUIVALENT)])
async def test_equivalent_solution_passes(grader, curriculum, exercise_id, edits):
    source = curriculum.get(exercise_id).reference
    if "torch.nn.ReLU" in str(edits) or "torch.flatten" in str(edits):
        source = "import torch\n" + source
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new, 1)
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "passed", [c["message"] for c in result["checks"]
                                          if c["status"] != "passed"]


@ASYNC
async def test_a_function_instead_of_a_module_class_fails_on_type(grader, curriculum):
    source = curriculum.get("4.1.2").reference.replace(
        "class SequentialModel3(nn.Module):",
        "def SequentialModel3():\n    return nn.Linear(20, 1)\n\n\nclass _Unused(nn.Module):", 1)
    result = await grader.grade("4.1.2", source)
    assert _failed(result) == {"SequentialModel3": "type"}
    assert "nn.Module" in next(c["message"] for c in result["checks"]
                               if c["id"] == "SequentialModel3")
