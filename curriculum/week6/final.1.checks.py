"""Checks of final.1: FinalNet (BN + dropout), TabularDataset, fit (validation, early stopping,
clipping, StepLR) judged on hidden held-out data."""

import math

import numpy as np
import torch

from curriculum.judges.compare import as_float, at_least, at_most, below, close, finite
from curriculum.judges.data import (
    EARLY_STOP_BUGS,
    blobs,
    early_stop,
    early_stop_bug,
    stopping_curve,
)
from curriculum.judges.shuffling import same_order_problem, split_epochs
from curriculum.judges.source import uses
from curriculum.judges.training import CLIP_CALLS, accuracy_verdict, clip_problem, pattern_verdict
from grader.checks.base import Hidden, Verdict


def make_arch(rng: np.random.Generator):
    d, h, c = int(rng.integers(5, 20)), int(rng.integers(8, 40)), int(rng.integers(2, 6))
    case = {"d": d, "h": h, "c": c,
            "x": torch.from_numpy(rng.normal(0, 1, (7, d)).astype(np.float32)),
            "y": torch.from_numpy(rng.integers(0, c, 7))}
    # then a dataset of float64 features and int32 labels, drawn after the case above (which
    # stays as it was): ds[i] must still give float32 features and an int64 label
    case["x64"] = torch.from_numpy(rng.normal(0, 1, (5, d)))
    case["y32"] = torch.from_numpy(rng.integers(0, c, 5).astype(np.int32))
    case["i"] = int(rng.integers(0, 5))
    return case


def judge_arch(learner, reference, inputs, ctx):
    got = learner.value
    d, h, c = inputs["d"], inputs["h"], inputs["c"]
    lin = [(m[1], m[2]) for m in got["mods"] if m[0] == "Linear"]
    if lin != [(d, h), (h, h), (h, c)]:
        return Verdict(False, "module", f"FinalNet({d}, {h}, {c}) needs Linear {d}→{h}, {h}→{h}, "
                                        f"{h}→{c}; found {lin}")
    bns = [m[1] for m in got["mods"] if m[0] == "BatchNorm1d"]
    drops = [m[3] for m in got["mods"] if m[0] == "Dropout"]
    if bns != [h, h]:
        return Verdict(False, "module", f"one nn.BatchNorm1d({h}) after each hidden Linear; "
                                        f"found {bns}")
    if len(drops) != 2 or not all(close(p, 0.3, rtol=0.0, atol=1e-9) for p in drops):
        return Verdict(False, "module", "one nn.Dropout(dropout) per hidden layer, using the "
                                        f"`dropout` argument (0.3 here); found {drops}")
    bad = _order_problem(got.get("order") or [])
    if bad:
        return Verdict(False, "module", bad)
    if got["shape"] != [7, c]:
        return Verdict(False, "shape", f"a batch of 7 must give [7, {c}] logits; found {got['shape']}")
    bad = _dataset_problem(got, inputs)
    if bad:
        return Verdict(False, "value", "TabularDataset: " + bad)
    return Verdict(True, "module")


_ITEM = "ds[i] = (features[i] as float32, labels[i] as int64)"


