"""Week 5 (training loops): trusted side of the checks of Exercise 5.1's 20 loops.

Every loop is one ``python`` check with ``check_kind: train``. The grader
builds the model (seeded, so learner and reference start from the same
weights), the sandbox runs ``train_loop_k(model, ...)`` under the
instruments of :mod:`curriculum.lib.week5_probe`, and this module judges:

1. the five-step pattern in order (AST of ``train_loop_k``),
2. the optimizer class and learning rate, the loss module, the epochs
   (samples seen in train mode = epochs x training rows),
3. gradients really reset: the first backward after every optimizer step
   starts from zeroed gradients,
4. the parameters moved, the training loss fell, and the trained model's
   predictions on hidden test inputs reach the variant's metric against
   labels that never enter the sandbox (``Hidden`` secret),
5. the variant's own feature (validation under eval/no_grad, k-fold
   partition, early stop, best-model file, ReduceLROnPlateau, clipping,
   autocast, accumulation = large batch, curriculum order, loss weights).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from curriculum.lib.week5_probe import PROBE
from grader.checks.base import Hidden, Verdict

__all__ = ["PROBE", "VARIANTS", "judge_variant", "make_inputs", "pattern_problem"]

BIN_MLP = ("seq", [("linear", 2, 10), ("relu",), ("linear", 10, 1)])


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
    seed_lr: float | None = None
    kwargs: dict = field(default_factory=dict)


VARIANTS: dict[int, Spec] = {s.k: s for s in [
    Spec(1, "Adam", 0.05, "MSELoss", 10, ("seq", [("linear", 1, 1)]), "line", 384, "r2", 0.95,
         seed_lr=0.001),
    Spec(2, "SGD", 0.01, "MSELoss", 15, ("seq", [("linear", 3, 1)]), "poly", 480, "r2", 0.6),
    Spec(3, "RMSprop", 0.01, "MSELoss", 20, ("seq", [("linear", 8, 3)]), "multi", 256, "r2", 0.9,
         seed_lr=0.0005),
    Spec(4, "Adam", 0.02, "L1Loss", 12, ("seq", [("linear", 4, 1)]), "robust", 384, "r2", 0.9,
         seed_lr=0.002),
    Spec(5, "AdamW", 0.01, "MSELoss", 25, ("seq", [("linear", 10, 1)]), "ridge", 192, "r2", 0.9,
         seed_lr=0.001),
    Spec(6, "Adam", 0.01, "BCEWithLogitsLoss", 15, BIN_MLP, "blobs", 384, "acc", 0.85,
         seed_lr=0.001),
    Spec(7, "SGD", 0.01, "CrossEntropyLoss", 10, ("seq", [("linear", 20, 10)]), "clusters", 320,
         "acc", 0.65),
    Spec(8, "Adam", 0.001, "NLLLoss", 10, ("seq", [("flatten",), ("linear", 64, 32), ("relu",),
                                                   ("linear", 32, 10)]), "digits", 320, "acc", 0.8),
    Spec(9, "Adam", 0.005, "CrossEntropyLoss", 10, ("seq", [("linear", 4, 3)]), "imbalanced", 320,
         "bal_acc", 0.7, seed_lr=0.0005),
    Spec(10, "AdamW", 0.01, "BCEWithLogitsLoss", 10, ("seq", [("linear", 6, 5)]), "multilabel",
         320, "label_acc", 0.85, seed_lr=0.001),
    Spec(11, "Adam", 0.01, "BCEWithLogitsLoss", 15, BIN_MLP, "split", 400, "acc", 0.85),
    Spec(12, "Adam", 0.01, "BCEWithLogitsLoss", 50, BIN_MLP, "kfold", 240, "acc", 0.7,
         kwargs={"k": 5}),
    Spec(13, "Adam", 0.01, "BCEWithLogitsLoss", None, BIN_MLP, "noisyval", 256, "acc", 0.8,
         kwargs={"patience": 3, "max_epochs": 100}),
    Spec(14, "Adam", 0.01, "BCEWithLogitsLoss", 20, BIN_MLP, "noisyval", 256, "acc", 0.75),
    Spec(15, "Adam", 0.01, "BCEWithLogitsLoss", 20, BIN_MLP, "noisyval", 256, "acc", 0.85),
    Spec(16, "Adam", 0.05, "MSELoss", 10, ("seq", [("linear", 10, 1)]), "bigreg", 320, "r2", 0.9),
    Spec(17, "Adam", 0.01, "CrossEntropyLoss", 10, ("seq", [("linear", 16, 32), ("relu",),
                                                           ("linear", 32, 4)]),
         "amp", 320, "acc", 0.8),
    Spec(18, "SGD", 0.05, "MSELoss", 5, ("seq", [("linear", 10, 1)]), "ridge", 320, "r2", 0.8),
    Spec(19, "Adam", 0.01, "CrossEntropyLoss", None, ("seq", [("linear", 4, 16), ("relu",),
                                                             ("linear", 16, 3)]),
         "curriculum", 300, "acc", 0.8),
    Spec(20, "Adam", 0.01, "MSELoss", 10, ("twohead", 10, 32, 3), "multitask", 320, "multi",
         0.7),
]}


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------

def _f32(a) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def _regression(rng, kind: str, n: int, m: int = 200):
    def draw(count):
        if kind == "line":
            x = rng.standard_normal((count, 1))
            return x, 2 * x + 1
        if kind == "poly":
            x = rng.uniform(-2, 2, (count, 1))
            return np.hstack([x, x ** 2, x ** 3]), None
        raise ValueError(kind)

    if kind == "line":
        X, y = draw(n)
        y = y + 0.1 * rng.standard_normal((n, 1))
        Xt, yt = draw(m)
        return X, y, Xt, yt
    if kind == "poly":
        coef = np.array([[rng.uniform(-1, 1)], [rng.uniform(-0.5, 0.5)], [rng.uniform(0.2, 0.5)]])
        b = rng.uniform(-1, 1)
        X, _ = draw(n)
        Xt, _ = draw(m)
        return X, X @ coef + b + 0.1 * rng.standard_normal((n, 1)), Xt, Xt @ coef + b
    d, o = {"multi": (8, 3), "robust": (4, 1), "ridge": (10, 1), "bigreg": (10, 1)}[kind]
    W = rng.uniform(-1, 1, (d, o)) * (3 if kind == "bigreg" else 1)
    b = rng.uniform(-1, 1, (1, o))
    X = rng.standard_normal((n, d))
    Xt = rng.standard_normal((m, d))
    y = X @ W + b + 0.1 * rng.standard_normal((n, o))
    if kind == "robust":  # 10% gross outliers in the training targets only
        idx = rng.choice(n, n // 10, replace=False)
        y[idx] += rng.choice([-1, 1], (len(idx), 1)) * rng.uniform(10, 20, (len(idx), 1))
    return X, y, Xt, Xt @ W + b


def _classification(rng, kind: str, n: int, m: int = 300):
    if kind == "blobs":
        u = rng.standard_normal(2)
        u = 2.0 * u / np.linalg.norm(u)
        c = rng.standard_normal(2)

        def draw(count):
            y = rng.integers(0, 2, count)
            return c + np.where(y[:, None] == 1, u, -u) + rng.standard_normal((count, 2)), y
        X, y = draw(n)
        Xt, yt = draw(m)
        return X, y.reshape(-1, 1).astype(np.float32), Xt, yt
    if kind in ("clusters", "digits", "imbalanced", "amp", "curriculum"):
        C, d = {"clusters": (10, 20), "digits": (10, 64), "imbalanced": (3, 4), "amp": (4, 16),
                "curriculum": (3, 4)}[kind]
        if kind == "digits":
            means = (rng.random((C, d)) > 0.5).astype(float)
            noise = 0.4
        elif kind == "clusters":
            means = rng.standard_normal((C, d))
            noise = 0.4
        else:
            q, _ = np.linalg.qr(rng.standard_normal((d, d)))
            means = 4.0 * q[:C]
            noise = 1.0
        probs = [0.8, 0.15, 0.05] if kind == "imbalanced" else None

        def draw(count, probs=probs):
            y = rng.choice(C, count, p=probs)
            return means[y] + noise * rng.standard_normal((count, d)), y
        X, y = draw(n)
        if kind == "imbalanced":
            y[:3] = [0, 1, 2]  # every class occurs in training
            X[:3] = means[:3] + noise * rng.standard_normal((3, d))
            Xt, yt = draw(m, None)  # balanced test set
        else:
            Xt, yt = draw(m)
        if kind == "digits":
            X, Xt = X.reshape(-1, 1, 8, 8), Xt.reshape(-1, 1, 8, 8)
        return X, y.astype(np.int64), Xt, yt
    if kind == "multilabel":
        W = rng.standard_normal((6, 5))
        b = 0.3 * rng.standard_normal(5)
        X = rng.standard_normal((n, 6))
        Xt = rng.standard_normal((m, 6))
        return X, (X @ W + b > 0).astype(np.float32), Xt, (Xt @ W + b > 0).astype(np.int64)
    raise ValueError(kind)


def _labels(y) -> torch.Tensor:
    a = np.asarray(y)
    return torch.from_numpy(a.astype(np.int64)) if a.dtype.kind in "iu" else _f32(a)


def make_inputs(k: int, rng: np.random.Generator) -> Hidden:
    spec = VARIANTS[k]
    init_seed = int(rng.integers(0, 2**31 - 1))
    secret: dict = {"k": k}
    inputs: dict = {"k": k, "model": spec.model, "init_seed": init_seed,
                    "kwargs": dict(spec.kwargs), "sqnorm": k == 5}
    inputs["cuda"] = k == 17
    if spec.metric == "r2":
        X, y, Xt, yt = _regression(rng, spec.data, spec.n)
        inputs["args"] = [_f32(X), _f32(y)]
        inputs["X_test"] = _f32(Xt)
        secret["y_test"] = np.asarray(yt, dtype=np.float64)
        secret["n_train"] = spec.n
    elif spec.data in ("blobs", "clusters", "digits", "imbalanced", "multilabel", "amp",
                       "curriculum"):
        X, y, Xt, yt = _classification(rng, spec.data, spec.n)
        inputs["args"] = [_f32(X), _labels(y)]
        inputs["X_test"] = _f32(Xt)
        secret["y_test"] = np.asarray(yt)
        secret["n_train"] = spec.n
        secret["y_train"] = np.asarray(y)
        if spec.data == "curriculum":
            means = np.stack([X[y == c].mean(0) if (y == c).any() else X.mean(0)
                              for c in range(3)])
            difficulty = np.linalg.norm(X - means[y], axis=1) + 1e-3 * rng.random(len(y))
            inputs["args"].append(_f32(difficulty))
            inputs["track_rows"] = True
            secret["order"] = np.argsort(np.asarray(difficulty, dtype=np.float32), kind="stable")
    elif spec.data in ("split", "kfold"):
        X, y, Xt, yt = _classification(rng, "blobs", spec.n)
        inputs["args"] = [_f32(X), _f32(y)]
        inputs["X_test"] = _f32(Xt)
        inputs["track_rows"] = spec.data == "kfold"
        secret["y_test"] = np.asarray(yt)
        secret["n"] = spec.n
        secret["n_train"] = int(0.8 * spec.n)
    elif spec.data == "noisyval":
        X, y, Xt, yt = _classification(rng, "blobs", spec.n + 128)
        y = y.copy()
        flip = rng.random(128) < 0.15  # a noisy validation set: its loss turns back up
        y[spec.n:][flip] = 1 - y[spec.n:][flip]
        inputs["args"] = [_f32(X[:spec.n]), _f32(y[:spec.n]), _f32(X[spec.n:]), _f32(y[spec.n:])]
        inputs["X_test"] = _f32(Xt)
        secret["y_test"] = np.asarray(yt)
        secret["n_train"] = spec.n
    elif spec.data == "multitask":
        w = rng.uniform(-1, 1, (10, 1))
        V = rng.standard_normal((10, 3))
        X = rng.standard_normal((spec.n, 10))
        Xt = rng.standard_normal((200, 10))
        y_reg = X @ w + 0.1 * rng.standard_normal((spec.n, 1))
        inputs["args"] = [_f32(X), _f32(y_reg), torch.from_numpy((X @ V).argmax(1))]
        inputs["X_test"] = _f32(Xt)
        secret["y_test"] = (Xt @ w, (Xt @ V).argmax(1))
        secret["n_train"] = spec.n
    return Hidden(inputs=inputs, secret=secret)


# ---------------------------------------------------------------------------
# the five-step pattern (AST)
# ---------------------------------------------------------------------------

def _fn_def(tree: ast.AST, name: str) -> ast.FunctionDef | None:
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            found = node
    return found


def _attr_calls(node: ast.AST, attr: str) -> list[ast.Call]:
    return [c for c in ast.walk(node) if isinstance(c, ast.Call)
            and isinstance(c.func, ast.Attribute) and c.func.attr == attr]


def _pos(node: ast.AST) -> tuple[int, int]:
    return (node.lineno, node.col_offset)


def _receiver(call: ast.Call) -> str:
    try:
        return ast.unparse(call.func.value)
    except Exception:
        return ""


def pattern_problem(source: str, name: str, accumulate: bool = False) -> str | None:
    """None when ``name`` holds the five-step pattern in order; else what is wrong."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "could not parse your code"
    fn = _fn_def(tree, name)
    if fn is None:
        return f"define a function `{name}`"
    loops = [n for n in ast.walk(fn) if isinstance(n, ast.For | ast.While)
             and _attr_calls(n, "backward")]
    if not loops:
        return (f"`{name}` needs a training loop (`for ... in dataloader:`) that calls "
                "`loss.backward()`")
    loop = min(loops, key=lambda n: sum(1 for _ in ast.walk(n)))  # innermost
    backward = min(_attr_calls(loop, "backward"), key=_pos)
    steps = [c for c in _attr_calls(loop, "step") if "sched" not in _receiver(c).lower()
             and _pos(c) > _pos(backward)]
    zero = _attr_calls(fn, "zero_grad")
    order = "optimizer.zero_grad() → output = model(data) → loss = criterion(output, target) " \
            "→ loss.backward() → optimizer.step()"
    if not zero:
        return f"the five-step pattern needs `optimizer.zero_grad()` ({order})"
    if not steps:
        return f"call `optimizer.step()` after `loss.backward()` in the loop ({order})"
    if accumulate:
        step = steps[0]
        in_if = any(isinstance(n, ast.If) and step in list(ast.walk(n)) for n in ast.walk(loop))
        if not in_if:
            return ("with gradient accumulation, `optimizer.step()` and `optimizer.zero_grad()` "
                    "go inside `if (batch_idx + 1) % accumulation_steps == 0:`")
        return None
    loop_zero = [z for z in _attr_calls(loop, "zero_grad") if _pos(z) < _pos(backward)]
    if not loop_zero:
        return f"call `optimizer.zero_grad()` in the loop, before the forward pass ({order})"
    z = max(loop_zero, key=_pos)
    between = [c for c in ast.walk(loop) if isinstance(c, ast.Call)
               and _pos(z) < _pos(c) < _pos(backward)
               and isinstance(c.func, ast.Name | ast.Attribute)
               and c not in loop_zero]
    if not between:
        return f"the forward pass and the loss go between zero_grad() and backward() ({order})"
    return None


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


