"""6.1.3b: what the checks measure inside the jail, next to the learner's code (data only)."""

import os
import shutil
import tempfile

import torch

from curriculum.probes.recorders import _acc, need, recording


def f1(ns, cases):
    f1 = need(ns, "f1_score")
    out = []
    for p, labels in cases:
        v = f1(p.clone(), labels.clone())
        out.append(float(v) if not hasattr(v, "item") else float(v.item()))
    return out


def train(ns, d):
    torch.manual_seed(4)
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "sentiment_model.pth")
    try:
        fn = need(ns, "train_sentiment")
        model, vocab, history = recording(lambda: fn(d["x"], d["y"], d["xv"], d["yv"], path,
                                                     max_epochs=15, patience=2))
        predict = need(ns, "predict")
        pred = predict(model, vocab, d["xt"])
        saved = {"exists": os.path.exists(path)}
        if saved["exists"]:
            state = torch.load(path)
            saved["type"] = type(state).__name__
            if isinstance(state, dict):
                fresh = need(ns, "SentimentModel")(len(vocab))
                saved["keys_match"] = set(state) == set(fresh.state_dict())
                if saved["keys_match"]:
                    fresh.load_state_dict(state)
                    saved["same"] = bool(torch.equal(predict(fresh, vocab, d["xt"]), pred))
                    with torch.no_grad():
                        saved["weights_equal"] = all(
                            torch.equal(a, b) for a, b in
                            zip(fresh.state_dict().values(), model.state_dict().values(),
                                strict=False))
        hist = [dict(h) for h in history] if isinstance(history, list) else repr(history)[:80]
        return {"pred": pred, "saved": saved, "history": hist, "acc": _acc}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