def _dataset_problem(got: dict, inputs: dict) -> str:
    """len, the labelled items (float32 features, int64 label, from float32/int64 and from
    float64/int32 inputs) and the unlabelled item (the features alone)."""
    if got.get("len") != 7:
        return f"len(ds) must be the number of rows (7); found {got.get('len')!r}"
    i = inputs.get("i", 0)
    for item, x, y, made in (
            (got.get("item"), inputs["x"][3], inputs["y"][3],
             "TabularDataset(float32 features, int64 labels)[3]"),
            (got.get("item64"), inputs["x64"][i] if "x64" in inputs else None,
             inputs["y32"][i] if "y32" in inputs else None,
             f"TabularDataset(float64 features, int32 labels)[{i}]")):
        if x is None:
            continue
        if isinstance(item, dict) and "error" in item:
            return (f"{_ITEM}, whatever dtypes they are given in: {made} raised "
                    f"{item['error']} — convert with torch.as_tensor(features, "
                    "dtype=torch.float32) and torch.as_tensor(labels, dtype=torch.long)")
        if not isinstance(item, list) or len(item) != 2:
            return (f"{_ITEM} with labels — a (features, label) pair; {made} gave "
                    f"{_describe(item)}")
        feats, label = item
        if not isinstance(feats, torch.Tensor) or feats.dtype != torch.float32:
            return (f"{_ITEM}: the features must be a float32 tensor whatever dtype they were "
                    f"given in (e.g. torch.as_tensor(features, dtype=torch.float32)); {made} "
                    f"gave features {_describe(feats)}")
        if feats.shape != x.shape or not torch.equal(feats, x.float()):
            return f"{_ITEM}: {made} did not give row features[i]"
        if isinstance(label, str) and label == "None":
            return (f"{_ITEM} with labels — a (features, label) pair, the label of that row; "
                    f"{made} gave {_describe(item)}: with labels, return labels[i] too")
        if not isinstance(label, torch.Tensor) or label.dtype != torch.int64:
            return (f"{_ITEM}: the label must be an int64 tensor (what nn.CrossEntropyLoss "
                    f"expects) whatever integer dtype the labels were given in (e.g. "
                    f"torch.as_tensor(labels, dtype=torch.long)); {made} gave the label "
                    f"{_describe(label)}")
        if label.numel() != 1 or int(label) != int(y):
            return f"{_ITEM}: {made} did not give labels[i] ({int(y)}); found {label.tolist()}"
    unl = got.get("unl")
    if not isinstance(unl, torch.Tensor) or not torch.equal(unl, inputs["x"][2]):
        return ("without labels ds[i] must be features[i] alone (a tensor, not a tuple); "
                f"TabularDataset(features)[2] gave {_describe(unl)}")
    return ""


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of dtype {str(value.dtype).replace('torch.', '')}, shape " \
               f"{list(value.shape)}"
    if isinstance(value, list):
        return "(" + ", ".join(_describe(v) for v in value) + ")"
    if isinstance(value, str):
        return value
    return repr(value)[:60]


ORDER = ["Linear", "BatchNorm1d", "Dropout", "Linear", "BatchNorm1d", "Dropout", "Linear"]


def _order_problem(order: list) -> str:
    """Linear → BatchNorm1d → ReLU → Dropout per hidden layer, read from the forward pass:
    the modules run in that order, BatchNorm gets the raw Linear output (negatives), and
    Dropout and the next Linear get ReLU outputs (none negative)."""
    ran = [(name, low) for name, low in order if name in ("Linear", "BatchNorm1d", "Dropout")]
    if [name for name, _ in ran] != ORDER:
        return ("FinalNet's layers must run as Linear → BatchNorm1d → ReLU → Dropout → Linear → "
                "BatchNorm1d → ReLU → Dropout → Linear; yours ran "
                + " → ".join(name for name, _ in ran))
    lows = [low for _, low in ran]
    if not (below(lows[1], 0.0) and below(lows[4], 0.0)):
        return ("BatchNorm1d must come right after its Linear, before the ReLU (it got inputs "
                "with no negative values, as if the ReLU came first)")
    if not all(at_least(lows[i], 0.0) for i in (2, 3, 5, 6)):
        return ("apply ReLU after each BatchNorm1d, before the Dropout (Dropout and the next "
                "Linear got negative inputs)")
    return ""


#: The lr the main run's fit is given (the signature's default is 0.01).
FIT_LRS = (0.008, 0.012, 0.015)


