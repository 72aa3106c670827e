"""Checks of 3.3.3a: train on given data, predict held-out inputs, compare with the optimum.

The judge compares your test predictions with those of the exact least-squares
fit of the same training data (computed here in float64): gradient descent on
the MSE converges to it.
"""

import numpy as np
import torch

from curriculum.judges.autograd import unwrap
from curriculum.judges.compare import at_most, close, max_abs_diff
from curriculum.judges.source import forbidden_calls, has_call
from curriculum.judges.text import type_name, with_article
from curriculum.judges.training import (
    epochs_problem,
    rate_problem,
    stated_loss_problem,
    weights_problem,
)
from grader.checks.base import Verdict

FORBIDDEN = ("torch.linalg.", "torch.inverse", "torch.pinverse", "torch.lstsq", "torch.nn.",
             "torch.optim.", "numpy.linalg.", "torch.cholesky", "torch.solve")


def _dataset(rng, d, w=None, b=None, n=100, m=50):
    X = rng.standard_normal((n, d))
    w = rng.uniform(-4, 4, (d, 1)) if w is None else np.array(w, dtype=float).reshape(d, 1)
    b = float(rng.uniform(-3, 3)) if b is None else b
    y = X @ w + b + 0.1 * rng.standard_normal((n, 1))
    X_test = rng.standard_normal((m, d))
    f32 = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float32))  # noqa: E731
    return {"X": f32(X), "y": f32(y), "X_test": f32(X_test)}


# Two-epoch runs at two hidden learning rates from the same start: the first update must
# scale with the rate passed in (a rate typed into the loop gives one step at both).
RATES = (0.05, 0.2)


def make_datasets(rng: np.random.Generator) -> list:
    # the seed's problem (w = 3, b = -2, noise 0.1) and two hidden multi-feature ones
    sets = [_dataset(rng, 1, [3.0], -2.0), _dataset(rng, 2), _dataset(rng, 3)]
    # passed as num_epochs, one backward() per epoch: the default on the example, hidden
    # counts (300-700, never the default) on the others, so a loop that ignores
    # num_epochs (range(500)) is caught; gradient descent converges in 300 epochs here
    sets[0]["epochs"] = 500
    low = round(float(rng.uniform(*RATES)), 3)
    sets[int(rng.integers(0, 3))]["rates"] = [low, round(low * float(rng.uniform(1.5, 3)), 3)]
    for ds in sets[1:]:
        epochs = int(rng.integers(300, 700))
        ds["epochs"] = epochs + (epochs >= 500)
    return sets




def _least_squares(X, y):
    A = torch.cat([X.double(), torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)
    sol = torch.linalg.lstsq(A, y.double()).solution
    return sol[:-1], sol[-1:]


def judge_fit(learner, reference, inputs, ctx):
    for i, (ds, item) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        label = "the example data (1 feature)" if i == 1 else \
            f"hidden data set {i} ({ds['X'].shape[1]} features)"
        if item[0] == "bad":
            return Verdict(False, "type", f"{label}: train_linear_regression must return (w, b); "
                                          f"found {with_article(item[1])}")
        w, b, pred = (unwrap(x) for x in item[:3])
        d, m = ds["X"].shape[1], ds["X_test"].shape[0]
        bad = weights_problem(label, w, b, (d, 1)) or stated_loss_problem(
            label, item[3] if len(item) > 3 else None, ds["X"], ds["y"],
            lambda pred, y: torch.mean((pred - y) ** 2),
            "the mean squared error torch.mean((X @ w + b - y) ** 2)") or epochs_problem(
            label, item[4] if len(item) > 4 else None, ds["epochs"])
        if bad:
            return bad
        if not isinstance(pred, torch.Tensor) or tuple(pred.shape) != (m, 1):
            found = tuple(pred.shape) if isinstance(pred, torch.Tensor) else type_name(pred)
            return Verdict(False, "shape", f"{label}: predict_linear must return ({m}, 1) "
                                           f"predictions for {m} test rows; found {found}")
        own = ds["X_test"].double() @ w.double() + b.double()
        if not close(pred, own, rtol=1e-4, atol=1e-4):
            return Verdict(False, "value", f"{label}: predict_linear(X, w, b) is not X @ w + b")
        ls_w, ls_b = _least_squares(ds["X"], ds["y"])
        best = ds["X_test"].double() @ ls_w + ls_b
        err = max_abs_diff(pred, best)
        tol = 0.02 * (1 + float(ds["y"].double().std()))
        if not at_most(err, tol):
            return Verdict(False, "train", f"{label}: your test predictions are up to {err:.3g} "
                                           "away from those of the best linear fit of the "
                                           f"training data (tolerance {tol:.2g}) — train longer "
                                           "or check the learning rate and the gradient reset")
    bad = forbidden_calls(ctx, FORBIDDEN)
    if bad:
        return Verdict(False, "api", "from scratch: no closed-form solvers, torch.nn or "
                                     f"torch.optim here; found {', '.join(bad)}")
    if not has_call(ctx, (".backward", "torch.autograd.grad")):
        return Verdict(False, "api", "compute the gradients with autograd (loss.backward())")
    for i, (ds, item) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        # last: a typed-in rate that still trains well (one that does not is told so above)
        bad = rate_problem(
            "the example data (1 feature)" if i == 1 else f"hidden data set {i} ({ds['X'].shape[1]} features)",
            item[5] if len(item) > 5 else None, ds.get("rates", ()))
        if bad:
            return bad
    return Verdict(True, "train")
