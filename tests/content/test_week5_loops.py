"""Exercise 5.1 (training loops): wrong loops fail on the check and aspect we expect.

Each wrong submission breaks all five loops of a practice set at once, in five
different ways, so one grading tests five failures. Seeds are fixed, so the
hidden data repeats.
"""

from __future__ import annotations

import pytest

from curriculum.judges.training import gradients_fresh, pattern_problem

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEED = 4242


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] != "passed"}


def _edit(source: str, fn: str, old: str, new: str) -> str:
    """Replace ``old`` by ``new`` inside function ``fn`` only."""
    start = source.index(f"def {fn}(")
    end = source.find("\ndef ", start + 1)
    end = len(source) if end < 0 else end
    body = source[start:end]
    assert old in body, (fn, old)
    return source[:start] + body.replace(old, new, 1) + source[end:]


# (exercise, [(function, old, new)], expected failing checks {id: kind})
WRONG = [
    ("5.1.1", [
        ("train_loop_1", "lr=0.05", "lr=0.001"),
        ("train_loop_2", "optim.SGD", "optim.Adam"),
        ("train_loop_3", "nn.MSELoss()", "nn.L1Loss()"),
        ("train_loop_4", "range(12)", "range(6)"),
        ("train_loop_5", " + l2_lambda * l2_penalty", ""),
    ], {"train_loop_1": "api", "train_loop_2": "api", "train_loop_3": "api",
        "train_loop_4": "value", "train_loop_5": "value"}),
    ("5.1.1", [
        ("train_loop_1", "            optimizer.zero_grad()\n", ""),
        ("train_loop_2", "            optimizer.zero_grad()\n            output = model(data)\n"
                         "            loss = criterion(output, target)\n"
                         "            loss.backward()\n",
         "            output = model(data)\n            loss = criterion(output, target)\n"
         "            loss.backward()\n            optimizer.zero_grad()\n"),
        ("train_loop_3", "    return model", "    return None"),
        ("train_loop_4", "            optimizer.step()\n", ""),
        ("train_loop_5", "    return model", "    model.weight.data.zero_()\n    return model"),
    ], {"train_loop_1": "api", "train_loop_2": "api", "train_loop_3": "type",
        "train_loop_4": "api", "train_loop_5": "train"}),
    ("5.1.2", [
        ("train_loop_6", "nn.BCEWithLogitsLoss()", "nn.BCELoss()"),
        ("train_loop_6", "output = model(data)", "output = torch.sigmoid(model(data))"),
        ("train_loop_7", "lr=0.01", "lr=0.1"),
        ("train_loop_8", "output = log_softmax(model(data))", "output = model(data)"),
        ("train_loop_9", "nn.CrossEntropyLoss(weight=weights)", "nn.CrossEntropyLoss()"),
        ("train_loop_10", "optim.AdamW", "optim.Adam"),
    ], {"train_loop_6": "api", "train_loop_7": "api", "train_loop_8": "value",
        "train_loop_9": "value", "train_loop_10": "api"}),
    ("5.1.2", [
        ("train_loop_6", "range(15)", "range(30)"),
        ("train_loop_7", "    criterion = nn.CrossEntropyLoss()\n",
         "    criterion = nn.CrossEntropyLoss()\n    return model\n"),
        ("train_loop_8", "            optimizer.zero_grad()\n", ""),
        ("train_loop_9", "    return model",
         "    model.weight.data.zero_()\n    model.bias.data = torch.tensor([5.0, 0.0, 0.0])\n"
         "    return model"),
        ("train_loop_10", "    return model", "    return 'model'"),
    ], {"train_loop_6": "value", "train_loop_7": "train", "train_loop_8": "api",
        "train_loop_9": "train", "train_loop_10": "type"}),
    ("5.1.3", [
        ("train_loop_11", "        with torch.no_grad():\n            val_loss = criterion",
         "        if True:\n            val_loss = criterion"),
        ("train_loop_12", "    accuracies = []\n",
         "    accuracies = []\n    shared = make_model()\n"),
        ("train_loop_12", "model = make_model()", "model = shared"),
        ("train_loop_13", "                break\n", "                pass\n"),
        ("train_loop_14", "        if val_loss < best_val_loss:\n"
                          "            best_val_loss = val_loss\n"
                          "            torch.save",
         "        best_val_loss = min(best_val_loss, val_loss)\n        if True:\n"
         "            torch.save"),
        ("train_loop_15", "mode=\"min\", factor=0.5", "mode=\"min\", factor=0.1"),
    ], {"train_loop_11": "value", "train_loop_12": "value", "train_loop_13": "value",
        "train_loop_14": "value", "train_loop_15": "api"}),
    ("5.1.3", [
        ("train_loop_11", "        model.eval()\n", ""),
        ("train_loop_12", "    return accuracies", "    return sum(accuracies) / len(accuracies)"),
        ("train_loop_13", ">= patience", ">= patience + 2"),
        ("train_loop_14", "            torch.save(model.state_dict(), path)\n",
         "            pass\n"),
        ("train_loop_15", "        scheduler.step(val_loss)\n", ""),
    ], {"train_loop_11": "value", "train_loop_12": "type", "train_loop_13": "value",
        "train_loop_14": "value", "train_loop_15": "api"}),
    ("5.1.4", [
        ("train_loop_16", "            torch.nn.utils.clip_grad_norm_(model.parameters(), "
                          "max_norm=1.0)\n", ""),
        ("train_loop_17", "with torch.autocast(device_type=device.type, dtype=amp_dtype):",
         "if True:"),
        ("train_loop_18", " / accumulation_steps", ""),
        ("train_loop_19", "0.4 if epoch < 3 else (0.7 if epoch < 6 else 1.0)", "1.0"),
        ("train_loop_20", "1.0 * mse(out_reg, target_reg) + 0.5 * ce",
         "0.5 * mse(out_reg, target_reg) + 1.0 * ce"),
    ], {"train_loop_16": "value", "train_loop_17": "api", "train_loop_18": "value",
        "train_loop_19": "value", "train_loop_20": "value"}),
    ("5.1.4", [
        ("train_loop_16", "parameters(), max_norm=1.0", "parameters(), max_norm=5.0"),
        ("train_loop_17", "dtype=amp_dtype", "dtype=torch.float32"),
        ("train_loop_18", "shuffle=False", "shuffle=True"),
        ("train_loop_19", "torch.argsort(difficulty)",
         "torch.argsort(difficulty, descending=True)"),
        ("train_loop_20", " + 0.5 * ce(out_cls, target_cls)", ""),
    ], {"train_loop_16": "value", "train_loop_17": "value", "train_loop_18": "value",
        "train_loop_19": "value", "train_loop_20": "api"}),
]


