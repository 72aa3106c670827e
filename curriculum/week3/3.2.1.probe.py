"""3.2.1: what the checks measure inside the jail, next to the learner's code (data only)."""

from curriculum.probes.grads import wrap


def train(ns, inputs):
    fn = ns.get("training_mode_practice")
    if fn is None:
        raise NameError("name 'training_mode_practice' is not defined")
    W = inputs["W"].clone().requires_grad_(True)
    out = []
    for x in inputs["xs"]:
        loss = fn(x.clone(), W)
        g = W.grad
        out.append((wrap(loss), None if g is None else g.detach().clone()))
    return out


def infer(ns, inputs):
    fn = ns.get("inference_mode_practice")
    if fn is None:
        raise NameError("name 'inference_mode_practice' is not defined")
    out = []
    for x in inputs["xs"]:
        W = inputs["W"].clone().requires_grad_(True)
        result = fn(x.clone(), W)
        out.append((wrap(result), W.grad is None))
    return out


def mode(ns, inputs):
    fn = ns.get("run_model")
    if fn is None:
        raise NameError("name 'run_model' is not defined")
    out = []
    for i, x in enumerate(inputs["xs"]):
        W = inputs["W"].clone().requires_grad_(True)
        training = i % 2 == 0
        out.append((training, wrap(fn(x.clone(), W, training))))
    return out
