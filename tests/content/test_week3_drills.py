"""Exercise 3.1 (autograd drill): distinct wrong solutions fail on the check a teacher expects."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _sub(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


def _line(source: str, name: str, new_rhs: str) -> str:
    pattern = re.compile(rf"^{name} = .*$", re.M)
    assert pattern.search(source), name
    return pattern.sub(lambda _m: f"{name} = {new_rhs}", source, count=1)


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


# (exercise, edit, failing check id, expected kind)
WRONG = [
    # 3.1.1 creating tensors with gradients
    ("3.1.1", ("line", "x_1", "torch.tensor(2.0)"), "x_1", "grad"),
    ("3.1.1", ("line", "x_3", "torch.randn(4, 3, requires_grad=True)"), "x_3", "shape"),
    ("3.1.1", ("sub", "x_16 = torch.arange(10.0)\nx_16.requires_grad_(True)",
               "x_16 = torch.arange(10)"), "x_16", "dtype"),
    ("3.1.1", ("line", "x_12", "torch.ones(5, 5)"), "x_12", "value"),
    ("3.1.1", ("line", "x_2", "torch.tensor([1.0, 2.0, 3.0]).requires_grad_()"), "x_2", "api"),
    ("3.1.1", ("line", "x_19", "torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]])"), "x_19",
     "api"),
    ("3.1.1", ("line", "x_9", "torch.randn(2, 3, 4, requires_grad=True) * 2"), "x_9", "grad"),
    # the argument variants (1–10): setting the attribute does not practise the argument
    ("3.1.1", ("sub", "x_5 = torch.tensor([0.5, 1.5, 2.5], requires_grad=True)",
               "x_5 = torch.tensor([0.5, 1.5, 2.5])\nx_5.requires_grad = True"), "x_5", "api"),
    # 3.1.2 forward and backward
    ("3.1.2", ("sub", "y_1.backward()", "y_1.backward()\nx_1.grad.zero_()"), "x_1", "grad"),
    ("3.1.2", ("sub", "y_5.backward()\n", ""), "x_5", "grad"),
    ("3.1.2", ("sub", "y_8.backward()", "y_8.backward(retain_graph=True)\ny_8.backward()"),
     "x_8", "grad"),
    ("3.1.2", ("line", "y_16", "math.e ** x_16"), "x_16", "api"),
    ("3.1.2", ("line", "x_7", "torch.tensor(0.1, dtype=torch.float64, requires_grad=True)"),
     "x_7", "dtype"),
    ("3.1.2", ("line", "y_11", "x_11**2"), "x_11", "value"),
    # 3.1.3 multi-variable
    ("3.1.3", ("line", "z_13", "y_13 / x_13"), "x_13", "value"),
    ("3.1.3", ("line", "x_6", "torch.tensor(2.0)"), "x_6", "grad"),
    ("3.1.3", ("line", "z_17", "(x_17**2 + y_17**2) ** 0.5"), "x_17", "api"),
    ("3.1.3", ("line", "z_9", "x_9.detach()**3 + y_9**3"), "x_9", "grad"),
    # 3.1.4 vector operations
    ("3.1.4", ("line", "y_5", "(x_5**2).sum().sqrt()"), "x_5", "api"),
    ("3.1.4", ("line", "y_15", "torch.var(x_15, unbiased=False)"), "x_15", "value"),
    ("3.1.4", ("line", "y_12", "(1/x_12.detach()).sum() + 0 * x_12.sum()"), "x_12", "grad"),
    ("3.1.4", ("line", "x_8", "torch.randn(3, 2, requires_grad=True)"), "x_8", "shape"),
    ("3.1.4", ("sub", "y_1 = (x_1**2).sum()\ny_1.backward()",
               "y_1 = (x_1**2).sum()\ny_1.backward()\ny_1 = y_1.item()"), "x_1", "type"),
    # 3.1.5 gradient patterns
    ("3.1.5", ("line", "b_1", "torch.randn(3)"), "x_1", "grad"),
    ("3.1.5", ("line", "loss_8", "y_8.mean()"), "x_8", "value"),
    ("3.1.5", ("line", "y_10", "torch.clamp(W_10 @ x_10, min=0)"), "x_10", "api"),
    ("3.1.5", ("line", "loss_14", "(A_14 * A_14).sum()"), "A_14", "api"),
    ("3.1.5", ("line", "Z_13", "torch.outer(x_13, y_13)"), "x_13", "api"),
    ("3.1.5", ("line", "y_18", "F.avg_pool2d(x_18, 2)"), "x_18", "value"),
]


@pytest.mark.parametrize(("exercise_id", "edit", "check_id", "kind"), WRONG,
                         ids=[f"{w[0]}-{w[2]}-{w[3]}" for w in WRONG])
async def test_wrong_variant_fails_on_expected_check(grader, curriculum, exercise_id, edit,
                                                     check_id, kind):
    source = curriculum.get(exercise_id).reference
    if edit[0] == "line":
        source = _line(source, edit[1], edit[2])
    else:
        source = _sub(source, edit[1], edit[2])
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "failed", result
    assert _failed(result) == {check_id: kind}, result["checks"]


async def test_missing_name_is_reported(grader, curriculum):
    source = _sub(curriculum.get("3.1.2").reference,
                  "y_20 = x_20**2 + 3*x_20 + 2\ny_20.backward()", "")
    result = await grader.grade("3.1.2", source)
    assert result["status"] == "error"
    assert _failed(result) == {"x_20": "name"}


async def test_failure_message_teaches_without_leaking(grader, curriculum):
    source = _line(curriculum.get("3.1.4").reference, "y_15", "torch.var(x_15, unbiased=False)")
    result = await grader.grade("3.1.4", source)
    message = next(c["message"] for c in result["checks"] if c["id"] == "x_15")
    assert "tolerance" in message and "y_15" in message


# The gradients the course text states (Practice Sets 2 and 3), checked against the judge's
# own computation.
STATED = {
    "3.1.2": {1: [6], 2: [4], 3: [-2], 4: [1], 5: [20], 6: [-10], 7: [0.2], 8: [14], 9: [-1],
              10: [3], 11: [12], 12: [2], 13: [4], 14: [12], 17: [0.5], 18: [-4], 20: [5]},
    "3.1.3": {1: [4, 6], 2: [2, 2], 3: [-2, 4], 4: [1, 3], 5: [6, -4], 6: [3, 2], 7: [12, 4],
              8: [1, 4], 9: [3, 3], 10: [9, 12], 12: [6, -4], 13: [0.5, -1.5]},
}


@pytest.mark.parametrize("exercise_id", sorted(STATED))
async def test_stated_gradients_hold(curriculum, exercise_id):
    import torch

    from curriculum.judges.autograd import _expected

    for check in curriculum.get(exercise_id).checks:
        args = check.args
        claim = STATED[exercise_id].get(args["k"])
        if claim is None:
            continue
        leaves = {leaf["name"]: torch.tensor(leaf["value"], dtype=torch.float32)
                  for leaf in args["leaves"]}
        _, grads = _expected(leaves, args["outs"])
        got = [float(grads[leaf["name"]]) for leaf in args["leaves"]]
        assert got == pytest.approx(claim, abs=1e-6), (exercise_id, args["k"])


async def test_recurrence_bound_through_the_loop_variable_passes(grader, curriculum):
    """`h = torch.tanh(...)` in a loop, then `h_19 = h`, is the contract's own wording."""
    source = _sub(curriculum.get("3.1.5").reference,
                  "h_19 = torch.zeros(3, 8)\nfor t in range(5):\n"
                  "    h_19 = torch.tanh(x_19[t] @ W_ih_19.T + h_19 @ W_hh_19.T)\n",
                  "h = torch.zeros(3, 8)\nfor t in range(5):\n"
                  "    h = torch.tanh(x_19[t] @ W_ih_19.T + h @ W_hh_19.T)\nh_19 = h\n")
    result = await grader.grade("3.1.5", source)
    assert result["status"] == "passed", result["checks"]
    no_tanh = _sub(source, "    h = torch.tanh(", "    h = torch.sigmoid(")
    result = await grader.grade("3.1.5", no_tanh)
    assert _failed(result) == {"x_19": "value"}, result["checks"]


