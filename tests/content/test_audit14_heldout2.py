"""Fourteenth audit, second part (held-out submissions, weeks 2–6): false passes and a
false fail.

- 3.3.1a: "the derivatives must come from autograd", but the check only asked that autograd
  be called somewhere in find_critical_points; the quadratic formula on the coefficients
  (autograd only for f'') passed. One more call now runs with the learner's polynomial
  swapped for a hidden stand-in (the cubic moved along x): the points must move with it.
- 2.2.2 / 2.2.3: the operands are samples of torch.randn, but only their shape, dtype,
  finiteness and "not one repeated value" were read: ``randn() * 10 + 3`` and
  ``randn().abs() + 1`` passed. Each operand now also meets N(0, 1)'s mean, spread and
  signs (``normal_sample_problem``; a true sample fails with chance below 1e-9).
- 4.2.x: the defaults a declaration does not write are compared too, but AvgPool2d's
  divisor_override, the weights' dtype (``dtype=torch.float64``) and whether they train
  (``Embedding.from_pretrained`` freezes them) were not recorded.
- 6.3.1 (and every five-step check): ``optimizer.zero_grad()`` at the end of the loop body,
  after ``optimizer.step()``, is the same cycle, but the pattern was read over the whole
  file (some zero_grad before some backward before some step) and failed it. It is now read
  per loop (or function) body: zero_grad at its top or after step; zero_grad only outside
  the loop, or between backward and step, still fails.
- 3.2.2: ``z = y_detached.mul_(2)`` changes y through the storage .detach() shares; the
  message now says so.
"""

from __future__ import annotations

import math

import pytest
import torch
from audit_support import audit_tests, reference

from curriculum.judges.shapes import normal_sample_problem, operand_problem
from curriculum.judges.training import five_step_problem

SEEDS = (7, 23)

_CRIT = reference("3.3.1a")[reference("3.3.1a").index("def find_critical_points("):]

_QUADRATIC = '''def find_critical_points(coeffs, x_range=(-10, 10)):
    import math
    a3, a2, a1, _ = [float(c) for c in coeffs]
    A, B, C = 3 * a3, 2 * a2, a1
    disc = B * B - 4 * A * C
    if disc <= 0:
        return []
    roots = sorted([(-B - math.sqrt(disc)) / (2 * A), (-B + math.sqrt(disc)) / (2 * A)])
    out = []
    for r in roots:
        if x_range[0] <= r <= x_range[1]:
            x = torch.tensor(r, dtype=torch.float64, requires_grad=True)
            y = polynomial(x, coeffs)
            (d1,) = torch.autograd.grad(y, x, create_graph=True)
            (d2,) = torch.autograd.grad(d1, x)
            out.append((r, "min" if d2 > 0 else "max"))
    return out
'''

# the quadratic formula, and f'' by autograd on f written out (polynomial never called)
_QUADRATIC_INLINE = _QUADRATIC.replace("y = polynomial(x, coeffs)",
                                       "y = sum(c * x ** (3 - i) for i, c in enumerate(coeffs))")

_BACKWARD = ('    (d2,) = torch.autograd.grad(d1.sum(), x)\n    return d1.detach(), d2.detach()',
             '    d1.sum().backward()\n    return d1.detach(), x.grad.detach()')

_LOOP_631 = ("            optimizer.zero_grad()\n            output = model(data)\n"
             "            loss = criterion(output, target)\n            loss.backward()\n"
             "            optimizer.step()\n")
_END_631 = ("            output = model(data)\n            loss = criterion(output, target)\n"
            "            loss.backward()\n            optimizer.step()\n"
            "            optimizer.zero_grad()\n")
_MID_631 = ("            output = model(data)\n            loss = criterion(output, target)\n"
            "            loss.backward()\n            optimizer.zero_grad()\n"
            "            optimizer.step()\n")
_OUTSIDE_631 = ("    optimizer.zero_grad()\n    for _ in range(num_epochs):\n"
                "        for data, target in dataloader:\n"
                "            output = model(data)\n            loss = criterion(output, target)\n"
                "            loss.backward()\n            optimizer.step()\n")

