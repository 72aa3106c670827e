"""6.1.4b: what the checks measure inside the jail, next to the learner's code (data only)."""

import os
import shutil
import tempfile

import torch
from torch.nn.utils.rnn import pad_sequence

from curriculum.probes.recorders import _acc, _made, need, recording


def train(ns, d):
    train = need(ns, "train_ner")
    full, part = tempfile.mkdtemp(), tempfile.mkdtemp()
    try:
        torch.manual_seed(7)
        model = recording(lambda: train(d["x"], d["y"], 60, 5, full, num_epochs=10, lr=0.03,
                                        step_size=8, batch_size=16))
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
                "acc": _acc}
    finally:
        shutil.rmtree(full, ignore_errors=True)
        shutil.rmtree(part, ignore_errors=True)
