"""6.1.4b: what the checks measure inside the jail, next to the learner's code (data only)."""

import os
import shutil
import tempfile

import torch
from torch.nn.utils.rnn import pad_sequence
from torch.optim.optimizer import register_optimizer_step_pre_hook

from curriculum.probes.recorders import _acc, _made, need, recording


def _clipping(ns, fn):
    """Run ``fn`` recording the ``max_norm`` of every clip_grad_norm_ call (through
    torch.nn.utils or a name the submission imported), the gradient norm each optimizer
    step sees, and their order: ``C`` a clip of gradients that are there (a non-zero norm),
    ``c`` one of none, ``S`` a step — a clip after the step, or before the backward pass,
    leaves the gradients a step sees unclipped, which their norms only show when they
    exceed the bound."""
    import torch.nn.utils as tnu
    from torch.optim.optimizer import register_optimizer_step_pre_hook
    orig = tnu.clip_grad_norm_
    max_norms, step_norms, order = [], [], []

    def clip(parameters, *a, **k):
        max_norms.append(float(a[0] if a else k.get("max_norm", float("nan"))))
        total = orig(parameters, *a, **k)
        order.append("C" if float(total) > 0 else "c")
        return total

    def norm(opt, args, kwargs):
        grads = [p.grad.detach().double() for g in opt.param_groups for p in g["params"]
                 if p.grad is not None]
        step_norms.append(float(torch.sqrt(sum((g ** 2).sum() for g in grads))) if grads
                          else 0.0)
        order.append("S")
    names = [n for n, v in ns.items() if v is orig]
    tnu.clip_grad_norm_ = clip
    for n in names:
        ns[n] = clip
    hook = register_optimizer_step_pre_hook(norm)
    try:
        return fn(), max_norms, step_norms, "".join(order[:20000])
    finally:
        hook.remove()
        tnu.clip_grad_norm_ = orig
        for n in names:
            ns[n] = orig


def train(ns, d):
    train = need(ns, "train_ner")
    full, part = tempfile.mkdtemp(), tempfile.mkdtemp()
    loss_fn = ns.get("ner_loss")
    # the tags ner_loss got: padded with -100? and each training batch's size (the calls an
    # optimizer step follows: a loss logged over all sentences is no batch)
    padded = {"calls": 0, "with_pad_tag": 0, "largest_batch": 0}
    sizes = []

    def watched_loss(logits, tags, *args, **kwargs):
        if isinstance(tags, torch.Tensor) and torch.is_grad_enabled():
            padded["calls"] += 1
            padded["with_pad_tag"] += bool((tags == -100).any())
            sizes.append([int(tags.shape[0]) if tags.dim() == 2 else 0, False])
        return loss_fn(logits, tags, *args, **kwargs)

    def stepped(opt, a, k):
        if sizes:
            sizes[-1][1] = True

    try:
        torch.manual_seed(7)
        if callable(loss_fn):
            ns["ner_loss"] = watched_loss  # train_ner reads it from the module globals
        stepper = register_optimizer_step_pre_hook(stepped)
        try:
            model, max_norms, step_norms, clip_order = _clipping(ns, lambda: recording(
                lambda: train(d["x"], d["y"], 60, 5, full, num_epochs=10, lr=0.03, step_size=8,
                              batch_size=16)))
        finally:
            stepper.remove()
            if callable(loss_fn):
                ns["ner_loss"] = loss_fn
        padded["largest_batch"] = max((n for n, trained in sizes if trained), default=0)
        files = sorted(f for f in os.listdir(full) if f.endswith(".pt"))
        ck = {}
        for f in files:
            c = torch.load(os.path.join(full, f))
            ck[f] = {"type": type(c).__name__,
                     "keys": sorted(str(k) for k in c) if isinstance(c, dict) else [],
                     "epoch": c.get("epoch") if isinstance(c, dict) else None}
            if isinstance(c, dict) and isinstance(c.get("scheduler_state_dict"), dict):
                ck[f]["last_lr"] = [float(v) for v in c["scheduler_state_dict"].get("_last_lr", [])]
        five = [f for f in files if "5" in f and "15" not in f]
        resumed = None
        if len(five) == 1:
            torch.manual_seed(8)
            model2 = train(d["x"], d["y"], 60, 5, part, num_epochs=10, lr=0.03, step_size=8,
                           batch_size=16, resume_from=os.path.join(full, five[0]))
            a, b = model.state_dict(), model2.state_dict()
            resumed = max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
        model.eval()
        lengths = [len(s) for s in d["xt"]]
        with torch.no_grad():
            pred = model(pad_sequence(d["xt"], batch_first=True)).argmax(-1)
        pred = torch.cat([pred[i, :n] for i, n in enumerate(lengths)])
        return {"pred": pred, "files": files, "ck": ck, "resumed": resumed, "made": _made,
                "acc": _acc, "max_norms": max_norms, "step_norms": step_norms,
                "clip_order": clip_order,
                "padded": padded}
    finally:
        shutil.rmtree(full, ignore_errors=True)
        shutil.rmtree(part, ignore_errors=True)
