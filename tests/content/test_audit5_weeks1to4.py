"""Fifth audit of weeks 1–4 (held-out learner submissions): wrong verdicts and
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

SEEDS = (1, 2, 3, 4)
# --- 1.3.1: verify_solution with a loose tolerance ------------------------------------

_VERIFY_131 = "return torch.allclose(A @ x, b, atol=atol)"


@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tolerance", ["atol=0.5", "atol=0.1"])
async def test_131_loose_verify_tolerance_fails(grader, seed, tolerance) -> None:
    # every wrong solution was one entry of x off by 0.5 or more, so A @ x missed b by
    # far more than 0.5 and any tolerance told them apart
    source = _replace(_reference("1.3.1"), _VERIFY_131,
                      f"return torch.allclose(A @ x, b, {tolerance})")
    result = await grader.grade("1.3.1", source, seed=seed)
    assert _failed(result) == {"verify": "value"}, result["checks"]
    assert "tolerance is too loose" in _message(result, "verify")


@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("verify", [
    "return torch.allclose(A @ x, b, atol=1e-3, rtol=1e-3)",
    "return torch.allclose(A @ x, b)",
    "return bool((A @ x - b).abs().max() < 1e-4)",
])
async def test_131_sensible_verify_tolerances_pass(grader, seed, verify) -> None:
    source = _replace(_reference("1.3.1"), _VERIFY_131, verify)
    result = await grader.grade("1.3.1", source, seed=seed)
    assert result["status"] == "passed", result["checks"]


# --- 1.3.2: root order and the 'is it real' tolerance ----------------------------------

_ROOTS_132 = "return torch.sort(real).values"


@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("roots, hint", [
    # eigenvalues unsorted, or sorted the wrong way: passed whenever every hidden
    # polynomial had a single real root
    ("return real", "not in ascending order"),
    ("return torch.sort(real, descending=True).values", "not in ascending order"),
])
async def test_132_root_order_is_judged_on_every_seed(grader, seed, roots, hint) -> None:
    source = _replace(_reference("1.3.2"), _ROOTS_132, roots)
    result = await grader.grade("1.3.2", source, seed=seed)
    assert _failed(result) == {"roots": "value"}, result["checks"]
    assert hint in _message(result, "roots"), _message(result, "roots")


@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
async def test_132_loose_imaginary_tolerance_fails(grader, seed) -> None:
    # complex pairs were always 0.5 or more off the real axis, so |imag| < 0.5 passed
    source = _replace(_reference("1.3.2"), "def find_roots(coefficients, tol=1e-6):",
                      "def find_roots(coefficients, tol=0.5):")
    result = await grader.grade("1.3.2", source, seed=seed)
    assert _failed(result) == {"roots": "value"}, result["checks"]
    assert "imaginary part is ~0" in _message(result, "roots")


@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
async def test_132_other_real_root_tests_pass(grader, seed) -> None:
    source = _replace(_reference("1.3.2"), "real = eig.real[eig.imag.abs() < tol]",
                      "real = eig.real[eig.imag.abs() < 1e-3]")
    result = await grader.grade("1.3.2", source, seed=seed)
    assert result["status"] == "passed", result["checks"]
    source = _replace(_reference("1.3.2"), "real = eig.real[eig.imag.abs() < tol]\n"
                      "    return torch.sort(real).values",
                      "return torch.unique(eig.real[eig.imag == 0])")
    result = await grader.grade("1.3.2", source, seed=seed)
    assert result["status"] == "passed", result["checks"]


# --- 3.3.1a: x_range is honoured, and autograd finds the critical points ---------------

_GRID_331A = "grid = torch.linspace(x_range[0], x_range[1], num_points, dtype=torch.float64)"


@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
async def test_331a_ignoring_x_range_fails(grader, seed) -> None:
    # find_critical_points was only ever called with the default range, and every hidden
    # critical point lay inside it
    source = _replace(_reference("3.3.1a"), _GRID_331A,
                      "grid = torch.linspace(-10.0, 10.0, num_points, dtype=torch.float64)")
    result = await grader.grade("3.3.1a", source, seed=seed)
    assert _failed(result) == {"find_critical_points": "value"}, result["checks"]
    message = _message(result, "find_critical_points")
    assert "points outside it are left out" in message, message


_ANALYTIC_331A = '''

def find_critical_points(coeffs, x_range=(-10.0, 10.0)):
    import math
    a3, a2, a1, _ = [float(c) for c in coeffs]
    disc = (2 * a2) ** 2 - 12 * a3 * a1
    if disc <= 0:
        return []
    roots = sorted([(-2 * a2 - math.sqrt(disc)) / (6 * a3), (-2 * a2 + math.sqrt(disc)) / (6 * a3)])
    return [(r, "min" if 6 * a3 * r + 2 * a2 > 0 else "max") for r in roots
            if x_range[0] <= r <= x_range[1]]
'''


@ASYNC
async def test_331a_closed_form_beside_an_unused_autograd_helper_fails(grader) -> None:
    # the reference's _derivatives helper (autograd) stays in the file, unused: the
    # source-wide 'autograd is called somewhere' test passed the closed-form answer
    source = _reference("3.3.1a") + _ANALYTIC_331A
    result = await grader.grade("3.3.1a", source, seed=SEEDS[0])
    assert _failed(result) == {"find_critical_points": "api"}, result["checks"]
    assert "not a formula" in _message(result, "find_critical_points")


@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
async def test_331a_reference_with_a_tighter_grid_passes(grader, seed) -> None:
    source = _replace(_reference("3.3.1a"), "num_points=2001", "num_points=4001")
    result = await grader.grade("3.3.1a", source, seed=seed)
    assert result["status"] == "passed", result["checks"]


# --- 3.2.x: grad-mode calls by their torch.autograd names; the modes' contract ---------

@ASYNC
@pytest.mark.parametrize("replacements", [
    # torch.autograd.set_grad_enabled / no_grad are the very objects torch.set_grad_enabled
    # and torch.no_grad: the api check knew only the short names
    [("with torch.set_grad_enabled(training):", "with torch.autograd.set_grad_enabled(training):")],
    [("with torch.no_grad():", "with torch.autograd.no_grad():")],
    [("with torch.no_grad():", "with torch.autograd.grad_mode.inference_mode():")],
])
async def test_321_grad_modes_by_their_autograd_names_pass(grader, replacements) -> None:
    source = _reference("3.2.1")
    for old, new in replacements:
        source = _replace(source, old, new)
    result = await grader.grade("3.2.1", source, seed=SEEDS[0])
    assert result["status"] == "passed", result["checks"]


_RUN_MODEL_321 = ("    with torch.set_grad_enabled(training):\n        y = torch.matmul(W, x)\n"
                  "    return y")


@ASYNC
@pytest.mark.parametrize("body", [
    # a graph recorded always and cut afterwards: right values and flags, and the call
    # the api check looked for was there
    "    with torch.set_grad_enabled(True):\n        y = torch.matmul(W, x)\n"
    "    return y if training else y.detach()",
    "    if training:\n        return torch.matmul(W, x)\n"
    "    with torch.set_grad_enabled(mode=False):\n        return torch.matmul(W, x)",
])
async def test_321_constant_grad_mode_fails(grader, body) -> None:
    source = _replace(_reference("3.2.1"), _RUN_MODEL_321, body)
    result = await grader.grade("3.2.1", source, seed=SEEDS[0])
    assert _failed(result) == {"run_model": "api"}, result["checks"]
    assert "pass `training`" in _message(result, "run_model")


@ASYNC
async def test_321_mode_through_a_variable_passes(grader) -> None:
    source = _replace(_reference("3.2.1"), _RUN_MODEL_321,
                      "    mode = bool(training)\n    with torch.set_grad_enabled(mode=mode):\n"
                      "        return W @ x")
    result = await grader.grade("3.2.1", source, seed=SEEDS[0])
    assert result["status"] == "passed", result["checks"]


@ASYNC
@pytest.mark.parametrize("exercise_id, old, new", [
    # the prompts write the results as (y, loss) / (y, y_detached, z), not 'a tuple'
    ("3.2.1", "return y, loss", "return [y, loss]"),
    ("3.2.2", "return y, y_detached, z", "return [y, y_detached, z]"),
])
async def test_32x_results_as_a_list_pass(grader, exercise_id, old, new) -> None:
    source = _replace(_reference(exercise_id), old, new)
    result = await grader.grade(exercise_id, source, seed=SEEDS[0])
    assert result["status"] == "passed", result["checks"]


# --- 3.3.1b: the start point and learning rate passed in are used ----------------------

@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("old, new, hint", [
    # a convex quadratic's minimum is reached from any start and with many rates, and the
    # grader always passed learning_rate=0.1, the default
    ("torch.tensor(float(start_x), dtype=torch.float64, requires_grad=True)",
     "torch.tensor(0.0, dtype=torch.float64, requires_grad=True)", "start_x, start_y"),
    ("            x -= learning_rate * x.grad\n            y -= learning_rate * y.grad",
     "            x -= 0.1 * x.grad\n            y -= 0.1 * y.grad", "learning_rate argument"),
])
async def test_331b_ignored_start_or_learning_rate_fails(grader, seed, old, new, hint) -> None:
    source = _replace(_reference("3.3.1b"), old, new)
    if "start_x" in hint:
        source = _replace(source, "torch.tensor(float(start_y)", "torch.tensor(0.0")
    result = await grader.grade("3.3.1b", source, seed=seed)
    assert _failed(result) == {"find_minimum": "value"}, result["checks"]
    assert hint in _message(result, "find_minimum"), _message(result, "find_minimum")


_SGD_331B = '''

def find_minimum(f, start_x=0.0, start_y=0.0, learning_rate=0.1, max_iterations=1000,
                 tolerance=1e-6):
    x = torch.tensor(start_x, requires_grad=True)
    y = torch.tensor(start_y, requires_grad=True)
    opt = torch.optim.SGD([x, y], lr=learning_rate)
    print("start value", f(x, y).item())
    for _ in range(max_iterations):
        opt.zero_grad()
        loss = f(x, y)
        loss.backward()
        if torch.sqrt(x.grad ** 2 + y.grad ** 2) < tolerance:
            break
        opt.step()
    return x.item(), y.item(), f(x, y).item()
'''


@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
async def test_331b_sgd_in_float32_with_an_extra_first_evaluation_passes(grader, seed) -> None:
    result = await grader.grade("3.3.1b", _reference("3.3.1b") + _SGD_331B, seed=seed)
    assert result["status"] == "passed", result["checks"]


# --- 3.3.3a: num_epochs is the argument, not the default typed in ----------------------

@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
async def test_333a_fixed_epoch_count_fails(grader, seed) -> None:
    # the grader passed num_epochs=500, the default, on every data set
    source = _replace(_reference("3.3.3a"), "for _ in range(num_epochs):", "for _ in range(500):")
    result = await grader.grade("3.3.3a", source, seed=seed)
    assert _failed(result) == {"linear_regression": "train"}, result["checks"]
    assert "train for exactly num_epochs epochs" in _message(result, "linear_regression")


# --- 4.3.1c: the message names the part that is wrong ----------------------------------

@ASYNC
@pytest.mark.parametrize("old, new, hint, not_hint", [
    # both used to read 'attention weights/output differ from softmax(QKᵀ/√attention_dim)·V
    # → output_projection'
    ("attention_scores = torch.matmul(Q, K.transpose(-2, -1)) * self.scale",
     "attention_scores = torch.matmul(Q, K.transpose(-2, -1))",
     "the attention weights differ", "output_projection"),
    ("output = self.output_projection(attended_values)",
     "output = attended_values @ self.output_projection.weight.T",
     "the attention weights are right, but the output differs", "differ from `softmax"),
])
async def test_431c_message_names_the_wrong_part(grader, old, new, hint, not_hint) -> None:
    source = _replace(_reference("4.3.1c"), old, new)
    result = await grader.grade("4.3.1c", source, seed=SEEDS[0])
    assert _failed(result) == {"output": "value"}, result["checks"]
    message = _message(result, "output")
    assert hint in message and not_hint not in message, message


# --- 4.3.1a: the hint follows the statistic that is wrong -----------------------------

@ASYNC
@pytest.mark.parametrize("old, new, hint", [
    # every wrong entry was told 'running stats use momentum 0.1 …, grad norms are read in
    # forward', whatever the entry: a history kept from the start, an L1 weight norm
    ("'batch_means': self.input_stats['mean'][-10:],",
     "'batch_means': self.input_stats['mean'][:10],", "in the order they came"),
    ("weight_norm = torch.norm(self.linear.weight)",
     "weight_norm = self.linear.weight.abs().sum()", "torch.norm(self.linear.weight)"),
    ("input_std = x.std()", "input_std = x.std(unbiased=False)", "momentum 0.1"),
])
async def test_431a_hint_follows_the_wrong_statistic(grader, old, new, hint) -> None:
    source = _replace(_reference("4.3.1a"), old, new)
    result = await grader.grade("4.3.1a", source, seed=SEEDS[1])
    assert "tracked" in _failed(result), result["checks"]
    message = _message(result, "tracked")
    assert hint in message, message
    if "momentum" not in hint:
        assert "momentum" not in message, message


# --- 3.3.2b: the descent starts at `start` ---------------------------------------------

@ASYNC
@pytest.mark.parametrize("seed", SEEDS)
async def test_332b_ignored_start_fails(grader, seed) -> None:
    # a spring's minimum is reached from any start, so a fixed start passed
    source = _replace(_reference("3.3.2b"), "torch.tensor(float(start), dtype=torch.float64",
                      "torch.tensor(1.0, dtype=torch.float64")
    result = await grader.grade("3.3.2b", source, seed=seed)
    assert _failed(result) == {"find_equilibrium": "value"}, result["checks"]
    assert "first evaluated away from `start`" in _message(result, "find_equilibrium")


# --- 3.3.3b: an accuracy failure is not blamed on requires_grad after a .detach() ------

@ASYNC
@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("old, new, hint", [
    # the reference returns w.detach(), b.detach(): every accuracy failure of a submission
    # doing the same was told 'your `w` and `b` do not require grad, so training never
    # updated it'
    ("return -torch.mean(y_true * torch.log(y_pred) + (1 - y_true) * torch.log(1 - y_pred))",
     "return -torch.mean((1 - y_true) * torch.log(y_pred) + y_true * torch.log(1 - y_pred))",
     "wrong way round"),
    ("    b = torch.zeros(1, requires_grad=True)\n",
     "    b = (0.01 * torch.randn(1)).requires_grad_()\n    learning_rate = 1e-5\n",
     "hasn't learned the boundary"),
])
async def test_333b_detached_results_are_not_called_frozen(grader, seed, old, new, hint) -> None:
    source = _replace(_reference("3.3.3b"), old, new)
    result = await grader.grade("3.3.3b", source, seed=seed)
    assert _failed(result) == {"logistic_regression": "train"}, result["checks"]
    message = _message(result, "logistic_regression")
    assert hint in message and "require grad" not in message, message


@ASYNC
async def test_333b_bias_never_trained_and_detached_is_still_named(grader) -> None:
    source = _replace(_reference("3.3.3b"), "    b = torch.zeros(1, requires_grad=True)",
                      "    b = torch.zeros(1)")
    source = _replace(source, "            b.grad.zero_()\n", "")
    source = _replace(source, "            b -= learning_rate * b.grad\n", "")
    result = await grader.grade("3.3.3b", source, seed=SEEDS[0])
    assert _failed(result) == {"logistic_regression": "train"}, result["checks"]
    assert "your `b` does not require grad" in _message(result, "logistic_regression")


# --- 4.3.2a: later steps come from the previous prediction; non-finite stds named -------

_FEEDBACK_432A = ("            current_hidden = F.relu(self.horizon_projection(mean_pred))\n"
                  "            current_hidden = torch.cat([current_hidden, last_hidden], dim=-1)\n"
                  "            current_hidden = current_hidden[:, :self.hidden_dim]"
                  "  # Keep same dimension\n")


@ASYNC
@pytest.mark.parametrize("seed", SEEDS[:2])
async def test_432a_forecast_repeating_step_1_fails(grader, seed) -> None:
    # no check looked past step 1: every step predicted from the same LSTM output passed
    source = _replace(_reference("4.3.2a"), _FEEDBACK_432A, "")
    result = await grader.grade("4.3.2a", source, seed=seed)
    assert _failed(result) == {"horizon": "value"}, result["checks"]
    assert "every step repeats step 1" in _message(result, "horizon")


@ASYNC
async def test_432a_overflowing_std_is_named_as_non_finite(grader) -> None:
    # it was told 'smallest value found 1.0', a value that looks fine
    source = _replace(_reference("4.3.2a"), "std_pred = self.std_head(current_hidden) + 1e-6",
                      "std_pred = torch.exp(self.std_head(current_hidden))")
    result = await grader.grade("4.3.2a", source, seed=SEEDS[0])
    assert _failed(result) == {"uncertainty": "value"}, result["checks"]
    message = _message(result, "uncertainty")
    assert "found inf or NaN" in message and "smallest value" not in message, message


# --- 1.2.7: a wrong quiz answer is not told the right expression -----------------------

@ASYNC
@pytest.mark.parametrize("old, new, check, answer", [
    # the messages read "`q3` should be `x[:, :2]`, of shape …", "… not those of
    # `x[:, :, ::2]`", "write it as `q2 = x[-1]`": the quiz's answers
    ("q3 = x[:, :2]", "q3 = x[:2]", "q3", "x[:, :2]"),
    ("q4 = x[:, :, ::2]", "q4 = x[:, :, 1::2]", "q4", "x[:, :, ::2]"),
    ("q2 = x[-1]", "q2 = x[3]", "q2", "x[-1]"),
    ("q6 = x[1:3]", "q6 = x[[1, 2]]", "q6", "x[1:3]"),
])
async def test_127_wrong_answer_is_not_given_the_answer(grader, old, new, check, answer) -> None:
    source = _replace(_reference("1.2.7"), old, new)
    result = await grader.grade("1.2.7", source, seed=SEEDS[0])
    assert check in _failed(result), result["checks"]
    message = _message(result, check)
    assert answer not in message and f"`{check}" in message, message


@ASYNC
async def test_12x_drills_still_show_the_expression_of_the_prompt(grader) -> None:
    source = _replace(_reference("1.2.3"), "range_1 = x[0:2]", "range_1 = x[0:3]")
    result = await grader.grade("1.2.3", source, seed=SEEDS[0])
    assert "x[0:2]" in _message(result, "range_1"), _message(result, "range_1")
