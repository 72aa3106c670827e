"""3.3.3c: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch

from curriculum.probes.grads import wrap
from curriculum.probes.train_predict import _FirstLoss


def _short_runs(ns, train, ds):
    """Two-epoch runs (num_epochs=2), one per rate in ``ds["rates"]``, torch's generator
    in the same state before each: [(differentiations, parameters at the first, at the
    second) or None, …]; None without rates."""
    if "rates" not in ds:
        return None
    runs, state = [], torch.random.get_rng_state()
    for rate in ds["rates"]:
        torch.random.set_rng_state(state)
        try:
            with _FirstLoss(ns) as run:
                train(ds["X"].clone(), ds["y"].clone(), num_epochs=2,
                      learning_rate=float(rate))
        except Exception:  # the main run's verdict speaks for the code
            runs.append(None)
            continue
        runs.append((run.count, None if run.seen is None else run.seen[1], run.second))
    return runs


def fit(ns, inputs):
    train = ns.get("train_xor_network")
    predict = ns.get("predict_xor")
    if train is None:
        raise NameError("name 'train_xor_network' is not defined")
    if predict is None:
        raise NameError("name 'predict_xor' is not defined")
    out = []
    for ds in inputs:
        size = ds.get("hidden_size")
        params = (train(ds["X"].clone(), ds["y"].clone()) if size is None
                  else train(ds["X"].clone(), ds["y"].clone(), hidden_size=size))
        if type(params) is not dict:
            out.append(("bad", type(params).__name__))
            continue
        shapes = {k: tuple(v.shape) for k, v in params.items() if hasattr(v, "shape")}
        out.append(("ok", shapes, wrap(predict(ds["X_test"].clone(), params)),
                    _short_runs(ns, train, ds)))
    return out
