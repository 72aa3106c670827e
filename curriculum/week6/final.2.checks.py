"""Checks of final.2 (application challenge): quantile demand forecasting — a network whose
quantiles never cross, the pinball loss, integrated gradients, a forecast report, training
judged on hidden held-out demand."""

from __future__ import annotations

import math

import numpy as np
import torch

from curriculum.judges.cases import mixed
from curriculum.judges.compare import at_most, close, max_abs_diff
from curriculum.judges.shuffling import same_order_problem, split_epochs
from curriculum.judges.training import accumulation_problem, five_step_problem
from grader.checks.base import Hidden, Verdict


def _f32(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, dtype=np.float32))


def _f64(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def ref_pinball(pred: torch.Tensor, target: torch.Tensor, quantiles) -> torch.Tensor:
    """Trusted pinball loss: mean over batch and quantiles of max(q·d, (q − 1)·d), d = y − ŷ."""
    q = torch.tensor([float(v) for v in quantiles], dtype=pred.dtype)
    diff = target.to(pred.dtype).unsqueeze(1) - pred
    return torch.maximum(q * diff, (q - 1) * diff).mean()


def demand_data(rng: np.random.Generator, n: int, dim: int = 6):
    """Synthetic daily demand: a nonlinear mean (trend, saturating promotion effect, an
    interaction) plus noise whose spread depends on feature 4 (heteroscedastic)."""
    x = rng.normal(0.0, 1.0, (n, dim))
    mean = 10 + 3 * x[:, 0] + 2.5 * np.tanh(2 * x[:, 1]) + 1.5 * x[:, 2] * x[:, 3]
    spread = 0.4 + 1.2 / (1 + np.exp(-2 * x[:, 4]))
    y = mean + spread * rng.normal(0.0, 1.0, n)
    return _f32(x), y.astype(np.float32)


# ---------------------------------------------------------------------------
# model: DemandNet shapes and non-crossing quantiles
# ---------------------------------------------------------------------------

def make_model(rng: np.random.Generator):
    d, h = int(rng.integers(4, 12)), int(rng.integers(8, 32))  # never the default 32
    q = int(rng.integers(4, 7))
    quantiles = tuple(sorted(float(v) for v in rng.choice(np.arange(1, 20) / 20, q,
                                                            replace=False)))
    return {"d": d, "h": h, "quantiles": quantiles,
            "x": _f32(rng.normal(0, 1, (7, d))), "xbig": _f32(rng.normal(0, 2, (64, d)))}


def _crossing(out) -> int:
    """Rows where a quantile column is above the next one (or NaN)."""
    out = out.detach().double()
    diffs = out[:, 1:] - out[:, :-1]
    tol = 1e-5 * (1 + out.abs()[:, 1:])
    return int(((diffs < -tol) | diffs.isnan()).any(1).sum())  # compare: ok (NaN counted)


def judge_model(learner, reference, inputs, ctx):
    got = learner.value
    d, h, qs = inputs["d"], inputs["h"], inputs["quantiles"]
    if not got["module"] or not got["nparams"]:
        return Verdict(False, "module", "DemandNet must be an nn.Module with trainable layers")
    if not any(lin == (d, h) for lin in got["lin"]):
        return Verdict(False, "module", f"DemandNet({d}, hidden={h}, …) needs a hidden layer "
                                        f"nn.Linear({d}, {h}); found Linear layers {got['lin']}")
    for name, out, q in (("out_plain", got["out_plain"], 3), ("out", got["out"], len(qs))):
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != (7, q):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            args = f"{d}" if name == "out_plain" else f"{d}, quantiles=<{q} quantiles>"
            return Verdict(False, "shape", f"DemandNet({args}) on a batch of 7 must return "
                                           f"[7, {q}] (one column per quantile); found {shape}")
    if not got["grad"]:
        return Verdict(False, "module", "DemandNet's output must stay differentiable (no "
                                        "detach/no_grad/.item() inside forward)")
    for out in (got["out_plain"], got["out"], got["out_big"]):
        bad = _crossing(out)
        if bad:
            return Verdict(False, "value", f"quantiles cross in {bad} of {len(out)} rows: column "
                                           "j must never exceed column j + 1, for any weights "
                                           "(e.g. lowest column + cumulative softplus "
                                           "increments)")
    return Verdict(True, "module")


# ---------------------------------------------------------------------------
# loss: pinball / quantile loss
# ---------------------------------------------------------------------------

def make_loss(rng: np.random.Generator):
    cases = []
    # the default quantiles; a batch as long as the quantile list (a [B] target that is
    # not unsqueezed broadcasts silently); an under-forecast where only q·(y − ŷ) counts
    q4 = sorted(float(v) for v in rng.choice(np.arange(1, 20) / 20, 4, replace=False))
    hi = sorted(float(v) for v in rng.choice(np.arange(13, 20) / 20, 2, replace=False))
    for quantiles, n in (((0.1, 0.5, 0.9), int(rng.integers(6, 12))), (q4, 4), (hi, 9)):
        pred = rng.normal(0, 2, (n, len(quantiles)))
        target = rng.normal(0, 2, n)
        cases.append({"pred": _f64(pred), "target": _f64(target), "quantiles": quantiles})
    cases[2]["target"] = cases[2]["pred"].max(1).values + _f64(rng.uniform(0.5, 2, 9))
    return mixed(rng, {"the default quantiles": cases[:1],
                       "a batch as long as the quantile list": cases[1:2],
                       "targets above every prediction (under-forecast)": cases[2:]})


def judge_loss(learner, reference, inputs, ctx):
    what = ctx.secrets["loss"]
    for i, (c, got) in enumerate(zip(inputs, learner.value, strict=True)):
        pred = c["pred"].clone().requires_grad_(True)
        want = ref_pinball(pred, c["target"], c["quantiles"])
        want.backward()
        w = float(want.detach())
        if not close(got["loss"], w, rtol=1e-6, atol=1e-6):
            return Verdict(False, "value", f"case {i + 1} ({what[i]}): pinball loss must be the "
                                           "mean over batch and quantiles of max(q·(y − ŷ), "
                                           "(q − 1)·(y − ŷ)): under-forecasting costs q per "
                                           "unit, over-forecasting 1 − q; target [batch] "
                                           "against pred [batch, Q] (unsqueeze(1))")
        if not isinstance(got["grad"], torch.Tensor) or tuple(got["grad"].shape) != \
                tuple(pred.shape) or not at_most(max_abs_diff(got["grad"], pred.grad), 1e-6):
            return Verdict(False, "grad", f"case {i + 1}: the loss must be differentiable with "
                                          "autograd (tensor operations only)")
    return Verdict(True, "value")


# ---------------------------------------------------------------------------
# interpretability: integrated gradients
# ---------------------------------------------------------------------------

def make_ig(rng: np.random.Generator):
    d = int(rng.integers(4, 9))
    lin = {"w": _f32(rng.normal(0, 1, (3, d))), "b": _f32(rng.normal(0, 1, 3)),
           "x": _f32(rng.normal(0, 1, (5, d))), "base": _f32(rng.normal(0, 1, (5, d))),
           "column": int(rng.choice([0, 2]))}
    mlp = {"w1": _f32(rng.normal(0, 1, (12, d))), "b1": _f32(rng.normal(0, 0.5, 12)),
           "w2": _f32(rng.normal(0, 1, (3, 12))), "b2": _f32(rng.normal(0, 0.5, 3)),
           "x": _f32(rng.normal(0, 1, (6, d))), "base": _f32(rng.normal(0, 0.5, (6, d))),
           "column": int(rng.choice([0, 2]))}
    return {"d": d, "lin": lin, "mlp": mlp}


def _mlp(inputs: dict, x: torch.Tensor) -> torch.Tensor:
    m = {k: v.double() for k, v in inputs["mlp"].items() if isinstance(v, torch.Tensor)}
    return torch.tanh(x @ m["w1"].T + m["b1"]) @ m["w2"].T + m["b2"]


def ref_ig(inputs: dict, x: torch.Tensor, base: torch.Tensor, column: int,
           steps: int = 2000) -> torch.Tensor:
    """Integrated gradients of the hidden MLP, midpoint rule in float64 (≈ the integral)."""
    x, base = x.double(), base.double()
    alphas = (torch.arange(steps, dtype=torch.float64) + 0.5) / steps
    path = (base.unsqueeze(0) + alphas.view(-1, 1, 1) * (x - base).unsqueeze(0))
    path = path.reshape(-1, x.shape[1]).requires_grad_(True)
    grads, = torch.autograd.grad(_mlp(inputs, path)[:, column].sum(), path)
    return (x - base) * grads.view(steps, *x.shape).mean(0)


#: The probe's ``COARSE_STEPS``: integrated_gradients(..., steps=2) on the tanh network.
COARSE_STEPS = 2


def _mlp_grad(inputs: dict, x: torch.Tensor, base: torch.Tensor, column: int,
              alpha: float) -> torch.Tensor:
    """∂ f(·)[:, column] / ∂ input at baseline + alpha·(x − baseline), float64."""
    point = (base + alpha * (x - base)).requires_grad_(True)
    grad, = torch.autograd.grad(_mlp(inputs, point)[:, column].sum(), point)
    return grad


def coarse_sums(inputs: dict, x: torch.Tensor, base: torch.Tensor, column: int,
                steps: int) -> dict[str, torch.Tensor]:
    """Integrated gradients of the hidden MLP by each standard rule with exactly ``steps``
    steps (float64): left, right and midpoint Riemann sums, the trapezoid over ``steps``
    intervals or over ``steps`` points (``linspace(0, 1, steps)``), and the plain mean over
    those ``steps`` points (the prompt's "average over `steps` points", read literally)."""
    x, base = x.double(), base.double()

    def grad(alpha: float) -> torch.Tensor:
        return _mlp_grad(inputs, x, base, column, alpha)

    def mean(alphas) -> torch.Tensor:
        return torch.stack([grad(float(a)) for a in alphas]).mean(0)

    ks = range(steps + 1)
    g = [grad(k / steps) for k in ks]
    pts = torch.linspace(0, 1, steps, dtype=torch.float64).tolist()
    gp = [grad(a) for a in pts]
    means = {
        "left": torch.stack(g[:-1]).mean(0),
        "right": torch.stack(g[1:]).mean(0),
        "midpoint": mean((k + 0.5) / steps for k in range(steps)),
        "trapezoid": (sum(g) - (g[0] + g[-1]) / 2) / steps,
        "linspace mean": torch.stack(gp).mean(0),
    }
    if steps > 1:
        means["linspace trapezoid"] = (sum(gp) - (gp[0] + gp[-1]) / 2) / (steps - 1)
    return {name: (x - base) * m for name, m in means.items()}


def _coarse_problem(attr: torch.Tensor, inputs: dict, x, base, column: int) -> str | None:
    """None when ``attr`` is one of the standard sums with COARSE_STEPS steps."""
    sums = coarse_sums(inputs, x, base, column, COARSE_STEPS)
    if any(at_most(max_abs_diff(attr, want), 1e-4 * (1 + float(want.abs().max())))
           for want in sums.values()):
        return None
    return (f"integrated_gradients(..., steps={COARSE_STEPS}) must average the gradient over "
            f"exactly {COARSE_STEPS} points of the path (e.g. α = k/steps for k = 1 … steps); "
            "your attributions match no sum with that many steps — use the `steps` argument, "
            "not a fixed count")


def judge_ig(learner, reference, inputs, ctx):
    got = learner.value
    lin, m = inputs["lin"], inputs["mlp"]
    cases = [("linear", "a linear model f(x) = w·x + b with a baseline tensor and "
              f"column={lin['column']}", lin["x"], lin["base"], lin["column"], None),
             ("default", "a small tanh network, baseline=None (zeros), default steps and "
              "column", m["x"], torch.zeros_like(m["x"]), 1, (0.2, 0.1)),
             ("fine", f"a small tanh network with a baseline tensor, steps=200, "
              f"column={m['column']}", m["x"], m["base"], m["column"], (0.05, 0.03)),
             ("coarse", f"a small tanh network with a baseline tensor, steps={COARSE_STEPS}, "
              f"column={m['column']}", m["x"], m["base"], m["column"], "coarse")]
    for key, what, x, base, col, tol in cases:
        attr = got.get(key) if isinstance(got, dict) else None
        if not isinstance(attr, torch.Tensor) or tuple(attr.shape) != tuple(x.shape):
            shape = tuple(attr.shape) if isinstance(attr, torch.Tensor) else type(attr).__name__
            return Verdict(False, "shape", f"{what}: attributions must be a [batch, features] = "
                                           f"{list(x.shape)} tensor; found {shape}")
        if not bool(torch.isfinite(attr).all()):
            return Verdict(False, "value", f"{what}: attributions contain NaN or inf")
        if tol is None:  # linear: IG is exactly w · (x − baseline)
            want = lin["w"][col].double() * (x - base).double()
            if not at_most(max_abs_diff(attr, want), 1e-4 * (1 + float(want.abs().max()))):
                return Verdict(False, "value", f"{what}: integrated gradients must equal "
                                               "w[column] · (x − baseline) on a linear model — "
                                               "(x − baseline) times the average gradient of "
                                               "output[:, column] along the straight path from "
                                               "the baseline to x")
            continue
        if tol == "coarse":
            problem = _coarse_problem(attr, inputs, x, base, col)
            if problem:
                return Verdict(False, "value", f"{what}: {problem}")
            continue
        delta = _mlp(inputs, x.double())[:, col] - _mlp(inputs, base.double())[:, col]
        scale = max(1.0, float(delta.abs().max()))
        gap = float((attr.double().sum(1) - delta).abs().max())
        if not at_most(gap, tol[0] * scale):
            return Verdict(False, "value", f"{what}: completeness fails — each row's "
                                           "attributions must add up to f(x) − f(baseline) "
                                           f"(off by {gap:.3g}, tolerance "
                                           f"{tol[0] * scale:.3g})")
        want = ref_ig(inputs, x, base, col)
        err = max_abs_diff(attr, want)
        if not at_most(err, tol[1] * float(want.abs().max())):
            return Verdict(False, "value", f"{what}: attributions differ from integrated "
                                           f"gradients by up to {err:.3g} (relative tolerance "
                                           f"{tol[1]}) — average the gradient over the path "
                                           "points, then multiply by (x − baseline)")
    if not isinstance(got, dict) or got.get("train_mode_forwards") != 0:
        return Verdict(False, "value", "integrated_gradients ran the model in training mode "
                                       "(the grader passes models in train mode, as a training "
                                       "loop leaves them): call model.eval() first, as the "
                                       "prompt says — with dropout or batch norm the "
                                       "attributions would otherwise be noisy or wrong")
    return Verdict(True, "value")


# ---------------------------------------------------------------------------
# evaluation: the forecast report
# ---------------------------------------------------------------------------

EVAL_QUANTILES = [(0.1, 0.5, 0.9), (0.05, 0.5, 0.75, 0.9, 0.95), [0.25, 0.5, 0.75]]


def make_eval(rng: np.random.Generator):
    cases = []
    for quantiles in EVAL_QUANTILES:
        n = int(rng.integers(30, 60))
        target = rng.normal(20, 5, n)
        center = target + rng.normal(0, 2, n)
        spread = rng.uniform(0.5, 3, (n, 1))
        # normal quantiles: z_q = √2 · erfinv(2q − 1)
        z = (math.sqrt(2) * torch.erfinv(torch.tensor(quantiles, dtype=torch.float64) * 2 - 1)
             ).numpy()
        pred = center[:, None] + spread * z[None, :]
        # targets exactly on a bound: the band and calibration include their edges (<=)
        edge = rng.choice(n, 4, replace=False)
        target[edge[:2]] = pred[edge[:2], 0]
        target[edge[2:]] = pred[edge[2:], -1]
        pred, target = pred.astype(np.float32), target.astype(np.float32)
        cases.append({"pred": _f32(pred), "target": _f32(target), "quantiles": quantiles})
    return cases


def ref_report(pred: torch.Tensor, target: torch.Tensor, quantiles) -> dict:
    pred, target = pred.double(), target.double()
    err = target - pred[:, list(quantiles).index(0.5)]
    lower, upper = pred[:, 0], pred[:, -1]
    return {"mae": float(err.abs().mean()), "rmse": float(err.pow(2).mean().sqrt()),
            "coverage": float(((target >= lower) & (target <= upper)).double().mean()),
            "width": float((upper - lower).mean()),
            "calibration": (target.unsqueeze(1) <= pred).double().mean(0).tolist(),
            "pinball": float(ref_pinball(pred, target, quantiles))}


MEANING = {
    "mae": "mean |y − median| with the median the column whose quantile is 0.5",
    "rmse": "sqrt(mean (y − median)²) with the median the column whose quantile is 0.5",
    "coverage": "fraction of targets with lowest column ≤ y ≤ highest column",
    "width": "mean of (highest column − lowest column)",
    "calibration": "a list with, per quantile column j, the fraction of targets ≤ column j",
    "pinball": "the mean pinball loss of the predictions",
}


def judge_eval(learner, reference, inputs, ctx):
    for i, (c, got) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        if not isinstance(got, dict):
            return Verdict(False, "type", f"evaluate must return a dict; found {got}")
        want = ref_report(c["pred"], c["target"], c["quantiles"])
        for key, w in want.items():
            g = got.get(key)
            if key == "calibration":
                if isinstance(g, torch.Tensor):
                    g = g.detach().reshape(-1).tolist()
                ok = isinstance(g, (list, tuple)) and len(g) == len(w) and all(
                    close(a, b, rtol=0.0, atol=1e-5) for a, b in zip(g, w, strict=True))
            else:
                ok = close(g, w, rtol=1e-5, atol=1e-5)
            if not ok:
                return Verdict(False, "value", f"case {i} (quantiles {tuple(c['quantiles'])}): "
                                               f"\"{key}\" must be {MEANING[key]}")
    return Verdict(True, "value")


# ---------------------------------------------------------------------------
# training on hidden demand data
# ---------------------------------------------------------------------------

MAE_MAX = 2.0
COVERAGE = (0.5, 0.95)


def make_data(rng: np.random.Generator):
    x, y = demand_data(rng, 2000)
    xt, yt = demand_data(rng, 500)
    # hidden settings, never the defaults (lr 0.01, quantiles (0.1, 0.5, 0.9)): a loop that
    # types them in (or builds DemandNet without the quantiles) shows; the 10 % and 90 %
    # columns stay the first and last
    lr = float(rng.choice(TRAIN_LRS))
    quantiles = TRAIN_QUANTILES[int(rng.integers(len(TRAIN_QUANTILES)))]
    return Hidden(inputs={"x": x, "y": torch.from_numpy(y), "xt": xt, "lr": lr,
                          "quantiles": quantiles}, secret=yt)


TRAIN_LRS = (0.008, 0.012, 0.015)
TRAIN_QUANTILES = ((0.1, 0.25, 0.5, 0.75, 0.9), (0.1, 0.3, 0.5, 0.7, 0.9))


BATCH = 64
#: The num_epochs the training probe passes to train_forecaster.
EPOCHS = 20


def _epoch_rows(sizes: list, n: int) -> int | None:
    """Rows per epoch when pinball_loss's calls during training are whole epochs of batches
    of 64 over the whole set (the last one holds the rest, or is dropped); else None."""
    full, rest = divmod(n, BATCH)
    for epoch_sizes in ([BATCH] * full + ([rest] if rest else []), [BATCH] * full):
        k = len(epoch_sizes)
        runs = len(sizes) // k
        # whole epochs (how many ran: _epochs_problem)
        if runs and sizes == epoch_sizes * runs:
            return sum(epoch_sizes)
    return None


SHUFFLE = ("DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True), or a new "
           "torch.randperm(len(x)) every epoch")


def _batch_sizes(got: dict) -> list[int]:
    """The rows of each pinball_loss call during training, in order (0: not a tensor)."""
    return [int(b) if isinstance(b, int) else 0 for b in got.get("sizes") or []]


def _batches_problem(got: dict, n: int, epochs: int) -> str:
    """Every epoch the whole set in batches of 64, in a new order (the rows each training
    forward of DemandNet held: curriculum/probes/rows.py)."""
    sizes = _batch_sizes(got)
    per_epoch = _epoch_rows(sizes, n)
    if per_epoch is None:
        found = sorted(set(sizes))
        return (f"train on shuffled mini-batches of {BATCH} (the last one of an epoch may be "
                f"smaller), every row once per epoch: pinball_loss got batches of {found[:6]} "
                f"rows in {len(sizes)} calls ({epochs} epochs asked)")
    # by the rows' features, else by their targets (features standardised by the learner are
    # unknown to the feature recorder: their epochs say nothing about the order)
    return (same_order_problem(split_epochs(got.get("rows") or [], per_epoch),
                               "train_forecaster", SHUFFLE)
            or same_order_problem(split_epochs(got.get("target_rows") or [], per_epoch),
                                  "train_forecaster", SHUFFLE))


def _epochs_problem(got: dict, n: int, epochs: int) -> str:
    """As many epochs as ``num_epochs`` says: one epoch (or a fixed number) of training
    reaches the MAE and coverage bars on some data, so they alone let it pass."""
    sizes = _batch_sizes(got)
    per_epoch = _epoch_rows(sizes, n)
    ran = sum(sizes) // per_epoch if per_epoch else 0
    if ran == epochs:
        return ""
    return (f"train for num_epochs epochs (the grader passed num_epochs={epochs}): "
            f"pinball_loss got {ran} epoch{'s' * (ran != 1)} of batches")


def judge_train(learner, reference, inputs, ctx):
    got = learner.value
    problem = five_step_problem(ctx.source_text)
    if problem:
        return Verdict(False, "api", problem)
    if not got["calls"]:
        return Verdict(False, "api", "train_forecaster must train with your pinball_loss")
    problem = _batches_problem(got, len(inputs["y"]), EPOCHS)
    if problem:
        return Verdict(False, "api", problem)
    opts = [m for m in got["made"] if m["label"] == "optimizer"]
    lr = inputs["lr"]
    if not any(m["cls"] == "Adam" and close(m["lr"], lr, rtol=1e-9, atol=0.0) for m in opts):
        found = [(m["cls"], m["lr"]) for m in opts]
        return Verdict(False, "api", "train with torch.optim.Adam(model.parameters(), lr=lr), "
                                     f"the lr train_forecaster is given (lr={lr:g} here); "
                                     f"found optimizers {found}")
    problem = accumulation_problem(got.get("acc")) or _epochs_problem(got, len(inputs["y"]), EPOCHS)
    if problem:
        return Verdict(False, "train", problem)
    if not got["is_net"]:
        return Verdict(False, "module", "train_forecaster must return the trained DemandNet")
    pred, yt = got["pred"], torch.from_numpy(ctx.secrets["training"]).double()
    quantiles = list(inputs["quantiles"])
    if not isinstance(pred, torch.Tensor) or tuple(pred.shape) != (len(yt), len(quantiles)):
        shape = tuple(pred.shape) if isinstance(pred, torch.Tensor) else type(pred).__name__
        return Verdict(False, "shape", "train_forecaster must build DemandNet(features, 32, "
                                       "quantiles) with the quantiles it is given (the grader "
                                       f"passed {len(quantiles)}): the trained model must give "
                                       f"[batch, {len(quantiles)}] quantiles; found {shape}")
    pred = pred.double()
    mae = float((yt - pred[:, quantiles.index(0.5)]).abs().mean())
    coverage = float(((yt >= pred[:, 0]) & (yt <= pred[:, -1])).double().mean())
    if not mae <= MAE_MAX:
        return Verdict(False, "train", f"held-out MAE of the median {mae:.2f}, needs ≤ {MAE_MAX} "
                                       "— check that the model really trains (loss falling, "
                                       "optimizer.step() called, gradients zeroed each step)")
    if not COVERAGE[0] <= coverage <= COVERAGE[1]:
        return Verdict(False, "train", f"held-out coverage of the 10–90 % band {coverage:.2f}, "
                                       f"needs {COVERAGE[0]}–{COVERAGE[1]} (0.8 ideally) — "
                                       "check that each column is trained with its own "
                                       "quantile in the pinball loss")
    return Verdict(True, "train", f"held-out MAE {mae:.2f}, 10–90 % coverage {coverage:.2f}")
