"""Exercise 3.3 ML from scratch: non-learning, hard-coded and off-contract solutions fail.

Held-out labels stay on the trusted side; seeds are fixed for repeatable hidden data.
"""

from __future__ import annotations

import pytest

from grader.checks.base import Hidden

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEED = 1234


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


HARD_CODED_LOGISTIC = '''
def train_logistic_regression(X, y, learning_rate=0.5, num_epochs=1000):
    for _ in range(num_epochs):  # one (decorative) backward per epoch
        torch.zeros(1, requires_grad=True).sum().backward()
    return torch.tensor([[1.5], [-2.0]]), torch.zeros(1)
'''

SGD_XOR = '''
        opt.zero_grad()
        loss.backward()
        opt.step()
'''

# (exercise, old, new, failing check, kind)
WRONG = [
    ("3.3.3a", "learning_rate=0.1, num_epochs=500", "learning_rate=0.0, num_epochs=500",
     "linear_regression", "train"),
    ("3.3.3a", "    return w.detach(), b.detach()",
     "    A = torch.cat([X, torch.ones(len(X), 1)], 1)\n"
     "    s = torch.linalg.lstsq(A, y).solution\n    return s[:-1], s[-1]",
     "linear_regression", "api"),
    ("3.3.3a", "    return torch.matmul(X, w) + b", "    return torch.matmul(X, w)",
     "linear_regression", "value"),
    ("3.3.3a", "    return torch.matmul(X, w) + b", "    return (torch.matmul(X, w) + b).squeeze()",
     "linear_regression", "shape"),
    ("3.3.3b", "learning_rate=0.5, num_epochs=1000", "learning_rate=0.0, num_epochs=1000",
     "logistic_regression", "train"),
    ("3.3.3b", "    return 1 / (1 + torch.exp(-x))", "    return torch.sigmoid(x)",
     "logistic_regression", "api"),
    ("3.3.3b", "    return sigmoid(torch.matmul(X, w) + b)", "    return torch.matmul(X, w) + b",
     "logistic_regression", "value"),
    ("3.3.3c", "learning_rate=1.0, num_epochs=300", "learning_rate=1.0, num_epochs=0",
     "xor_network", "train"),
    ("3.3.3c", "    W1 = torch.randn(2, hidden_size).requires_grad_()",
     "    W1 = torch.randn(2, hidden_size, requires_grad=True) * 0.5", "xor_network", "train"),
    ("3.3.3c", "    return sigmoid(torch.matmul(hidden, params[\"W2\"]) + params[\"b2\"])",
     "    return sigmoid(torch.matmul(hidden, params[\"W2\"]) + params[\"b2\"]).flatten()",
     "xor_network", "shape"),
    ("3.3.3c", "    params = [W1, b1, W2, b2]\n",
     "    params = [W1, b1, W2, b2]\n    opt = torch.optim.SGD(params, lr=learning_rate)\n",
     "xor_network", "api"),
]


@pytest.mark.parametrize(("exercise_id", "old", "new", "check_id", "kind"), WRONG,
                         ids=[f"{w[0]}-{w[4]}-{i}" for i, w in enumerate(WRONG)])
async def test_wrong_solution_fails_on_expected_check(grader, curriculum, exercise_id, old, new,
                                                      check_id, kind):
    source = curriculum.get(exercise_id).reference
    assert old in source, old
    result = await grader.grade(exercise_id, source.replace(old, new, 1), seed=SEED)
    assert result["status"] == "failed", (result["message"], result["checks"])
    assert _failed(result) == {check_id: kind}, result["checks"]


async def test_hard_coded_seed_boundary_fails_on_hidden_data(grader, curriculum):
    source = curriculum.get("3.3.3b").reference
    start = source.index("def train_logistic_regression(")
    end = source.index("def predict_proba(")
    source = source[:start] + HARD_CODED_LOGISTIC.strip() + "\n\n\n" + source[end:]
    result = await grader.grade("3.3.3b", source, seed=SEED)
    assert _failed(result) == {"logistic_regression": "train"}, result["checks"]
    assert "hidden data set" in result["checks"][0]["message"]


async def test_held_out_labels_never_enter_the_inputs(curriculum):
    import numpy as np

    scope: dict = {}
    exec(compile(curriculum.get("3.3.3c").checks_source, "3.3.3c.checks.py", "exec"), scope)
    made = scope["make_datasets"](np.random.default_rng(0))
    assert isinstance(made, Hidden)
    allowed = {"X", "y", "X_test", "epochs", "hidden_size", "rates"}  # no labels
    assert all(set(ds) <= allowed for ds in made.inputs)
    assert [len(y) for y in made.secret] == [len(ds["X_test"]) for ds in made.inputs]
