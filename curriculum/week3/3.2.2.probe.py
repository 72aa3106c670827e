"""3.2.2: what the checks measure inside the jail, next to the learner's code (data only)."""

from curriculum.probes.grads import wrap


def detach(ns, inputs):
    fn = ns.get("detach_practice")
    if fn is None:
        raise NameError("name 'detach_practice' is not defined")
    out = []
    for x in inputs:
        x = x.clone().requires_grad_(True)
        out.append(wrap(fn(x)))
    return out


def stop(ns, inputs):
    fn = ns.get("stop_gradient")
    if fn is None:
        raise NameError("name 'stop_gradient' is not defined")
    out = []
    for x in inputs:
        x = x.clone().requires_grad_(True)
        g = fn(x)
        out.append((wrap(g), wrap(x)))
    return out