def _first_backward_after_steps_clean(seq: str) -> bool:
    pending = False
    for c in seq:
        if c == "S":
            pending = True
        elif c in "Bb" and pending:
            if c == "b":
                return False
            pending = False
    return True


def _common(k: int, value: dict, secret: dict, ctx, epochs: int | None = None,
            n_train: int | None = None) -> Verdict | None:
    spec = VARIANTS[k]
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
    if not math.isclose(opt["initial_lr"], spec.lr, rel_tol=1e-6):
        return Verdict(False, "api", f"{name}: the learning rate should be {spec.lr:g}; found "
                                     f"{opt['initial_lr']:g}")
    if spec.loss not in rep["losses"]:
        used = ", ".join(sorted(rep["losses"])) or "no loss module"
        return Verdict(False, "api", f"{name}: compute the loss with `nn.{spec.loss}()`; found "
                                     f"{used}")
    seen = int(sum(rep["num"]["F"].tolist()))
    epochs = spec.epochs if epochs is None else epochs
    n_train = secret.get("n_train") if n_train is None else n_train
    if epochs is not None and n_train and seen != epochs * n_train:
        return Verdict(False, "value", f"{name}: train for {epochs} epochs over all "
                                       f"{n_train} training rows ({epochs * n_train} samples in "
                                       f"train mode); your model saw {seen}")
    if not _first_backward_after_steps_clean(rep["seq"]):
        return Verdict(False, "train", f"{name}: gradients were not reset between updates — "
                                       "call `optimizer.zero_grad()` before each backward pass")
    if value.get("changed", 1.0) == 0.0:
        return Verdict(False, "train", f"{name}: the model's parameters never changed")
    losses = _train_losses(rep)
    # k-fold restarts the loss with every fold; variant 4's gross outliers keep
    # its L1 loss high however well the clean rows fit (held-out R² judges it).
    if len(losses) >= 10 and k not in (4, 12):
        tenth = max(1, len(losses) // 10)
        first, last = np.mean(losses[:tenth]), np.mean(losses[-tenth:])
        if not last < 0.95 * first:
            return Verdict(False, "train", f"{name}: the training loss did not fall (first "
                                           f"batches ≈ {first:.3g}, last ≈ {last:.3g})")
    return None


def _held_out(k: int, preds, secret) -> Verdict | None:
    spec = VARIANTS[k]
    score, label = _metric(spec.metric, preds, secret)
    if not np.isfinite(score):
        return Verdict(False, "shape" if "shape" in label else "train", f"train_loop_{k}: {label}")
    if score < spec.threshold:
        return Verdict(False, "train", f"train_loop_{k}: the trained model reaches {label} "
                                       f"{score:.3f} on held-out data; at least "
                                       f"{spec.threshold:g} is needed")
    return None


def judge_variant(k: int, learner, reference, inputs, ctx) -> Verdict:
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
    bad = _common(k, value, secret, ctx, epochs=epochs)
    if bad:
        return bad
    extra = _FEATURES.get(k)
    if extra:
        bad = extra(value, secret, inputs, ctx)
        if bad:
            return bad
    if k == 12:
        for i, preds in enumerate(value["preds"], start=1):
            bad = _held_out(k, preds, secret)
            if bad:
                return Verdict(False, "train", f"fold {i}: {bad.message}")
        return Verdict(True, "train")
    preds = value["preds"]
    if k == 14:
        preds = value["saved"]["preds"]
    bad = _held_out(k, preds, secret)
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


def _mode_problem(k: int, seq: str) -> Verdict | None:
    name = f"train_loop_{k}"
    if "f" in seq:
        return Verdict(False, "value", f"{name}: the model ran under no_grad in train mode — "
                                       "call `model.eval()` before validating")
    if "G" in seq:
        return Verdict(False, "value", f"{name}: the model ran in eval mode with gradients on — "
                                       "validate inside `with torch.no_grad():` and call "
                                       "`model.train()` before each training epoch")
    return None


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
        if abs(total - want) > 1e-4 * max(1.0, abs(want)):
            return Verdict(False, "value", "train_loop_5: the loss you backpropagate should be "
                                           "`criterion(output, target) + 0.001 * l2_penalty` with "
                                           "l2_penalty = the sum of every parameter squared; "
                                           f"found a total off by {abs(total - want):.3g}")
    return None


def _feature_nll(value, secret, inputs, ctx) -> Verdict | None:
    info = value["report"]["losses"].get("NLLLoss", {})
    if info.get("max_logsumexp", 0.0) > 1e-3:
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
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-3):
        return Verdict(False, "value", "train_loop_9: the class weights should be "
                                       "n_samples / (num_classes * count_c) from the training "
                                       "labels, shape (3,)")
    return None


