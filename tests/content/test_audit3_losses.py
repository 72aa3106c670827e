"""Third audit: from-scratch trainers are judged on the loss the prompt states, and a
3.1.x gradient must be left by backward(), not assigned.

3.3.3a and 3.3.3b state the loss (mean squared error, binary cross-entropy). A
classifier trained on the squared error of its probabilities still separates the
data, so accuracy alone passed it; the probe now sends the first loss the
training differentiates with the parameters it came from, and the judge
recomputes the stated loss of those parameters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SEEDS = (5, 2024)


def _reference(exercise_id: str) -> str:
    return (ROOT / "curriculum" / "week3" / f"{exercise_id}.ref.py").read_text()


def _replace(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)


def _check(result: dict, check_id: str) -> dict:
    return next(c for c in result["checks"] if c["id"] == check_id)


MSE_CLASSIFIER = (
    "        loss = binary_cross_entropy(sigmoid(torch.matmul(X, w) + b), y)\n",
    "        loss = torch.mean((sigmoid(torch.matmul(X, w) + b) - y) ** 2)\n")
# The stable logits form of the same loss, differentiated with torch.autograd.grad.
LOGITS_BCE = ('''        loss = binary_cross_entropy(sigmoid(torch.matmul(X, w) + b), y)
        if w.grad is not None:
            w.grad.zero_()
            b.grad.zero_()
        loss.backward()
        with torch.no_grad():
            w -= learning_rate * w.grad
            b -= learning_rate * b.grad
''', '''        z = X @ w + b
        loss = torch.mean(torch.clamp(z, min=0) - z * y + torch.log1p(torch.exp(-z.abs())))
        grad_w, grad_b = torch.autograd.grad(loss, [w, b])
        with torch.no_grad():
            w -= learning_rate * grad_w
            b -= learning_rate * grad_b
''')


@pytest.mark.parametrize("seed", SEEDS)
async def test_333b_classifier_trained_on_squared_error_fails(grader, seed: int) -> None:
    result = await grader.grade("3.3.3b", _replace(_reference("3.3.3b"), *MSE_CLASSIFIER),
                                seed=seed)
    check = _check(result, "logistic_regression")
    assert check["status"] == "failed", check
    assert "binary cross-entropy" in check["message"] and "backward()" in check["message"]


async def test_333b_same_loss_written_from_logits_passes(grader) -> None:
    result = await grader.grade("3.3.3b", _replace(_reference("3.3.3b"), *LOGITS_BCE), seed=7)
    assert result["status"] == "passed", result["checks"]


async def test_333a_summed_squared_error_fails(grader) -> None:
    source = _replace(_reference("3.3.3a"), "loss = torch.mean((y_pred - y) ** 2)",
                      "loss = torch.sum((y_pred - y) ** 2) / 1000")
    check = _check(await grader.grade("3.3.3a", source, seed=3), "linear_regression")
    assert check["status"] == "failed" and "mean squared error" in check["message"], check


async def test_333a_random_start_and_method_spelling_pass(grader) -> None:
    source = _replace(_reference("3.3.3a"), "w = torch.zeros(n_features, 1, requires_grad=True)",
                      "w = (0.01 * torch.randn(n_features, 1)).requires_grad_()")
    source = _replace(source, "loss = torch.mean((y_pred - y) ** 2)",
                      "loss = (y_pred - y).pow(2).mean()")
    assert (await grader.grade("3.3.3a", source, seed=3))["status"] == "passed"


# --- 3.1.x: a gradient written by hand is not one left by backward() -------------------

@pytest.mark.parametrize(("exercise_id", "edit"), [
    # the autograd.grad result stored in .grad, the right number typed in
    ("3.1.2", ("y_20.backward()", "x_20.grad = torch.autograd.grad(y_20, x_20)[0]")),
    ("3.1.2", ("y_20.backward()", "x_20.grad = 2 * x_20.detach() + 3")),
    ("3.1.2", ("y_20.backward()", "setattr(x_20, 'grad', 2 * x_20.detach() + 3)")),
])
async def test_31x_gradient_assigned_by_hand_fails(grader, exercise_id: str, edit) -> None:
    source = (ROOT / "curriculum" / "week3" / f"{exercise_id}.ref.py").read_text()
    result = await grader.grade(exercise_id, _replace(source, *edit), seed=2)
    check = _check(result, "x_20")
    assert check["status"] == "failed" and "assigned by hand" in check["message"], check


@pytest.mark.parametrize("edit", [
    ("y_20.backward()", "x_20.grad = None\ny_20.backward()"),                  # a reset
    ("y_20.backward()", "x_20.grad = torch.zeros_like(x_20)\ny_20.backward()"),  # a start
    ("y_20.backward()", "y_20.backward()\nif __name__ == '__main__':\n"
                        "    x_20.grad = torch.zeros_like(x_20)"),               # not run
])
async def test_31x_gradient_writes_before_backward_or_not_run_are_fine(grader, edit) -> None:
    source = (ROOT / "curriculum" / "week3" / "3.1.2.ref.py").read_text()
    source = _replace(source, *edit)
    assert _check(await grader.grade("3.1.2", source, seed=2), "x_20")["status"] \
        == "passed"


async def test_31x_gradient_data_written_after_backward_fails(grader) -> None:
    source = (ROOT / "curriculum" / "week3" / "3.1.2.ref.py").read_text()
    source = _replace(source, "y_20.backward()",
                      "y_20.backward()\nx_20.grad.data = 2 * x_20.detach() + 3")
    check = _check(await grader.grade("3.1.2", source, seed=2), "x_20")
    assert check["status"] == "failed" and "assigned by hand" in check["message"], check


async def test_333a_grad_imported_by_name_is_counted(grader) -> None:
    source = _replace(_reference("3.3.3a"), "import torch\n",
                      "import torch\nfrom torch.autograd import grad\n")
    source = _replace(source, """        if w.grad is not None:
            w.grad.zero_()
            b.grad.zero_()
        loss.backward()
        with torch.no_grad():
            w -= learning_rate * w.grad
            b -= learning_rate * b.grad
