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


def _shifted(shift, log):
    """A stand-in for the learner's polynomial: the same polynomial moved right by
    ``shift`` (its critical points move by ``shift``), counting its calls."""
    def polynomial(x, coeffs):
        log.append(1)
        n = len(coeffs)
        moved = x - shift
        result = None
        for i, c in enumerate(coeffs):
            term = c * moved ** (n - 1 - i)
            result = term if result is None else result + term
        return result
    return polynomial


def _points(result):
    try:
        return [(float(p[0]), str(p[1])) for p in result]
    except (TypeError, ValueError, IndexError) as exc:
        return ("bad", type(result).__name__, str(exc)[:200])


def crit(ns, inputs):
    fn = ns.get("find_critical_points")
    if fn is None:
        raise NameError("name 'find_critical_points' is not defined")
    out = []
    for case in inputs:
        if len(case) == 3:  # (coeffs, None, shift): polynomial swapped for a shifted one
            coeffs, _, shift = case
            own, log = ns.get("polynomial"), []
            ns["polynomial"] = _shifted(shift, log)
            try:
                result = fn(list(coeffs))
            finally:
                if own is None:
                    ns.pop("polynomial", None)
                else:
                    ns["polynomial"] = own
            out.append(("swapped", _points(result), len(log)))
            continue
        coeffs, x_range = case
        result = fn(list(coeffs)) if x_range is None else fn(list(coeffs), tuple(x_range))
        out.append(_points(result))
    return out