_LOOP_621 = ("            optimizer.zero_grad()\n"
             "            loss = focal_loss(model(train_x[i:i + 64]), train_y[i:i + 64])\n"
             "            loss.backward()\n            optimizer.step()\n")
_END_621 = ("            loss = focal_loss(model(train_x[i:i + 64]), train_y[i:i + 64])\n"
            "            loss.backward()\n            optimizer.step()\n"
            "            optimizer.zero_grad()\n")
_LOOP_F2 = ("            optimizer.zero_grad()\n"
            "            loss = pinball_loss(model(x[idx]), y[idx], quantiles)\n"
            "            loss.backward()\n            optimizer.step()\n")
_END_F2 = ("            loss = pinball_loss(model(x[idx]), y[idx], quantiles)\n"
           "            loss.backward()\n            optimizer.step()\n"
           "            optimizer.zero_grad()\n")

_RANDN = "as it is (no scaling, shift or abs())"

# (exercise, edits of the reference, failing check, fragments of its message)
WRONG = {
    "3.3.1a-quadratic-formula": ("3.3.1a", [(_CRIT, _QUADRATIC)], "find_critical_points", [
        "swapped for a hidden stand-in", "returned the points of the coefficients unchanged",
        "not from a formula for f'"]),
    "3.3.1a-quadratic-formula-polynomial-never-called": (
        "3.3.1a", [(_CRIT, _QUADRATIC_INLINE)], "find_critical_points", [
            "never called polynomial", "evaluate f with polynomial(x, coeffs)"]),
    "2.2.2-abs-plus-one-operand": ("2.2.2", [
        ("b_9 = torch.randn(3, 4)", "b_9 = torch.randn(3, 4).abs() + 1")], "variant_9", [
            "`b_9`: all 12 of its values are positive", "take both signs", _RANDN]),
    "2.2.2-scaled-and-shifted-operand": ("2.2.2", [
        ("a_10 = torch.randn(2, 3, 4)", "a_10 = torch.randn(2, 3, 4) * 10 + 50")], "variant_10", [
            "`a_10`: its 24 values have mean", "far from N(0, 1)'s 0 and 1", _RANDN]),
    "2.2.3-scaled-and-shifted-operand": ("2.2.3", [
        ("a_20 = torch.randn(1, 6, 1, 8)", "a_20 = torch.randn(1, 6, 1, 8) * 10 + 3")],
        "variant_20", ["`a_20`: its 48 values have mean", "far from N(0, 1)'s 0 and 1"]),
    "2.2.3-scaled-operand": ("2.2.3", [
        ("a_20 = torch.randn(1, 6, 1, 8)", "a_20 = torch.randn(1, 6, 1, 8) * 10")],
        "variant_20", ["`a_20`: its 48 values have mean", "root mean square"]),
    "2.2.3-abs-operand": ("2.2.3", [
        ("b_20 = torch.randn(5, 1, 7, 1)", "b_20 = torch.randn(5, 1, 7, 1).abs()")],
        "variant_20", ["`b_20`: all 35 of its values are positive"]),
    "4.2.4-avgpool-divisor-override": ("4.2.4", [
        ("pool_3 = nn.AvgPool2d(kernel_size=2)",
         "pool_3 = nn.AvgPool2d(kernel_size=2, divisor_override=1)")], "pool_3", [
            "expected divisor_override=None", "found divisor_override=1"]),
    "4.2.1-linear-float64": ("4.2.1", [
        ("linear_3 = nn.Linear(128, 10)", "linear_3 = nn.Linear(128, 10, dtype=torch.float64)"),
        ("import torch.nn as nn", "import torch\nimport torch.nn as nn")], "linear_3", [
            "expected dtype='float32'", "found dtype='float64'"]),
    "4.2.9-embedding-float16": ("4.2.9", [
        ("embedding_8 = nn.Embedding(15000, 768)",
         "embedding_8 = nn.Embedding(15000, 768, dtype=torch.float16)"),
        ("import torch.nn as nn", "import torch\nimport torch.nn as nn")], "embedding_8", [
            "expected dtype='float32'", "found dtype='float16'"]),
    "4.2.9-embedding-frozen-from-pretrained": ("4.2.9", [
        ("embedding_1 = nn.Embedding(10000, 300)",
         "embedding_1 = nn.Embedding.from_pretrained(torch.randn(10000, 300))"),
        ("import torch.nn as nn", "import torch\nimport torch.nn as nn")], "embedding_1", [
            "expected requires_grad=True", "found requires_grad=False"]),
    "6.3.1-zero-grad-once-outside-the-loop": ("6.3.1", [
        ("    for _ in range(num_epochs):\n        for data, target in dataloader:\n" + _LOOP_631,
         _OUTSIDE_631)], "training_loop", ["call optimizer.zero_grad() in the training loop"]),
    "6.3.1-zero-grad-between-backward-and-step": ("6.3.1", [
        (_LOOP_631, _MID_631)],
        "training_loop", ["wipes the gradients before the step"]),
    "3.2.2-in-place-mul-on-the-detached-tensor": ("3.2.2", [
        ("z = y_detached * 2", "z = y_detached.mul_(2)")], "detach_practice", [
            "y is off", "holds z's values", "shares y's storage"]),
}