""", """        gw, gb = grad(loss, [w, b])
        with torch.no_grad():
            w -= learning_rate * gw
            b -= learning_rate * gb
""")
    assert (await grader.grade("3.3.3a", source, seed=3))["status"] == "passed"


# --- hidden inputs that make the stated arguments matter ------------------------------

@pytest.mark.parametrize("seed", SEEDS)
async def test_333b_trainer_ignoring_num_epochs_fails(grader, seed: int) -> None:
    source = _replace(_reference("3.3.3b"), "for _ in range(num_epochs):", "for _ in range(1):")
    check = _check(await grader.grade("3.3.3b", source, seed=seed), "logistic_regression")
    assert check["status"] == "failed" and "num_epochs" in check["message"], check


HARD_WIRED_XOR = '''
def predict_xor(X, params):
    return ((X[:, :1] > 0.5) ^ (X[:, 1:] > 0.5)).float()
'''


@pytest.mark.parametrize("seed", (1, 2, 3, 4))
async def test_333c_predictor_hard_wired_to_xor_fails_on_every_seed(grader, seed: int) -> None:
    source = _reference("3.3.3c") + HARD_WIRED_XOR  # the later definition wins
    result = await grader.grade("3.3.3c", source, seed=seed)
    assert result["status"] == "failed", result["checks"]


@pytest.mark.parametrize("seed", (1, 2, 3))
async def test_134_outliers_ignoring_the_threshold_fail_on_every_seed(grader, seed: int) -> None:
    source = (ROOT / "curriculum" / "week1" / "1.3.4.ref.py").read_text()
    source = _replace(source, "return data[z.abs() > threshold]", "return data[z.abs() > 2.0]")
    check = _check(await grader.grade("1.3.4", source, seed=seed), "outliers")
    assert check["status"] == "failed", check


# --- 1.2.x: pure indexing syntax means no arithmetic on the indexed value ------------

@pytest.mark.parametrize("new", ["x[1, 2, 3] * 1", "+x[1, 2, 3]", "x[1, 2, 3] + 0",
                                 "-(-x[1, 2, 3])"])
async def test_121_arithmetic_on_an_indexed_value_fails(grader, new: str) -> None:
    source = (ROOT / "curriculum" / "week1" / "1.2.1.ref.py").read_text()
    source = _replace(source, "elem_10 = x[1, 2, 3]", f"elem_10 = {new}")
    check = _check(await grader.grade("1.2.1", source, seed=1), "elem_10")
    assert check["status"] == "failed" and "indexing syntax only" in check["message"], check


async def test_121_chained_and_unpacked_indexing_passes(grader) -> None:
    source = (ROOT / "curriculum" / "week1" / "1.2.1.ref.py").read_text()
    source = _replace(source, "elem_10 = x[1, 2, 3]", "elem_10, _other = (x[1][2][3]), x[0]")
    assert _check(await grader.grade("1.2.1", source, seed=1), "elem_10")["status"] == "passed"


async def test_133_a_point_set_typed_in_fails(grader) -> None:
    """Each of the three point sets must come from the learner's apply_transformation."""
    source = (ROOT / "curriculum" / "week1" / "1.3.3.ref.py").read_text()
    source = _replace(source, '"combined": apply_transformation(unit_square, scaling @ rotation)',
                      '"combined": torch.tensor([[0.0, 0.0], [1.4142135, 0.3535534], '
                      '[0.0, 0.7071068], [-1.4142135, 0.3535534]])')
    check = _check(await grader.grade("1.3.3", source, seed=1), "pipeline")
    assert check["status"] == "failed" and "2 time(s)" in check["message"], check
    loop = _replace((ROOT / "curriculum" / "week1" / "1.3.3.ref.py").read_text(),
                    '"combined": apply_transformation(unit_square, scaling @ rotation)',
                    '**{k: apply_transformation(unit_square, m) '
                    'for k, m in [("combined", scaling @ rotation)]}')
    assert (await grader.grade("1.3.3", loop, seed=1))["status"] == "passed"