def make_data(rng: np.random.Generator):
    x, y, centers = blobs(rng, 400, 12, 4, 1.3)
    xv, yv, _ = blobs(rng, 100, 12, 4, 1.3, centers)
    xt, yt, _ = blobs(rng, 300, 12, 4, 1.3, centers)
    stop = _make_stopping(rng, x, y, xv, yv)
    # a hidden batch size, never the default 32: a loader that types in 32 shows
    batch_size = int(rng.choice(BATCH_SIZES))
    # drawn last: the seeds' other inputs stay as they were
    capped = _make_capped(rng, stop)
    lr = float(rng.choice(FIT_LRS))  # hidden too: a loop that types in lr=0.01 shows
    # and the scripted run's patience (never the default 3: a loop that types in 3 stops at
    # the wrong epoch), with a curve of its own for it, drawn after everything else
    patience = int(rng.choice(STOP_PATIENCES))
    stop = {**stop, "patience": patience,
            "curve": stopping_curve(rng, patience, start=float(rng.uniform(0.9, 1.1)))}
    return Hidden(inputs={"x": x, "y": torch.from_numpy(y), "xv": xv, "yv": torch.from_numpy(yv),
                          "xt": xt, "stop": stop, "capped": capped, "batch_size": batch_size,
                          "lr": lr},
                  secret=yt)


BATCH_SIZES = (16, 20, 24)


def _batches_problem(rows: list, batch_size: int, n: int) -> str:
    """The main run's training batches are of the batch_size passed: the most common size of
    the training forwards (the last batch of an epoch holds the rest; an extra forward over
    all rows, e.g. for a training accuracy, is one of many)."""
    sizes = [len(r) for r in rows if isinstance(r, list)]
    common = max(set(sizes), key=sizes.count) if sizes else batch_size
    if common != batch_size:
        return (f"fit must train on batches of the batch_size it is given "
                f"(DataLoader(train_ds, batch_size=batch_size, shuffle=True)): the grader "
                f"passed batch_size={batch_size}; your training batches held {common} rows")
    return ""


def _scheduler_steps_problem(steps: list, epochs) -> str:
    """StepLR stepped once per epoch: as many step() calls as epochs run (one fewer when the
    loop breaks out of its last epoch before stepping)."""
    if not steps or not isinstance(epochs, int):
        return ""
    if steps[0] not in (epochs - 1, epochs):
        return (f"call scheduler.step() once per epoch, after the epoch's batches: fit ran "
                f"{epochs} epochs and stepped the scheduler {steps[0]} times")
    return ""


# the scripted-validation run: 64 training rows in batches of 32 (2 steps an epoch)
STOP_TRAIN, STOP_VAL, STOP_EPOCHS, PATIENCE = 64, 32, 30, 3
#: The scripted run's patience (the main run's is the default 3).
STOP_PATIENCES = (2, 4, 5)


def _make_stopping(rng: np.random.Generator, x, y, xv, yv) -> dict:
    """A short second run whose validation losses the probe scripts from a hidden curve with a
    non-improving stretch shorter than the patience followed by an improvement, so a patience
    counter that is never reset on improvement stops too early (the main run's curve rarely
    shows that)."""
    return {"x": x[:STOP_TRAIN], "y": torch.from_numpy(y[:STOP_TRAIN]), "xv": xv[:STOP_VAL],
            "yv": torch.from_numpy(yv[:STOP_VAL]), "epochs": STOP_EPOCHS,
            "curve": stopping_curve(rng, PATIENCE, start=float(rng.uniform(0.9, 1.1))),
            "per_epoch": math.ceil(STOP_TRAIN / 32)}


def _make_capped(rng: np.random.Generator, stop: dict) -> dict:
    """The scripted run again, with a validation loss that improves every epoch: nothing
    stops it early, so it must end after num_epochs (2-5 here) epochs. The early-stopping
    curves end training well before num_epochs, so a loop that ignores num_epochs (or runs
    a few more) showed only here."""
    epochs = int(rng.integers(2, 6))
    curve = [1.0 - 0.05 * e - float(rng.uniform(0.0, 0.01)) for e in range(epochs + 4)]
    return {**stop, "epochs": epochs, "curve": curve}


