"""final.1: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch

from curriculum.probes.recorders import _acc, _made, mode_hook, need, recording


def arch(ns, d):
    model = need(ns, "FinalNet")(d["d"], d["h"], d["c"], dropout=0.3)
    mods = [(type(m).__name__, getattr(m, "in_features", getattr(m, "num_features", None)),
             getattr(m, "out_features", None), getattr(m, "p", None)) for m in model.modules()]
    model.eval()
    with torch.no_grad():
        out = model(d["x"])
    ds = need(ns, "TabularDataset")(d["x"], d["y"])
    item = ds[3]
    unl = need(ns, "TabularDataset")(d["x"])
    return {"mods": mods, "shape": list(out.shape), "len": len(ds),
            "item": list(item) if isinstance(item, (tuple, list)) else repr(item)[:60],
            "unl": unl[2], "params": sum(p.numel() for p in model.parameters())}


def fit(ns, d):
    torch.manual_seed(5)
    ds = need(ns, "TabularDataset")
    model = need(ns, "FinalNet")(12, 32, 4)
    log = []
    handle = mode_hook(model, log)
    fn = need(ns, "fit")
    info = recording(lambda: fn(model, ds(d["x"], d["y"]), ds(d["xv"], d["yv"]), num_epochs=40,
                                lr=0.01, patience=3))
    handle.remove()
    model.eval()
    with torch.no_grad():
        pred = model(d["xt"]).argmax(1)
    return {"pred": pred, "made": _made, "acc": _acc, "modes": sorted(set(log)),
            "info": dict(info) if isinstance(info, dict) else {}}
