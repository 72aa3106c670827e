"""6.1.3b: what the checks measure inside the jail, next to the learner's code (data only)."""

import contextlib
import os
import shutil
import tempfile

import torch

from curriculum.probes.recorders import _acc, _made, mode_hook, need, recording
from curriculum.probes.rows import ModelMembers, training_forward, watch_entries


def f1(ns, cases):
    f1 = need(ns, "f1_score")
    out = []
    for p, labels in cases:
        v = f1(p.clone(), labels.clone())
        out.append(float(v) if not hasattr(v, "item") else float(v.item()))
    return out


def _watched(ns, fn):
    """Run ``fn`` while recording what the learner's f1_score returns (and on how many
    labels), and the value range of every input to binary_cross_entropy_with_logits (a
    probability in [0, 1] there is a second sigmoid)."""
    f1s, logits_in = [], []
    own = need(ns, "f1_score")

    def f1_score(preds, labels, *a, **k):
        v = own(preds, labels, *a, **k)
        with contextlib.suppress(Exception):
            f1s.append([float(v), len(labels), _accuracy(preds, labels)])
        return v
    F = torch.nn.functional
    orig = F.binary_cross_entropy_with_logits

    def with_logits(input, *a, **k):
        logits_in.append([float(input.min()), float(input.max())])
        return orig(input, *a, **k)
    ns["f1_score"] = f1_score
    F.binary_cross_entropy_with_logits = with_logits
    try:
        return fn(), f1s, logits_in
    finally:
        ns["f1_score"] = own
        F.binary_cross_entropy_with_logits = orig


def _accuracy(preds, labels):
    """The fraction of ``preds`` equal to ``labels`` (0/1 each), or None."""
    with contextlib.suppress(Exception):
        p = torch.as_tensor(preds).detach().reshape(-1).long()
        y = torch.as_tensor(labels).detach().reshape(-1).long()
        if p.shape == y.shape and len(y):
            return float((p == y).float().mean())
    return None


def _rows(x):
    """The token-id rows of a padded batch, padding (0) stripped from the end."""
    out = []
    for row in x.tolist():
        while row and row[-1] == 0:
            row.pop()
        out.append(tuple(row))
    return out


def _leaks(ns, d, vocab, trained_rows):
    """How many training-mode rows were validation reviews (that no training review
    encodes to)."""
    out = {"val_rows": None}
    with contextlib.suppress(Exception):
        encode = need(ns, "numericalize")
        train = {tuple(encode(t, vocab).tolist()) for t in d["x"]}
        val = {tuple(encode(t, vocab).tolist()) for t in d["xv"]} - train
        out["val_rows"] = sum(r in val for r in trained_rows)
    return out


def train(ns, d):
    torch.manual_seed(4)
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "sentiment_model.pth")
    Model, trained_rows = need(ns, "SentimentModel"), []

    def rows(module, args):  # the token rows of every training-mode forward pass
        x = args[0] if args else None
        if training_forward(module) and isinstance(x, torch.Tensor) \
                and not x.is_floating_point():
            with contextlib.suppress(Exception):
                trained_rows.extend(_rows(x))
    try:
        fn = need(ns, "train_sentiment")
        built = len(_made)  # the optimizers this run builds
        # the learner's models, however they are entered and on whichever thread
        models = ModelMembers(owner=Model)
        hook = watch_entries(models, rows)
        try:
            (model, vocab, history), f1s, logits_in = _watched(ns, lambda: recording(
                lambda: fn(d["x"], d["y"], d["xv"], d["yv"], path, max_epochs=15, patience=2,
                           lr=d["lr"])))
        finally:
            hook.remove()
            models.remove()
        leaks = _leaks(ns, d, vocab, trained_rows)
        predict = need(ns, "predict")
        # handed over in train mode: predict's own model.eval() and no_grad() must show
        modes = []
        handle = mode_hook(model, modes) if isinstance(model, torch.nn.Module) else None
        try:
            if handle is not None:
                model.train()
            pred = predict(model, vocab, d["xt"])
        finally:
            if handle is not None:
                handle.remove()
        val_pred = predict(model, vocab, d["xv"])
        own = need(ns, "f1_score")(val_pred, torch.tensor(d["yv"]))
        best_f1 = float(own.item() if hasattr(own, "item") else own)
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
        return {"pred": pred, "best_f1": best_f1, "saved": saved, "history": hist,
                "predict_modes": [list(m) for m in modes],
                "acc": _acc, "f1_calls": f1s, "logits_in": logits_in, "leaks": leaks,
                "made": _made[built:],
                "vocab_words": sorted(str(w) for w in vocab)[:5000]
                if isinstance(vocab, dict) else None}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _matches(state, snapshots):
    """The 1-based epochs whose end-of-epoch weights ``state`` equals exactly."""
    if not isinstance(state, dict):
        return []
    return [epoch for epoch, snap in sorted(snapshots.items())
            if set(snap) == set(state) and all(
                isinstance(state[k], torch.Tensor) and state[k].shape == v.shape
                and torch.equal(state[k], v) for k, v in snap.items())]


