"""Checks of 3.2.1: training vs inference modes (gradients, .grad reset, no_grad)."""

import ast

import numpy as np
import torch

from curriculum.judges.autograd import close_problem, meta, unwrap
from curriculum.judges.text import type_name
from grader.checks.base import Verdict


def make_inputs(rng: np.random.Generator) -> dict:
    return {
        "W": torch.from_numpy(rng.standard_normal((5, 10)).astype(np.float32)),
        "xs": [torch.from_numpy(rng.standard_normal(10).astype(np.float32)) for _ in range(3)],
    }


def _expected(W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return W.to(torch.float64) @ x.to(torch.float64)


def judge_train(learner, reference, inputs, ctx):
    W = inputs["W"].to(torch.float64)
    previous = torch.zeros_like(W)
    for i, (loss_w, grad) in enumerate(learner.value, start=1):
        x = inputs["xs"][i - 1].to(torch.float64)
        loss = unwrap(loss_w)
        if not isinstance(loss, torch.Tensor):
            return Verdict(False, "type", f"call {i}: return the loss tensor itself (not "
                                          f".item()); found {type_name(loss)}")
        if tuple(loss.shape) != ():
            return Verdict(False, "shape", f"call {i}: the loss must be a scalar, "
                                           f"found shape {tuple(loss.shape)}")
        if not meta(loss).requires_grad:
            return Verdict(False, "grad", f"call {i}: the loss does not require grad — in "
                                          "training mode the forward pass must be recorded")
        problem = close_problem(loss, (W @ x).sum(), 1e-4, 1e-5)
        if problem:
            return Verdict(False, "value", f"call {i}: loss should be torch.matmul(W, x).sum(): "
                                           f"{problem}")
        if grad is None:
            return Verdict(False, "grad", f"call {i}: W.grad is None after your function — call "
                                          "loss.backward()")
        want = torch.ones(5, 1, dtype=torch.float64) * x
        if close_problem(grad, want, 1e-4, 1e-5) is not None:
            if i > 1 and close_problem(grad, want + previous, 1e-4, 1e-5) is None:
                return Verdict(False, "grad", f"call {i}: W.grad holds the sum of this call's "
                                              "gradient and the previous one — gradients "
                                              "accumulate; reset W.grad (W.grad.zero_()) "
                                              "before backward")
            return Verdict(False, "grad", f"call {i}: W.grad is not d(loss)/dW: "
                                          f"{close_problem(grad, want, 1e-4, 1e-5)}")
        previous = want
    if ".backward" not in (ctx.source.calls_by_name.get("training_mode_practice") or [set()])[-1]:
        return Verdict(False, "api", "training_mode_practice must call loss.backward()")
    return Verdict(True, "grad")


def judge_infer(learner, reference, inputs, ctx):
    for i, (result_w, grad_untouched) in enumerate(learner.value, start=1):
        result = unwrap(result_w)
        if not (isinstance(result, tuple | list) and len(result) == 2):
            return Verdict(False, "type", f"call {i}: return a tuple (y, loss); found "
                                          f"{type_name(result)}")
        y, loss = result
        W, x = inputs["W"], inputs["xs"][i - 1]
        want_y = _expected(W, x)
        for name, got, want in (("y", y, want_y), ("loss", loss, want_y.sum())):
            if not isinstance(got, torch.Tensor):
                return Verdict(False, "type", f"call {i}: {name} should be a tensor; found "
                                              f"{type_name(got)}")
            if tuple(got.shape) != tuple(want.shape):
                return Verdict(False, "shape", f"call {i}: {name} should have shape "
                                               f"{tuple(want.shape)}, found {tuple(got.shape)}")
            problem = close_problem(got, want, 1e-4, 1e-5)
            if problem:
                return Verdict(False, "value", f"call {i}: {name} is off: {problem}")
            if meta(got).requires_grad:
                return Verdict(False, "grad", f"call {i}: {name}.requires_grad is True — in "
                                              "inference mode compute inside `with "
                                              "torch.no_grad():` so nothing is recorded")
        if not grad_untouched:
            return Verdict(False, "grad", f"call {i}: W.grad was set — inference must not run "
                                          "backward")
    calls = (ctx.source.calls_by_name.get("inference_mode_practice") or [set()])[-1]
    if not ({"torch.no_grad", "torch.inference_mode"} & calls):
        return Verdict(False, "api", "inference_mode_practice must compute inside "
                                     "`with torch.no_grad():` (or torch.inference_mode())")
    return Verdict(True, "grad")


def judge_mode(learner, reference, inputs, ctx):
    for i, (training, y_w) in enumerate(learner.value, start=1):
        y = unwrap(y_w)
        if not isinstance(y, torch.Tensor):
            return Verdict(False, "type", f"call {i}: return y as a tensor; found {type_name(y)}")
        want = _expected(inputs["W"], inputs["xs"][i - 1])
        problem = close_problem(y, want, 1e-4, 1e-5)
        if problem:
            return Verdict(False, "value", f"call {i}: y should be torch.matmul(W, x): {problem}")
        if meta(y).requires_grad != training:
            state = "records" if meta(y).requires_grad else "doesn't record"
            return Verdict(False, "grad", f"call {i} (training={training}): your y {state} the "
                                          "graph; with torch.set_grad_enabled(training) it "
                                          "records exactly when training is True")
    calls = (ctx.source.calls_by_name.get("run_model") or [set()])[-1]
    if "torch.set_grad_enabled" not in calls:
        return Verdict(False, "api", "run_model must use `with torch.set_grad_enabled(training):`")
    if _mode_is_constant(ctx.source_text, "run_model"):
        return Verdict(False, "api", "run_model passes a constant (True or False) to "
                                     "torch.set_grad_enabled: pass `training`, so the context "
                                     "itself records the graph exactly when training is True "
                                     "(not a graph recorded anyway and detached afterwards)")
    return Verdict(True, "grad")


def _mode_is_constant(source: str, function: str) -> bool:
    """Every set_grad_enabled(...) call in the module-level ``def function`` gets a
    literal mode (True/False), so the mode cannot follow the function's argument."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function]
    if not defs:
        return False
    modes = []
    for node in ast.walk(defs[-1]):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name != "set_grad_enabled":
            continue
        mode = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "mode"), None)
        modes.append(mode)
    return bool(modes) and all(isinstance(m, ast.Constant) for m in modes)
