"""final.3: what the checks measure inside the jail, next to the learner's code (data only)."""

import dataclasses
import os
import shutil
import tempfile

import torch
from torch.nn.utils.rnn import pad_sequence
from torch.optim.optimizer import register_optimizer_step_pre_hook

from curriculum.probes.clipping import clipping
from curriculum.probes.need import need
from curriculum.probes.padding import padding_runs
from curriculum.probes.recorders import _acc, _made, holds_graph, loss_calls, mode_hook, recording
from curriculum.probes.rows import ModelMembers, row_index, sequence_keys, track_training_rows
from curriculum.probes.scripted_curve import curve_loss, scripted_logits
from curriculum.probes.unchanged import pristine


def config(ns, d):
    Config = need(ns, "Config")
    out = {"dataclass": isinstance(Config, type) and dataclasses.is_dataclass(Config)}
    if out["dataclass"]:
        default = Config()
        out["defaults"] = {f.name: getattr(default, f.name) for f in dataclasses.fields(Config)}
        try:
            custom = Config(**d["custom"])
            as_dict = dataclasses.asdict(custom)
            out["custom"] = {k: as_dict.get(k) for k in d["custom"]}
            out["roundtrip"] = bool(Config(**as_dict) == custom)
        except Exception as exc:
            out["custom_error"] = f"{type(exc).__name__}: {exc}"[:200]
    ds = need(ns, "SequenceDataset")(d["seqs"], d["labels"])
    out["len"] = len(ds)
    items = [ds[i] for i in d["order"]]
    first = items[0]
    out["item"] = list(first) if isinstance(first, (tuple, list)) else repr(first)[:60]
    got = need(ns, "collate")(items)
    out["collate"] = list(got) if isinstance(got, (tuple, list)) else repr(got)[:80]
    return out


def model(ns, d):
    torch.manual_seed(3)
    model = need(ns, "SequenceClassifier")(need(ns, "Config")(**d["cfg"]))
    mods = []
    for m in model.modules():
        info = {"type": type(m).__name__}
        for k in ("num_embeddings", "embedding_dim", "padding_idx", "input_size", "hidden_size",
                  "in_features", "out_features"):
            if hasattr(m, k):
                info[k] = getattr(m, k)
        mods.append(info)
    batch, padded_more, alone = padding_runs(model, d)
    return {"mods": mods, "batch": batch, "padded_more": padded_more, "alone": alone}


def _classes(model, seqs):
    model.eval()
    with torch.no_grad():
        lengths = torch.tensor([len(s) for s in seqs])
        return model(pad_sequence(seqs, batch_first=True), lengths).argmax(dim=1)


def _error(exc):
    return f"{type(exc).__name__}: {exc}"[:300]


def _checkpoint(ns, path, cfg, model, pred, xt):
    saved = {"exists": os.path.exists(path)}
    if not saved["exists"]:
        return saved
    try:
        ck = torch.load(path, weights_only=True)
    except Exception as exc:
        saved["load_error"] = _error(exc)
        return saved
    saved["type"] = type(ck).__name__
    if not isinstance(ck, dict):
        return saved
    saved["keys"] = sorted(str(k) for k in ck)
    epoch = ck.get("epoch")
    saved["epoch"] = int(epoch) if isinstance(epoch, int) else repr(epoch)[:40]
    conf = ck.get("config")
    saved["config"] = type(conf).__name__
    saved["config_ok"] = isinstance(conf, dict) and conf == dataclasses.asdict(cfg)
    opt = ck.get("optimizer_state_dict")
    groups = opt.get("param_groups") if isinstance(opt, dict) else None
    saved["weight_decay"] = (float(groups[0].get("weight_decay", -1)) if groups else None)
    state = ck.get("model_state_dict")
    mine = model.state_dict()
    saved["same_weights"] = (isinstance(state, dict) and set(state) == set(mine)
                             and all(torch.equal(state[k], v) for k, v in mine.items()))
    try:
        loaded = need(ns, "load_model")(path)
        saved["loaded_type"] = type(loaded).__name__
        saved["loaded_same"] = bool(pristine()["equal"](_classes(loaded, xt), pred))
    except Exception as exc:
        saved["loaded_error"] = _error(exc)
    return saved


