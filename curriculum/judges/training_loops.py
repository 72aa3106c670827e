"""Training loops (Exercise 5.1): twenty loops, each judged on what it really did.

Every loop is one ``python`` check with ``check_kind: train``; its YAML args
are the variant (``k``, optimizer, learning rate, loss, epochs, model, data,
metric and threshold). The grader builds the model (seeded, so learner and
reference start from the same weights), the sandbox runs
``train_loop_k(model, ...)`` under the instruments of
``curriculum/probes/training_loop.py``, and this module judges:

1. the five-step pattern in order (AST of ``train_loop_k``),
2. the optimizer class, learning rate and other settings (defaults unless the
   prompt says otherwise), the loss module and its configuration (reduction),
   the batch size (``BATCH_SIZES``), the epochs (samples seen in train mode =
   epochs x training rows; a surplus of whole validation passes is named as
   validation run in train mode),
3. gradients really reset: the first backward after every optimizer step
   starts from zeroed gradients, or the last one before it does (zeroed at the
   end of an iteration, or after an extra backward pass),
4. the parameters moved, the training loss fell, and the trained model's
   predictions on hidden test inputs reach the variant's metric against
   labels that never enter the sandbox (``Hidden`` secret),
5. the variant's own feature (a new row order every epoch where the prompt
   asks for shuffle=True, validation under eval/no_grad, k-fold partition,
   early stop, best-model file, ReduceLROnPlateau, clipping, autocast,
   accumulation = large batch, curriculum order, loss weights).

Thresholds go through :mod:`curriculum.judges.compare`: a NaN metric fails.

One module past the usual size because it is one judgement: the twenty loops
share one probe report (the event string and numbers of
``curriculum/probes/training_loop.py``), one judging order (steps 1–5) and
one data generator; the per-variant features are small parts of step 5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from curriculum.judges.compare import above, at_least, at_most, below, close, finite, same_update
from curriculum.judges.data import classification, f32, labels_tensor, regression
from curriculum.judges.shuffling import same_order_problem, split_epochs
from curriculum.judges.source import source_calls
from curriculum.judges.training import (
    epoch_means_problem,
    first_backward_clean,
    gradients_fresh,
    pattern_problem,
)

# The probe's own rule (it decides in the jail whether to run a spare data set; the
# judge must read the runs by the same rule).
from curriculum.probes.training_loop import _informative
from grader.checks.base import Hidden, Verdict


@dataclass(frozen=True)
class Spec:
    k: int
    opt: str
    lr: float
    loss: str
    epochs: int | None
    model: tuple
    data: str
    n: int
    metric: str                # r2 | acc | bal_acc | label_acc | multi
    threshold: float
    kwargs: dict = field(default_factory=dict)



def make_inputs(spec: Spec, rng: np.random.Generator) -> Hidden:
    k = spec.k
    init_seed = int(rng.integers(0, 2**31 - 1))
    secret: dict = {"k": k}
    inputs: dict = {"k": k, "model": spec.model, "init_seed": init_seed,
                    "kwargs": dict(spec.kwargs), "sqnorm": k == 5}
    inputs["cuda"] = k == 17
    if spec.metric == "r2":
        X, y, Xt, yt = regression(rng, spec.data, spec.n)
        inputs["args"] = [f32(X), f32(y)]
        inputs["X_test"] = f32(Xt)
        secret["y_test"] = np.asarray(yt, dtype=np.float64)
        secret["n_train"] = spec.n
        inputs["track_rows"] = k in SHUFFLED
    elif spec.data in ("blobs", "clusters", "digits", "imbalanced", "multilabel", "amp",
                       "curriculum"):
        X, y, Xt, yt = classification(rng, spec.data, spec.n)
        inputs["args"] = [f32(X), labels_tensor(y)]
        inputs["X_test"] = f32(Xt)
        secret["y_test"] = np.asarray(yt)
        secret["n_train"] = spec.n
        secret["y_train"] = np.asarray(y)
        if spec.data == "curriculum":
            means = np.stack([X[y == c].mean(0) if (y == c).any() else X.mean(0)
                              for c in range(3)])
            difficulty = np.linalg.norm(X - means[y], axis=1) + 1e-3 * rng.random(len(y))
            inputs["args"].append(f32(difficulty))
            inputs["track_rows"] = True
            secret["order"] = np.argsort(np.asarray(difficulty, dtype=np.float32), kind="stable")
    elif spec.data in ("split", "kfold"):
        X, y, Xt, yt = classification(rng, "blobs", spec.n)
        inputs["args"] = [f32(X), f32(y)]
        inputs["X_test"] = f32(Xt)
        inputs["track_rows"] = True  # the rows of the split's, or each fold's, two parts
        secret["y_test"] = np.asarray(yt)
        secret["n"] = spec.n
        secret["n_train"] = int(0.8 * spec.n)
        # the rows one validation pass covers: the 20% split, or one of the 5 folds
        secret["n_val"] = spec.n // 5 if spec.data == "kfold" else spec.n - secret["n_train"]
    elif spec.data == "earlystop":
        X, y, Xv, yv, Xt, yt = _early_stop_data(rng, spec.n)
        inputs["args"] = [f32(X), f32(y), f32(Xv), f32(yv)]
        inputs["X_test"] = f32(Xt)
        secret["y_test"] = yt
        secret["n_train"] = len(X)
        secret["n_val"] = len(Xv)
        inputs["extra"] = []
        for _ in range(_EARLY_SPARES):
            X, y, Xv, yv, _Xt, _yt = _early_stop_data(rng, spec.n)
            inputs["extra"].append({"init_seed": int(rng.integers(0, 2**31 - 1)),
                                    "args": [f32(X), f32(y), f32(Xv), f32(yv)]})
    elif spec.data == "noisyval":
        X, y, Xt, yt = classification(rng, "blobs", spec.n + 128)
        y = y.copy()
        flip = rng.random(128) < 0.15  # a noisy validation set: its loss turns back up
        y[spec.n:][flip] = 1 - y[spec.n:][flip]
        inputs["args"] = [f32(X[:spec.n]), f32(y[:spec.n]), f32(X[spec.n:]), f32(y[spec.n:])]
        inputs["X_test"] = f32(Xt)
        secret["y_test"] = np.asarray(yt)
        secret["n_train"] = spec.n
        secret["n_val"] = 128
    elif spec.data == "multitask":
        w = rng.uniform(-1, 1, (10, 1))
        V = rng.standard_normal((10, 3))
        X = rng.standard_normal((spec.n, 10))
        Xt = rng.standard_normal((200, 10))
        y_reg = X @ w + 0.1 * rng.standard_normal((spec.n, 1))
        inputs["args"] = [f32(X), f32(y_reg), torch.from_numpy((X @ V).argmax(1))]
        inputs["X_test"] = f32(Xt)
        secret["y_test"] = (Xt @ w, (Xt @ V).argmax(1))
        secret["n_train"] = spec.n
    return Hidden(inputs=inputs, secret=secret)


# Variant 13 (early stopping). Its validation curve must, on every seed, fail
# to improve for an epoch or two and then improve again before it stops: only
# then does a patience count that is never reset stop at another epoch than one
# that is. Overlapping classes with 10% label noise in training and validation
# give a curve that keeps drifting down with epoch-to-epoch noise after the
# descent (the data sit away from the origin); 1024 training rows (16 steps an
# epoch) make the epochs' noise nearly independent and the held-out accuracy
# high. Measured over 260 seeds: the reference's first curve shows the pattern
# on ~72%, its held-out accuracy is >= 0.94; where a curve does not, the probe
# runs the loop again on the next spare data set (at most _EARLY_SPARES; three
# were the most any seed needed), and a count never reset failed on every seed.
_EARLY_VAL = 128
_EARLY_SPARES = 8


def _early_stop_data(rng: np.random.Generator, rows: int):
    """(X, y, X_val, y_val, X_test, y_test) of one early-stopping data set
    (``rows`` training rows: the spec's, 1024)."""
    u = rng.standard_normal(2)
    u = 2.5 * u / np.linalg.norm(u)
    c = rng.standard_normal(2)
    c = 4.0 * c / np.linalg.norm(c)

    def draw(count: int, flip: float):
        y = rng.integers(0, 2, count)
        X = 3.0 * (c + np.where(y[:, None] == 1, u, -u) + rng.standard_normal((count, 2)))
        noisy = np.where(rng.random(count) < flip, 1 - y, y)
        return X, noisy.reshape(-1, 1).astype(np.float32), y

    X, y, _ = draw(rows, 0.1)
    Xv, yv, _ = draw(_EARLY_VAL, 0.1)
    Xt, _, yt = draw(300, 0.0)
    return X, y, Xv, yv, Xt, yt


# ---------------------------------------------------------------------------
# judging helpers
# ---------------------------------------------------------------------------

def _metric(kind: str, preds, secret) -> tuple[float, str]:
    y = secret["y_test"]
    if kind == "multi":
        if not (isinstance(preds, list) and len(preds) == 2):
            return float("nan"), "the model's output changed shape"
        r2, _ = _metric("r2", preds[0], {"y_test": y[0]})
        acc, _ = _metric("acc", preds[1], {"y_test": y[1]})
        return min(r2, acc), "min(R² of the regression head, accuracy of the class head)"
    if kind == "r2":
        p = np.asarray(preds, dtype=np.float64)
        if p.shape != y.shape:
            return float("nan"), f"test predictions should have shape {y.shape}, found {p.shape}"
        if not np.isfinite(p).all():
            return float("nan"), "test predictions contain NaN or inf"
        ss = float(((y - y.mean(0)) ** 2).sum())
        return 1 - float(((p - y) ** 2).sum()) / ss, "R²"
    p = np.asarray(preds, dtype=np.float64)
    if not np.isfinite(p).all():
        return float("nan"), "test outputs contain NaN or inf"
    if kind == "label_acc":
        if p.shape != y.shape:
            return float("nan"), f"test outputs should have shape {y.shape}, found {p.shape}"
        return float(((p > 0) == (y == 1)).mean()), "label accuracy"
    if p.ndim != 2 or p.shape[0] != len(y):
        return float("nan"), f"test outputs should be ({len(y)}, classes), found {p.shape}"
    guess = (p[:, 0] > 0).astype(int) if p.shape[1] == 1 else p.argmax(1)
    if kind == "acc":
        return float((guess == y).mean()), "accuracy"
    if kind == "bal_acc":
        return float(np.mean([(guess[y == c] == c).mean() for c in np.unique(y)])), \
            "balanced accuracy"
    raise ValueError(kind)


def _events(report: dict) -> dict:
    seq = report["seq"]
    num = {k: v.tolist() for k, v in report["num"].items()}
    return {"seq": seq, "num": num}


def _train_losses(report: dict) -> list[float]:
    seq, vals = report["seq"], report["num"]["L"].tolist()
    codes = [c for c in seq if c in "Ll"]
    return [v for c, v in zip(codes, vals, strict=False) if c == "L"]


def _common(spec: Spec, value: dict, secret: dict, ctx, epochs: int | None = None,
            n_train: int | None = None) -> Verdict | None:
    k = spec.k
    name = f"train_loop_{k}"
    problem = pattern_problem(ctx.source_text, name, accumulate=(k == 18))
    if problem:
        return Verdict(False, "api", f"{name}: {problem}")
    rep = value["report"]
    opts = rep["optim"]
    if not opts:
        return Verdict(False, "train", f"{name}: no optimizer ever stepped the model's "
                                       f"parameters — create `optim.{spec.opt}(model.parameters(), "
                                       f"lr={spec.lr:g})` and call `optimizer.step()`")
    opt = opts[0]
    if opt["cls"] != spec.opt:
        return Verdict(False, "api", f"{name}: use `optim.{spec.opt}`; found {opt['cls']}")
    if not close(opt["initial_lr"], spec.lr, rtol=1e-6, atol=0.0):
        return Verdict(False, "api", f"{name}: the learning rate should be {spec.lr:g}; found "
                                     f"{opt['initial_lr']:g}")
    problem = _optimizer_problem(spec, opt)
    if problem:
        return Verdict(False, "api", f"{name}: {problem}")
    if spec.loss not in rep["losses"]:
        used = ", ".join(sorted(rep["losses"])) or "no loss module"
        return Verdict(False, "api", f"{name}: compute the loss with `nn.{spec.loss}()`; found "
                                     f"{used}")
    problem = _loss_problem(k, spec.loss, rep["losses"])
    if problem:
        return Verdict(False, "api", f"{name}: {problem}")
    sizes = [int(v) for v in rep["num"]["F"].tolist()]
    seen = sum(sizes)
    epochs = spec.epochs if epochs is None else epochs
    n_train = secret.get("n_train") if n_train is None else n_train
    problem = _train_mode_validation(k, seen, epochs, n_train, rep, secret)
    if problem:
        return Verdict(False, "value", f"{name}: {problem}")
    problem = _rows_problem(k, sizes, epochs, n_train, rep["seq"]) \
        or _batch_problem(k, sizes, n_train)
    if problem:
        return Verdict(False, "value", f"{name}: {problem}")
    if k == 13 and epochs is not None and n_train and seen != epochs * n_train \
            and seen % n_train == 0:
        return Verdict(False, "value", f"{name}: epochs_run must be the number of epochs your "
                                       f"loop trained: it returned {epochs}, your model trained "
                                       f"{seen // n_train} epochs over the {n_train} rows")
    if epochs is not None and n_train and seen != epochs * n_train:
        return Verdict(False, "value", f"{name}: train for {epochs} epochs over all "
                                       f"{n_train} training rows ({epochs * n_train} samples in "
                                       f"train mode); your model saw {seen}")
    if not (first_backward_clean(rep["seq"]) or gradients_fresh(rep["seq"])):
        return Verdict(False, "train", f"{name}: gradients were not reset between updates — "
                                       "call `optimizer.zero_grad()` before each backward pass")
    events = "".join(c for c in rep["seq"] if c in "KS")
    if "SS" in events or events.startswith("S"):
        return Verdict(False, "train", f"{name}: an `optimizer.step()` ran without a backward "
                                       "pass of its own since the previous update (the same "
                                       "gradients applied twice): call it once per batch, "
                                       f"after `loss.backward()` ({events.count('S')} updates "
                                       f"for {events.count('K')} backward passes)")
    if "changed" in value and not finite(value["changed"]):
        return Verdict(False, "train", f"{name}: the trained parameters hold NaN or inf — a "
                                       "learning rate too large, a log of 0, a division by 0?")
    if "changed" in value and not above(value["changed"], 0.0):
        return Verdict(False, "train", f"{name}: the model's parameters never changed")
    losses = _train_losses(rep)
    # k-fold restarts the loss with every fold; variant 4's gross outliers keep
    # its L1 loss high however well the clean rows fit (held-out R² judges it);
    # early stopping (13) may rightly end after a few epochs whose first tenth is
    # already at its noisy labels' floor (the stop rule and held-out accuracy
    # judge it).
    if len(losses) >= 10 and k not in (4, 12, 13):
        tenth = max(1, len(losses) // 10)
        first, last = np.mean(losses[:tenth]), np.mean(losses[-tenth:])
        if not (finite(first) and below(last, 0.95 * first)):
            return Verdict(False, "train", f"{name}: the training loss did not fall (first "
                                           f"batches ≈ {first:.3g}, last ≈ {last:.3g})")
    return None


# The batch size each loop's prompt fixes (variant 18: its micro-batches). Not
# variant 19, whose prompt gives `DataLoader(batch_size=32)` only as an example
# of taking each row of the epoch's subset once.
BATCH_SIZES: dict[int, int] = {1: 32, 2: 32, 3: 32, 4: 32, 5: 32, 6: 64, 7: 32, 8: 32, 9: 32,
                               10: 32, 11: 64, 12: 64, 13: 64, 14: 64, 15: 64, 16: 32, 17: 32,
                               18: 8, 20: 32}

# Optimizer settings the prompts leave at their defaults ("`optim.SGD(..., lr=0.01)`",
# "its default weight decay"); the flags too (amsgrad, nesterov, maximize).
_OPT_SETTINGS = ("weight_decay", "momentum", "dampening", "alpha", "eps", "betas", "amsgrad",
                 "nesterov", "centered", "maximize")


def _optimizer_problem(spec: Spec, opt: dict) -> str | None:
    """The first optimizer's other settings against a fresh one of the class with
    the prompt's learning rate (the prompts give only the class and the rate)."""
    cls = getattr(torch.optim, spec.opt)
    want = cls([torch.nn.Parameter(torch.zeros(1))], lr=spec.lr).param_groups[0]
    got = opt.get("group", {})
    for key in _OPT_SETTINGS:
        if key not in want or key not in got:
            continue
        w = want[key]
        w = [float(b) for b in w] if key == "betas" else (bool(w) if isinstance(w, bool)
                                                           else float(w))
        g = got[key]
        same = g == w if isinstance(w, bool) else close(g, w, rtol=1e-9, atol=0.0)
        if not same:
            shown = tuple(w) if isinstance(w, list) else w
            found = tuple(g) if isinstance(g, list) else g
            return (f"use `optim.{spec.opt}(model.parameters(), lr={spec.lr:g})` with its other "
                    f"settings at their defaults; found {key}={found} (default {shown})")
    return None


def _loss_problem(k: int, loss: str, losses: dict) -> str | None:
    """The loss modules' configuration: each prompt's loss is the module with its
    defaults (mean reduction, no label smoothing) — plus variant 9's class weights,
    judged by its feature."""
    names = [loss, "CrossEntropyLoss"] if k == 20 else [loss]
    defaults = {"reduction": "mean", "label_smoothing": 0.0, "ignore_index": -100}
    for name in names:
        info = losses.get(name, {})
        for attr, default in defaults.items():
            found = [v for v in info.get(attr, []) if v != default]
            if found:
                return (f"use `nn.{name}()` as the prompt gives it ({attr}={default!r}, the "
                        f"default); found {attr}={found[0]!r}")
        if info.get("pos_weight"):
            return f"use `nn.{name}()` as the prompt gives it, without pos_weight"
        shapes = info.get("mismatch")
        if isinstance(shapes, list) and len(shapes) == 2:
            return (f"nn.{name} got an output of shape {shapes[0]} and a target of shape "
                    f"{shapes[1]}: they broadcast against each other (every output compared "
                    "with every target) — keep the target the output's shape (no squeeze, "
                    "unsqueeze or view on one of them)")
        span = info.get("input_range")
        if name == "BCEWithLogitsLoss" and isinstance(span, list) and len(span) == 2 and \
                at_least(span[0], 0.0) and at_most(span[1], 1.0):
            return ("nn.BCEWithLogitsLoss got probabilities (every input in [0, 1]): it applies "
                    "the sigmoid itself, so pass the raw logits `model(data)`, not "
                    "`torch.sigmoid(model(data))`")
        if k != 9 and "weight" in info:
            return f"use `nn.{name}()` as the prompt gives it, without class weights"
    return None


def _rows_problem(k: int, sizes: list[int], epochs: int | None, n_train: int | None,
                  seq: str) -> str | None:
    """Whole epochs over another number of rows, in the right batches: the loader holds the
    wrong rows (all of them, validation included), which the batch sizes alone would
    misname as a batch-size mistake (the last batch of 240 rows is not that of 192)."""
    want = BATCH_SIZES.get(k)
    seen = sum(sizes)
    if want and epochs and n_train and not sizes:
        if "G" in seq:  # called, but in eval mode: nothing counted as training
            return ("the model trained in eval mode: call `model.train()` before each "
                    "training epoch (after `model.eval()` it stays in eval mode)")
        # no training forward reached the model's call: model.forward(data) skips it
        return ("the model was never called in training: call it as `output = model(data)` "
                "(`model.forward(data)` skips nn.Module's __call__, its hooks included, which "
                "the grader watches)")
    if not (want and epochs and n_train) or seen % epochs or seen // epochs == n_train:
        return None
    if seen % n_train == 0:  # whole epochs over the training rows: their number is off
        return None
    per = seen // epochs
    if not all(b in (want, per % want) for b in sizes):
        return None
    more = (" — the validation rows too? Split first, then train on the training part only"
            if per > n_train else "")
    return f"each epoch must cover the {n_train} training rows; yours covered {per}{more}"


def _batch_problem(k: int, sizes: list[int], n_train: int | None) -> str | None:
    """Every training forward pass takes the prompt's batch size, but an epoch's
    last batch, which holds what is left of the rows."""
    want = BATCH_SIZES.get(k)
    if want is None or not sizes:
        return None
    rest = n_train % want if n_train else 0
    wrong = [b for b in sizes if b != want and b != rest]
    if not wrong:
        return None
    common = max(set(wrong), key=wrong.count)
    loader = "`DataLoader(..., batch_size=8, shuffle=False)`" if k == 18 else \
        f"`DataLoader(..., batch_size={want})`"
    return (f"train in batches of {want} ({loader}); your training forward passes took "
            f"batches of {common}")


def _train_mode_validation(k: int, seen: int, epochs: int | None, n_train: int | None,
                           rep: dict, secret: dict) -> str | None:
    """Validation forwards in train mode with gradients on count as training
    samples: when the surplus is whole validation passes and the eval-mode
    validation they replace is missing, say so (not "wrong number of epochs")."""
    n_val = secret.get("n_val")
    if k not in VALIDATING or not n_val or epochs is None or not n_train:
        return None
    extra = seen - epochs * n_train
    if extra <= 0 or extra % n_val:
        return None
    passes = 5 if k == 12 else epochs  # k-fold validates once per fold, the others per epoch
    missing = passes * n_val - int(sum(rep["num"]["E"].tolist()))
    if extra > missing:
        return None
    plan = "5 folds × 10 epochs" if k == 12 else f"{epochs} epochs"
    return (f"your model saw {extra} samples more than {plan} over the "
            f"{n_train} training rows: whole validation passes ({n_val} rows each) ran in "
            "train mode with gradients on — call `model.eval()` before validating and "
            "validate inside `with torch.no_grad():` (then `model.train()` before the next "
            "training epoch)")


#: train_loop_12: how many of the 5 fold models may miss the held-out bar.
KFOLD_MISSES_FORGIVEN = 1


#: How far under the reference's own held-out score a loop may land on a seed where the
#: reference solution, trained from the same weights on the same rows, misses the bar too.
REFERENCE_SLACK = 0.03


def _held_out(spec: Spec, preds, secret, ref_preds=None) -> Verdict | None:
    """The trained model's metric on held-out data reaches the variant's bar — or, on a
    seed where the reference solution (``ref_preds``: same start, same rows) misses it
    too, comes within :data:`REFERENCE_SLACK` of the reference's (train_loop_15's
    reference reached 0.75 against a bar of 0.85 on about 1 seed in 100)."""
    k = spec.k
    score, label = _metric(spec.metric, preds, secret)
    if not np.isfinite(score):
        return Verdict(False, "shape" if "shape" in label else "train", f"train_loop_{k}: {label}")
    if not at_least(score, spec.threshold) and ref_preds is not None:
        ref_score, _ = _metric(spec.metric, ref_preds, secret)
        if np.isfinite(ref_score) and not at_least(ref_score, spec.threshold) \
                and at_least(score, ref_score - REFERENCE_SLACK):
            return None
    if not at_least(score, spec.threshold):
        return Verdict(False, "train", f"train_loop_{k}: the trained model reaches {label} "
                                       f"{score:.3f} on held-out data; at least "
                                       f"{spec.threshold:g} is needed")
    return None


def loop_inputs(rng: np.random.Generator, **spec: Any) -> Hidden:
    """Hidden data of one loop variant (the check's YAML args are the variant)."""
    return make_inputs(Spec(**spec), rng)


def loop(learner, reference, inputs, ctx, **spec: Any) -> Verdict:
    """Judge one loop variant (the check's YAML args are the variant)."""
    return judge_variant(Spec(**spec), learner, reference, inputs, ctx)


def judge_variant(spec: Spec, learner, reference, inputs, ctx) -> Verdict:
    k = spec.k
    secret = ctx.secrets[f"train_loop_{k}"]
    value = learner.value
    if not isinstance(value, dict) or "report" not in value:
        return Verdict(False, "type", f"train_loop_{k}: unexpected probe data")
    if k not in (11, 12, 13, 14) and not value.get("returned_module"):
        return Verdict(False, "type", f"train_loop_{k} must return the trained model; found "
                                      f"{value.get('result')!r:.60}")
    shape_problem = _result_problem(k, value)
    if shape_problem:
        return Verdict(False, "type", f"train_loop_{k}: {shape_problem}")
    epochs = None
    if k == 13:
        epochs = value["result"][1] if isinstance(value["result"][1], int) else -1
    bad = _mode_problem(k, value["report"]["seq"])
    if bad:
        return bad
    bad = _common(spec, value, secret, ctx, epochs=epochs)
    if bad:
        return bad
    if k in SHUFFLED:
        bad = _shuffle_problem(k, value["report"], secret["n_train"])
        if bad:
            return bad
    extra = _FEATURES.get(k)
    if extra:
        bad = extra(value, secret, inputs, ctx)
        if bad:
            return bad
    if k == 12:
        # Five models trained on 80 % of the rows each: one of them now and then
        # lands a little under the bar by chance (about 1 fold in 200 for the
        # reference); two at once is what a loop that does not train them looks like.
        misses = [(i, bad) for i, preds in enumerate(value["preds"], start=1)
                  if (bad := _held_out(spec, preds, secret)) is not None]
        if len(misses) > KFOLD_MISSES_FORGIVEN:
            return Verdict(False, "train", "; ".join(f"fold {i}: {bad.message}"
                                                     for i, bad in misses)
                           + f" (at most {KFOLD_MISSES_FORGIVEN} of the 5 folds may miss)")
        return Verdict(True, "train")
    # Variant 14 too is held to the trained model (after its 20 epochs), not to the saved
    # one: the noisy validation loss is lowest at the first epoch on about 1 seed in 100,
    # and a correct loop then saves a barely trained model (the reference failed so).
    # That the file holds the best epoch's weights is _feature_best's judgement.
    ref = getattr(reference, "value", None)
    ref = ref if isinstance(ref, dict) else {}
    bad = _held_out(spec, value["preds"], secret, ref.get("preds"))
    return bad or Verdict(True, "train")


def _is_num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _result_problem(k: int, value: dict) -> str | None:
    r = value["result"]
    if k in (11, 13):
        if not (isinstance(r, list) and len(r) == 2 and value.get("returned_module")):
            return "must return a tuple (model, " + ("history)" if k == 11 else "epochs_run)")
        if k == 11:
            h = r[1]
            if not (isinstance(h, dict) and all(isinstance(h.get(key), list) and len(h[key]) == 15
                                                and all(_is_num(x) for x in h[key])
                                                for key in ("train_loss", "val_loss"))):
                return ("history must be a dict with 'train_loss' and 'val_loss' lists of 15 "
                        "floats (one per epoch)")
        elif not isinstance(r[1], int) or isinstance(r[1], bool):
            return f"epochs_run must be an int; found {r[1]!r:.40}"
    if k == 12:
        if not (isinstance(r, list) and len(r) == 5 and all(_is_num(x) for x in r)):
            return "must return a list of 5 fold accuracies (floats)"
        if any(not 0 <= x <= 1 for x in r):
            return "fold accuracies are fractions between 0 and 1"
    if k == 14 and not _is_num(r):
        return f"must return the best validation loss as a float; found {r!r:.40}"
    return None


VALIDATING = (11, 12, 13, 14, 15)  # the variants whose loop validates (5.1.3)


def _mode_problem(k: int, seq: str) -> Verdict | None:
    """A validation pass in the wrong mode. Only variants that validate are asked: a
    ``with torch.no_grad(): print(criterion(model(X), y))`` after another loop is
    logging, and its mode changes nothing the prompt asks for."""
    if k not in VALIDATING:
        return None
    name = f"train_loop_{k}"
    if "f" in seq:
        return Verdict(False, "value", f"{name}: the model ran under no_grad in train mode — "
                                       "call `model.eval()` before validating")
    if "G" in seq:
        return Verdict(False, "value", f"{name}: the model ran in eval mode with gradients on — "
                                       "validate inside `with torch.no_grad():` and call "
                                       "`model.train()` before each training epoch")
    return None


SHUFFLED = frozenset({1})
"""Variants whose prompt asks for a shuffling training DataLoader (``shuffle=True``): the
probe records which rows each training forward saw, and the rows must come in a new order
every epoch (a loader without shuffling, or one order drawn once, repeats it)."""


def _shuffle_problem(k: int, rep: dict, n_train: int) -> Verdict | None:
    batches = [batch for _mi, code, batch in rep["rows"] if code == "F"]
    bad = same_order_problem(split_epochs(batches, n_train), f"train_loop_{k}",
                             "DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)")
    return Verdict(False, "value", bad) if bad else None


def _feature_l2(value, secret, inputs, ctx) -> Verdict | None:
    rep = value["report"]
    seq = rep["seq"]
    K = rep["num"]["K"].tolist()
    totals, norms = K[0::2], K[1::2]
    mse, idx = [], 0
    pending = None
    for c in seq:
        if c in "Ll":
            if c == "L":
                pending = rep["num"]["L"].tolist()[idx]
            idx += 1
        elif c == "K":
            mse.append(pending)
            pending = None
    for total, sq, m in zip(totals, norms, mse, strict=False):
        if m is None:
            continue
        want = m + 0.001 * sq
        if not close(total, want, rtol=1e-4, atol=1e-4):
            return Verdict(False, "value", "train_loop_5: the loss you backpropagate should be "
                                           "`criterion(output, target) + 0.001 * l2_penalty` with "
                                           "l2_penalty = the sum of every parameter squared; "
                                           f"found a total off by {abs(total - want):.3g}")
        # The penalty alone, to float32's rounding of the total: a penalty that leaves
        # out the biases is off by 0.001 * b², under the total's tolerance when b is small.
        if not close(total - m, 0.001 * sq, rtol=1e-3, atol=3e-7 * abs(total)):
            return Verdict(False, "value", "train_loop_5: l2_penalty must sum the squares of "
                                           "every parameter, biases too — `sum(p.pow(2).sum() "
                                           "for p in model.parameters())`; found a penalty of "
                                           f"{total - m:.4g} where that sum gives "
                                           f"{0.001 * sq:.4g}")
    return None


def _feature_nll(value, secret, inputs, ctx) -> Verdict | None:
    info = value["report"]["losses"].get("NLLLoss", {})
    if not at_most(info.get("max_logsumexp", 0.0), 1e-3):
        return Verdict(False, "value", "train_loop_8: NLLLoss expects log-probabilities — apply "
                                       "`nn.LogSoftmax(dim=1)` (or `torch.log_softmax`) to the "
                                       "model's outputs first")
    return None


def _feature_weights(value, secret, inputs, ctx) -> Verdict | None:
    info = value["report"]["losses"].get("CrossEntropyLoss", {})
    w = info.get("weight")
    counts = np.bincount(secret["y_train"], minlength=3).astype(float)
    want = len(secret["y_train"]) / (3 * counts)
    if w is None:
        return Verdict(False, "value", "train_loop_9: pass class weights: "
                                       "`nn.CrossEntropyLoss(weight=weights)`")
    got = np.asarray(w, dtype=np.float64)
    if not close(got, want, rtol=1e-3, atol=0.0):
        return Verdict(False, "value", "train_loop_9: the class weights should be "
                                       "n_samples / (num_classes * count_c) from the training "
                                       "labels, shape (3,)")
    return None


def _val_losses(rep) -> list[float]:
    codes = [c for c in rep["seq"] if c in "Ll"]
    vals = rep["num"]["L"].tolist()
    return [v for c, v in zip(codes, vals, strict=False) if c == "l"]


def _epoch_val_problem(k, rep, epochs, n_val, name: str | None = None) -> Verdict | None:
    name = name or f"train_loop_{k}"
    evals = [int(x) for x in rep["num"]["E"].tolist()]
    if len(evals) != epochs or any(e != n_val for e in evals):
        sizes = sorted(set(evals))
        rows = (f" over {', '.join(map(str, sizes))} rows" if sizes and sizes != [n_val]
                else "")
        more = (" — the training rows? Validate on the validation split only"
                if any(e > n_val for e in evals) else "")
        return Verdict(False, "value", f"{name}: validate once per epoch on all "
                                       f"{n_val} validation rows in one forward pass "
                                       f"(model.eval(), torch.no_grad()); found {len(evals)} "
                                       f"validation passes{rows} for {epochs} epochs{more}")
    if len(_val_losses(rep)) != epochs:
        return Verdict(False, "value", f"{name}: compute the validation loss with the "
                                       "criterion once per epoch")
    return None


def _split_rows_problem(rep: dict, n: int, n_train: int) -> Verdict | None:
    """Variant 11: the training batches hold rows of the first 80% only, the validation pass
    rows of the last 20% only (the prompt fixes which rows go where)."""
    trained = {int(r) for _mi, code, rows in rep["rows"] if code == "F" for r in rows}
    validated = {int(r) for _mi, code, rows in rep["rows"] if code == "E" for r in rows}
    late = {r for r in trained if r >= n_train}
    early = {r for r in validated if 0 <= r < n_train}
    if late or early:
        found = (f"{len(late)} of the last {n - n_train} rows were in training batches"
                 if late else f"{len(early)} of the first {n_train} rows were validated on")
        return Verdict(False, "value", "train_loop_11: train on the first 80% of the rows "
                                       "(X[:int(0.8 * len(X))]) and validate on the last 20% "
                                       f"(X[int(0.8 * len(X)):]); {found}")
    return None


def _feature_split(value, secret, inputs, ctx) -> Verdict | None:
    rep = value["report"]
    bad = _epoch_val_problem(11, rep, 15, secret["n"] - secret["n_train"])
    if bad:
        return bad
    bad = _split_rows_problem(rep, secret["n"], secret["n_train"])
    if bad:
        return bad
    bad = _validated_after_training(rep, secret["n_train"])
    if bad:
        return bad
    hist = value["result"][1]
    if not close(hist["val_loss"], _val_losses(rep), rtol=1e-4, atol=1e-6):
        return Verdict(False, "value", "train_loop_11: history['val_loss'] should hold each "
                                       "epoch's validation loss (criterion on the 20% split)")
    sizes = rep["num"]["F"].tolist()
    losses = _train_losses(rep)
    bad = epoch_means_problem(hist["train_loss"], losses,
                              -(-secret["n_train"] // BATCH_SIZES[11]),
                              "train_loop_11: history['train_loss']",
                              sizes if len(sizes) == len(losses) else None)
    if bad:
        return Verdict(False, "value", bad)
    if not below(hist["train_loss"][-1], hist["train_loss"][0]):
        return Verdict(False, "train", "train_loop_11: the recorded training loss did not fall")
    return None


def _validated_after_training(rep: dict, n_train: int) -> Verdict | None:
    """Variant 11: epoch e's validation pass comes after that epoch's training pass, so
    history['val_loss'][e] is the loss of the model trained e + 1 epochs (validating
    before the epoch's training records the model one epoch behind)."""
    trained, passes = 0, 0
    sizes = iter(rep["num"]["F"].tolist())
    for code in rep["seq"]:
        if code == "F":
            trained += int(next(sizes, 0))
        elif code == "E":
            passes += 1
            if trained != passes * n_train:
                return Verdict(False, "value", "train_loop_11: validate after each epoch's "
                                               f"training pass: validation pass {passes} came "
                                               f"after {trained} training rows, not "
                                               f"{passes * n_train} ({passes} epoch(s) of "
                                               f"{n_train}), so history['val_loss'] is one "
                                               "epoch behind the training")
    return None


#: train_loop_12's second run: the probe calls the loop again with this k.
SECOND_K = 3


def _kfold_rows(report) -> list | None:
    """The (model, code, rows) entries of a k-fold run's report, or None where they are
    not the probe's data (hostile data is malformed, never skipped)."""
    rows = report.get("rows") if isinstance(report, dict) else None
    if not isinstance(rows, list):
        return None
    out = []
    for entry in rows:
        if not (isinstance(entry, list | tuple) and len(entry) == 3
                and isinstance(entry[0], int | float) and not isinstance(entry[0], bool)
                and isinstance(entry[1], str) and isinstance(entry[2], list | tuple)
                and all(isinstance(r, int) and not isinstance(r, bool) for r in entry[2])):
            return None
        out.append((int(entry[0]), entry[1], entry[2]))
    return out


def _folds_problem(run: dict, n: int, k: int, where: str = "", hint: str = "") -> Verdict | None:
    """One k-fold run (``run``: n_models, report, result, fold_accs) against k folds of the
    n rows: k fresh models, k disjoint validation folds covering every row, each model
    trained on the rest, and the returned accuracies the fold models' own."""
    name = f"train_loop_12{where}"
    tail = f" — {hint}" if hint else ""
    n_models = run.get("n_models")
    rows = _kfold_rows(run.get("report"))
    if not isinstance(n_models, int) or isinstance(n_models, bool) or rows is None:
        return Verdict(False, "type", "train_loop_12: unexpected probe data")
    if n_models != k:
        return Verdict(False, "value", f"{name}: build a fresh model with make_model() for "
                                       f"each of the {k} folds; it was called {n_models} "
                                       f"times{tail}")
    val_sets: list[set] = [set() for _ in range(k)]
    train_sets: list[set] = [set() for _ in range(k)]
    for mi, code, batch in rows:
        if not 0 <= mi < k:
            return Verdict(False, "type", "train_loop_12: unexpected probe data")
        (val_sets if code == "E" else train_sets)[mi].update(int(r) for r in batch)
    union = set().union(*val_sets)
    if sum(len(s) for s in val_sets) != n or union != set(range(n)):
        sizes = ", ".join(str(len(s)) for s in val_sets)
        return Verdict(False, "value", f"{name}: the {k} validation folds must be disjoint "
                                       f"and together cover all {n} rows; found folds of "
                                       f"{sizes} rows{tail}")
    for i in range(k):
        if train_sets[i] & val_sets[i] or len(train_sets[i]) + len(val_sets[i]) != n:
            return Verdict(False, "value", f"{name}: fold {i + 1} must train on every row "
                                           f"outside its validation fold, and only on those{tail}")
    got, real = run.get("result"), run.get("fold_accs")
    if not (isinstance(got, list) and len(got) == k and all(_is_num(x) for x in got)):
        count = len(got) if isinstance(got, list) else 0
        return Verdict(False, "value", f"{name}: return the list of the {k} fold accuracies "
                                       f"(floats); found {count} values{tail}")
    if not (isinstance(real, list) and len(real) == k
            and all(r is None or _is_num(r) for r in real)):
        return Verdict(False, "type", "train_loop_12: unexpected probe data")
    # the returned accuracies are the fold models' own on their validation rows
    for i, (g, r) in enumerate(zip(got, real, strict=True), start=1):
        if r is not None and not (finite(g) and close(g, r, rtol=0.0, atol=1e-4)):
            return Verdict(False, "value", f"{name}: return each fold's validation "
                                           "accuracy, the fraction of its rows with "
                                           "(logit > 0) == label (a float in [0, 1]); fold "
                                           f"{i}'s model scores {r:.3f} on its fold, you "
                                           f"returned {float(g):.3f}")
    return None


def _feature_kfold(value, secret, inputs, ctx) -> Verdict | None:
    n = secret["n"]
    bad = _folds_problem(value, n, 5)
    if bad:
        return bad
    # the second run, train_loop_12(make_model, X, y, k=3): the argument must decide the
    # number of folds (a typed-in 5 passed while the loop was only called with k=5)
    k = SECOND_K
    second = value.get("second")
    if not isinstance(second, dict):
        return Verdict(False, "type", "train_loop_12: unexpected probe data")
    return _folds_problem(second, n, k, f" (called with k={k})",
                          "use the k argument, not a typed-in 5")


def _stop_epoch(losses: list[float], patience: int) -> int | None:
    """The epoch after which early stopping ends the run: the first with
    ``patience`` epochs in a row that do not improve (strictly) on the best loss
    so far; None while that has not happened."""
    best, wait = float("inf"), 0
    for e, v in enumerate(losses, start=1):
        if v < best:
            best, wait = v, 0
        else:
            wait += 1
            if wait >= patience:
                return e
    return None


def _early_stop_problem(rep: dict, ran, n_val: int, where: str, patience: int = 3,
                        max_epochs: int = 100, hint: str = "") -> Verdict | None:
    """One early-stopping run against the rule (``patience``, at most ``max_epochs``
    epochs: the prompt's 3 and 100 unless the probe called the loop with others) applied to
    the validation losses it computed; ``hint`` ends the messages of a run's own values."""
    if not isinstance(ran, int) or isinstance(ran, bool):
        return Verdict(False, "type", f"train_loop_13{where}: return (model, epochs_run) with "
                                      f"epochs_run an int; found {ran!r:.40}")
    name = f"train_loop_13{where}"
    tail = f" — {hint}" if hint else ""
    bad = _epoch_val_problem(13, rep, ran, n_val, name)
    if bad:
        return bad
    losses = _val_losses(rep)
    want = _stop_epoch(losses[:max_epochs], patience)
    rule = (f"stop as soon as the validation loss has gone {patience} epoch"
            f"{'s' if patience != 1 else ''} in a row without improving on the best so far "
            "(strictly lower), and reset that count whenever it improves")
    if want is None and ran < max_epochs:
        return Verdict(False, "value", f"{name}: {rule}; you stopped after epoch {ran}, when "
                                       f"only your last {_misses(losses)} epoch(s) had not "
                                       f"improved{tail}")
    if want is None and ran > max_epochs:
        return Verdict(False, "value", f"{name}: stop after max_epochs={max_epochs} at the "
                                       f"latest; you ran {ran}{tail}")
    if want is not None and want != ran:
        return Verdict(False, "value", f"{name}: {rule}; your validation losses call for "
                                       f"stopping after epoch {want}, you ran {ran}{tail}")
    return None


#: train_loop_13's second runs: (patience, max_epochs) of the probe's two more calls — one
#: where patience decides the stop, one where max_epochs does (10 epochs without
#: improvement cannot happen within 3).
SECOND_EARLY = {"patience": (1, 100), "max_epochs": (10, 3)}


def _second_early_problem(value: dict, n_val: int) -> Verdict | None:
    second = value.get("second")
    if not (isinstance(second, dict) and set(SECOND_EARLY) <= set(second)):
        return Verdict(False, "type", "train_loop_13: unexpected probe data")
    for arg, (patience, max_epochs) in SECOND_EARLY.items():
        run = second[arg]
        r = run.get("result") if isinstance(run, dict) else None
        rep = run.get("report") if isinstance(run, dict) else None
        if not (isinstance(rep, dict) and _report_ok(rep)):
            return Verdict(False, "type", "train_loop_13: unexpected probe data")
        if not (isinstance(r, list) and len(r) == 2):
            return Verdict(False, "type", "train_loop_13: must return a tuple (model, "
                                          "epochs_run)")
        typed = 3 if arg == "patience" else 100
        bad = _early_stop_problem(rep, r[1], n_val,
                                  f" (called with patience={patience}, "
                                  f"max_epochs={max_epochs})", patience, max_epochs,
                                  f"use the {arg} argument, not a typed-in {typed}")
        if bad:
            return bad
    return None


def _report_ok(rep: dict) -> bool:
    """Whether a run's report has the probe's shape (what _val_losses and
    _epoch_val_problem read): an event string and 1-d number tensors E and L."""
    num = rep.get("num")
    return (isinstance(rep.get("seq"), str) and isinstance(num, dict)
            and all(isinstance(num.get(c), torch.Tensor) and num[c].dim() == 1 for c in "EL"))


def _misses(losses: list[float]) -> int:
    """How many epochs at the end of a curve did not improve on the best before them."""
    best, wait = float("inf"), 0
    for v in losses:
        best, wait = (v, 0) if v < best else (best, wait + 1)
    return wait


def _feature_early(value, secret, inputs, ctx) -> Verdict | None:
    bad = _early_stop_problem(value["report"], value["result"][1], secret["n_val"], "")
    if bad:
        return bad
    # the spare data sets the probe ran the loop on, while no curve showed a miss
    # followed by an improvement (see _EARLY_SPARES)
    runs = value.get("extra") or []
    curves = [_val_losses(value["report"])]
    for i, run in enumerate(runs, start=1):
        if _informative(curves[-1]):
            return Verdict(False, "type", "train_loop_13: unexpected probe data")
        r = run.get("result")
        if not (isinstance(r, list) and len(r) == 2):
            return Verdict(False, "type", "train_loop_13: must return a tuple (model, epochs_run)")
        bad = _early_stop_problem(run["report"], r[1], secret["n_val"],
                                  f" (on another data set, run {i + 1})")
        if bad:
            return bad
        curves.append(_val_losses(run["report"]))
    if not _informative(curves[-1]) and len(runs) < len(inputs.get("extra", [])):
        return Verdict(False, "type", "train_loop_13: unexpected probe data")
    # the loop again with other values: patience=1, then max_epochs=3 (typed-in 3 and 100
    # passed while it was only called with the defaults)
    return _second_early_problem(value, secret["n_val"])


def _feature_best(value, secret, inputs, ctx) -> Verdict | None:
    rep = value["report"]
    bad = _epoch_val_problem(14, rep, 20, 128)
    if bad:
        return bad
    saved = value.get("saved")
    if not saved:
        return Verdict(False, "value", "train_loop_14: save the best model with "
                                       "`torch.save(model.state_dict(), path)`; no file was "
                                       "written at `path`")
    if "error" in saved:
        return Verdict(False, "value", f"train_loop_14: the saved file could not be loaded into "
                                       f"the model: {saved['error']}")
    best = min(_val_losses(rep))
    if not close(saved["val_loss"], best, rtol=1e-4, atol=1e-6):
        return Verdict(False, "value", "train_loop_14: the saved weights are not those of the "
                                       "epoch with the lowest validation loss — save whenever "
                                       "the validation loss improves")
    if not close(value["result"], best, rtol=1e-4, atol=1e-6):
        return Verdict(False, "value", "train_loop_14: return the best validation loss")
    return None


def _feature_plateau(value, secret, inputs, ctx) -> Verdict | None:
    rep = value["report"]
    bad = _epoch_val_problem(15, rep, 20, 128)
    if bad:
        return bad
    sched = rep["sched"]
    if len(sched) != 20:
        return Verdict(False, "api", "train_loop_15: create `optim.lr_scheduler.ReduceLROnPlateau"
                                     "(optimizer, mode='min', factor=0.5, patience=2)` and call "
                                     f"`scheduler.step(val_loss)` once per epoch; found "
                                     f"{len(sched)} calls")
    if any(s[1] != 0.5 or s[2] != 2 for s in sched):
        return Verdict(False, "api", "train_loop_15: use factor=0.5 and patience=2")
    for s in sched:
        setting = _plateau_setting(s[4] if len(s) > 4 else None)
        if setting:
            return Verdict(False, "api", "train_loop_15: create the scheduler as the prompt "
                                         "gives it, `ReduceLROnPlateau(optimizer, mode='min', "
                                         "factor=0.5, patience=2)`, its other settings at their "
                                         f"defaults; found {setting}")
    losses = _val_losses(rep)
    if not close([s[0] for s in sched], losses, rtol=1e-4, atol=1e-6):
        return Verdict(False, "value", "train_loop_15: step the scheduler with each epoch's "
                                       "validation loss")
    # the learning rate each epoch's steps used, per the scheduler fed those losses
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.01)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)
    want = []
    for v in losses:
        want.append(opt.param_groups[0]["lr"])
        plateau.step(v)
    lrs, idx, epoch = rep["num"]["S"].tolist(), 0, 0
    for c in rep["seq"]:
        if c == "S":
            if epoch < len(want) and not close(lrs[idx], want[epoch], rtol=1e-6, atol=0.0):
                return Verdict(False, "value", f"train_loop_15: epoch {epoch + 1} trained with "
                                               f"lr {lrs[idx]:g}; the plateau schedule gives "
                                               f"{want[epoch]:g}")
            idx += 1
        elif c == "l":
            epoch += 1
    return None


def _plateau_setting(got: dict | None) -> str | None:
    """The first of a ReduceLROnPlateau's settings (besides factor and patience)
    that differs from the prompt's (mode='min') and the defaults."""
    if not isinstance(got, dict):
        return "no settings recorded"
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)
    want = {"mode": ref.mode, "threshold": ref.threshold, "threshold_mode": ref.threshold_mode,
            "cooldown": ref.cooldown, "min_lr": [float(v) for v in ref.min_lrs], "eps": ref.eps}
    for key, w in want.items():
        g = got.get(key)
        same = g == w if isinstance(w, str) else (g is not None and close(g, w, rtol=1e-9,
                                                                         atol=0.0))
        if not same:
            return f"{key}={g!r} (want {w!r})"
    return None


