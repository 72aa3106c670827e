"""Fourth audit of weeks 1–3 (held-out learner submissions): wrong verdicts and
misleading messages it found.

Each test grades a submission the audit found mis-judged or mis-explained, so it
fails on the old checks.
"""

from __future__ import annotations

import pytest
from audit_support import failed as _failed
from audit_support import message as _message
from audit_support import reference as _reference
from audit_support import replace_once as _replace

ASYNC = pytest.mark.asyncio(loop_scope="session")

SEED = 4344
# --- 1.3.4: a report dict missing a key names the key ---------------------------------

@ASYNC
async def test_134_report_without_z_scores_names_the_missing_key(grader) -> None:
    source = _replace(_reference("1.3.4"), ', "z_scores": normalized}', "}")
    result = await grader.grade("1.3.4", source, seed=SEED)
    assert _failed(result).get("report") == "type", result["checks"]
    message = _message(result, "report")
    assert "lacks 'z_scores'" in message and "found dict" not in message, message


# --- 2.2.4: manual_21/22 add the expanded tensors, not the operands -------------------

@ASYNC
@pytest.mark.parametrize("k, manual, raw", [
    ("21", "manual_21 = a_21 + b_21", "`a_21` and `b_21`"),
    ("22", "manual_22 = a_expanded_22 + b_22", "`b_22`"),
    ("22", "manual_22 = torch.add(a_22, b_expanded_22)", "`a_22`"),
])
async def test_224_manual_sum_of_unexpanded_operands_is_rejected(grader, k, manual, raw) -> None:
    source = _reference("2.2.4") + f"\n{manual}\n"
    result = await grader.grade("2.2.4", source, seed=SEED)
    assert _failed(result).get(f"variant_{k}") == "api", result["checks"]
    assert raw in _message(result, f"variant_{k}"), _message(result, f"variant_{k}")


@ASYNC
async def test_224_manual_sum_expanded_inline_is_accepted(grader) -> None:
    source = _reference("2.2.4") + (
        "\nmanual_21 = torch.add(torch.broadcast_to(a_21, (2, 3, 4)),"
        " b_21.expand_as(a_expanded_21))"
        "\nmanual_22 = a_expanded_22 + b_22.expand(a_expanded_22.shape)\n")
    result = await grader.grade("2.2.4", source, seed=SEED)
    assert result["status"] == "passed", result["checks"]


# --- 3.1.x: the zero / doubled gradient hints name what this variant's code did -------

_X2 = "x_2 = torch.tensor(2.0, requires_grad=True)\n"


@ASYNC
@pytest.mark.parametrize("lines, hint, not_hint", [
    # a graph cut by .detach(): no .zero_() anywhere, so not 'don't call .grad.zero_()'
    (_X2 + "y_2 = (x_2.detach() ** 2) + 0 * x_2\ny_2.backward()\n",
     "does not depend on `x_2` through the graph", "zero_"),
    (_X2 + "y_2 = x_2 ** 2\ny_2.backward()\nx_2.grad.zero_()\n",
     "don't call .grad.zero_()", "through the graph"),
    # one backward with a gradient of 2 is not 'backward ran twice'
    (_X2 + "y_2 = x_2 ** 2\ny_2.backward(torch.tensor(2.0))\n",
     "the gradient passed to `y_2.backward(…)`", "ran twice"),
    (_X2 + "y_2 = x_2 ** 2\ny_2.backward(retain_graph=True)\ny_2.backward()\n",
     "backward ran twice", "passed to"),
])
async def test_31x_gradient_hints_follow_the_variants_code(grader, lines, hint, not_hint) -> None:
    source = _reference("3.1.2") + "\n" + lines
    result = await grader.grade("3.1.2", source, seed=SEED)
    assert _failed(result) == {"x_2": "grad"}, result["checks"]
    message = _message(result, "x_2")
    assert hint in message and not_hint not in message, message


# --- 3.3.3b: a bias created without requires_grad is named when accuracy fails --------

FROZEN_BIAS_333B = '''import torch


def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def train_logistic_regression(X, y, learning_rate=0.5, num_epochs=1000):
    w = torch.zeros(2, 1, requires_grad=True)
    b = torch.zeros(1)
    for _ in range(num_epochs):
        p = sigmoid(X @ w + b).clamp(1e-7, 1 - 1e-7)
        loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
        w.grad = None
        loss.backward()
        with torch.no_grad():
            w -= learning_rate * w.grad
    return w, b


def predict_proba(X, w, b):
    return sigmoid(torch.matmul(X, w) + b)
'''


@ASYNC
async def test_333b_frozen_bias_is_named(grader) -> None:
    result = await grader.grade("3.3.3b", FROZEN_BIAS_333B, seed=SEED)
    assert _failed(result).get("logistic_regression") == "train", result["checks"]
    message = _message(result, "logistic_regression")
    assert "your `b` does not require grad" in message, message
