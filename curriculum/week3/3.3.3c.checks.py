"""Checks of 3.3.3c: a 2-layer network learns XOR (or XNOR) from jittered corners.

One set is XOR and the other XNOR, in a random order; which is which, and
the held-out labels, stay here (``Hidden.secret``): a network that memorised
the seed's four XOR rows, or a predict_xor hard-wired to either labelling,
fails one of them on every seed.
"""

import numpy as np
import torch

from curriculum.judges.autograd import unwrap
from curriculum.judges.compare import all_finite, at_least, at_most
from curriculum.judges.source import forbidden_calls, has_call
from curriculum.judges.text import type_name, with_article
from curriculum.judges.training import binary_accuracy, rate_problem
from grader.checks.base import Hidden, Verdict

FORBIDDEN = ("torch.nn.", "torch.optim.")
MIN_ACCURACY = 0.9
DEFAULT_HIDDEN = 16
HIDDEN_SIZES = (8, 12, 24, 32)  # never the default


def _dataset(rng, xnor: bool, n=64, m=200, jitter=0.1):
    def sample(k):
        corners = rng.integers(0, 2, (k, 2))
        X = corners + rng.normal(0, jitter, (k, 2))
        y = (corners[:, :1] != corners[:, 1:]).astype(np.float32)
        return X, (1 - y if xnor else y)

    X, y = sample(n)
    X_test, y_test = sample(m)
    f32 = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float32))  # noqa: E731
    return {"X": f32(X), "y": f32(y), "X_test": f32(X_test)}, y_test


def make_datasets(rng: np.random.Generator) -> list:
    xor_ds, xor_labels = _dataset(rng, False)
    # always the other labelling: a predictor hard-wired to either fails one of the two
    other, other_labels = _dataset(rng, True)
    order = [0, 1] if rng.integers(0, 2) else [1, 0]
    sets, labels = [xor_ds, other], [xor_labels, other_labels]
    # the first set trains with the default hidden_size (16), the second with a hidden
    # one: a network whose size is typed in fails one of them
    sets[order[0]]["hidden_size"] = None
    sets[order[1]]["hidden_size"] = int(rng.choice(HIDDEN_SIZES))
    # two more two-epoch runs on one set, at two hidden rates from the same start: one
    # differentiation per epoch, and the first update grows with the rate
    low = round(float(rng.uniform(0.3, 1.0)), 3)
    sets[int(rng.integers(0, 2))]["rates"] = [low, round(low * float(rng.uniform(1.5, 3)), 3)]
    return Hidden(inputs=[sets[i] for i in order], secret=[labels[i] for i in order])


def judge_fit(learner, reference, inputs, ctx):
    labels = ctx.secrets["xor_network"]
    for i, (ds, y_test, item) in enumerate(zip(inputs, labels, learner.value, strict=True), 1):
        label = f"data set {i}"
        if item[0] == "bad":
            return Verdict(False, "type", f"{label}: train_xor_network must return a dict of "
                                          f"parameters; found {with_article(item[1])}")
        shapes, prob = item[1], unwrap(item[2])
        missing = [k for k in ("W1", "b1", "W2", "b2") if k not in shapes]
        if missing:
            return Verdict(False, "type", f"{label}: the parameter dict lacks "
                                          f"{', '.join(missing)}")
        asked = ds.get("hidden_size")
        h = DEFAULT_HIDDEN if asked is None else asked
        want = {"W1": (2, h), "b1": (h,), "W2": (h, 1), "b2": (1,)}
        for k, shape in want.items():
            if tuple(shapes[k]) != shape:
                called = ("with the default hidden_size=16" if asked is None
                          else f"with hidden_size={asked}")
                return Verdict(False, "shape", f"{label} (trained {called}): {k} has shape "
                                               f"{tuple(shapes[k])}; expected W1 (2, H), b1 "
                                               "(H,), W2 (H, 1), b2 (1,) with H the "
                                               "hidden_size passed in")
        m = ds["X_test"].shape[0]
        if not isinstance(prob, torch.Tensor) or tuple(prob.shape) != (m, 1):
            found = tuple(prob.shape) if isinstance(prob, torch.Tensor) else type_name(prob)
            return Verdict(False, "shape", f"{label}: predict_xor must return ({m}, 1) "
                                           f"probabilities; found {found}")
        p = prob.double()
        if not (all_finite(p) and at_least(float(p.min()), 0.0) and at_most(float(p.max()), 1.0)):
            return Verdict(False, "value", f"{label}: outputs must be probabilities in [0, 1] "
                                           "(sigmoid on the last layer)")
        accuracy = binary_accuracy(p, y_test)
        if not at_least(accuracy, MIN_ACCURACY):
            return Verdict(False, "train", f"{label}: held-out accuracy {accuracy:.1%}, needs "
                                           f"{MIN_ACCURACY:.0%} — the network hasn't learned the "
                                           "pattern (are W1…b2 leaves? learning rate, epochs?)")
    bad = forbidden_calls(ctx, FORBIDDEN)
    if bad:
        return Verdict(False, "api", "from scratch: tensors and autograd only, no torch.nn or "
                                     f"torch.optim; found {', '.join(bad)}")
    if not has_call(ctx, (".backward", "torch.autograd.grad")):
        return Verdict(False, "api", "compute the gradients with autograd (loss.backward())")
    for i, (ds, item) in enumerate(zip(inputs, learner.value, strict=True), 1):
        bad = _short_runs_problem(f"data set {i}", item[3] if len(item) > 3 else None,
                                  ds.get("rates", ()))
        if bad:
            return bad
    return Verdict(True, "train")


def _short_runs_problem(label, runs, rates):
    """The two-epoch runs (probe ``_short_runs``): two differentiations each (num_epochs
    is the argument), then the first update grows with the learning rate."""
    if not rates or not isinstance(runs, list) or len(runs) != 2:
        return None
    for run in runs:
        if isinstance(run, tuple) and len(run) == 3 and type(run[0]) is int and run[0] not in (
                0, 2):
            return Verdict(False, "train", f"{label}: trained with num_epochs=2, your training "
                                           f"differentiated a loss {run[0]} times; train for "
                                           "exactly num_epochs epochs, one backward() each")
    pairs = [None if not (isinstance(r, tuple) and len(r) == 3) or r[1] is None
             or r[2] is None else (r[1], r[2]) for r in runs]
    return rate_problem(label, pairs, rates)