def _val_losses(rep) -> list[float]:
    codes = [c for c in rep["seq"] if c in "Ll"]
    vals = rep["num"]["L"].tolist()
    return [v for c, v in zip(codes, vals, strict=False) if c == "l"]


def _epoch_val_problem(k, rep, epochs, n_val) -> Verdict | None:
    evals = [int(x) for x in rep["num"]["E"].tolist()]
    if len(evals) != epochs or any(e != n_val for e in evals):
        return Verdict(False, "value", f"train_loop_{k}: validate once per epoch on all "
                                       f"{n_val} validation rows in one forward pass "
                                       f"(model.eval(), torch.no_grad()); found {len(evals)} "
                                       f"validation passes for {epochs} epochs")
    if len(_val_losses(rep)) != epochs:
        return Verdict(False, "value", f"train_loop_{k}: compute the validation loss with the "
                                       "criterion once per epoch")
    return None


def _feature_split(value, secret, inputs, ctx) -> Verdict | None:
    rep = value["report"]
    bad = _epoch_val_problem(11, rep, 15, secret["n"] - secret["n_train"])
    if bad:
        return bad
    hist = value["result"][1]
    if not np.allclose(hist["val_loss"], _val_losses(rep), rtol=1e-4, atol=1e-6):
        return Verdict(False, "value", "train_loop_11: history['val_loss'] should hold each "
                                       "epoch's validation loss (criterion on the 20% split)")
    if not hist["train_loss"][-1] < hist["train_loss"][0]:
        return Verdict(False, "train", "train_loop_11: the recorded training loss did not fall")
    return None


