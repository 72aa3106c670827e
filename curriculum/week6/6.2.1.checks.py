"""Checks of 6.2.1 (capstone): focal loss, input-gradient saliency, evaluation report, training."""

import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import at_most, close, max_abs_diff
from curriculum.judges.data import blobs
from curriculum.judges.source import uses
from curriculum.judges.training import (
    accumulation_problem,
    accuracy_verdict,
    five_step_problem,
    given_lr_problem,
)
from grader.checks.base import Hidden, Verdict


def make_loss(rng: np.random.Generator):
    out = []
    for gamma in (2.0, 0.0, float(rng.uniform(0.5, 3))):
        n, c = int(rng.integers(4, 12)), int(rng.integers(2, 6))
        out.append({"logits": torch.from_numpy(rng.normal(0, 2, (n, c)).astype(np.float64)),
                    "targets": torch.from_numpy(rng.integers(0, c, n)), "gamma": gamma})
    return out


def judge_loss(learner, reference, inputs, ctx):
    for i, (c, got) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        lg = c["logits"].clone().requires_grad_(True)
        logp = F.log_softmax(lg, 1).gather(1, c["targets"].unsqueeze(1)).squeeze(1)
        want = (-(1 - logp.exp()) ** c["gamma"] * logp).mean()
        want.backward()
        w = float(want.detach())
        if not close(got["loss"], w, rtol=1e-6, atol=1e-6):
            return Verdict(False, "value", f"case {i} (gamma={c['gamma']:.2f}): focal loss must be "
                                           "mean(-(1 - p_t)^gamma · log p_t) with p_t the softmax "
                                           "probability of the target (gamma 0 = cross-entropy)")
        grad = got["grad"]
        if not at_most(max_abs_diff(grad, lg.grad), 1e-6):
            return Verdict(False, "grad", f"case {i} (gamma={c['gamma']:.2f}): "
                                          + _grad_problem(grad, lg.grad, c))
    return Verdict(True, "value")


def _constant_factor_grad(c) -> torch.Tensor:
    """The gradient when (1 - p_t)^gamma is treated as a constant (detached)."""
    lg = c["logits"].clone().requires_grad_(True)
    logp = F.log_softmax(lg, 1).gather(1, c["targets"].unsqueeze(1)).squeeze(1)
    (-(1 - logp.exp()).detach() ** c["gamma"] * logp).mean().backward()
    return lg.grad


def _grad_problem(grad, want, c) -> str:
    """Why the gradient differs though the value is right: none at all, the modulating
    factor cut out of the graph, or another term lost."""
    if not isinstance(grad, torch.Tensor) or grad.shape != want.shape:
        return ("the loss must be differentiable with autograd (tensor operations only): the "
                "logits got no gradient")
    diff = max_abs_diff(grad, want)
    if at_most(max_abs_diff(grad, _constant_factor_grad(c)), 1e-6):
        return ("the value is right but the gradient treats the factor (1 - p_t)^gamma as a "
                "constant: it was detached (.detach(), .item(), torch.no_grad(), numpy) — keep "
                "it in the autograd graph, its own gradient is part of the focal loss's "
                f"(off by up to {diff:.3g})")
    return ("the value is right but the gradient differs from the focal loss's by up to "
            f"{diff:.3g}: some term was cut out of the autograd graph (.detach(), .item(), "
            "torch.no_grad(), numpy) — compute every part with tensor operations")


def make_saliency(rng: np.random.Generator):
    d, c = int(rng.integers(4, 10)), int(rng.integers(2, 5))
    return {"d": d, "c": c, "x": torch.from_numpy(rng.normal(0, 1, (5, d)).astype(np.float32)),
            "t": torch.from_numpy(rng.integers(0, c, 5)),
            "w1": torch.from_numpy(rng.normal(0, 1, (8, d)).astype(np.float32)),
            "w2": torch.from_numpy(rng.normal(0, 1, (c, 8)).astype(np.float32))}


