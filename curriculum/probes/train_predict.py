"""Trains with the learner's ``train(X, y) -> (w, b)`` on each data set, then predicts
the held-out inputs with ``predict(X_test, w, b)`` (runs in the jail).

``PROBE_ARGS``: ``train`` and ``predict``, the two function names.
"""

from curriculum.probes.grads import wrap

PROBE_ARGS: dict = {}


def probe(ns, inputs):
    train = ns.get(PROBE_ARGS["train"])
    predict = ns.get(PROBE_ARGS["predict"])
    if train is None:
        raise NameError(f"name '{PROBE_ARGS['train']}' is not defined")
    if predict is None:
        raise NameError(f"name '{PROBE_ARGS['predict']}' is not defined")
    out = []
    for ds in inputs:
        result = train(ds["X"].clone(), ds["y"].clone())
        if not (isinstance(result, tuple) and len(result) == 2):
            out.append(("bad", type(result).__name__))
            continue
        w, b = result
        out.append((wrap(w), wrap(b), wrap(predict(ds["X_test"].clone(), w, b))))
    return out
