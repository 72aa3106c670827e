"""5.2.2 (curriculum learning): what the checks run in the jail, on top of the
training-loop instruments (data only)."""

import torch as _torch

from curriculum.probes.rows import row_index
from curriculum.probes.training_loop import _build, _describe, _flat, _Rec
from curriculum.probes.trusted import grad_on


def probe(ns, inputs):
    from torch.utils.data import DataLoader, TensorDataset
    for name in ("difficulty_scorer", "create_curriculum_schedule", "curriculum_training_loop"):
        if name not in ns:
            raise NameError(f"name '{name}' is not defined")
    X, y = inputs["X"].clone(), inputs["y"].clone()
    dataset = TensorDataset(X, y)
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    scores = schedule = None
    modes = []
    if inputs["part"] == "score":
        # handed over in train mode (as training leaves a model): the scorer's own
        # model.eval() and no_grad() must show in its forward passes
        hook = model.register_forward_pre_hook(
            lambda m, a: modes.append([bool(m.training), grad_on()]))
        try:
            model.train()
            scores = ns["difficulty_scorer"](X[:50], y[:50], model)
        finally:
            hook.remove()
        schedule = ns["create_curriculum_schedule"](dataset, model, inputs["epochs"])
    sched = None
    if isinstance(schedule, dict):
        sched = {str(k): [int(i) for i in v] for k, v in schedule.items()}
    if inputs["part"] == "score":
        extra, sched_extra = inputs.get("extra"), None
        if extra is not None and sched is not None:
            other = ns["create_curriculum_schedule"](
                TensorDataset(extra["X"].clone(), extra["y"].clone()), model, extra["epochs"])
            if isinstance(other, dict):
                sched_extra = {str(k): [int(i) for i in v] for k, v in other.items()}
        return {"state": state, "scores": _describe(scores), "schedule": sched,
                "score_modes": modes, "schedule_extra": sched_extra}
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    before = _flat(model)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    val_loader = DataLoader(TensorDataset(inputs["X_val"], inputs["y_val"]), batch_size=32)
    # which rows of X each training batch holds (the schedule really used)
    rec = _Rec([model], row_index(X))
    try:
        rec.install()
        history = ns["curriculum_training_loop"](model, dataset, val_loader,
                                                 num_epochs=inputs["epochs"])
    finally:
        rec.remove()
    model.eval()
    with _torch.no_grad():
        preds = model(inputs["X_test"])
        val_acc = 100.0 * float((model(inputs["X_val"]).argmax(1) == inputs["y_val"]).float()
                                .mean())
    return {"history": _describe(history), "report": rec.report(), "state": state,
            "val_acc": val_acc,
            "changed": float((_flat(model) - before).abs().max()), "preds": preds.detach()}
