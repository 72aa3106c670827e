"""Checks of 3.2.2: detach() keeps values and cuts the graph."""

import numpy as np
import torch

from curriculum.judges.autograd import close_problem, meta, unwrap
from curriculum.judges.text import type_name
from grader.checks.base import Verdict


def make_inputs(rng: np.random.Generator) -> list:
    return [torch.from_numpy(rng.standard_normal(5).astype(np.float32)) for _ in range(3)]


def judge_detach(learner, reference, inputs, ctx):
    for i, item in enumerate(learner.value, start=1):
        result = unwrap(item)
        if not (isinstance(result, tuple | list) and len(result) == 3):
            return Verdict(False, "type", f"call {i}: return a tuple (y, y_detached, z); found "
                                          f"{type_name(result)}")
        x = inputs[i - 1].to(torch.float64)
        specs = (("y", x**2, True), ("y_detached", x**2, False), ("z", 2 * x**2, False))
        for (name, want, recorded), got in zip(specs, result, strict=True):
            if not isinstance(got, torch.Tensor):
                return Verdict(False, "type", f"call {i}: {name} should be a tensor; found "
                                              f"{type_name(got)}")
            problem = close_problem(got, want, 1e-4, 1e-5)
            if problem:
                return Verdict(False, "value", f"call {i}: {name} is off: {problem}"
                                               f"{_shared_hint(name, got, result)}")
            if meta(got).requires_grad != recorded:
                why = ("y = x**2 is computed from x, which requires grad, so it must be part of "
                       "the graph" if recorded else
                       f"{name} must be cut from the graph (requires_grad False): "
                       "use y.detach(), and build z from y_detached")
                return Verdict(False, "grad", f"call {i}: {name}.requires_grad is "
                                              f"{meta(got).requires_grad}; {why}")
        if not meta(result[1]).is_leaf:
            return Verdict(False, "grad", f"call {i}: y_detached should be a leaf (what "
                                          ".detach() returns)")
    calls = (ctx.source.calls_by_name.get("detach_practice") or [set()])[-1]
    if ".detach" not in calls:
        return Verdict(False, "api", "detach_practice must call y.detach()")
    return Verdict(True, "grad")


def _shared_hint(name: str, got, result) -> str:
    """y (or y_detached) off because it holds z's values: z was made in place on
    y_detached, which shares y's storage."""
    z = result[2]
    if name == "z" or not isinstance(z, torch.Tensor) or tuple(z.shape) != tuple(got.shape):
        return ""
    if close_problem(got, z, 1e-6, 1e-7) is not None:
        return ""
    return (f" — {name} holds z's values: an in-place operation on y_detached "
            "(`y_detached.mul_(2)`, `y_detached *= 2`) changes y too, because .detach() "
            "returns a tensor that shares y's storage; write `z = y_detached * 2`")


NO_DETACH = ("the gradient of sum(x*x): the second factor must be x.detach() so no gradient "
             "flows through it")


def _x_grad(x_after):
    """x.grad after the learner's call (None when x is not a tensor or has no gradient)."""
    return meta(x_after).grad if isinstance(x_after, torch.Tensor) else None


def _is(t, want) -> bool:
    return isinstance(t, torch.Tensor) and close_problem(t, want, 1e-4, 1e-5) is None


def judge_stop(learner, reference, inputs, ctx):
    for i, (g_w, x_w) in enumerate(learner.value, start=1):
        g, x_after = unwrap(g_w), unwrap(x_w)
        x = inputs[i - 1].to(torch.float64)
        if not isinstance(g, torch.Tensor):
            return Verdict(False, "type", f"call {i}: return x.grad (a tensor); found "
                                          f"{type_name(g)}")
        x_grad = _x_grad(x_after)
        problem = close_problem(g, x, 1e-4, 1e-5)
        if problem:
            # what x.grad holds tells a wrong loss from a right gradient changed on return
            if _is(x_grad, x):
                hint = (" — x.grad itself is right (it equals x), but you returned "
                        + ("twice it" if _is(g, 2 * x) else "something else")
                        + ": return x.grad as it is")
            elif _is(g, 2 * x):
                hint = f" — you got 2*x, {NO_DETACH}"
            else:
                hint = ""
            return Verdict(False, "grad", f"call {i}: the returned gradient is off: "
                                          f"{problem}{hint}")
        if x_grad is None:
            return Verdict(False, "grad", f"call {i}: after your function x.grad must hold the "
                                          "gradient you returned (call loss.backward())")
        if not _is(x_grad, x):
            why = (f"it is 2*x, {NO_DETACH}" if _is(x_grad, 2 * x) else
                   "return x.grad itself, after one loss.backward()")
            return Verdict(False, "grad", f"call {i}: you returned x, but x.grad holds "
                                          f"something else: {why}")
    calls = (ctx.source.calls_by_name.get("stop_gradient") or [set()])[-1]
    missing = [c for c in (".detach", ".backward") if c not in calls]
    if missing:
        return Verdict(False, "api", "stop_gradient must use x.detach() and loss.backward(); "
                                     f"missing {', '.join(m[1:] + '()' for m in missing)}")
    return Verdict(True, "grad")
