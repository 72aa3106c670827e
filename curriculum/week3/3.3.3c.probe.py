"""3.3.3c: what the checks measure inside the jail, next to the learner's code (data only)."""

from curriculum.probes.grads import wrap
from curriculum.probes.train_predict import short_runs


def _count_and_params(run):
    """A two-epoch run's differentiations and its parameters at the first and the second."""
    return run.count, None if run.seen is None else run.seen[1], run.second


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
                    short_runs(ns, train, ds, _count_and_params)))
    return out
