"""6.2.1: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch

from curriculum.probes.recorders import _acc, need, recording


def loss(ns, cases):
    f = need(ns, "focal_loss")
    out = []
    for c in cases:
        logits = c["logits"].clone().requires_grad_(True)
        loss = f(logits, c["targets"], gamma=c["gamma"])
        loss.backward()
        out.append({"loss": loss.detach(), "grad": logits.grad})
    return out


def sal(ns, d):
    model = torch.nn.Sequential(torch.nn.Linear(d["d"], 8, bias=False), torch.nn.Tanh(),
                                torch.nn.Linear(8, d["c"], bias=False))
    with torch.no_grad():
        model[0].weight.copy_(d["w1"])
        model[2].weight.copy_(d["w2"])
    return need(ns, "saliency")(model, d["x"].clone(), d["t"].clone())


def evaluation(ns, d):
    r = need(ns, "evaluate")(d["preds"].clone(), d["labels"].clone(), d["c"])
    return {k: r[k] for k in ("confusion", "precision", "recall", "accuracy")}


def train(ns, d):
    torch.manual_seed(6)
    fn = need(ns, "run_capstone")
    model = recording(lambda: fn(d["x"], d["y"], 3, num_epochs=40, lr=0.01))
    model.eval()
    with torch.no_grad():
        pred = model(d["xt"]).argmax(1)
    return {"pred": pred, "acc": _acc}