# --- 1.2.x: the index form a variant practises ----------------------------------------

@pytest.mark.parametrize(("exercise_id", "check", "old", "new"), [
    ("1.2.6", "neg_1", "neg_1 = x[-1]", "neg_1 = x[3]"),
    ("1.2.2", "slice_5", "slice_5 = x[-1]", "slice_5 = x[3]"),
    ("1.2.7", "q2", "q2 = x[-1]", "q2 = x[3]"),
    ("1.2.7", "q6", "q6 = x[1:3]", "q6 = x[[1, 2]]"),
])
async def test_12x_the_practised_index_form_is_required(grader, exercise_id, check, old, new):
    source = (ROOT / "curriculum" / "week1" / f"{exercise_id}.ref.py").read_text()
    source = _replace(source, old, new)
    found = _check(await grader.grade(exercise_id, source, seed=1), check)
    assert found["status"] == "failed" and found["kind"] == "api", found


async def test_12x_other_negative_spellings_pass(grader) -> None:
    source = (ROOT / "curriculum" / "week1" / "1.2.6.ref.py").read_text()
    source = _replace(source, "neg_12 = x[0, -1, :]", "neg_12 = x[0][-1]")
    source = _replace(source, "neg_3 = x[:, -1]", "neg_3 = x[:, 4 - 5]")
    result = await grader.grade("1.2.6", source, seed=1)
    assert _check(result, "neg_12")["status"] == "passed"


# --- 2.1.x: -1 and negative dims where the variant practises them -----------------------

@pytest.mark.parametrize(("exercise_id", "check", "old", "new"), [
    ("2.1.1", "view_4", "view_4 = x.view(-1, 4)", "view_4 = x.view(6, 4)"),
    ("2.1.3", "unsqueeze_5", "unsqueeze_5 = x.unsqueeze(-1)", "unsqueeze_5 = x.unsqueeze(3)"),
    ("2.1.5", "transpose_12", "transpose_12 = x.transpose(-1, -2)",
     "transpose_12 = x.transpose(2, 1)"),
])
async def test_21x_negative_variants_need_negative_numbers(grader, exercise_id, check, old, new):
    source = (ROOT / "curriculum" / "week2" / f"{exercise_id}.ref.py").read_text()
    found = _check(await grader.grade(exercise_id, _replace(source, old, new), seed=1), check)
    assert found["status"] == "failed" and found["kind"] == "api", found



async def test_21x_negative_dims_by_keyword_or_function_pass(grader) -> None:
    source = (ROOT / "curriculum" / "week2" / "2.1.3.ref.py").read_text()
    source = _replace(source, "unsqueeze_5 = x.unsqueeze(-1)", "unsqueeze_5 = x.unsqueeze(dim=-1)")
    source = _replace(source, "unsqueeze_14 = v.unsqueeze(-1)",
                      "unsqueeze_14 = torch.unsqueeze(v, -1)")
    result = await grader.grade("2.1.3", source, seed=1)
    assert result["status"] == "passed", [c for c in result["checks"] if c["status"] != "passed"]


async def test_331b_an_answer_without_descent_is_not_blamed_on_the_gradient_reset(grader):
    source = (ROOT / "curriculum" / "week3" / "3.3.1b.ref.py").read_text()
    head, sep, _ = source.partition("def find_minimum(")
    source = head + sep + (
        "f, start_x=0.0, start_y=0.0, learning_rate=0.1, max_iterations=1000,\n"
        "                 tolerance=1e-6):\n"
        "    x = torch.tensor(-2 / 3, requires_grad=True)\n"
        "    f(x, torch.tensor(5 / 3)).backward()\n"
        "    return -2 / 3, 5 / 3, 2 / 3\n")
    check = _check(await grader.grade("3.3.1b", source, seed=1), "find_minimum")
    assert check["status"] == "failed" and "hardly evaluated" in check["message"], check


async def test_333c_non_leaf_weights_get_a_pointer_not_only_a_type_error(grader) -> None:
    """The course's own mistake: ``torch.randn(…, requires_grad=True) * 0.5`` is not a leaf,
    its .grad stays None and the update raises a bare TypeError about NoneType."""
    source = _replace(_reference("3.3.3c"),
                      "W2 = (torch.randn(hidden_size, 1) / hidden_size**0.5).requires_grad_()",
                      "W2 = torch.randn(hidden_size, 1, requires_grad=True) * 0.5")
    check = _check(await grader.grade("3.3.3c", source, seed=1), "xor_network")
    assert check["status"] == "failed" and "not a leaf" in check["message"], check