def scripted(ns, d):
    """The scripted run (its F1s stop improving: early stopping decides), then the same
    with F1s that improve every epoch: only max_epochs ends that one."""
    out = _scripted_run(ns, d, d["f1s"], d["max_epochs"])
    capped = d["capped"]
    out["capped"] = _scripted_run(ns, d, capped["f1s"], capped["max_epochs"])
    return out


def _scripted_run(ns, d, curve, max_epochs):
    """A short train_sentiment run in which the learner's f1_score, called on the validation
    labels, returns the grader's F1 ``curve`` for the epoch (a new epoch: training-mode
    forward passes since the last validation); training itself is real. Returns the
    history, and which epochs' weights (snapshotted when the epoch's validation F1 is
    computed) the returned model and the file at ``path`` hold."""
    own, Model = need(ns, "f1_score"), need(ns, "SentimentModel")
    state = {"trained": 0, "last": None, "epoch": 0, "model": None}
    snapshots = {}

    class Counted(Model):
        def forward(self, *a, **k):
            if self.training and torch.is_grad_enabled():
                state["trained"] += 1
                state["model"] = self
            return super().forward(*a, **k)

    def f1_score(preds, labels, *a, **k):
        v = own(preds, labels, *a, **k)
        if len(labels) != len(d["yv"]):
            return v
        if state["last"] != state["trained"]:
            state["last"], state["epoch"] = state["trained"], state["epoch"] + 1
            if state["model"] is not None:
                snapshots[state["epoch"]] = {k: t.detach().clone() for k, t in
                                             state["model"].state_dict().items()}
        f = curve[min(max(state["epoch"], 1), len(curve)) - 1]
        return torch.tensor(f, dtype=v.dtype) if isinstance(v, torch.Tensor) else f

    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "m.pth")
    ns["f1_score"], ns["SentimentModel"] = f1_score, Counted
    try:
        torch.manual_seed(6)
        model, _, history = need(ns, "train_sentiment")(
            d["x"], d["y"], d["xv"], d["yv"], path, max_epochs=max_epochs, patience=2)
        out = {"history": [dict(h) if isinstance(h, dict) else repr(h)[:60] for h in history]
               if isinstance(history, list) else repr(history)[:80]}
        with contextlib.suppress(Exception):
            out["returned_epochs"] = _matches(model.state_dict(), snapshots)
        with contextlib.suppress(Exception):
            out["saved_epochs"] = _matches(torch.load(path), snapshots)
        return out
    except Exception as exc:  # judged after the first run's verdict (which names the cause)
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}
    finally:
        ns["f1_score"], ns["SentimentModel"] = own, Model
        shutil.rmtree(folder, ignore_errors=True)