async def test_an_l2_penalty_without_the_biases_fails_also_when_they_are_small(grader,
                                                                                curriculum):
    """Left out, the biases change the total by 0.001 * b²: within the total's tolerance
    when they stay small (seed 11 once passed that way); the penalty is checked alone."""
    source = _edit(curriculum.get("5.1.1").reference, "train_loop_5",
                   "for p in model.parameters())",
                   "for n, p in model.named_parameters() if 'bias' not in n)")
    result = await grader.grade("5.1.1", source, seed=11)
    assert _failed(result) == {"train_loop_5": "value"}, result["checks"]
    message = next(c["message"] for c in result["checks"] if c["id"] == "train_loop_5")
    assert "biases too" in message, message


@pytest.mark.slow
@pytest.mark.parametrize(("exercise_id", "edits", "expected"), WRONG,
                         ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
async def test_wrong_loops_fail_on_expected_checks(grader, curriculum, exercise_id, edits,
                                                   expected):
    source = curriculum.get(exercise_id).reference
    for fn, old, new in edits:
        source = _edit(source, fn, old, new)
    result = await grader.grade(exercise_id, source, seed=SEED)
    assert result["status"] in ("failed", "error"), result["message"]
    assert _failed(result) == expected, [(c["id"], c["kind"], c["message"][:160])
                                         for c in result["checks"]]
    for c in result["checks"]:
        if c["status"] != "passed":
            assert c["message"], c["id"]


async def test_pattern_order_is_read_from_the_source():
    good = (
        "def train_loop_1(model, X, y):\n"
        "    for data, target in loader:\n"
        "        optimizer.zero_grad()\n        output = model(data)\n"
        "        loss = criterion(output, target)\n        loss.backward()\n"
        "        optimizer.step()\n"
    )
    assert pattern_problem(good, "train_loop_1") is None
    swapped = good.replace("        loss.backward()\n        optimizer.step()\n",
                           "        optimizer.step()\n        loss.backward()\n")
    assert "step" in pattern_problem(swapped, "train_loop_1")
    assert "define" in pattern_problem(good, "train_loop_2")
    assert "zero_grad" in pattern_problem(good.replace("optimizer.zero_grad()", "pass"),
                                          "train_loop_1")


LOOP = "def train_loop_1(model, X, y):\n    for data, target in loader:\n{body}"


def _loop(*lines: str) -> str:
    return LOOP.format(body="".join(f"        {line}\n" for line in lines))


@pytest.mark.parametrize("source", [
    # zeroed at the end of the iteration: the next update starts from zero
    _loop("output = model(data)", "loss = criterion(output, target)", "loss.backward()",
          "optimizer.step()", "optimizer.zero_grad()"),
    # the forward pass and the loss inside the expression backward is called on
    _loop("optimizer.zero_grad()", "criterion(model(data), target).backward()",
          "optimizer.step()"),
    # forward and loss first, then zero, backward, step
    _loop("preds = model(data)", "loss = criterion(preds, target)", "optimizer.zero_grad()",
          "loss.backward()", "optimizer.step()"),
    # an attack's backward, zeroed, then the update's own
    _loop("criterion(model(x_adv), target).backward()", "optimizer.zero_grad()",
          "loss = criterion(model(data), target)", "loss.backward()", "optimizer.step()"),
    # the loop in a helper the function calls
    "def _fit(model, loader):\n    for data, target in loader:\n"
    "        optimizer.zero_grad()\n        criterion(model(data), target).backward()\n"
    "        optimizer.step()\n\ndef train_loop_1(model, X, y):\n    _fit(model, loader)\n",
    # one update per call of a per-batch helper, from the loop over batches
    "def train_step(model, data, target):\n    optimizer.zero_grad()\n"
    "    loss = criterion(model(data), target)\n    loss.backward()\n    optimizer.step()\n"
    "\ndef train_loop_1(model, X, y):\n    for data, target in loader:\n"
    "        train_step(model, data, target)\n",
    # the same, zeroed by the loop around it
    "def train_step(model, data, target):\n    loss = criterion(model(data), target)\n"
    "    loss.backward()\n    optimizer.step()\n\ndef train_loop_1(model, X, y):\n"
    "    for data, target in loader:\n        optimizer.zero_grad()\n"
    "        train_step(model, data, target)\n",
], ids=["zero-at-end", "loss-on-backward-line", "forward-first", "attack-then-update",
        "helper", "per-batch-helper", "per-batch-helper-zeroed-outside"])
async def test_equivalent_forms_of_the_pattern_are_accepted(source):
    assert pattern_problem(source, "train_loop_1") is None


async def test_a_per_batch_helper_without_zero_grad_is_refused():
    source = ("def train_step(model, data, target):\n    loss = criterion(model(data), target)\n"
              "    loss.backward()\n    optimizer.step()\n\ndef train_loop_1(model, X, y):\n"
              "    optimizer.zero_grad()\n    for data, target in loader:\n"
              "        train_step(model, data, target)\n")
    assert "zero_grad" in pattern_problem(source, "train_loop_1")


async def test_zero_grad_between_backward_and_step_is_refused():
    source = _loop("output = model(data)", "loss = criterion(output, target)",
                   "loss.backward()", "optimizer.zero_grad()", "optimizer.step()")
    assert "throws the gradients away" in pattern_problem(source, "train_loop_1")


@pytest.mark.parametrize(("seq", "fresh"), [
    ("BSBSBS", True), ("BSbS", False), ("bBS", True), ("BbS", False), ("SS", True),
])
async def test_each_update_uses_its_own_backward(seq, fresh):
    assert gradients_fresh(seq) is fresh


async def test_labels_stay_out_of_the_sandbox(curriculum):
    import numpy as np

    from curriculum.judges.training_loops import loop_inputs

    loops = [c for s in range(1, 5) for c in curriculum.get(f"5.1.{s}").checks]
    assert len(loops) == 20
    for check in loops:
        hidden = loop_inputs(np.random.default_rng(check.args["k"]), **check.args)
        assert "y_test" in hidden.secret
        assert set(hidden.inputs) >= {"args", "X_test", "model"}
        assert "y_test" not in hidden.inputs


async def test_an_epoch_count_or_eval_mode_slip_is_named_as_such(grader, curriculum):
    """Whole epochs too few were told "each epoch must cover the 480 training rows; yours
    covered 240", and a loop that trained after model.eval() "the model was never called
    in training" — it was, in eval mode."""
    source = _edit(curriculum.get("5.1.2").reference, "train_loop_9", "range(10)", "range(5)")
    source = _edit(source, "train_loop_7", "    for _epoch in range(10):\n",
                   "    model.eval()\n    for _epoch in range(10):\n")
    result = await grader.grade("5.1.2", source, seed=SEED)
    said = {c["id"]: c["message"] for c in result["checks"] if c["status"] != "passed"}
    assert set(said) == {"train_loop_7", "train_loop_9"}, said
    assert "train for 10 epochs over all" in said["train_loop_9"], said["train_loop_9"]
    assert "call `model.train()`" in said["train_loop_7"], said["train_loop_7"]
