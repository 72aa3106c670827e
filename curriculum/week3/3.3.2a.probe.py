"""3.3.2a: what the checks measure inside the jail, next to the learner's code (data only)."""

import time

import torch

from curriculum.probes.objective import Watched


def flight_range(ns, inputs):
    fn = ns.get("range_function")
    if fn is None:
        raise NameError("name 'range_function' is not defined")
    out = []
    for angle, v0, g, h in inputs:
        a = torch.tensor(angle, dtype=torch.float64, requires_grad=True)
        r = fn(a, v0=v0, g=g, h=h)
        if not isinstance(r, torch.Tensor):
            out.append(("not a tensor", type(r).__name__))
            continue
        (d,) = torch.autograd.grad(r, a)
        out.append(("ok", float(r.detach()), float(d)))
    return out


def _floats(result, n):
    """None when ``result`` is ``n`` Python floats, else what is wrong (for the judge)."""
    if not isinstance(result, tuple | list) or len(result) != n:
        return None  # the float() unpacking below reports it
    wrong = [type(r).__name__ for r in result if not isinstance(r, float)]
    return wrong[0] if wrong else None


def angle(ns, inputs):
    fn = ns.get("find_optimal_angle")
    rf = ns.get("range_function")
    if fn is None:
        raise NameError("name 'find_optimal_angle' is not defined")
    if rf is None:
        raise NameError("name 'range_function' is not defined")
    watched = Watched(rf, "angle")
    ns["range_function"] = watched
    out = []
    try:
        for v0, g, h, steps in inputs:
            watched.reset()
            start = time.perf_counter()
            result = fn() if steps is None else fn(v0=v0, g=g, h=h, steps=steps)
            seconds = time.perf_counter() - start
            not_float = _floats(result, 2)
            if not_float:
                out.append(("not float", not_float))
                continue
            try:
                angle, best = (float(r) for r in result)
            except (TypeError, ValueError) as exc:
                out.append(("bad", type(result).__name__, str(exc)[:200]))
                continue
            out.append((angle, best, watched.calls, seconds, len(watched.graded),
                        watched.first))
    finally:
        ns["range_function"] = rf
    return out