def judge_saliency(learner, reference, inputs, ctx):
    got = learner.value
    if isinstance(got, dict) and got.get("train_mode_forwards"):
        return Verdict(False, "value", "saliency must put the model in eval mode "
                                       "(model.eval()) before its forward pass: it was handed "
                                       "a model in train mode and ran it in train mode "
                                       "(dropout and batch norm would change the logits)")
    record = got if isinstance(got, dict) else {}
    got = got.get("saliency") if isinstance(got, dict) else got
    x = inputs["x"].clone().requires_grad_(True)
    logits = torch.tanh(x @ inputs["w1"].T) @ inputs["w2"].T
    logits.gather(1, inputs["t"].unsqueeze(1)).sum().backward()
    want = x.grad.abs()
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        return Verdict(False, "shape", f"saliency must return a [batch, features] = "
                                       f"{list(want.shape)} tensor")
    if not at_most(max_abs_diff(got, want), 1e-5):
        return Verdict(False, "value", "saliency must be |∂ logit[target] / ∂ x| per sample "
                                       "(autograd w.r.t. the input, absolute value)")
    if record.get("x_requires_grad") is not False or record.get("x_grad_none") is not True:
        return Verdict(False, "value", "saliency changed the x it was given: after the call "
                                       "it requires grad or holds a .grad — work on a copy, "
                                       "`x = x.clone().requires_grad_(True)` (or "
                                       "`x.detach().clone().requires_grad_(True)`), and leave "
                                       "the caller's x as it was")
    return Verdict(True, "value")


def make_eval(rng: np.random.Generator):
    c = int(rng.integers(3, 6))
    labels = torch.from_numpy(rng.integers(0, c, 40))
    preds = torch.where(torch.from_numpy(rng.random(40) < 0.7), labels,
                        torch.from_numpy(rng.integers(0, c, 40)))
    # then a class never predicted, and one never present (precision / recall 0 by the
    # contract: 0/0 must not give NaN) — drawn after the case above, which stays as it was
    more = [_never(rng, "predicted"), _never(rng, "present")]
    return {"c": c, "labels": labels, "preds": preds, "more": more}


def _never(rng: np.random.Generator, kind: str) -> dict:
    """Hidden predictions where class ``k`` is never predicted (``kind="predicted"``, though
    present) or never among the labels (``kind="present"``, though predicted)."""
    c, n = int(rng.integers(3, 6)), 30
    k = int(rng.integers(0, c))
    others = np.array([j for j in range(c) if j != k])
    labels = rng.integers(0, c, n)
    preds = np.where(rng.random(n) < 0.7, labels, rng.integers(0, c, n))
    swap = rng.choice(others, n)
    if kind == "predicted":
        preds = np.where(preds == k, swap, preds)
        labels[int(rng.integers(0, n))] = k
    else:
        labels = np.where(labels == k, swap, labels)
        preds[int(rng.integers(0, n))] = k
    return {"c": c, "labels": torch.from_numpy(labels.astype(np.int64)),
            "preds": torch.from_numpy(preds.astype(np.int64)), "never": (kind, k)}


def judge_eval(learner, reference, inputs, ctx):
    got = learner.value
    cases = [inputs, *inputs.get("more", [])]
    results = [got, *(got.get("more") or [])]
    for case, result in zip(cases, results, strict=True):
        verdict = _judge_eval_case(result, case)
        if not verdict.ok:
            return verdict
    return Verdict(True, "value")


_NEVER = {"predicted": ("precision", "never predicted"), "present": ("recall", "never present "
                                                                     "among the labels")}