CORRECT = {
    "3.3.1a-reference": ("3.3.1a", []),
    "3.3.1a-second-derivative-by-backward": ("3.3.1a", [_BACKWARD]),
    "3.3.1a-coefficients-as-a-tensor": ("3.3.1a", [
        ("    y = polynomial(x, coeffs)\n",
         "    y = polynomial(x, torch.tensor(coeffs, dtype=torch.float64))\n")]),
    "2.2.2-reference": ("2.2.2", []),
    "2.2.3-reference": ("2.2.3", []),
    "2.2.3-randn-with-dtype": ("2.2.3", [
        ("a_20 = torch.randn(1, 6, 1, 8)",
         "a_20 = torch.randn((1, 6, 1, 8), dtype=torch.float32)")]),
    "4.2.4-reference": ("4.2.4", []),
    "4.2.4-divisor-override-none-written": ("4.2.4", [
        ("pool_3 = nn.AvgPool2d(kernel_size=2)",
         "pool_3 = nn.AvgPool2d(kernel_size=2, divisor_override=None)")]),
    "4.2.1-float32-written": ("4.2.1", [
        ("linear_3 = nn.Linear(128, 10)", "linear_3 = nn.Linear(128, 10, dtype=torch.float32)"),
        ("import torch.nn as nn", "import torch\nimport torch.nn as nn")]),
    "4.2.9-trainable-from-pretrained": ("4.2.9", [
        ("embedding_1 = nn.Embedding(10000, 300)",
         "embedding_1 = nn.Embedding.from_pretrained(torch.randn(10000, 300), freeze=False)"),
        ("import torch.nn as nn", "import torch\nimport torch.nn as nn")]),
    "6.3.1-reference": ("6.3.1", []),
    "6.3.1-zero-grad-at-the-end-of-the-body": ("6.3.1", [(_LOOP_631, _END_631)]),
    "6.2.1-zero-grad-at-the-end-of-the-body": ("6.2.1", [(_LOOP_621, _END_621)]),
    "final.2-zero-grad-at-the-end-of-the-body": ("final.2", [(_LOOP_F2, _END_F2)]),
    "3.2.2-reference": ("3.2.2", []),
}

test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS)


# --- normal_sample_problem: honest draws never fail, the audit's draws always do ----------

@pytest.mark.parametrize("n", [1, 2, 4, 12, 24, 30, 35, 48, 120, 210])
def test_true_normal_samples_pass(n) -> None:
    # the tests' combined false-fail chance is below 1e-9 per tensor (a million draws of
    # each size were checked offline), so not one of these may fail
    generator = torch.Generator().manual_seed(n)
    for x in torch.randn(5000, n, generator=generator):
        assert normal_sample_problem(x) is None, x


