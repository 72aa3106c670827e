"""5.2.3 (robust training techniques): what the checks run in the jail, on top of the
training-loop instruments (data only)."""

import torch as _torch
from torch import nn as _nn

from curriculum.probes.recorders import holds_graph
from curriculum.probes.training_loop import _describe, _flat
from curriculum.probes.unchanged import pristine


def _trainer(ns, model, lr=0.01):
    cls = ns.get("RobustTrainer")
    if cls is None:
        raise NameError("name 'RobustTrainer' is not defined")
    opt = _torch.optim.SGD(model.parameters(), lr=lr)
    return cls(model, opt, _nn.MSELoss())


def _stopping(ns, seed, scenario):
    """Feed one hidden validation curve to a fresh trainer (its loss_history pre-filled, the
    weights set to the epoch number before each call): the calls' results and the weights
    left in the model."""
    _torch.manual_seed(seed)
    model = _nn.Linear(10, 1)
    tr = _trainer(ns, model)
    tr.loss_history.extend(scenario["history"])
    stops = []
    for i, v in enumerate(scenario["val_losses"]):
        with _torch.no_grad():
            for p in model.parameters():
                p.fill_(float(i))
        if scenario["patience"] is None:
            stop = tr.adaptive_early_stopping(v)
        else:
            stop = tr.adaptive_early_stopping(v, patience=scenario["patience"])
        stops.append(_describe(stop))
        if stop is True:
            break
    return {"stops": stops, "restored": _flat(model)}


def probe(ns, inputs):
    out = {"steps": []}
    for target in ("y", "y_big", "nan"):
        _torch.manual_seed(inputs["init_seed"])
        model = _nn.Linear(10, 1)
        tr = _trainer(ns, model)
        before = _flat(model)
        X = inputs["X"].clone()
        y = inputs["y_big" if target == "y_big" else "y"].clone()
        if target == "nan":
            X[0, 0] = float("nan")
        res = tr.train_step_with_gradient_monitoring(X, y)
        # what the step recorded on the (fresh) trainer, and whether a returned or recorded
        # value is a tensor still attached to the autograd graph
        logs = {name: getattr(tr, name, None) for name in ("loss_history", "gradient_norms")}
        kept = [*(v for log in logs.values() if isinstance(log, list) for v in log),
                *(res.values() if isinstance(res, dict) else ())]
        out["steps"].append({"result": _describe(res), "before": before, "after": _flat(model),
                             "logs": {k: _describe(v) if isinstance(v, list) else None
                                      for k, v in logs.items()},
                             "graph": holds_graph(kept)})
    out["stopping"] = [_stopping(ns, inputs["init_seed"], s) for s in inputs["stopping"]]
    data = _torch.zeros(4000, 5)
    tr = _trainer(ns, _nn.Linear(10, 1))
    noisy = [tr.noise_injection_training(data, e) for e in (0, 40, 200)]
    out["noise"] = [_describe(n) for n in noisy]
    # an explicit noise_std (0.05, and 0.0: no noise) overrides the schedule
    out["given"] = [_describe(tr.noise_injection_training(data, 3, noise_std=std))
                    for std in GIVEN_STDS]
    p = pristine()  # not the learner's Tensor.__eq__
    out["data_untouched"] = bool(p["equal"](data, _torch.zeros_like(data)))
    return out


GIVEN_STDS = (0.05, 0.0)