async def test_a_recurrence_through_a_helper_or_a_list_of_states_passes(grader, curriculum):
    """The RNN step written as a helper (`h = step(x[t], h)`) or its states kept in a list
    (`hs.append(torch.tanh(…))`, then `h_19 = hs[-1]`) computes h_19 with torch.tanh as
    much as the loop on `h` does; both were told "must be computed with torch.tanh()"."""
    loop = ("h_19 = torch.zeros(3, 8)\nfor t in range(5):\n"
            "    h_19 = torch.tanh(x_19[t] @ W_ih_19.T + h_19 @ W_hh_19.T)\n")
    helper = _sub(curriculum.get("3.1.5").reference, loop,
                  "def step(x, h):\n    return torch.tanh(x @ W_ih_19.T + h @ W_hh_19.T)\n\n\n"
                  "h = torch.zeros(3, 8)\nfor t in range(5):\n    h = step(x_19[t], h)\n"
                  "h_19 = h\n")
    states = _sub(curriculum.get("3.1.5").reference, loop,
                  "hs = [torch.zeros(3, 8)]\nfor t in range(5):\n"
                  "    hs.append(torch.tanh(x_19[t] @ W_ih_19.T + hs[-1] @ W_hh_19.T))\n"
                  "h_19 = hs[-1]\n")
    for source in (helper, states):
        result = await grader.grade("3.1.5", source)
        assert result["status"] == "passed", result["checks"]
    no_tanh = _sub(states, "hs.append(torch.tanh(", "hs.append(torch.sigmoid(")
    assert _failed(await grader.grade("3.1.5", no_tanh)) == {"x_19": "value"}
