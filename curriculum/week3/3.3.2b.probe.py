"""3.3.2b: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch


def energy(ns, inputs):
    fn = ns.get("total_energy")
    if fn is None:
        raise NameError("name 'total_energy' is not defined")
    out = []
    for x0, v0, k, m in inputs:
        x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        v = torch.tensor(v0, dtype=torch.float64, requires_grad=True)
        e = fn(x, v, k=k, m=m)
        if not isinstance(e, torch.Tensor):
            out.append(("not a tensor", type(e).__name__))
            continue
        gx, gv = torch.autograd.grad(e, (x, v))
        out.append(("ok", float(e.detach()), float(gx), float(gv)))
    return out


def _point(args, kwargs, name):
    """The input a call was made at, as a float (None when it can't be read)."""
    value = args[0] if args else kwargs.get(name)
    try:
        return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)
    except (TypeError, ValueError, RuntimeError):
        return None


def equilibrium(ns, inputs):
    fn = ns.get("find_equilibrium")
    pe = ns.get("potential_energy")
    if fn is None:
        raise NameError("name 'find_equilibrium' is not defined")
    if pe is None:
        raise NameError("name 'potential_energy' is not defined")
    calls = [0]
    graded = set()  # positions whose energy a gradient flowed back through (one per step)

    def counted(*args, **kwargs):
        calls[0] += 1
        u = pe(*args, **kwargs)
        at = _point(args, kwargs, "position")
        if isinstance(u, torch.Tensor) and u.requires_grad and at is not None:
            u.register_hook(lambda grad, at=at: graded.add(at))
        return u

    out = []
    for k, force, start in inputs:
        import torch
        x = torch.tensor(0.7, dtype=torch.float64)
        u = pe(x, k=k, force=force)
        u = float(u) if isinstance(u, torch.Tensor | float) else None
        ns["potential_energy"] = counted
        calls[0] = 0
        graded.clear()
        try:
            result = fn(k=k, force=force, start=start, steps=500)
        finally:
            ns["potential_energy"] = pe
        if not isinstance(result, float):
            out.append(("not float", type(result).__name__))
            continue
        position = float(result)
        out.append((position, calls[0], u, len(graded)))
    return out