def _capped_problem(got, capped: dict) -> str:
    info = got["info"]
    epochs = info.get("epochs") if isinstance(info, dict) else None
    if epochs == capped["epochs"]:
        return ""
    return (f"in a run where the validation loss improves every epoch, fit(…, "
            f"num_epochs={capped['epochs']}) reported epochs={epochs!r}: train at most "
            f"num_epochs epochs (`for epoch in range(num_epochs)`), stopping earlier only "
            "when the patience runs out")


def _scripted_problem(got, stop: dict) -> str:
    """The scripted run: stopped where its hidden patience says on the scripted losses,
    best_val_loss and the weights returned those of the best epoch."""
    info = got["info"]
    curve, patience = stop["curve"], stop["patience"]
    want, best = early_stop(curve, patience)
    epochs = info.get("epochs") if isinstance(info, dict) else None
    if epochs != want + 1:
        typed = early_stop(curve, PATIENCE)[0]
        bug = early_stop_bug(curve, patience, epochs)
        hints = [EARLY_STOP_BUGS[bug].format(what="validation loss")] if bug else []
        if typed is not None and epochs == typed + 1:  # the default typed in (or that bug)
            hints.append(f"it stopped where patience {PATIENCE} (the default) would: stop "
                         "after `patience` epochs in a row without a lower validation loss "
                         f"(`if bad >= patience`), with the patience argument, not a "
                         f"typed-in {PATIENCE}")
        hint = "; or ".join(hints) or (
            f"stop after `patience` ({patience}) epochs in a row without a lower validation "
            "loss, and report the epochs run")
        return (f"in a second run, fit(…, patience={patience}), where the grader controls "
                f"what the model outputs on the validation set, the validation loss stops "
                f"improving for fewer than {patience} epochs, improves again and then stops "
                f"improving: training should run {want + 1} epochs, fit reported "
                f"epochs={epochs!r}: {hint}")
    if not close(as_float(info.get("best_val_loss")), curve[best], rtol=1e-4, atol=1e-6):
        return (f"in a second run where the grader controls the validation losses, "
                f"best_val_loss is {info.get('best_val_loss')!r}, expected {curve[best]:.6g} "
                "(the lowest mean nn.CrossEntropyLoss over the validation set)")
    held = [e for e, d in zip(got["epochs_at"], got["diffs"], strict=True) if at_most(d, 1e-6)]
    if best + 1 not in held:
        return ("in a second run where the grader controls the validation losses, the model "
                f"does not hold the weights of its best epoch ({best + 1}) after fit: keep a "
                "deep copy whenever the validation loss is lower than the best so far and load "
                "it back before returning")
    return ""


def _best_weights_problem(losses: list, diffs: list) -> str:
    """After early stopping the model must hold the weights of its best validation epoch: the
    probe kept the weights at every validation pass and their validation losses."""
    if diffs and not all(finite(d) for d in diffs):
        return "after fit the model's weights hold NaN or inf"
    if not losses or not all(finite(v) for v in losses):
        return "validate once per epoch (model.eval(), torch.no_grad()) on the validation set"
    best = min(losses)
    held = [i for i, d in enumerate(diffs) if at_most(d, 1e-6)]
    if not any(at_most(losses[i], best * (1 + 1e-3) + 1e-6) for i in held):
        return ("after early stopping the model does not hold its best validation weights: "
                "keep a deep copy (copy.deepcopy(model.state_dict())) — state_dict().copy() is "
                "shallow, its tensors keep changing with the model — and load it back with "
                "model.load_state_dict(best) before returning")
    return ""


