"""3.3.2b: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch

from curriculum.probes.objective import Watched


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


def equilibrium(ns, inputs):
    fn = ns.get("find_equilibrium")
    pe = ns.get("potential_energy")
    if fn is None:
        raise NameError("name 'find_equilibrium' is not defined")
    if pe is None:
        raise NameError("name 'potential_energy' is not defined")
    watched = Watched(pe, "position")
    out = []
    for k, force, start, steps in inputs:
        import torch
        x = torch.tensor(0.7, dtype=torch.float64)
        u = pe(x, k=k, force=force)
        u = float(u) if isinstance(u, torch.Tensor | float) else None
        ns["potential_energy"] = watched
        watched.reset()
        try:
            result = (fn() if steps is None
                      else fn(k=k, force=force, start=start, steps=steps))
        finally:
            ns["potential_energy"] = pe
        if not isinstance(result, float):
            out.append(("not float", type(result).__name__))
            continue
        position = float(result)
        out.append((position, watched.calls, u, len(watched.graded), watched.first))
    return out
