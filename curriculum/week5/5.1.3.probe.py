"""5.1.3 (training loops, practice set 3): what the checks of train_loop_12 and train_loop_13
run in the jail — the shared training-loop probe, then the shared probe again with other
argument values (data only): train_loop_12 with k=3; train_loop_13 with patience=1, and with
max_epochs=3 (patience=10)."""

from curriculum.probes.training_loop import probe

# the shared probe, kept under its own name: the assembled text rebinds `probe` to the
# function this check names
_loop_probe = probe


def _again(ns, inputs, kwargs, offset):
    """The shared probe's run of the loop from another fresh model (init seed + ``offset``)
    called with ``kwargs``, without spare data sets."""
    other = dict(inputs, kwargs=kwargs, init_seed=inputs["init_seed"] + offset, extra=[])
    return _loop_probe(ns, other)


def kfold_probe(ns, inputs):
    out = _loop_probe(ns, inputs)
    # k=3: the argument, not a typed-in 5, must decide the folds
    out["second"] = _again(ns, inputs, {"k": 3}, 1)
    return out


def early_probe(ns, inputs):
    out = _loop_probe(ns, inputs)
    # patience=1: a typed-in 3 stops later than the first epoch without improvement;
    # max_epochs=3 with patience=10: a typed-in 100 trains on past epoch 3
    out["second"] = {"patience": _again(ns, inputs, {"patience": 1, "max_epochs": 100}, 1),
                     "max_epochs": _again(ns, inputs, {"patience": 10, "max_epochs": 3}, 2)}
    return out
