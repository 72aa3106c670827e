"""3.3.1a: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch


def poly(ns, inputs):
    fn = ns.get("polynomial")
    if fn is None:
        raise NameError("name 'polynomial' is not defined")
    out = []
    for coeffs, x in inputs:
        x = x.clone().requires_grad_(True)
        y = fn(x, coeffs)
        if not isinstance(y, torch.Tensor):
            out.append(("not a tensor", type(y).__name__))
            continue
        try:
            (g,) = torch.autograd.grad(y.sum(), x)
        except RuntimeError as exc:
            out.append(("no grad", str(exc)[:200]))
            continue
        out.append(("ok", y.detach().clone(), g.detach().clone()))
    return out


def crit(ns, inputs):
    fn = ns.get("find_critical_points")
    if fn is None:
        raise NameError("name 'find_critical_points' is not defined")
    out = []
    for coeffs, x_range in inputs:
        result = fn(list(coeffs)) if x_range is None else fn(list(coeffs), tuple(x_range))
        try:
            out.append([(float(p[0]), str(p[1])) for p in result])
        except (TypeError, ValueError, IndexError) as exc:
            out.append(("bad", type(result).__name__, str(exc)[:200]))
    return out