def _feature_kfold(value, secret, inputs, ctx) -> Verdict | None:
    if value["n_models"] != 5:
        return Verdict(False, "value", "train_loop_12: build a fresh model with make_model() for "
                                       f"each of the 5 folds; it was called {value['n_models']} "
                                       "times")
    n = secret["n"]
    val_sets: list[set] = [set() for _ in range(5)]
    train_sets: list[set] = [set() for _ in range(5)]
    for mi, code, rows in value["report"]["rows"]:
        (val_sets if code == "E" else train_sets)[int(mi)].update(int(r) for r in rows)
    union = set().union(*val_sets)
    if sum(len(s) for s in val_sets) != n or union != set(range(n)):
        return Verdict(False, "value", "train_loop_12: the 5 validation folds must be disjoint "
                                       f"and together cover all {n} rows")
    for i in range(5):
        if train_sets[i] & val_sets[i] or len(train_sets[i]) + len(val_sets[i]) != n:
            return Verdict(False, "value", f"train_loop_12: fold {i + 1} must train on every row "
                                           "outside its validation fold, and only on those")
    return None


def _stop_epoch(losses: list[float], patience: int, max_epochs: int) -> int:
    best, wait = float("inf"), 0
    for e, v in enumerate(losses, start=1):
        if v < best:
            best, wait = v, 0
        else:
            wait += 1
            if wait >= patience:
                return e
    return min(len(losses), max_epochs)


