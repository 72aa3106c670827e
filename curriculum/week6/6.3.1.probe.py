"""6.3.1: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.utils.data import DataLoader, TensorDataset

from curriculum.probes.recorders import _acc, _made, need, recording
from curriculum.probes.trusted import grad_on

PROBE_ARGS: dict = {}


def named(ns, _):
    """The tensor bound to ``PROBE_ARGS["name"]`` (a random sample: judged on its statistics
    and on the statement that drew it)."""
    return need(ns, PROBE_ARGS["name"])


def autograd(ns, _):
    w, g, y = need(ns, "w"), need(ns, "w_grad"), need(ns, "y")
    out = {"w": w.detach(), "grad": g, "leaf": bool(w.is_leaf), "rg": bool(w.requires_grad),
           "w_grad_attr": w.grad.detach().clone() if isinstance(w.grad, torch.Tensor) else None,
           "y": y.detach() if isinstance(y, torch.Tensor) else repr(y)[:40],
           "y_graph": isinstance(y, torch.Tensor) and y.grad_fn is not None}
    # y.backward() frees y's graph: differentiating it again must fail. If it still works,
    # backward() never ran on y and the gradient did not come from autograd.
    if out["y_graph"]:
        try:
            torch.autograd.grad(y, w)
            out["graph_used"] = False
        except RuntimeError:
            out["graph_used"] = True
    return out


def net(ns, x):
    model = need(ns, "Net")()
    lin = [(m.in_features, m.out_features) for m in model.modules()
           if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        out = model(x)
        l1 = model.layer1(x)
        manual = model.layer2(torch.relu(l1))
    return {"lin": lin, "shape": list(out.shape), "diff": float((out - manual).abs().max())}


def train(ns, d):
    torch.manual_seed(3)
    model = need(ns, "Net")()
    with torch.no_grad():
        before = torch.nn.functional.mse_loss(model(d["x"]), d["y"]).item()
    loader = DataLoader(TensorDataset(d["x"], d["y"]), batch_size=32, shuffle=True)
    fn = need(ns, "train")
    rows = []

    def count(mod, args):
        # the rows of each training forward (gradients on): num_epochs passes over the data
        x = args[0] if args else None
        if mod.training and grad_on() and isinstance(x, torch.Tensor) and x.dim():
            rows.append(int(x.shape[0]))
    counter = model.register_forward_pre_hook(count)
    steps = []  # optimizer steps: one per batch of the dataloader, every epoch
    stepper = register_optimizer_step_pre_hook(lambda o, a, k: steps.append(1))
    try:
        out = recording(lambda: fn(model, loader, d["epochs"]))
    finally:
        counter.remove()
        stepper.remove()
    with torch.no_grad():
        after = torch.nn.functional.mse_loss(model(d["x"]), d["y"]).item()
    return {"before": before, "after": after, "same": out is model, "acc": _acc, "made": _made,
            "rows": sum(rows), "steps": len(steps), "batches": len(loader)}