def test_false_fail_chance_is_below_one_in_a_billion() -> None:
    from curriculum.judges import shapes

    mean = math.erfc(shapes._MEAN_Z / math.sqrt(2))
    squares = 2 * 0.5 * math.erfc(shapes._SQUARES_Z / math.sqrt(2))  # two tails, normal-z
    assert mean + squares + shapes._ONE_SIDED_P < 1e-9


@pytest.mark.parametrize("make", [
    lambda g: torch.randn(3, 4, generator=g).abs() + 1,
    lambda g: torch.randn(2, 3, 4, generator=g) * 10 + 50,
    lambda g: torch.randn(1, 6, 1, 8, generator=g) * 10 + 3,
    lambda g: torch.randn(1, 6, 1, 8, generator=g) * 10,
    lambda g: torch.randn(6, 6, generator=g).abs(),
    lambda g: torch.randn(5, 6, generator=g) * 0.1,
    lambda g: torch.randn(3, 4, generator=g) + 3,
])
def test_transformed_samples_fail(make) -> None:
    for seed in range(200):
        x = make(torch.Generator().manual_seed(seed))
        assert normal_sample_problem(x), x
        assert operand_problem("a", x, x.shape)[0] == "value"


# --- five_step_problem, per loop body --------------------------------------------------

def _loop(*body: str) -> str:
    lines = "".join(f"            {line}\n" for line in body)
    return ("def train(model, loader, optimizer, criterion, n):\n"
            "    for _ in range(n):\n        for x, y in loader:\n" + lines)


_Z, _F = "optimizer.zero_grad()", "loss = criterion(model(x), y)"
_B, _S = "loss.backward()", "optimizer.step()"


@pytest.mark.parametrize("source", [
    _loop(_Z, _F, _B, _S),
    _loop(_F, _B, _S, _Z),
    _loop(_F, _Z, _B, _S),
    _loop(_F, "model.zero_grad()", _B, _S, "scheduler.step()"),
    # gradient accumulation: zero_grad after the step, every 4th batch
    _loop(_F, _B, "if i % 4 == 3:", f"    {_S}", f"    {_Z}"),
    # the steps in a helper the loop calls
    ("def step(model, x, y, optimizer, criterion):\n"
     f"    {_Z}\n    {_F}\n    {_B}\n    {_S}\n"
     "def train(model, loader, optimizer, criterion):\n"
     "    for x, y in loader:\n        step(model, x, y, optimizer, criterion)\n"),
    # a demo backward at module level, before the training function
    "x = torch.ones(2, requires_grad=True)\nx.sum().backward()\n" + _loop(_F, _B, _S, _Z),
])
def test_five_step_cycles_pass(source) -> None:
    assert five_step_problem(source) == "", source


@pytest.mark.parametrize(("source", "fragment"), [
    (_loop(_F, _B, _S), "missing: optimizer.zero_grad()"),
    (_loop(_F, _B, _Z, _S), "wipes the gradients before the step"),
    (_loop(_Z, _F, _S, _B), "call optimizer.step() after loss.backward()"),
    # zeroed once before the loops, or once per epoch: gradients pile up over the batches
    ("def train(model, loader, optimizer, criterion):\n"
     f"    {_Z}\n    for x, y in loader:\n        {_F}\n        {_B}\n        {_S}\n",
     "in the training loop itself"),
    ("def train(model, loader, optimizer, criterion, n):\n"
     f"    for _ in range(n):\n        {_Z}\n        for x, y in loader:\n"
     f"            {_F}\n            {_B}\n            {_S}\n", "in the training loop itself"),
    # a zero_grad elsewhere in the file, written before the loop, does not count
    (f"{_Z}\n" + _loop(_F, _B, _S), "in the training loop itself"),
])
def test_five_step_breaks_fail(source, fragment) -> None:
    assert fragment in five_step_problem(source), five_step_problem(source)