def _feature_clip(value, secret, inputs, ctx) -> Verdict | None:
    norms = value["report"]["num"]["R"].tolist()
    if not norms or not all(at_most(v, 1.0 + 1e-3) for v in norms):
        top = max(norms) if norms else float("nan")
        return Verdict(False, "value", "train_loop_16: clip the gradients with "
                                       "`torch.nn.utils.clip_grad_norm_(model.parameters(), "
                                       "max_norm=1.0)` after backward() and before step(); "
                                       f"an update used gradient norm {top:.3g}")
    if not at_least(max(norms), 0.99):
        return Verdict(False, "value", "train_loop_16: clip at max_norm=1.0 (your gradient norms "
                                       f"never reached 1; the largest was {max(norms):.3g})")
    return None


def _calls(source: str) -> set[str]:
    """The bare names called in the source (``scale``, ``GradScaler``): the calls
    of :func:`source_calls`, without its dotted forms and attribute reads."""
    return {c.removeprefix(".") for c in source_calls(source)
            if not c.startswith("@") and "." not in c.removeprefix(".")}


def _feature_amp(value, secret, inputs, ctx) -> Verdict | None:
    calls = _calls(ctx.source_text)
    missing = [c for c in ("autocast", "GradScaler", "scale") if c not in calls]
    if missing:
        return Verdict(False, "api", "train_loop_17: mixed precision needs `torch.autocast(...)` "
                                     "around the forward pass and a `torch.amp.GradScaler` "
                                     "(`scaler.scale(loss).backward()`, `scaler.step(optimizer)`, "
                                     f"`scaler.update()`); missing: {', '.join(missing)}")
    steps = sum(o.get("steps", 0) for o in value["report"]["optim"])
    scaler = value["report"].get("scaler") or {}
    if scaler.get("step", 0) < steps:  # (a step the scaler skips on inf is no update)
        return Verdict(False, "api", "train_loop_17: step through the scaler: "
                                     "`scaler.step(optimizer)` (it unscales the gradients, then "
                                     "steps the optimizer), never `optimizer.step()` itself, "
                                     "which applies the scaled gradients; "
                                     f"{scaler.get('step', 0)} of the {steps} updates went "
                                     "through scaler.step")
    dtypes = value["report"]["out_dtypes"]
    if not {"bfloat16", "float16"} & set(dtypes):
        return Verdict(False, "value", "train_loop_17: the forward pass did not run in reduced "
                                       "precision — use `torch.autocast(device_type, "
                                       "dtype=torch.bfloat16)` on CPU (float16 on CUDA); "
                                       f"outputs were {', '.join(dtypes) or 'none'}")
    if value.get("device") == "cpu" and "bfloat16" not in dtypes:
        return Verdict(False, "value", "train_loop_17: on CPU autocast to torch.bfloat16 (the "
                                       "prompt: float16 on CUDA, bfloat16 on CPU) — pick the "
                                       "dtype from the device, e.g. `torch.bfloat16 if "
                                       "device.type == 'cpu' else torch.float16`")
    return None


