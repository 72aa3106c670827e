"""final.1: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from curriculum.probes.clipping import clipping
from curriculum.probes.recorders import _acc, _made, _objects, mode_hook, need, recording
from curriculum.probes.rows import row_index, track_training_rows, watch_entries
from curriculum.probes.scripted_curve import curve_loss, scripted_logits
from curriculum.probes.trusted import grad_on


def _run_order(model, x):
    """The leaf modules in the order they run, each with the smallest value of its input
    (BatchNorm sees raw Linear outputs, negatives included; Dropout and the next Linear see
    ReLU outputs, never negative)."""
    order = []

    def pre(mod, args):
        x0 = args[0] if args else None
        low = float(x0.min()) if isinstance(x0, torch.Tensor) and x0.numel() else None
        order.append((type(mod).__name__, low))
    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    hooks = [m.register_forward_pre_hook(pre) for m in leaves]
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        for h in hooks:
            h.remove()
    return out, order


def arch(ns, d):
    model = need(ns, "FinalNet")(d["d"], d["h"], d["c"], dropout=0.3)
    mods = [(type(m).__name__, getattr(m, "in_features", getattr(m, "num_features", None)),
             getattr(m, "out_features", None), getattr(m, "p", None)) for m in model.modules()]
    model.eval()
    out, order = _run_order(model, d["x"])
    ds = need(ns, "TabularDataset")(d["x"], d["y"])
    item = ds[3]
    unl = need(ns, "TabularDataset")(d["x"])
    out = {"mods": mods, "order": order, "shape": list(out.shape), "len": len(ds),
           "item": _item(item), "unl": _item(unl[2]),
           "params": sum(p.numel() for p in model.parameters())}
    if "x64" in d:  # float64 features, int32 labels: ds[i] still float32 / int64
        try:
            out["item64"] = _item(need(ns, "TabularDataset")(d["x64"], d["y32"])[d["i"]])
        except Exception as exc:  # e.g. torch.FloatTensor(a float64 tensor): the judge says so
            out["item64"] = {"error": f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:160]}
    return out


def _item(item):
    """An item as data: a tensor as is, a tuple as a list of its parts, anything else by its
    repr (the judge says what it should be)."""
    if isinstance(item, torch.Tensor):
        return item
    if isinstance(item, (tuple, list)):
        return [v if isinstance(v, torch.Tensor) else repr(v)[:60] for v in item]
    return repr(item)[:60]


def _snapshots(model, snaps):
    """At the start of every validation pass (eval mode, no grad, after training) keep a copy
    of the weights: the candidates for "the best weights" early stopping must load back.
    Seen however the model is entered (``model(x)``, ``model.forward(x)``: its first layer)."""
    state = {"training": True}

    def pre(mod, args):
        if not mod.training and not grad_on() and state["training"]:
            snaps.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        state["training"] = bool(mod.training)
    return watch_entries(model, pre)


def _val_loss(cls, state, xv, yv):
    model = cls(12, 32, 4)
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        return float(torch.nn.functional.cross_entropy(model(xv), yv))


def fit(ns, d):
    torch.manual_seed(5)
    ds = need(ns, "TabularDataset")
    cls = need(ns, "FinalNet")
    model = cls(12, 32, 4)
    log, snaps, rows = [], [], []
    handles = [mode_hook(model, log), _snapshots(model, snaps),
               track_training_rows(model, row_index(d["x"]), rows)]
    lrs = []  # the learning rate of every optimizer step, in order
    handles.append(register_optimizer_step_pre_hook(
        lambda opt, a, k: lrs.append(float(opt.param_groups[0]["lr"]))))
    fn = need(ns, "fit")
    built = len(_objects)
    try:
        info, max_norms, step_norms, clip_order = clipping(ns, lambda: recording(
            lambda: fn(model, ds(d["x"], d["y"]), ds(d["xv"], d["yv"]), num_epochs=40,
                       lr=d["lr"], patience=3, batch_size=d["batch_size"])))
    finally:
        for h in handles:
            h.remove()
    # each scheduler's step() calls during fit (last_epoch counts them; building it is 0)
    sched_steps = [int(getattr(o, "last_epoch", -1)) for label, o in _objects[built:]
                   if label == "scheduler"]
    model.eval()
    with torch.no_grad():
        pred = model(d["xt"]).argmax(1)
    final = model.state_dict()
    diffs = [max(float((final[k].double() - v.double()).abs().max()) for k, v in snap.items())
             for snap in snaps]
    losses = [_val_loss(cls, snap, d["xv"], d["yv"]) for snap in snaps]
    return {"pred": pred, "made": _made, "acc": _acc, "modes": sorted(set(log)),
            "info": dict(info) if isinstance(info, dict) else {},
            "snap_losses": losses, "snap_diffs": diffs, "lrs": lrs, "rows": rows,
            "sched_steps": sched_steps, "max_norms": max_norms, "step_norms": step_norms,
            "clip_order": clip_order,
            "scripted": _scripted(ns, d["stop"]), "capped": _scripted(ns, d["capped"])}


def _scripted(ns, d):
    """A second, short fit() whose validation losses the grader scripts: in eval mode, on rows
    of the validation set, the model returns logits whose cross-entropy with each row's label
    is ``d["curve"][e - 1]`` after training epoch e (counted in optimizer steps), whatever the
    batching or averaging. Training itself is real. Returns fit's dict, the epochs (in steps)
    at which the weights were kept for a validation pass, and how far the final weights are
    from each of those copies."""
    cls = need(ns, "FinalNet")
    labels = {tuple(row.tolist()): int(y) for row, y in zip(d["xv"], d["yv"], strict=True)}
    curve, per_epoch, classes = d["curve"], d["per_epoch"], 4
    steps = [0]

    class Scripted(cls):
        def forward(self, *args, **kwargs):
            out = super().forward(*args, **kwargs)
            x = args[0] if args else None
            if self.training or not isinstance(x, torch.Tensor) or x.dim() != 2:
                return out
            rows = [labels.get(tuple(r.tolist())) for r in x]
            if not rows or any(r is None for r in rows):
                return out
            return scripted_logits(curve_loss(curve, steps[0], per_epoch), rows, classes, out)

    def count(opt, args, kwargs):
        steps[0] += 1
    torch.manual_seed(11)
    model = Scripted(12, 32, classes)
    snaps = []
    handles = [register_optimizer_step_pre_hook(count), _snapshots(model, snaps)]
    at = []  # the optimizer steps taken when each copy was kept
    handles.append(watch_entries(model, lambda m, a: at.extend(
        [steps[0]] * (len(snaps) - len(at)))))
    ds = need(ns, "TabularDataset")
    try:
        info = need(ns, "fit")(model, ds(d["x"], d["y"]), ds(d["xv"], d["yv"]),
                               num_epochs=d["epochs"], lr=0.01, patience=d.get("patience", 3))
    finally:
        for h in handles:
            h.remove()
    final = model.state_dict()
    diffs = [max(float((final[k].double() - v.double()).abs().max()) for k, v in snap.items())
             for snap in snaps]
    return {"info": dict(info) if isinstance(info, dict) else repr(info)[:80],
            "epochs_at": [s // per_epoch for s in at], "diffs": diffs}
