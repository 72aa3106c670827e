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
        if not (isinstance(result, tuple) and len(result) == 3):
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
                return Verdict(False, "value", f"call {i}: {name} is off: {problem}")
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


def judge_stop(learner, reference, inputs, ctx):
    for i, (g_w, x_w) in enumerate(learner.value, start=1):
        g, x_after = unwrap(g_w), unwrap(x_w)
        x = inputs[i - 1].to(torch.float64)
        if not isinstance(g, torch.Tensor):
            return Verdict(False, "type", f"call {i}: return x.grad (a tensor); found "
                                          f"{type_name(g)}")
        problem = close_problem(g, x, 1e-4, 1e-5)
        if problem:
            hint = ""
            if close_problem(g, 2 * x, 1e-4, 1e-5) is None:
                hint = (" — you got 2*x, the gradient of sum(x*x): the second factor must be "
                        "x.detach() so no gradient flows through it")
            return Verdict(False, "grad", f"call {i}: the returned gradient is off: "
                                          f"{problem}{hint}")
        if not isinstance(x_after, torch.Tensor) or meta(x_after).grad is None or \
                close_problem(meta(x_after).grad, x, 1e-4, 1e-5):
            return Verdict(False, "grad", f"call {i}: after your function x.grad must hold the "
                                          "gradient you returned (call loss.backward())")
    calls = (ctx.source.calls_by_name.get("stop_gradient") or [set()])[-1]
    missing = [c for c in (".detach", ".backward") if c not in calls]
    if missing:
        return Verdict(False, "api", "stop_gradient must use x.detach() and loss.backward(); "
                                     f"missing {', '.join(m[1:] + '()' for m in missing)}")
    return Verdict(True, "grad")
