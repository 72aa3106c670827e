"""6.1.4b: what the checks measure inside the jail, next to the learner's code (data only)."""

import os
import shutil
import tempfile

import torch
from torch.nn.utils.rnn import pad_sequence
from torch.optim.optimizer import register_optimizer_step_pre_hook

from curriculum.probes.clipping import clipping
from curriculum.probes.recorders import _acc, _made, need, recording
from curriculum.probes.sizes import layer_sizes
from curriculum.probes.trusted import grad_on


def train(ns, d):
    train = need(ns, "train_ner")
    full, part = tempfile.mkdtemp(), tempfile.mkdtemp()
    loss_fn = ns.get("ner_loss")
    # the tags ner_loss got: padded with -100? and each training batch's size (the calls an
    # optimizer step follows: a loss logged over all sentences is no batch)
    padded = {"calls": 0, "with_pad_tag": 0, "largest_batch": 0}
    sizes = []
    steps = [0]  # the optimizer steps of the uninterrupted run: num_epochs × batches

    def watched_loss(logits, tags, *args, **kwargs):
        if isinstance(tags, torch.Tensor) and grad_on():
            padded["calls"] += 1
            padded["with_pad_tag"] += bool((tags == -100).any())
            sizes.append([int(tags.shape[0]) if tags.dim() == 2 else 0, False])
        return loss_fn(logits, tags, *args, **kwargs)

    def stepped(opt, a, k):
        steps[0] += 1
        if sizes:
            sizes[-1][1] = True

    try:
        torch.manual_seed(7)
        if callable(loss_fn):
            ns["ner_loss"] = watched_loss  # train_ner reads it from the module globals
        stepper = register_optimizer_step_pre_hook(stepped)
        try:
            model, max_norms, step_norms, clip_order = clipping(ns, lambda: recording(
                lambda: train(d["x"], d["y"], d["vocab"], d["tags"], full,
                              num_epochs=d["epochs"], lr=0.03, step_size=8, batch_size=16)))
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
            model2 = train(d["x"], d["y"], d["vocab"], d["tags"], part, num_epochs=d["epochs"],
                           lr=0.03, step_size=8, batch_size=16,
                           resume_from=os.path.join(full, five[0]))
            a, b = model.state_dict(), model2.state_dict()
            resumed = max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
        layers = layer_sizes(model)  # its sizes: built from vocab_size and num_tags?
        model.eval()
        lengths = [len(s) for s in d["xt"]]
        with torch.no_grad():
            pred = model(pad_sequence(d["xt"], batch_first=True)).argmax(-1)
        pred = torch.cat([pred[i, :n] for i, n in enumerate(lengths)])
        return {"pred": pred, "files": files, "ck": ck, "resumed": resumed, "made": _made,
                "acc": _acc, "max_norms": max_norms, "step_norms": step_norms,
                "clip_order": clip_order,
                "padded": padded, "layers": layers, "steps": steps[0]}
    finally:
        shutil.rmtree(full, ignore_errors=True)
        shutil.rmtree(part, ignore_errors=True)
