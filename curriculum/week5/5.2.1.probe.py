"""5.2.1 (multi-task trainer): what the checks run in the jail, on top of the
training-loop instruments (data only)."""

import torch as _torch
from torch import nn as _nn

from curriculum.probes.clipping import clipping
from curriculum.probes.training_loop import _describe, _Rec
from curriculum.probes.trusted import grad_on


class MultiTaskNetwork(_nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = _nn.Sequential(_nn.Linear(20, 32), _nn.ReLU())
        self.heads = _nn.ModuleDict({"regression": _nn.Linear(32, 1),
                                     "classification": _nn.Linear(32, 2)})

    def forward(self, x, active_tasks=None):
        h = self.shared(x)
        tasks = active_tasks or list(self.heads)
        return {t: self.heads[t](h) for t in tasks}


CONFIGS = {"regression": {"task_type": "regression", "lr": 0.01},
           "classification": {"task_type": "classification", "lr": 0.01}}


def probe(ns, inputs):
    from torch.utils.data import DataLoader, TensorDataset
    cls = ns.get("MultiTaskTrainer")
    if cls is None:
        raise NameError("name 'MultiTaskTrainer' is not defined")
    _torch.manual_seed(inputs["init_seed"])
    model = MultiTaskNetwork()
    trainer = cls(model, {k: {**v, "lr": inputs["lr"]} for k, v in CONFIGS.items()})
    sig = getattr(trainer, "uncertainty_weights", None)
    if inputs["part"] == "balance":
        if not isinstance(sig, _torch.Tensor):
            return {"error": "no uncertainty_weights tensor"}
        with _torch.no_grad():
            sig.copy_(_torch.tensor(inputs["sigmas"]))
        a, b = inputs["losses"]
        out = trainer.adaptive_loss_balancing({"regression": _torch.tensor(a),
                                               "classification": _torch.tensor(b)})
        # the same losses in the other order, and the second task alone: σ_i follows each
        # task's position in task_names, not the dict's order
        swapped = trainer.adaptive_loss_balancing({"classification": _torch.tensor(b),
                                                   "regression": _torch.tensor(a)})
        alone = trainer.adaptive_loss_balancing({"classification": _torch.tensor(b)})
        return {"value": _describe(out), "swapped": _describe(swapped),
                "alone": _describe(alone)}
    sig_before = sig.detach().clone() if isinstance(sig, _torch.Tensor) else None
    g = _torch.Generator().manual_seed(inputs["init_seed"])
    loaders = {
        "regression": DataLoader(TensorDataset(inputs["X"], inputs["reg"]), batch_size=32,
                                 shuffle=True, generator=g),
        "classification": DataLoader(TensorDataset(inputs["X"], inputs["cls"]), batch_size=32,
                                     shuffle=True, generator=g),
    }
    val = {
        "regression": DataLoader(TensorDataset(inputs["X_val"], inputs["reg_val"]),
                                 batch_size=50),
        "classification": DataLoader(TensorDataset(inputs["X_val"], inputs["cls_val"]),
                                     batch_size=50),
    }
    rec = _Rec([model])
    epochs = []

    def train():
        for _ in range(6):
            epochs.append(_describe(trainer.train_epoch(loaders)))
    try:
        rec.install()
        _, max_norms, _, clip_order = clipping(ns, train)
    finally:
        rec.remove()
    modes = []
    hook = model.register_forward_pre_hook(
        lambda mod, args: modes.append([bool(mod.training), grad_on()]))
    try:
        results = _describe(trainer.validate(val))
    finally:
        hook.remove()
    model.eval()
    with _torch.no_grad():
        own = model(inputs["X_val"])["classification"].argmax(1)
        own_acc = float((own == inputs["cls_val"]).float().mean())
        # the mean batch loss of each task on the validation loaders
        crit = {"regression": _nn.MSELoss(), "classification": _nn.CrossEntropyLoss()}
        own_loss = {t: sum(float(crit[t](model(x, active_tasks=[t])[t], y)) for x, y in loader)
                    / len(loader) for t, loader in val.items()}
        test = model(inputs["X_test"])
    return {"epochs": epochs, "val": results, "own_acc": own_acc, "own_loss": own_loss,
            "val_modes": modes, "report": rec.report(),
            "max_norms": max_norms, "clip_order": clip_order,
            "sig_before": sig_before,
            "sig_after": sig.detach().clone() if isinstance(sig, _torch.Tensor) else None,
            "reg": test["regression"].detach(), "cls": test["classification"].detach()}