def _feature_early(value, secret, inputs, ctx) -> Verdict | None:
    rep = value["report"]
    ran = value["result"][1]
    bad = _epoch_val_problem(13, rep, ran, 128)
    if bad:
        return bad
    losses = _val_losses(rep)
    want = _stop_epoch(losses, 3, 100)
    if ran >= 100 or want != ran:
        return Verdict(False, "value", "train_loop_13: stop as soon as the validation loss has "
                                       "not improved (strictly lower than the best so far) for "
                                       f"3 epochs in a row; your validation losses call for "
                                       f"stopping after epoch {want}, you ran {ran}")
    return None


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
    if not math.isclose(saved["val_loss"], best, rel_tol=1e-4, abs_tol=1e-6):
        return Verdict(False, "value", "train_loop_14: the saved weights are not those of the "
                                       "epoch with the lowest validation loss — save whenever "
                                       "the validation loss improves")
    if not math.isclose(value["result"], best, rel_tol=1e-4, abs_tol=1e-6):
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
    losses = _val_losses(rep)
    if not np.allclose([s[0] for s in sched], losses, rtol=1e-4, atol=1e-6):
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
            if epoch < len(want) and not math.isclose(lrs[idx], want[epoch], rel_tol=1e-6):
                return Verdict(False, "value", f"train_loop_15: epoch {epoch + 1} trained with "
                                               f"lr {lrs[idx]:g}; the plateau schedule gives "
                                               f"{want[epoch]:g}")
            idx += 1
        elif c == "l":
            epoch += 1
    return None