def _schedule_problem(sched: dict, lrs: list[float], per_epoch: int, lr0: float) -> str:
    """Adam(lr=lr) and StepLR(step_size=10, gamma=0.1) stepped once per epoch: every batch of
    epoch e (from 0) trains with lr · 0.1 ** (e // 10)."""
    if sched.get("cls") != "StepLR" or sched.get("step_size") != 10 \
            or not close(sched.get("gamma"), 0.1, rtol=1e-9, atol=0.0):
        return ("schedule the learning rate with optim.lr_scheduler.StepLR(optimizer, "
                f"step_size=10, gamma=0.1); found {sched.get('cls')}(step_size="
                f"{sched.get('step_size')}, gamma={sched.get('gamma')})")
    if lrs and not close(lrs[0], lr0, rtol=1e-6, atol=0.0):
        return (f"the first batch trained with lr {lrs[0]:.3g}, but fit was given lr={lr0:g}: "
                "build torch.optim.Adam(model.parameters(), lr=lr) with the lr fit is given")
    for i, lr in enumerate(lrs):
        epoch = i // per_epoch
        if not close(lr, lr0 * 0.1 ** (epoch // 10), rtol=1e-6, atol=0.0):
            return (f"batch {i % per_epoch + 1} of epoch {epoch + 1} trained with lr {lr:.3g}: "
                    "call scheduler.step() once per epoch, after the epoch's batches (not after "
                    "every batch), so the lr drops ×0.1 every 10 epochs")
    return ""


def judge_fit(learner, reference, inputs, ctx):
    got = learner.value
    src = ctx.source_text
    bad = pattern_verdict(src, got.get("acc"))
    if bad:
        return bad
    if not uses(src, *CLIP_CALLS):
        return Verdict(False, "api", "clip gradients: torch.nn.utils.clip_grad_norm_(…, "
                                     "max_norm=1.0) between backward() and step()")
    found = clip_problem(got.get("max_norms"), got.get("step_norms"), got.get("clip_order"))
    if found:
        return Verdict(False, "api", "clip gradients every step: torch.nn.utils."
                                     "clip_grad_norm_(model.parameters(), max_norm=1.0) between "
                                     f"backward() and step(); found {found}")
    scheds = [m for m in got["made"] if m["label"] == "scheduler"]
    if not scheds:
        return Verdict(False, "api", "schedule the learning rate: build an "
                                     "optim.lr_scheduler (StepLR) and step it every epoch")
    bad = _batches_problem(got.get("rows") or [], inputs["batch_size"], len(inputs["x"]))
    if bad:
        return Verdict(False, "api", bad)
    bad = (_schedule_problem(scheds[0], got["lrs"],
                             math.ceil(len(inputs["x"]) / inputs["batch_size"]), inputs["lr"])
           or _scheduler_steps_problem(got.get("sched_steps") or [], got["info"].get("epochs")))
    if bad:
        return Verdict(False, "api", bad)
    bad = same_order_problem(split_epochs(got.get("rows") or [], len(inputs["x"])), "fit",
                             "DataLoader(train_ds, batch_size, shuffle=True)")
    if bad:
        return Verdict(False, "train", bad)
    modes = [tuple(m) for m in got["modes"]]
    if (False, False) not in modes:
        return Verdict(False, "train", "validate each epoch in model.eval() under torch.no_grad()")
    epochs = got["info"].get("epochs")
    if not isinstance(epochs, int) or not 1 <= epochs < 40:
        return Verdict(False, "train", "fit must stop early (patience 3 on validation loss) and "
                                       f"report the epochs it ran; found epochs={epochs!r} of 40")
    bad = _best_weights_problem(got.get("snap_losses") or [], got.get("snap_diffs") or [])
    if bad:
        return Verdict(False, "train", bad)
    bad = (_scripted_problem(got["scripted"], inputs["stop"])
           or _capped_problem(got["capped"], inputs["capped"]))
    if bad:
        return Verdict(False, "train", bad)
    return accuracy_verdict(got["pred"], ctx.secrets["fit"], 0.85, "FinalNet after fit")
