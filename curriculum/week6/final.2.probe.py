"""final.2: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch

from curriculum.probes.recorders import _acc, _made, mode_hook, need, recording
from curriculum.probes.rows import ModelMembers, row_index, track_training_rows


def model(ns, d):
    cls = need(ns, "DemandNet")
    plain = cls(d["d"])
    plain.eval()
    out_plain = plain(d["x"])
    model = cls(d["d"], hidden=d["h"], quantiles=d["quantiles"])
    model.eval()
    out = model(d["x"])
    lin = [(m.in_features, m.out_features) for m in model.modules()
           if isinstance(m, torch.nn.Linear)]
    # weights of any size: the quantiles must still come out in order
    gen = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
        out_big = model(d["xbig"])
    return {"module": isinstance(model, torch.nn.Module),
            "nparams": sum(p.numel() for p in model.parameters()),
            "lin": lin, "out_plain": out_plain.detach(), "out": out.detach(),
            "grad": bool(out.requires_grad), "out_big": out_big}


def loss(ns, cases):
    f = need(ns, "pinball_loss")
    out = []
    for c in cases:
        pred = c["pred"].clone().requires_grad_(True)
        loss = f(pred, c["target"].clone(), c["quantiles"])
        loss.backward()
        out.append({"loss": loss.detach(), "grad": pred.grad})
    return out


COARSE_STEPS = 2


def ig(ns, d):
    ig = need(ns, "integrated_gradients")
    lin = torch.nn.Linear(d["d"], 3)
    m = d["mlp"]
    mlp = torch.nn.Sequential(torch.nn.Linear(d["d"], 12), torch.nn.Tanh(), torch.nn.Linear(12, 3))
    with torch.no_grad():
        lin.weight.copy_(d["lin"]["w"])
        lin.bias.copy_(d["lin"]["b"])
        mlp[0].weight.copy_(m["w1"])
        mlp[0].bias.copy_(m["b1"])
        mlp[2].weight.copy_(m["w2"])
        mlp[2].bias.copy_(m["b2"])
    a = d["lin"]
    # handed over in train mode (as a training loop leaves a model): the prompt's eval mode
    # must be set by integrated_gradients itself
    modes = []
    handles = [mode_hook(lin, modes), mode_hook(mlp, modes)]
    try:
        lin.train()
        out = {"linear": ig(lin, a["x"].clone(), a["base"].clone(), steps=20,
                            column=a["column"])}
        mlp.train()
        out["default"] = ig(mlp, m["x"].clone())
        mlp.train()
        out["fine"] = ig(mlp, m["x"].clone(), m["base"].clone(), steps=200, column=m["column"])
        mlp.train()
        # so few steps that the sum differs from the integral: `steps` must decide it
        out["coarse"] = ig(mlp, m["x"].clone(), m["base"].clone(), steps=COARSE_STEPS,
                           column=m["column"])
    finally:
        for h in handles:
            h.remove()
    out = {k: v.detach() if isinstance(v, torch.Tensor) else v for k, v in out.items()}
    out["train_mode_forwards"] = sum(1 for training, _grad in modes if training)
    return out


KEYS = ("mae", "rmse", "coverage", "width", "calibration", "pinball")


def evaluation(ns, cases):
    f = need(ns, "evaluate")
    out = []
    for c in cases:
        r = f(c["pred"].clone(), c["target"].clone(), c["quantiles"])
        out.append({k: r.get(k) for k in KEYS} if isinstance(r, dict) else repr(r)[:80])
    return out


def _target_key(v):
    return round(float(v), 4)


def train(ns, d):
    torch.manual_seed(7)
    loss_fn = need(ns, "pinball_loss")
    sizes, rows, target_rows = [], [], []
    # the training rows' positions by their target (a float of its own per row): the rows of
    # a loop that standardised its features are unknown to the feature recorder, not by target
    by_target = {_target_key(v): i for i, v in enumerate(d["y"].double().tolist())}

    def counted(*args, **kwargs):
        target = args[1] if len(args) > 1 else kwargs.get("target")
        # each training batch's size
        sizes.append(int(target.shape[0]) if isinstance(target, torch.Tensor) and target.dim()
                     else 0)
        if isinstance(target, torch.Tensor) and target.dim() and target.is_floating_point():
            target_rows.append([by_target.get(_target_key(v), -1) for v in
                                target.detach().cpu().double().reshape(-1).tolist()])
        return loss_fn(*args, **kwargs)
    fn = need(ns, "train_forecaster")
    ns["pinball_loss"] = counted
    # which training rows each training forward of the learner's DemandNet holds (however
    # it is entered, on any thread)
    nets = ModelMembers(owner=need(ns, "DemandNet"))
    row_hook = track_training_rows(nets, row_index(d["x"]), rows)
    try:
        model = recording(lambda: fn(d["x"], d["y"], quantiles=d["quantiles"], num_epochs=20,
                                     lr=d["lr"]))
    finally:
        ns["pinball_loss"] = loss_fn
        row_hook.remove()
        nets.remove()
    is_net = isinstance(model, need(ns, "DemandNet"))
    model.eval()
    with torch.no_grad():
        pred = model(d["xt"])
    return {"pred": pred, "acc": _acc, "made": _made, "calls": len(sizes), "sizes": sizes,
            "rows": rows, "target_rows": target_rows, "is_net": is_net}
