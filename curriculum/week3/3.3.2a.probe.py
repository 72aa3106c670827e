"""3.3.2a: what the checks measure inside the jail, next to the learner's code (data only)."""

import time

import torch


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


def angle(ns, inputs):
    fn = ns.get("find_optimal_angle")
    rf = ns.get("range_function")
    if fn is None:
        raise NameError("name 'find_optimal_angle' is not defined")
    if rf is None:
        raise NameError("name 'range_function' is not defined")
    calls = [0]

    def counted(*args, **kwargs):
        calls[0] += 1
        return rf(*args, **kwargs)

    ns["range_function"] = counted
    out = []
    try:
        for v0, g, h in inputs:
            calls[0] = 0
            start = time.perf_counter()
            result = fn(v0=v0, g=g, h=h, steps=300)
            seconds = time.perf_counter() - start
            try:
                angle, best = (float(r) for r in result)
            except (TypeError, ValueError) as exc:
                out.append(("bad", type(result).__name__, str(exc)[:200]))
                continue
            out.append((angle, best, calls[0], seconds))
    finally:
        ns["range_function"] = rf
    return out
