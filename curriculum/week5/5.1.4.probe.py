"""5.1.4 (training loops, practice set 4): what train_loop_18's check runs in the jail — the
shared training-loop probe, then a second call with accumulation_steps=2 (data only)."""

import torch as _torch

from curriculum.probes.training_loop import _build, _flat, _Rec, probe

# the shared probe, kept under its own name: the assembled text rebinds `probe` to the
# function this check names
_loop_probe = probe


def accumulation_probe(ns, inputs):
    out = _loop_probe(ns, inputs)
    # a second run from a fresh model with accumulation_steps=2: the argument, not a
    # typed-in 4, must decide the loss scale and when the optimizer steps
    fn = ns.get("train_loop_18")
    _torch.manual_seed(inputs["init_seed"] + 1)
    model = _build(inputs["model"])
    before = _flat(model)
    X, y = inputs["args"][0].clone(), inputs["args"][1].clone()
    rec = _Rec([model])
    try:
        rec.install()
        model.train()
        fn(model, X, y, accumulation_steps=2)
    finally:
        rec.remove()
    out["second"] = {"init": before, "final": _flat(model), "seq": rec.report()["seq"]}
    return out
