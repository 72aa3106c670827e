"""5.2.5 (distributed training simulation): what the checks run in the jail, on top of the
training-loop instruments (data only)."""

import torch as _torch

from curriculum.probes.training_loop import _build, _describe, _flat, _Rec
from curriculum.probes.unchanged import same


def _sim(ns, model, workers=4, steps=4):
    cls = ns.get("DistributedSimulator")
    if cls is None:
        raise NameError("name 'DistributedSimulator' is not defined")
    return cls(model, num_workers=workers, accumulation_steps=steps)


def probe(ns, inputs):
    X, y = inputs["X"].clone(), inputs["y"].clone()
    part = inputs["part"]
    # 1. accumulation: micro-batches of 8, 4 per update
    if part == "acc":
        return {"acc": _probe_acc(ns, inputs, X, y)}
    if part == "reduce":
        return {"reduce": _probe_reduce(ns, inputs)}
    return {"async": _probe_async(ns, inputs, X, y)}


def _probe_acc(ns, inputs, X, y):
    from torch.utils.data import DataLoader, TensorDataset
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    sim = _sim(ns, model)
    before = _flat(model)
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=False)
    opt = _torch.optim.SGD(model.parameters(), lr=0.1)
    rec = _Rec([model])
    try:
        rec.install()
        sim.gradient_accumulation_training(loader, opt, num_epochs=3)
    finally:
        rec.remove()
    model.eval()
    with _torch.no_grad():
        preds = model(inputs["X_test"])
    # a second simulator with accumulation_steps=2 (one epoch): self.accumulation_steps, not
    # a typed-in 4, decides the updates and the loss scale
    _torch.manual_seed(inputs["init_seed"] + 1)
    model2 = _build(inputs["model"])
    before2 = _flat(model2)
    _sim(ns, model2, steps=2).gradient_accumulation_training(
        DataLoader(TensorDataset(X, y), batch_size=8, shuffle=False),
        _torch.optim.SGD(model2.parameters(), lr=0.1), num_epochs=1)
    return {"report": rec.report(), "init": before, "final": _flat(model),
            "preds": preds.detach(), "init2": before2, "final2": _flat(model2)}


def _reduce_once(ns, inputs, key, workers):
    """One all-reduce on a fresh simulator with ``workers`` workers: what it returned, the
    .grads it left, and whether it changed the gradients it was given."""
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    sim = _sim(ns, model, workers=workers)
    given = [[g.clone() for g in w] for w in inputs[key]]
    res = sim.simulated_all_reduce(given)
    return {"returned": _describe(res),
            "grads": [None if p.grad is None else p.grad.detach().clone()
                      for p in model.parameters()],
            "changed": not same(inputs[key], given)}


def _probe_reduce(ns, inputs):
    out = _reduce_once(ns, inputs, "worker_grads", 4)
    # a second simulator with 3 workers (3 lists): the mean is over the workers given,
    # not a typed-in 4
    out["three"] = _reduce_once(ns, inputs, "worker_grads3", 3)
    return out


def _probe_async(ns, inputs, X, y):
    from torch.utils.data import DataLoader, TensorDataset
    out = []
    for staleness in (0, 2):
        _torch.manual_seed(inputs["init_seed"])
        model = _build(inputs["model"])
        sim = _sim(ns, model)
        loader = DataLoader(TensorDataset(X[:96], y[:96]), batch_size=16, shuffle=False)
        opt = _torch.optim.SGD(model.parameters(), lr=0.1)
        init = _flat(model)
        sim.asynchronous_updates(loader, opt, staleness=staleness)
        out.append({"init": init, "final": _flat(model)})
    return out