def _feature_clip(value, secret, inputs, ctx) -> Verdict | None:
    norms = value["report"]["num"]["R"].tolist()
    if not norms or max(norms) > 1.0 + 1e-3:
        top = max(norms) if norms else float("nan")
        return Verdict(False, "value", "train_loop_16: clip the gradients with "
                                       "`torch.nn.utils.clip_grad_norm_(model.parameters(), "
                                       "max_norm=1.0)` after backward() and before step(); "
                                       f"an update used gradient norm {top:.3g}")
    if max(norms) < 0.99:
        return Verdict(False, "value", "train_loop_16: clip at max_norm=1.0 (your gradient norms "
                                       f"never reached 1; the largest was {max(norms):.3g})")
    return None


def _calls(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return names


def _feature_amp(value, secret, inputs, ctx) -> Verdict | None:
    calls = _calls(ctx.source_text)
    missing = [c for c in ("autocast", "GradScaler", "scale") if c not in calls]
    if missing:
        return Verdict(False, "api", "train_loop_17: mixed precision needs `torch.autocast(...)` "
                                     "around the forward pass and a `torch.amp.GradScaler` "
                                     "(`scaler.scale(loss).backward()`, `scaler.step(optimizer)`, "
                                     f"`scaler.update()`); missing: {', '.join(missing)}")
    dtypes = value["report"]["out_dtypes"]
    if not {"bfloat16", "float16"} & set(dtypes):
        return Verdict(False, "value", "train_loop_17: the forward pass did not run in reduced "
                                       "precision — use `torch.autocast(device_type, "
                                       "dtype=torch.bfloat16)` on CPU (float16 on CUDA); "
                                       f"outputs were {', '.join(dtypes) or 'none'}")
    return None


def _feature_accumulate(value, secret, inputs, ctx) -> Verdict | None:
    X, y = (a.double() for a in inputs["args"][:2])
    theta = value["init"].clone()
    W, b = theta[:10].reshape(1, 10), theta[10:11]
    for _ in range(5):
        for i in range(0, len(X), 32):
            xb, yb = X[i:i + 32], y[i:i + 32]
            err = xb @ W.T + b - yb
            gW = 2 * err.T @ xb / len(xb)
            gb = 2 * err.sum(0) / len(xb)
            W, b = W - 0.05 * gW, b - 0.05 * gb
    want = torch.cat([W.reshape(-1), b.reshape(-1)])
    got = value["final"]
    if got.shape != want.shape or not torch.allclose(got, want, rtol=1e-3, atol=1e-4):
        diff = float((got - want).abs().max()) if got.shape == want.shape else float("nan")
        return Verdict(False, "value", "train_loop_18: 4 accumulated micro-batches of 8 (loss "
                                       "divided by accumulation_steps, no shuffling) must update "
                                       "the weights exactly like plain SGD on batches of 32; "
                                       f"your final weights differ by up to {diff:.3g}")
    seq = value["report"]["seq"]
    if seq.count("S") != 50:
        return Verdict(False, "value", "train_loop_18: expected 50 optimizer steps (10 per "
                                       f"epoch); found {seq.count('S')}")
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
            if abs(K[ki] - want) > 1e-4 * max(1.0, abs(want)):
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
