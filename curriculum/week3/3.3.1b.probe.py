"""3.3.1b: what the checks measure inside the jail, next to the learner's code (data only)."""

import time

import torch


def objective(ns, inputs):
    fn = ns.get("objective_function")
    if fn is None:
        raise NameError("name 'objective_function' is not defined")
    out = []
    for x0, y0 in inputs:
        x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        y = torch.tensor(y0, dtype=torch.float64, requires_grad=True)
        v = fn(x, y)
        gx, gy = torch.autograd.grad(v, (x, y))
        out.append((float(v.detach()), float(gx), float(gy)))
    return out


BUDGET = 1000


def _number(v):
    return float(v.detach()) if isinstance(v, torch.Tensor) else float(v)


def minimum(ns, inputs):
    fn = ns.get("find_minimum")
    if fn is None:
        raise NameError("name 'find_minimum' is not defined")
    out = []
    for case in inputs:
        a, b, c, d, e, g = case["q"]
        calls = [0]
        points = []  # the first few points f is evaluated at (start, first step)
        # evaluations at points whose gradient norm is under a quarter of the tolerance
        # passed in (a descent that ignores `tolerance` keeps going there)
        deep = [0]
        quarter = case["tolerance"] / 4 if "tolerance" in case else None

        def f(x, y, q=(a, b, c, d, e, g), calls=calls, points=points, deep=deep,
              quarter=quarter):
            calls[0] += 1
            try:
                at = (_number(x), _number(y))
            except (TypeError, ValueError, RuntimeError):
                at = None
            if len(points) < 6:
                points.append(at)
            qa, qb, qc, qd, qe, qg = q
            if quarter is not None and at is not None:
                gx, gy = 2 * qa * at[0] + qc * at[1] + qd, 2 * qb * at[1] + qc * at[0] + qe
                deep[0] += (gx * gx + gy * gy) ** 0.5 < quarter
            return qa * x**2 + qb * y**2 + qc * x * y + qd * x + qe * y + qg

        extra = {"tolerance": case["tolerance"]} if "tolerance" in case else {}
        start = time.perf_counter()
        result = fn(f, case["start"][0], case["start"][1], learning_rate=case.get("lr", 0.1),
                    max_iterations=case.get("max_iterations", BUDGET), **extra)
        seconds = time.perf_counter() - start
        if isinstance(result, tuple | list) and len(result) == 3 \
                and not all(isinstance(r, float) for r in result):
            out.append(("not float", next(type(r).__name__ for r in result
                                          if not isinstance(r, float))))
            continue
        try:
            x, y, v = (float(r) for r in result)
        except (TypeError, ValueError) as exc:
            out.append(("bad", type(result).__name__, str(exc)[:200]))
            continue
        out.append((x, y, v, calls[0], seconds, list(points), deep[0]))
    return out