def _judge_eval_case(got, inputs):
    c, lab, pred = inputs["c"], inputs["labels"], inputs["preds"]
    kind, k = inputs.get("never", (None, None))
    where = f" (class {k} {_NEVER[kind][1]}, {c} classes)" if kind else ""
    if isinstance(got, dict) and "error" in got:
        return Verdict(False, "value", f"evaluate raised {got['error']}{where}: precision and "
                                       "recall must be 0 where a class is never predicted / "
                                       "never present")
    conf = torch.zeros(c, c, dtype=torch.long)
    for t, p in zip(lab.tolist(), pred.tolist(), strict=True):
        conf[t, p] += 1
    if not isinstance(got["confusion"], torch.Tensor) or not torch.equal(got["confusion"].long(), conf):
        return Verdict(False, "value", f"confusion must be a [{c}, {c}] tensor, rows = true class, "
                                       f"columns = predicted class, counts{where}")
    tp = conf.diag().double()
    wanted = {"precision": tp / conf.sum(0).clamp(min=1), "recall": tp / conf.sum(1).clamp(min=1)}
    formula = {"precision": "TP / predicted count (a column sum of the confusion matrix)",
               "recall": "TP / true count (a row sum)"}
    for name, want in wanted.items():
        g = got[name]
        if not isinstance(g, torch.Tensor) or g.shape != want.shape:
            found = tuple(g.shape) if isinstance(g, torch.Tensor) else type(g).__name__
            return Verdict(False, "value", f"{name} must be a [{c}] tensor per class "
                                           f"(0 where undefined){where}; found {found}")
        if kind and _NEVER[kind][0] == name and not at_most(max_abs_diff(g, want), 1e-6) \
                and at_most(max_abs_diff(torch.cat([g[:k], g[k + 1:]]),
                                         torch.cat([want[:k], want[k + 1:]])), 1e-6):
            return Verdict(False, "value", f"class {k} is {_NEVER[kind][1]} in a hidden case "
                                           f"({c} classes), so its {name} must be 0 (the "
                                           f"contract: 0 where a class is never predicted / "
                                           f"never present); yours is {float(g[k])!r} — a 0/0 "
                                           "must not give NaN (e.g. divide by "
                                           "`count.clamp(min=1)`)")
        if not at_most(max_abs_diff(g, want), 1e-6):
            other = "recall" if name == "precision" else "precision"
            swapped = at_most(max_abs_diff(g, wanted[other]), 1e-6)
            hint = f" — yours is the {other}" if swapped else ""
            return Verdict(False, "value", f"{name} per class is {formula[name]}, 0 where "
                                           f"undefined{where}{hint}")
    if not close(got["accuracy"], float(tp.sum() / conf.sum()), rtol=0.0, atol=1e-6):
        return Verdict(False, "value", f"accuracy must be the fraction of correct "
                                       f"predictions{where}")
    return Verdict(True, "value")


def make_data(rng: np.random.Generator):
    x, y, centers = blobs(rng, 300, 8, 3, 2.0)
    xt, yt, _ = blobs(rng, 300, 8, 3, 2.0, centers)
    # hidden settings, never the defaults (60 epochs, lr 0.01): a loop that types them in
    # trains another number of epochs or with another learning rate
    epochs = int(rng.choice([e for e in range(30, 51) if e != 40]))
    lr = float(rng.choice([0.005, 0.008, 0.015, 0.02]))
    return Hidden(inputs={"x": x, "y": torch.from_numpy(y), "xt": xt, "epochs": epochs,
                          "lr": lr}, secret=yt)


def judge_train(learner, reference, inputs, ctx):
    problem = five_step_problem(ctx.source_text)
    if problem:
        return Verdict(False, "api", problem)
    if not uses(ctx.source_text, "focal_loss"):
        return Verdict(False, "api", "run_capstone must train with your focal_loss")
    problem = accumulation_problem(learner.value.get("acc"))
    if problem:
        return Verdict(False, "train", problem)
    got = learner.value
    lrs = got.get("lrs") or []
    problem = given_lr_problem("run_capstone", (got["opts"][0], lrs[0]) if lrs else None,
                               inputs["lr"])
    if problem:
        return Verdict(False, "api", problem)
    n, epochs = len(inputs["y"]), inputs["epochs"]
    # (no call seen: focal_loss bound under another name before the grader wrapped it)
    if got.get("calls") and got.get("rows") != epochs * n:
        seen = got.get("rows") or 0
        return Verdict(False, "train", f"run_capstone must train num_epochs epochs, every row "
                                       f"once per epoch: the grader passed num_epochs={epochs} "
                                       f"for {n} rows ({epochs * n} rows through focal_loss); "
                                       f"your focal_loss got {seen} rows in training "
                                       f"({seen / n:.3g} epochs)")
    return accuracy_verdict(learner.value["pred"], ctx.secrets["training"], 0.85,
                            "run_capstone's model")
