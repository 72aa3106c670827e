"""Training: did the learner's loop follow the pattern, reset its gradients and really learn?

Shared by every check that trains a model (weeks 3, 5 and 6): the five-step
pattern read from the source (zero_grad → forward → loss → backward → step),
gradients piling up across steps (recorded in the jail by
``curriculum/probes/recorders.py``), a trainer's returned weights, and
held-out accuracy against labels that never entered the sandbox. Every
threshold is compared through :mod:`curriculum.judges.compare`, so a NaN
accuracy or loss fails.
"""

from __future__ import annotations

import ast

import numpy as np
import torch

from curriculum.judges.compare import at_least
from curriculum.judges.text import fmt_shape, type_name
from grader.checks.base import Verdict


def _attr_calls(tree: ast.AST) -> list[tuple[int, int, str, str]]:
    """(line, col, attr, receiver source) for every ``x.attr(...)`` call."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            out.append((node.lineno, node.col_offset, node.func.attr,
                        ast.unparse(node.func.value)))
    return sorted(out)


def five_step_problem(source: str) -> str:
    """'' when the source calls zero_grad, backward and an optimizer's step in that
    order (the five-step pattern); otherwise what is missing or out of order."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"your code does not parse: {exc.msg}"
    calls = _attr_calls(tree)
    zero = [c for c in calls if c[2] == "zero_grad"]
    back = [c for c in calls if c[2] == "backward"]
    step = [c for c in calls if c[2] == "step" and "sched" not in c[3].lower()]
    missing = [n for n, found in (("optimizer.zero_grad()", zero), ("loss.backward()", back),
                                  ("optimizer.step()", step)) if not found]
    if missing:
        return ("the training loop must follow the five-step pattern (zero_grad → forward → "
                f"loss → backward → step); missing: {', '.join(missing)}")
    ordered = any(z[:2] < b[:2] < st[:2] for z in zero for b in back for st in step)
    if not ordered:
        return ("the five-step pattern is out of order: call optimizer.zero_grad() before "
                "loss.backward(), and optimizer.step() after it")
    return ""

def accumulation_problem(acc) -> str:
    """'' unless gradients piled up across optimizer steps (see PROBE_RECORDERS)."""
    if not isinstance(acc, dict) or not acc.get("backward"):
        return ""
    if acc["accumulated"] > 0:
        return (f"in {acc['accumulated']} of {acc['backward']} backward passes the gradient was "
                "added onto the previous step's: call optimizer.zero_grad() at the start of "
                "every step")
    return ""

def pattern_verdict(source: str, acc) -> Verdict | None:
    """The five steps in order (read from the source) and gradients zeroed between
    updates (recorded in the sandbox): the first thing every training check asks."""
    problem = five_step_problem(source)
    if problem:
        return Verdict(False, "api", problem)
    problem = accumulation_problem(acc)
    if problem:
        return Verdict(False, "train", problem)
    return None

def accuracy_verdict(pred, labels, threshold: float, what: str, kind: str = "train") -> Verdict:
    """Judge predictions (tensor/list of class ids) against hidden labels."""
    labels = torch.as_tensor(np.asarray(labels))
    if not isinstance(pred, torch.Tensor):
        return Verdict(False, "type", f"{what}: expected a tensor of predicted classes, found "
                                      f"{type(pred).__name__}")
    pred = pred.detach().cpu()
    if tuple(pred.shape) != tuple(labels.shape):
        return Verdict(False, "shape", f"{what}: expected predictions of shape "
                                       f"{tuple(labels.shape)}, found {tuple(pred.shape)}")
    acc = float((pred.long() == labels.long()).float().mean())
    if not at_least(acc, threshold):
        return Verdict(False, kind, f"{what}: held-out accuracy {acc:.3f}, needs ≥ {threshold} — "
                                    "check that the model really trains (loss falling, "
                                    "optimizer.step() called, gradients zeroed each step)")
    return Verdict(True, kind, f"held-out accuracy {acc:.3f}")

def binary_f1(pred, labels) -> float:
    pred = np.asarray(pred).astype(int).ravel()
    labels = np.asarray(labels).astype(int).ravel()
    tp = int(((pred == 1) & (labels == 1)).sum())
    fp = int(((pred == 1) & (labels == 0)).sum())
    fn = int(((pred == 0) & (labels == 1)).sum())
    if tp == 0:
        return 0.0
    p, r = tp / (tp + fp), tp / (tp + fn)
    return 2 * p * r / (p + r)

def weights_problem(label: str, w: object, b: object, w_shape: tuple[int, ...]
                    ) -> Verdict | None:
    """A (w, b) pair returned by a trainer: both tensors, w of ``w_shape``, b of shape (1,)."""
    for name, value, shape in (("w", w, w_shape), ("b", b, (1,))):
        if not isinstance(value, torch.Tensor):
            return Verdict(False, "type", f"{label}: {name} should be a tensor; found "
                                          f"{type_name(value)}")
        if tuple(value.shape) != shape:
            return Verdict(False, "shape", f"{label}: {name} should have shape "
                                           f"{fmt_shape(shape)}, found {fmt_shape(value.shape)}")
    return None