def train(ns, d):
    torch.manual_seed(11)
    cfg = need(ns, "Config")(**d["cfg"])
    train = need(ns, "train")
    lrs, rows = [], []
    hook = register_optimizer_step_pre_hook(
        lambda opt, a, k: lrs.append(float(opt.param_groups[0]["lr"])))
    # which training sequences each training forward of the learner's classifier holds
    # (however it is entered, on any thread)
    index = row_index(d["x"], key=lambda s: tuple(s.tolist()))
    nets = ModelMembers(owner=need(ns, "SequenceClassifier"))
    row_hook = track_training_rows(nets, index, rows, keys=sequence_keys)
    # and which validation sequences (that are no training sequence) they hold: a leak
    val_index = {k: i for k, i in row_index(d["xv"], key=lambda s: tuple(s.tolist())).items()
                 if k not in index}
    val_rows = []
    val_hook = track_training_rows(nets, val_index, val_rows, keys=sequence_keys)
    # the training batches' loss-module calls (value, rows), for the history's train_loss
    losses = []
    loss_hook = loss_calls(losses)
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "best.pt")
    try:
        try:
            model, history = recording(lambda: train(cfg, d["x"], d["y"], d["xv"], d["yv"],
                                                     path))
        finally:
            row_hook.remove()
            val_hook.remove()
            nets.remove()
            loss_hook.remove()
        graph = holds_graph(history)
        pred = _classes(model, d["xt"])
        hist = ([dict(h) if isinstance(h, dict) else repr(h)[:60] for h in history]
                if isinstance(history, list) else repr(history)[:80])
        return {"pred": pred, "made": _made, "acc": _acc, "history": hist,
                "nparams": sum(p.numel() for p in model.parameters()),
                "lr": {"steps": len(lrs), "distinct": len(set(lrs)),
                       "max": max(lrs) if lrs else None},
                "rows": rows, "val_rows_trained": sum(i >= 0 for b in val_rows for i in b),
                "val_batches_mixed": sum(any(i >= 0 for i in b) and any(i < 0 for i in b)
                                         for b in val_rows),
                "train_losses": losses, "graph": graph,
                "saved": _checkpoint(ns, path, cfg, model, pred, d["xt"])}
    finally:
        hook.remove()
        shutil.rmtree(folder, ignore_errors=True)


def repro(ns, d):
    Config, train = need(ns, "Config"), need(ns, "train")
    folder = tempfile.mkdtemp()

    def runs():
        states = []
        for k, seed in enumerate([d["seed"], d["seed"], d["seed"] + 1]):
            torch.manual_seed(1000 + 17 * k)   # only config.seed may decide the result
            model, _ = train(Config(**d["cfg"], seed=seed), d["x"], d["y"], d["xv"], d["yv"],
                             os.path.join(folder, f"run{k}.pt"))
            states.append({n: t.detach().clone().float() for n, t in model.state_dict().items()})
        return states

    try:
        states, max_norms, step_norms, clip_order = clipping(ns, runs)

        def diff(a, b):
            if set(a) != set(b):
                return float("inf")
            return max(float((a[n] - b[n]).abs().max()) for n in a)
        return {"same_seed": diff(states[0], states[1]), "other_seed": diff(states[0], states[2]),
                "max_norms": max_norms, "step_norms": step_norms, "clip_order": clip_order}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def predict(ns, d):
    torch.manual_seed(5)
    model = need(ns, "SequenceClassifier")(need(ns, "Config")(**d["cfg"]))
    model.eval()
    with torch.no_grad():
        alone = torch.cat([model(s.unsqueeze(0), torch.tensor([len(s)])) for s in d["seqs"]])
    model.train()
    log = []
    handle = mode_hook(model, log)
    pred = need(ns, "predict")(model, list(d["seqs"]))
    handle.remove()
    return {"pred": pred, "alone": alone, "modes": sorted(set(log))}


def stopping(ns, d):
    """A short train() run whose validation losses the grader scripts: in eval mode, on a batch
    of validation sequences, the model returns logits whose cross-entropy with each sequence's
    label is ``d["curve"][e - 1]`` after training epoch e (counted in optimizer steps). Training
    itself is real. Returns the history and the checkpoint's epoch."""
    Classifier = need(ns, "SequenceClassifier")
    labels = {tuple(s.tolist()): int(y) for s, y in zip(d["xv"], d["yv"], strict=True)}
    curve, per_epoch, classes = d["curve"], d["per_epoch"], d["cfg"]["num_classes"]
    steps = [0]

    class Scripted(Classifier):
        def forward(self, tokens, lengths):
            out = super().forward(tokens, lengths)
            if self.training:
                return out
            rows = [labels.get(tuple(t[:int(n)].tolist()))
                    for t, n in zip(tokens, lengths, strict=True)]
            if not rows or any(r is None for r in rows):
                return out
            return scripted_logits(curve_loss(curve, steps[0], per_epoch), rows, classes, out)

    def count(opt, args, kwargs):
        steps[0] += 1
    hook = register_optimizer_step_pre_hook(count)
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "best.pt")
    ns["SequenceClassifier"] = Scripted
    try:
        torch.manual_seed(7)
        _, history = need(ns, "train")(need(ns, "Config")(**d["cfg"]), d["x"], d["y"], d["xv"],
                                       d["yv"], path)
        hist = ([dict(h) if isinstance(h, dict) else repr(h)[:60] for h in history]
                if isinstance(history, list) else repr(history)[:80])
        epoch = None
        if os.path.exists(path):
            try:
                ck = torch.load(path, weights_only=True)
                epoch = ck.get("epoch") if isinstance(ck, dict) else None
                epoch = int(epoch) if isinstance(epoch, int) else repr(epoch)[:40]
            except Exception as exc:
                epoch = _error(exc)
        return {"history": hist, "saved_epoch": epoch}
    finally:
        ns["SequenceClassifier"] = Classifier
        hook.remove()
        shutil.rmtree(folder, ignore_errors=True)
