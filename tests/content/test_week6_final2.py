"""Final test part 2 (final.2, application challenge: quantile demand forecasting).

The reference passes every check; other correct designs (exp increments, sorted
outputs, left-Riemann or trapezoid integrated gradients) pass too; each wrong
solution — the reference with one text substitution — fails on the check that
should catch it, with the expected kind. Seeds are fixed so hidden data is
repeatable.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.base import Hidden

SEED = 2718

EXERCISE = "final.2"

MONOTONE = "return torch.cat([base, base + torch.cumsum(F.softplus(rest), dim=1)], dim=1)"
IG_RETURN = "    return (x - baseline) * total / steps"


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


def _apply(source: str, old, new) -> str:
    for a, b in (old if new is None else [(old, new)]):
        assert a in source, a
        source = source.replace(a, b)
    return source


# (old, new, {failing check id: kind}) — a check id mapped to None may fail or not
WRONG = [
    # model: a plain MLP whose quantile columns cross
    (MONOTONE, "return raw", {"model": "value", "training": None}),
    # model: the hidden width ignored
    ("nn.Linear(in_features, hidden), nn.ReLU(),\n            nn.Linear(hidden, hidden)",
     "nn.Linear(in_features, 32), nn.ReLU(),\n            nn.Linear(32, hidden)",
     {"model": "module"}),
    # loss: symmetric q·|y − ŷ| — every column learns the median, the band collapses
    ("torch.maximum(q * diff, (q - 1) * diff)", "q * diff.abs()",
     {"loss": "value", "evaluation": "value", "training": "train"}),
    # loss: the asymmetry backwards (over-forecasting costs q)
    ("diff = target.unsqueeze(1) - pred", "diff = pred - target.unsqueeze(1)",
     {"loss": "value", "evaluation": "value", "training": "train"}),
    # interpretability: gradient × input, the baseline forgotten
    (IG_RETURN, "    return x * total / steps", {"interpretability": "value"}),
    # interpretability: the plain (average) gradient, not scaled by x − baseline
    (IG_RETURN, "    return total / steps", {"interpretability": "value"}),
    # interpretability: the `column` argument ignored
    ("model(point)[:, column]", "model(point)[:, 1]", {"interpretability": "value"}),
    # evaluation: the middle column taken for the median
    ("pred[:, list(quantiles).index(0.5)]", "pred[:, pred.shape[1] // 2]",
     {"evaluation": "value"}),
    # evaluation: MSE reported as RMSE
    ("err.pow(2).mean().sqrt().item()", "err.pow(2).mean().item()", {"evaluation": "value"}),
    # training: no zero_grad (five-step pattern broken)
    ("            optimizer.zero_grad()\n", "", {"training": "api"}),
    # training: L1 on the median column instead of the pinball loss
    ("loss = pinball_loss(model(x[idx]), y[idx], quantiles)",
     "loss = F.l1_loss(model(x[idx])[:, 1], y[idx])", {"training": "api"}),
    # training: the lr argument ignored
    ("lr=lr)", "lr=0.001)", {"training": "api"}),
    # training: far too short to learn
    ("for _ in range(num_epochs):", "for _ in range(1):", {"training": "train"}),
]

# other correct designs: every check must pass
RIGHT = [
    ("exp increments", "F.softplus(rest)", "torch.exp(rest)"),
    ("sorted outputs", MONOTONE, "return raw.sort(dim=1).values"),
    ("left Riemann sum", "for k in range(1, steps + 1):", "for k in range(steps):"),
    ("trapezoid rule", [("for k in range(1, steps + 1):", "for k in range(steps + 1):"),
                        ("        total += torch.autograd.grad(out, point)[0]",
                         "        w = 0.5 if k in (0, steps) else 1.0\n"
                         "        total += w * torch.autograd.grad(out, point)[0]")], None),
]


def _matches(failed: dict[str, str], expected: dict[str, str | None]) -> bool:
    required = {k: v for k, v in expected.items() if v is not None}
    if any(failed.get(k) != v for k, v in required.items()):
        return False
    return set(failed) <= set(expected)


def test_contract(curriculum):
    ex = curriculum.get(EXERCISE)
    assert ex.kind == "challenge" and ex.week == 6 and ex.time_limit_min == 60
    assert ex.max_score == 12 == sum(c.points for c in ex.checks)
    assert [c.id for c in ex.checks] == ["model", "loss", "interpretability", "evaluation",
                                         "training"]
    assert [c.check_kind for c in ex.checks if c.id == "training"] == ["train"]
    assert len(ex.summary) <= 1500
    for name in ("DemandNet", "pinball_loss", "integrated_gradients", "evaluate",
                 "train_forecaster"):
        assert name in ex.prompt and name in ex.starter and name in ex.reference


def test_held_out_targets_stay_outside(curriculum):
    from grader.grading import _checks_module

    module = _checks_module(curriculum.get(EXERCISE))
    made = module["make_data"](np.random.default_rng(0))
    assert isinstance(made, Hidden)
    assert set(made.inputs) == {"x", "y", "xt", "lr", "quantiles"}
    assert made.secret.shape == (len(made.inputs["xt"]),)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("seed", [SEED, 11])
async def test_reference_passes_every_check(grader, curriculum, seed):
    result = await grader.grade(EXERCISE, curriculum.get(EXERCISE).reference, seed=seed)
    assert result["status"] == "passed", (result.get("message"), result["checks"])
    assert result["score"] == 12


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("name", "old", "new"), RIGHT, ids=[r[0] for r in RIGHT])
async def test_other_correct_designs_pass(grader, curriculum, name, old, new):
    source = _apply(curriculum.get(EXERCISE).reference, old, new)
    result = await grader.grade(EXERCISE, source, seed=SEED)
    assert result["status"] == "passed", (name, result.get("message"), result["checks"])


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("old", "new", "expected"), WRONG, ids=[str(i) for i in range(len(WRONG))])
async def test_wrong_solution_fails_on_expected_check(grader, curriculum, old, new, expected):
    source = _apply(curriculum.get(EXERCISE).reference, old, new)
    result = await grader.grade(EXERCISE, source, seed=SEED)
    assert result["status"] == "failed", (result.get("message"), result["checks"])
    assert _matches(_failed(result), expected), result["checks"]


#: A seed on which one epoch of training reaches the MAE and coverage bars (found by
#: grading each wrong solution on extra seeds).
ONE_EPOCH_ENOUGH = 2020714450096666234


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("epochs", ["1", "5", "num_epochs + 10"])
async def test_training_for_other_than_num_epochs_fails_where_the_bars_pass(
        grader, curriculum, epochs):
    """One epoch (or a fixed count) instead of num_epochs passed final.2 wherever that
    much training reached the bars; the epochs run are now counted."""
    reference = curriculum.get(EXERCISE).reference
    assert (await grader.grade(EXERCISE, reference, seed=ONE_EPOCH_ENOUGH))["status"] == "passed"
    source = _apply(reference, "for _ in range(num_epochs):", f"for _ in range({epochs}):")
    result = await grader.grade(EXERCISE, source, seed=ONE_EPOCH_ENOUGH)
    assert _failed(result) == {"training": "train"}, result["checks"]
    assert "num_epochs=20" in next(c["message"] for c in result["checks"]
                                   if c["id"] == "training")


@pytest.mark.asyncio(loop_scope="session")
async def test_missing_function_is_a_name_error(grader, curriculum):
    source = curriculum.get(EXERCISE).reference.split("\ndef evaluate(")[0]
    result = await grader.grade(EXERCISE, source, seed=SEED)
    failed = _failed(result)
    assert failed.get("evaluation") == "name", result["checks"]
