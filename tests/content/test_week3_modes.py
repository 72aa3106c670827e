"""Exercise 3.2 (training vs inference, detaching): wrong solutions fail where expected."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


# (exercise, old text, new text, failing check, kind)
WRONG = [
    ("3.2.1", "    if W.grad is not None:\n        W.grad.zero_()\n", "",
     "training_mode_practice", "grad"),
    ("3.2.1", "    return loss\n\n\ndef inference", "    return loss.item()\n\n\ndef inference",
     "training_mode_practice", "type"),
    ("3.2.1", "    y = torch.matmul(W, x)\n    loss = y.sum()\n    loss.backward()",
     "    y = torch.matmul(W, x)\n    loss = y.mean()\n    loss.backward()",
     "training_mode_practice", "value"),
    ("3.2.1", "    with torch.no_grad():\n        y = torch.matmul(W, x)\n        loss = y.sum()",
     "    if True:\n        y = torch.matmul(W, x)\n        loss = y.sum()",
     "inference_mode_practice", "grad"),
    ("3.2.1", "    with torch.no_grad():\n        y = torch.matmul(W, x)\n        loss = y.sum()",
     "    if True:\n        y = torch.matmul(W, x).detach()\n        loss = y.sum()",
     "inference_mode_practice", "api"),
    ("3.2.1", "    with torch.set_grad_enabled(training):\n        y = torch.matmul(W, x)",
     "    with torch.no_grad():\n        y = torch.matmul(W, x)", "run_model", "grad"),
    ("3.2.1", "    with torch.set_grad_enabled(training):\n        y = torch.matmul(W, x)",
     "    y = torch.matmul(W, x) if training else torch.matmul(W, x).detach()",
     "run_model", "api"),
    ("3.2.2", "y_detached = y.detach()", "y_detached = y.clone()", "detach_practice", "grad"),
    ("3.2.2", "z = y_detached * 2", "z = y * 2", "detach_practice", "grad"),
    ("3.2.2", "    return y, y_detached, z", "    return y, y_detached", "detach_practice",
     "type"),
    ("3.2.2", "loss = (x * x.detach()).sum()", "loss = (x * x).sum()", "stop_gradient", "grad"),
    ("3.2.2", "    loss.backward()\n    return x.grad",
     "    return torch.autograd.grad(loss, x)[0]", "stop_gradient", "grad"),
]


@pytest.mark.parametrize(("exercise_id", "old", "new", "check_id", "kind"), WRONG,
                         ids=[f"{w[0]}-{w[3]}-{w[4]}" for w in WRONG])
async def test_wrong_solution_fails_on_expected_check(grader, curriculum, exercise_id, old, new,
                                                      check_id, kind):
    source = curriculum.get(exercise_id).reference
    assert old in source, old
    result = await grader.grade(exercise_id, source.replace(old, new, 1))
    assert result["status"] == "failed", result
    assert _failed(result) == {check_id: kind}, result["checks"]


async def test_missing_function_is_a_name_error(grader, curriculum):
    source = curriculum.get("3.2.1").reference.replace("def run_model", "def run_model_v2")
    result = await grader.grade("3.2.1", source)
    assert result["status"] == "error"
    assert _failed(result) == {"run_model": "name"}


STOP_BODY = "    loss = (x * x.detach()).sum()\n    loss.backward()\n    return x.grad\n"

# stop_gradient: what x.grad holds after the call tells a wrong loss from a right gradient
# changed on return (x.grad * 2 used to be told to detach the second factor, which it did)
STOP_MESSAGES = [
    ("returned-twice", "    loss = (x * x.detach()).sum()\n    loss.backward()\n"
                       "    return x.grad * 2\n", ["x.grad itself is right", "twice it"],
     ["x.detach()"]),
    ("returned-changed", "    loss = (x * x.detach()).sum()\n    loss.backward()\n"
                         "    return x.grad + 1\n", ["x.grad itself is right", "something else"],
     ["x.detach()"]),
    ("no-detach", "    loss = (x * x).sum()\n    loss.backward()\n    return x.grad\n",
     ["you got 2*x", "x.detach()"], ["itself is right"]),
    ("no-detach-halved", "    loss = (x * x).sum()\n    loss.backward()\n    return x.grad / 2\n",
     ["x.grad holds something else", "2*x", "x.detach()"], ["call loss.backward()"]),
]


@pytest.mark.parametrize(("body", "present", "absent"), [s[1:] for s in STOP_MESSAGES],
                         ids=[s[0] for s in STOP_MESSAGES])
async def test_stop_gradient_message_names_the_cause(grader, curriculum, body, present, absent):
    source = curriculum.get("3.2.2").reference
    assert STOP_BODY in source
    result = await grader.grade("3.2.2", source.replace(STOP_BODY, body))
    assert _failed(result) == {"stop_gradient": "grad"}, result["checks"]
    message = next(c["message"] for c in result["checks"] if c["id"] == "stop_gradient")
    assert all(p in message for p in present), message
    assert not any(a in message for a in absent), message
