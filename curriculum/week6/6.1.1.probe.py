"""6.1.1: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch
from torch.utils.data import DataLoader, TensorDataset

from curriculum.probes.forward_calls import dropout_calls
from curriculum.probes.grader_weights import grader_outputs
from curriculum.probes.recorders import _acc, _made, holds_graph, mode_hook, need, recording
from curriculum.probes.rows import distinct_rows, track_distinct_rows
from curriculum.probes.training_loop import _Rec, _train_values
from curriculum.probes.unchanged import pristine


def arch(ns, x):
    model = need(ns, "SpeedMLP")()
    layers = [(type(m).__name__, getattr(m, "in_features", None), getattr(m, "out_features", None),
               getattr(m, "p", None)) for m in model.modules()]
    model.eval()
    with torch.no_grad():
        a, b = model(x), model(x)
    model.train()
    torch.manual_seed(0)
    with torch.no_grad():
        applied, c = dropout_calls(lambda: model(x))
        d = model(x)
    graded = grader_outputs(need(ns, "SpeedMLP")(), lambda m: m(x), 61)
    equal = pristine()["equal"]  # not the learner's torch.equal
    return {"layers": layers, "params": sum(p.numel() for p in model.parameters()),
            "shape": list(a.shape), "eval_same": bool(equal(a, b)),
            "train_differs": not bool(equal(c, d)), "graded": graded,
            "dropout_calls": applied}


def train(ns, d):
    torch.manual_seed(1)
    model = need(ns, "SpeedMLP")()
    train = DataLoader(TensorDataset(d["x"], d["y"]), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(d["xv"], d["yv"]), batch_size=64)
    log, trained = [], {}
    handle = mode_hook(model, log)
    # the rows of the training forwards (however the model is entered, on any thread): the
    # judge finds validation rows among them
    rows = track_distinct_rows(model, trained)
    # the loss-module calls of the training batches (their values, for the history's
    # train_loss), recorded in order
    rec = _Rec([model])
    try:
        rec.install()
        history = recording(lambda: need(ns, "train_model")(model, train, val,
                                                            num_epochs=d["epochs"]))
    finally:
        rec.remove()
        handle.remove()
        rows.remove()
    graph = holds_graph(history)
    model.eval()
    with torch.no_grad():
        pred = model(d["xt"]).argmax(dim=1)
        val_out = model(d["xv"])
        val_pred = val_out.argmax(dim=1)
        # the mean validation loss, per sample and as the mean of the loader's batch means
        ce = torch.nn.functional.cross_entropy
        val_loss = [ce(val_out, d["yv"]).item(),
                    sum(ce(model(xb), yb).item() for xb, yb in val) / len(val)]
        # the same on the training rows: a "validation" run over the train loader
        train_loss = [ce(model(d["x"]), d["y"]).item(),
                      sum(ce(model(xb), yb).item() for xb, yb in train) / len(train)]
    modes = sorted(set(log))
    if isinstance(history, list):
        history = [dict(h) if isinstance(h, dict) else repr(h)[:80] for h in history]
    else:
        history = repr(history)[:80]
    return {"pred": pred, "val_pred": val_pred, "val_loss": val_loss,
            "train_loss_now": train_loss, "modes": modes,
            "made": _made, "acc": _acc, "history": history,
            "trained_rows": distinct_rows(trained), "train_values": _train_values(rec),
            "batches": len(train), "graph": graph}
