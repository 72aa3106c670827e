"""Checks of 3.3.3b: train on given data, predict probabilities for held-out inputs.

The held-out labels never leave this process: ``make_datasets`` keeps them
in ``Hidden.secret`` and the judge reads them from ``ctx.secrets``.
"""

import numpy as np
import torch

from curriculum.judges.autograd import meta, unwrap
from curriculum.judges.compare import all_finite, at_least, at_most, close
from curriculum.judges.source import forbidden_calls, has_call
from curriculum.judges.text import type_name, with_article
from curriculum.judges.training import (
    binary_accuracy,
    epochs_problem,
    rate_problem,
    stated_loss_problem,
    weights_problem,
)
from grader.checks.base import Hidden, Verdict

FORBIDDEN = ("torch.sigmoid", ".sigmoid", "torch.nn.", "torch.optim.", "torch.special.expit")
MIN_ACCURACY = 0.9


def _dataset(rng, w, b, n=200, m=500):
    w = np.asarray(w, dtype=float).reshape(2, 1)
    X, X_test = rng.standard_normal((n, 2)), rng.standard_normal((m, 2))
    y = (X @ w + b > 0).astype(np.float32)
    y_test = (X_test @ w + b > 0).astype(np.float32)
    f32 = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float32))  # noqa: E731
    return {"X": f32(X), "y": f32(y), "X_test": f32(X_test)}, y_test


# The hidden boundary's distance from the origin (in units of the inputs' standard
# deviation). A line through the origin misclassifies the points between it and the
# boundary, a fraction Φ(d) − 1/2 of them: at d ≥ 0.6 over 22%, so a model whose
# bias is never trained cannot reach MIN_ACCURACY ("the bias matters"), while the
# minority class (Φ(−1) ≈ 16% at d = 1) is still learnt by a trained bias.
OFFSET_RANGE = (0.6, 1.0)
# Two-epoch runs at two hidden learning rates from the same start: the first update must
# scale with the rate passed in (a rate typed into the loop gives one step at both).
RATES = (0.2, 0.8)


def make_datasets(rng: np.random.Generator) -> list:
    angle = rng.uniform(0, 2 * np.pi)
    scale = rng.uniform(1.5, 3)
    hidden_w = [scale * np.cos(angle), scale * np.sin(angle)]
    offset = rng.uniform(*OFFSET_RANGE) * rng.choice([-1.0, 1.0])
    seeds_ds, seed_labels = _dataset(rng, [1.5, -2.0], 0.0)  # the seed's boundary
    ds, labels = _dataset(rng, hidden_w, float(offset * scale))
    # num_epochs: the default on the example, a hidden count on the other set
    seeds_ds["epochs"], ds["epochs"] = 1000, int(rng.integers(600, 1001))
    low = round(float(rng.uniform(*RATES)), 3)
    (seeds_ds, ds)[int(rng.integers(0, 2))]["rates"] = [low,
                                                       round(low * float(rng.uniform(1.5, 3)), 3)]
    return Hidden(inputs=[seeds_ds, ds], secret=[seed_labels, labels])




def _bce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The prompt's loss, from the logits X @ w + b."""
    p = torch.sigmoid(logits).clamp(1e-7, 1 - 1e-7)
    return -torch.mean(y * torch.log(p) + (1 - y) * torch.log(1 - p))


def _untrained_hint(w, b, accuracy: float) -> str:
    """Why the boundary was not learned: a parameter created without requires_grad (the
    hidden boundary misses the origin, so an untrained bias shows), a loss that pairs y with
    log(1 − p) (the boundary is learned inverted), else the usual causes.

    Returning ``w.detach(), b.detach()`` is fine, so a returned tensor without
    requires_grad alone says nothing: it counts as never trained when the other one does
    require grad (only one was detached, or created without it) or when it is still exactly
    zero (its usual initial value)."""
    grads = {"w": meta(w).requires_grad, "b": meta(b).requires_grad}
    frozen = [name for name, t in (("w", w), ("b", b)) if not grads[name] and (
        any(grads.values()) or not bool(torch.as_tensor(t).abs().sum()))]
    if frozen:
        names = " and ".join(f"`{n}`" for n in frozen)
        return (f"your {names} {'does' if len(frozen) == 1 else 'do'} not require grad, so "
                "training never updated it; create w and b with requires_grad=True")
    if at_most(accuracy, 0.1):
        return ("the boundary was learned the wrong way round (most held-out points get the "
                "other class): check the loss — y goes with log(p), 1 − y with log(1 − p) — "
                "and the update's sign (w -= learning_rate * w.grad)")
    return "the model hasn't learned the boundary (learning rate, epochs, gradient reset?)"


def judge_fit(learner, reference, inputs, ctx):
    labels = ctx.secrets["logistic_regression"]
    for i, (ds, y_test, item) in enumerate(zip(inputs, labels, learner.value, strict=True), 1):
        label = "the example data" if i == 1 else "the hidden data set"
        if item[0] == "bad":
            return Verdict(False, "type", f"{label}: train_logistic_regression must return "
                                          f"(w, b); found {with_article(item[1])}")
        w, b, prob = (unwrap(x) for x in item[:3])
        m = ds["X_test"].shape[0]
        bad = weights_problem(label, w, b, (2, 1)) or stated_loss_problem(
            label, item[3] if len(item) > 3 else None, ds["X"], ds["y"], _bce,
            "the binary cross-entropy -mean(y·log p + (1 − y)·log(1 − p)), p = sigmoid(X @ w + b)"
            " clamped to [1e-7, 1 − 1e-7],") or epochs_problem(
            label, item[4] if len(item) > 4 else None, ds["epochs"])
        if bad:
            return bad
        if not isinstance(prob, torch.Tensor) or tuple(prob.shape) != (m, 1):
            found = tuple(prob.shape) if isinstance(prob, torch.Tensor) else type_name(prob)
            return Verdict(False, "shape", f"{label}: predict_proba must return ({m}, 1) "
                                           f"probabilities; found {found}")
        p = prob.double()
        if not (all_finite(p) and at_least(float(p.min()), 0.0) and at_most(float(p.max()), 1.0)):
            return Verdict(False, "value", f"{label}: probabilities must be finite and in [0, 1]")
        own = torch.sigmoid(ds["X_test"].double() @ w.double() + b.double())
        if not close(p, own, rtol=1e-4, atol=1e-5):
            return Verdict(False, "value", f"{label}: predict_proba(X, w, b) is not "
                                           "sigmoid(X @ w + b)")
        accuracy = binary_accuracy(p, y_test)
        if not at_least(accuracy, MIN_ACCURACY):
            return Verdict(False, "train", f"{label}: held-out accuracy {accuracy:.1%}, needs "
                                           f"{MIN_ACCURACY:.0%} — " + _untrained_hint(w, b, accuracy))
    bad = forbidden_calls(ctx, FORBIDDEN)
    if bad:
        return Verdict(False, "api", "from scratch: write sigmoid and the loss yourself, update "
                                     "manually — no torch.sigmoid, torch.nn or torch.optim; "
                                     f"found {', '.join(bad)}")
    if not has_call(ctx, (".backward", "torch.autograd.grad")):
        return Verdict(False, "api", "compute the gradients with autograd (loss.backward())")
    for i, (ds, item) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        # last: a typed-in rate that still trains well (one that does not is told so above)
        bad = rate_problem(
            "the example data" if i == 1 else "the hidden data set",
            item[5] if len(item) > 5 else None, ds.get("rates", ()))
        if bad:
            return bad
    return Verdict(True, "train")