def _replay_sgd(theta: torch.Tensor, X: torch.Tensor, y: torch.Tensor,
                batch: int) -> torch.Tensor:
    """Variant 18's expected weights: plain SGD (lr 0.05, MSE) on batches of ``batch`` rows
    in order, 5 epochs, from the flat start ``theta`` (W then b of nn.Linear(10, 1))."""
    W, b = theta[:10].reshape(1, 10), theta[10:11]
    for _ in range(5):
        for i in range(0, len(X), batch):
            xb, yb = X[i:i + batch], y[i:i + batch]
            err = xb @ W.T + b - yb
            gW = 2 * err.T @ xb / len(xb)
            gb = 2 * err.sum(0) / len(xb)
            W, b = W - 0.05 * gW, b - 0.05 * gb
    return torch.cat([W.reshape(-1), b.reshape(-1)])


def _max_diff(got, want: torch.Tensor) -> float:
    same = isinstance(got, torch.Tensor) and got.shape == want.shape
    return float((got.double() - want).abs().max()) if same else float("nan")


#: Variant 18's second run: the probe calls the loop again with this accumulation_steps.
SECOND_ACCUMULATION = 2


def _feature_accumulate(value, secret, inputs, ctx) -> Verdict | None:
    X, y = (a.double() for a in inputs["args"][:2])
    want = _replay_sgd(value["init"].clone().double(), X, y, 32)
    got = value["final"]
    if not same_update(value["init"], got, want):
        diff = _max_diff(got, want)
        return Verdict(False, "value", "train_loop_18: 4 accumulated micro-batches of 8 (loss "
                                       "divided by accumulation_steps, no shuffling) must update "
                                       "the weights exactly like plain SGD on batches of 32; "
                                       f"your final weights differ by up to {diff:.3g}")
    seq = value["report"]["seq"]
    if seq.count("S") != 50:
        return Verdict(False, "value", "train_loop_18: expected 50 optimizer steps (10 per "
                                       f"epoch); found {seq.count('S')}")
    # the second run, train_loop_18(model, X, y, accumulation_steps=2): the argument must
    # decide both the loss scale and when to step (= plain SGD on batches of 16)
    steps = SECOND_ACCUMULATION
    second = value.get("second")
    init2 = second.get("init") if isinstance(second, dict) else None
    final2 = second.get("final") if isinstance(second, dict) else None
    seq2 = second.get("seq") if isinstance(second, dict) else None
    if not (isinstance(init2, torch.Tensor) and init2.shape == want.shape
            and isinstance(final2, torch.Tensor) and isinstance(seq2, str)):
        return Verdict(False, "type", "train_loop_18: unexpected probe data")
    want2 = _replay_sgd(init2.double(), X, y, 8 * steps)
    hint = ("use the argument: divide the loss by `accumulation_steps` and step when "
            "`(batch_idx + 1) % accumulation_steps == 0`, not a typed-in 4")
    if not same_update(init2, final2, want2):
        return Verdict(False, "value", f"train_loop_18: called with accumulation_steps={steps}, "
                                       f"your loop must update like plain SGD on batches of "
                                       f"{8 * steps}; its final weights differ by up to "
                                       f"{_max_diff(final2, want2):.3g} — {hint}")
    expected = 5 * (len(X) // (8 * steps))
    if seq2.count("S") != expected:
        return Verdict(False, "value", f"train_loop_18: called with accumulation_steps={steps}, "
                                       f"expected {expected} optimizer steps; found "
                                       f"{seq2.count('S')} — {hint}")
    return None


def _feature_curriculum(value, secret, inputs, ctx) -> Verdict | None:
    order = [int(i) for i in secret["order"]]
    n = len(order)
    rows = [r for _mi, code, batch in value["report"]["rows"] if code == "F" for r in batch]
    plan = [int(0.4 * n)] * 3 + [int(0.7 * n)] * 3 + [n] * 3
    if len(rows) != sum(plan):
        return Verdict(False, "value", "train_loop_19: 9 epochs over the easiest 40%, 40%, 40%, "
                                       f"70%, 70%, 70%, 100%, 100%, 100% of the rows are "
                                       f"{sum(plan)} samples; your model saw {len(rows)}")
    start = 0
    for e, size in enumerate(plan, start=1):
        seen = rows[start:start + size]
        start += size
        if sorted(seen) != sorted(order[:size]):
            return Verdict(False, "value", f"train_loop_19: epoch {e} should use exactly the "
                                           f"{size} easiest rows (lowest difficulty), each once")
    return None


def _feature_multitask(value, secret, inputs, ctx) -> Verdict | None:
    rep = value["report"]
    names, vals = rep["lnames"], rep["num"]["L"].tolist()
    K = rep["num"]["K"].tolist()[0::2]
    pending: dict[str, float] = {}
    li = ki = 0
    for c in rep["seq"]:
        if c in "Ll":
            pending[names[li]] = vals[li]
            li += 1
        elif c == "K":
            if "MSELoss" not in pending or "CrossEntropyLoss" not in pending:
                return Verdict(False, "api", "train_loop_20: each backward pass needs both task "
                                             "losses: nn.MSELoss for the regression head and "
                                             "nn.CrossEntropyLoss for the class head")
            want = 1.0 * pending["MSELoss"] + 0.5 * pending["CrossEntropyLoss"]
            if not close(K[ki], want, rtol=1e-4, atol=1e-4):
                return Verdict(False, "value", "train_loop_20: backpropagate "
                                               "1.0 * regression loss + 0.5 * classification loss; "
                                               f"your total is off by {abs(K[ki] - want):.3g}")
            ki += 1
            pending = {}
    return None


_FEATURES = {16: _feature_clip, 17: _feature_amp, 18: _feature_accumulate,
             19: _feature_curriculum, 20: _feature_multitask, 5: _feature_l2, 8: _feature_nll,
             9: _feature_weights, 11: _feature_split,
             12: _feature_kfold, 13: _feature_early, 14: _feature_best, 15: _feature_plateau}
