"""Checks of 6.1.3b: F1, training on hidden reviews, best-model checkpoint, early stopping."""

import numpy as np
import torch

from curriculum.judges.cases import mixed
from curriculum.judges.compare import as_float, at_least, at_most, close, finite, max_abs_diff
from curriculum.judges.data import (
    EARLY_STOP_BUGS,
    early_stop,
    early_stop_bug,
    review_texts,
    stopping_curve,
)
from curriculum.judges.shared import share, shared
from curriculum.judges.text import with_article
from curriculum.judges.training import (
    accuracy_verdict,
    binary_f1,
    given_lr_problem,
    pattern_verdict,
)
from grader.checks.base import Hidden, Verdict

# Correct models reach about 0.9 on the hidden reviews, a few in a hundred just under
# 0.85 (the data changes every grading): the bar leaves them room; an untrained or broken
# model stays near 0.5.
MIN_ACCURACY = 0.8


def _labels(rng, n):
    labels = torch.from_numpy(rng.integers(0, 2, n))
    labels[int(rng.integers(0, n))] = 1
    return labels


def make_f1(rng: np.random.Generator):
    """Random predictions, none predicted positive, positive ones all wrong, and perfect
    ones, in a random order and numbers (the kinds stay here)."""
    def pair(n):
        return torch.from_numpy(rng.integers(0, 2, n)), torch.from_numpy(rng.integers(0, 2, n))

    def sizes(k):
        return [int(n) for n in rng.integers(5, 21, k)]

    none = [(torch.zeros(n, dtype=torch.int64), _labels(rng, n)) for n in sizes(rng.integers(1, 3))]
    perfect = [(lab.clone(), lab) for lab in (_labels(rng, n) for n in sizes(rng.integers(1, 3)))]
    # no positive anywhere (labels and predictions all 0): no true positive, so F1 is 0.0 —
    # not the 1.0 of a precision and recall each taken as 1 when undefined
    empty = [(torch.zeros(n, dtype=torch.int64), torch.zeros(n, dtype=torch.int64))
             for n in sizes(1)]
    made = mixed(rng, {"random": [pair(n) for n in sizes(rng.integers(2, 5))],
                       "no positive predictions: F1 is 0.0": none,
                       "no positive labels or predictions: F1 is 0.0": empty,
                       "perfect predictions": perfect})
    # positive predictions, none of them right: no true positive, F1 0.0 (an f1_score that
    # divided by zero here passed). Drawn after the cases above, so those stay as they were.
    for n in sizes(rng.integers(1, 3)):
        labels = _labels(rng, n)
        labels[int(rng.integers(0, n))] = 0  # a negative, predicted positive
        at = int(rng.integers(0, len(made.inputs) + 1))
        made.inputs.insert(at, (1 - labels, labels))
        made.secret.insert(at, "positive predictions, none right: F1 is 0.0")
    return made


def judge_f1(learner, reference, inputs, ctx):
    kinds = ctx.secrets["f1"]
    for i, ((p, lab), got, kind) in enumerate(zip(inputs, learner.value, kinds, strict=True),
                                              start=1):
        want = binary_f1(p.numpy(), lab.numpy())
        if not close(got, want, rtol=0.0, atol=1e-6):
            what = "" if kind == "random" else f" ({kind})"
            return Verdict(False, "value", f"f1_score case {i}{what}: off by "
                                           f"{max_abs_diff(got, want):.3g}; F1 = 2·P·R / (P + R) "
                                           "for class 1, 0.0 when there is no true positive")
    return Verdict(True, "value")


#: The lr train_sentiment is given, hidden (it was always the default 0.01: a typed-in
#: lr passed, nothing read the optimizer's).
TRAIN_LRS = (0.008, 0.012, 0.015)


def make_data(rng: np.random.Generator):
    x, y = review_texts(rng, 192)
    xv, yv = review_texts(rng, 48)
    xt, yt = review_texts(rng, 200)
    # a neutral word of their own in a quarter of the validation reviews: a vocabulary built
    # from the validation texts too holds it (the training texts never do)
    xv = list(xv)
    for i in rng.choice(len(xv), len(xv) // 4, replace=False):
        xv[int(i)] = f"{xv[int(i)]} {VAL_ONLY_WORDS[int(rng.integers(len(VAL_ONLY_WORDS)))]}"
    lr = float(rng.choice(TRAIN_LRS))  # drawn last: the seeds' reviews stay as they were
    return Hidden(inputs={"x": x, "y": y.tolist(), "xv": xv, "yv": yv.tolist(), "xt": xt,
                          "lr": lr}, secret=yt)


VAL_ONLY_WORDS = ("kiosk", "tuesday", "harbour", "velvet", "marmalade", "quokka")


def judge_train(learner, reference, inputs, ctx):
    share(ctx, "train", learner)
    bad = pattern_verdict(ctx.source_text, learner.value.get("acc"))
    if bad:
        return bad
    opts = [m for m in learner.value.get("made") or [] if m.get("label") == "optimizer"]
    problem = given_lr_problem("train_sentiment", (opts[0]["cls"], opts[0]["lr"]) if opts
                               else None, inputs["lr"])
    if problem:
        return Verdict(False, "api", problem)
    if any(at_least(lo, 0.0) and at_most(hi, 1.0) for lo, hi in learner.value["logits_in"]):
        return Verdict(False, "train", "the loss got the model's sigmoid probabilities through "
                                       "nn.BCEWithLogitsLoss, which applies a second sigmoid: "
                                       "use nn.BCELoss() on the probabilities")
    leaks = learner.value.get("leaks") or {}
    if leaks.get("val_rows"):
        return Verdict(False, "train", f"the model trained on validation reviews "
                                       f"({leaks['val_rows']} rows of its training batches "
                                       "were validation reviews): train on train_texts only, "
                                       "and keep the "
                                       "validation reviews for the F1 that early stopping and "
                                       "model saving decide on")
    words = learner.value.get("vocab_words")
    if isinstance(words, list):
        seen = {w for t in inputs["x"] for w in t.lower().split()}
        val_only = set(words) - seen - {"<PAD>", "<UNK>"}
        if val_only & {w for t in inputs["xv"] for w in t.lower().split()}:
            return Verdict(False, "train", "build the vocabulary from the training reviews only "
                                           "(vocab = build_vocab(train_texts)): yours holds "
                                           f"{len(val_only)} words that only the validation "
                                           "reviews contain, a leak of the validation set into "
                                           "the model's inputs")
    modes = learner.value.get("predict_modes")
    if not isinstance(modes, list) or any(bool(m[0]) for m in modes):
        return Verdict(False, "train", "predict ran the model in training mode (the grader "
                                       "passes the trained model in train mode): call "
                                       "model.eval() first, so that dropout would not change "
                                       "the predictions")
    if any(bool(m[1]) for m in modes):
        return Verdict(False, "train", "predict ran the model with gradients on: wrap the "
                                       "forward pass in `with torch.no_grad():`")
    return accuracy_verdict(learner.value["pred"], ctx.secrets["training"], MIN_ACCURACY,
                            "predict() after train_sentiment")


def _trained(ctx):
    out = shared(ctx, "train")
    if out is None or out.error is not None:
        return None
    return out.value


def judge_checkpoint(learner, reference, inputs, ctx):
    share(ctx, "scripted", learner)
    got = _trained(ctx)
    if got is None:
        return Verdict(False, "train", "not judged: train_sentiment did not run to the end")
    saved = got["saved"]
    if not saved["exists"]:
        return Verdict(False, "value", "train_sentiment must save the best model to `path` with "
                                       "torch.save(model.state_dict(), path)")
    if saved.get("type") not in ("dict", "OrderedDict"):
        return Verdict(False, "value", "save the state_dict (a dict of tensors), not the whole "
                                       f"model; found {with_article(saved.get('type'))}")
    if not saved.get("keys_match"):
        return Verdict(False, "value", "the saved state_dict's keys do not match "
                                       "SentimentModel(len(vocab)).state_dict()")
    if not saved.get("weights_equal"):
        return Verdict(False, "value", "the returned model must be the best checkpoint: load it "
                                       "back with model.load_state_dict(torch.load(path)) before "
                                       "returning")
    problem = _val_f1_problem(got, ctx.inputs["training"])
    if problem:
        return Verdict(False, "value", problem)
    # with the learner's own f1_score (a wrong F1 is the f1 check's business)
    f1s = [as_float(h["val_f1"]) for h in got["history"]]
    mine = got["best_f1"]
    if not close(mine, max(f1s), rtol=0.0, atol=1e-6):
        return Verdict(False, "value", f"the returned model's validation F1 is {mine:.3f}, the "
                                       f"best val_f1 of your history {max(f1s):.3f}: save the "
                                       "checkpoint whenever the validation F1 (not the accuracy "
                                       "or the loss) beats the best so far")
    problem = _scripted_checkpoint_problem(learner.value, inputs)
    if problem:
        return Verdict(False, "value", problem)
    return Verdict(True, "value")


def _history_f1s(hist) -> list[float] | None:
    """The scripted run's per-epoch validation F1s, or None when ``history`` is not a
    non-empty list of dicts with a finite 'val_f1' each."""
    if not isinstance(hist, list) or not hist or not all(
            isinstance(h, dict) and finite(h.get("val_f1")) for h in hist):
        return None
    return [as_float(h["val_f1"]) for h in hist]


def _scripted_checkpoint_problem(got, inputs) -> str:
    """In the scripted run the best epoch comes two epochs before the last (patience 2) and
    training is real, so the best epoch's weights differ from the last epoch's: the returned
    model must hold exactly the weights of the epoch with the highest F1. (A model saved every
    epoch and loaded back passed the first run whenever its last epoch tied the best F1.)"""
    if not isinstance(got, dict) or "error" in got:
        return ""  # the early_stopping check reports a failed run
    f1s = _history_f1s(got.get("history"))
    if f1s is None:
        return ""
    curve = inputs["f1s"]
    n = min(len(f1s), len(curve))
    if n < 2 or not close(f1s[:n], curve[:n], rtol=0.0, atol=1e-5):
        return ""  # F1s not recorded as scripted: early_stopping says so
    best = int(np.argmax(f1s)) + 1
    last = len(f1s)
    returned, saved = got.get("returned_epochs"), got.get("saved_epochs") or []
    if not isinstance(returned, list):
        return ("in a second, short run the grader could not read the returned model's "
                "weights: return the model whose best checkpoint you loaded")
    if best in returned:
        return ""
    where = (f"in a second, short run whose validation F1 is highest at epoch {best} of "
             f"{last}, ")
    if last in returned and last in saved:
        return (where + "the file at `path` and the returned model hold the last epoch's "
                "weights: save the checkpoint only when the F1 is strictly better than the "
                "best so far (not every epoch), then load it back before returning")
    if best in saved:
        return (where + "the file at `path` holds the best epoch's weights but the returned "
                "model does not: load it back with model.load_state_dict(torch.load(path)) "
                "before returning")
    found = (f" (it holds epoch {', '.join(map(str, returned))}'s)" if returned else "")
    return (where + f"the returned model is not the best epoch's{found}: save the checkpoint "
            "whenever the F1 beats the best so far, and load it back before returning")


def _val_f1_problem(got, inputs) -> str:
    """history's val_f1 must be what the learner's own f1_score returned on the validation
    set, epoch after epoch (in order)."""
    hist = got["history"]
    if not isinstance(hist, list) or not hist or not all(
            isinstance(h, dict) and finite(h.get("val_f1")) for h in hist):
        return "history must be a list of dicts with a numeric 'val_f1' per epoch"
    n_val = len(inputs["yv"])
    calls = [c for c in got["f1_calls"] if c[1] == n_val]
    k = 0
    for e, h in enumerate(hist, start=1):
        want = as_float(h["val_f1"])
        while k < len(calls) and not close(calls[k][0], want, rtol=0.0, atol=1e-6):
            k += 1
        if k == len(calls):
            return ("history's 'val_f1' must be the validation F1 computed with your f1_score "
                    "on the validation predictions after each epoch (not the accuracy)")
        problem = _val_acc_problem(h.get("val_acc"), calls[k][2] if len(calls[k]) > 2 else None,
                                   e, n_val)
        if problem:
            return problem
        k += 1
    return ""


def _val_acc_problem(got, acc, epoch: int, n_val: int) -> str:
    """An epoch's val_acc: the fraction (0-1) of the validation predictions it scored with
    f1_score that equal the labels (not judged where those predictions were not 0/1 of the
    labels' shape)."""
    if acc is None:
        return ""
    x = as_float(got)
    if x is not None and close(x, acc, rtol=0.0, atol=1e-4):
        return ""
    found = "no number" if x is None else f"{x:.4g}"
    hint = (" (a count: divide by the number of validation reviews)"
            if x is not None and close(x, acc * n_val, rtol=0.0, atol=1e-3) and acc else "")
    return (f"history's 'val_acc' of epoch {epoch} is {found}{hint}; of the validation "
            f"predictions you scored with f1_score that epoch, a fraction {acc:.4g} is right: "
            "record that accuracy on the validation set, a fraction in [0, 1]")


SCRIPT_PATIENCE = 2


def make_scripted(rng: np.random.Generator):
    """A short run whose validation F1s the probe scripts: 1 - a loss curve that stops
    improving for fewer than ``patience`` epochs, improves again, then stops improving."""
    x, y = review_texts(rng, 64)
    xv, yv = review_texts(rng, 24)
    loss = stopping_curve(rng, SCRIPT_PATIENCE, start=float(rng.uniform(0.45, 0.55)))
    # then a run whose F1 improves every epoch: only max_epochs (2-4) may end it
    capped = int(rng.integers(2, 5))
    rising = [0.5 + 0.04 * e + float(rng.uniform(0.0, 0.01)) for e in range(capped + 3)]
    return {"x": x, "y": y.tolist(), "xv": xv, "yv": yv.tolist(),
            "f1s": [1.0 - v for v in loss], "max_epochs": len(loss) + 2,
            "capped": {"f1s": rising, "max_epochs": capped}}


def _scripted_problem(got, inputs) -> str:
    if "error" in got:
        return f"train_sentiment failed in a second, short run: {got['error']}"
    f1s = _history_f1s(got["history"])
    if f1s is None:
        return "history must be a list of dicts with a numeric 'val_f1' per epoch"
    curve = inputs["f1s"]
    n = min(len(f1s), len(curve))
    if not close(f1s[:n], curve[:n], rtol=0.0, atol=1e-5):
        return ("in a run where the grader scripts what your f1_score returns on the validation "
                "set, history's 'val_f1' differs from it: record f1_score(validation "
                "predictions, validation labels) once per epoch")
    loss = [1.0 - v for v in curve]
    want = early_stop(loss, SCRIPT_PATIENCE)[0] + 1
    if len(f1s) != want:
        bug = early_stop_bug(loss, SCRIPT_PATIENCE, len(f1s))
        hint = (EARLY_STOP_BUGS[bug].format(what="F1") if bug
                else "stop once `patience` epochs in a row bring no improvement of the F1")
        return (f"in a run whose validation F1 stops improving for one epoch, improves again "
                f"and then stops improving (patience 2), training ran {len(f1s)} epochs: {hint}")
    return ""


def judge_early_stopping(learner, reference, inputs, ctx):
    verdict = _own_history_verdict(ctx)
    if not verdict.ok:
        return verdict
    run = shared(ctx, "scripted")  # the checkpoint check's probe ran it
    if run is None or run.error is not None:
        return Verdict(False, "train", "not judged: the second, short train_sentiment run did "
                                       "not run to the end")
    problem = (_scripted_problem(run.value, ctx.inputs["checkpoint"])
               or _capped_problem(run.value.get("capped"), ctx.inputs["checkpoint"]["capped"]))
    if problem:
        return Verdict(False, "train", problem)
    return verdict


def _capped_problem(got, capped: dict) -> str:
    """A run whose validation F1 improves every epoch ends after max_epochs epochs: the
    other runs stop early first, so a loop that ignored max_epochs showed only here."""
    if not isinstance(got, dict) or "error" in got:
        found = got.get("error") if isinstance(got, dict) else "nothing"
        return f"train_sentiment failed in a third, short run: {found}"
    f1s = _history_f1s(got["history"])
    if f1s is not None and len(f1s) == capped["max_epochs"]:
        return ""
    ran = "an unreadable history" if f1s is None else f"{len(f1s)} epochs"
    return (f"in a run whose validation F1 improves every epoch, train_sentiment(…, "
            f"max_epochs={capped['max_epochs']}) ran {ran}: train at most max_epochs epochs "
            "(`for epoch in range(max_epochs)`), stopping earlier only when the patience runs "
            "out")


def _own_history_verdict(ctx):
    got = _trained(ctx)
    if got is None:
        return Verdict(False, "train", "not judged: train_sentiment did not run to the end")
    hist = got["history"]
    if not isinstance(hist, list) or not hist or not all(
            isinstance(h, dict) and finite(h.get("val_f1")) for h in hist):
        return Verdict(False, "value", "history must be a list of dicts with a numeric 'val_f1' "
                                       "per epoch")
    f1s = [as_float(h["val_f1"]) for h in hist]
    best, since, stop_at = -1.0, 0, None
    for i, f in enumerate(f1s):
        if f > best:
            best, since = f, 0
        else:
            since += 1
            if since >= 2:
                stop_at = i + 1
                break
    if stop_at is None and len(f1s) != 15:
        return Verdict(False, "train", f"with max_epochs=15 and no plateau, train all 15 epochs; "
                                       f"found {len(f1s)}")
    if stop_at is not None and len(f1s) != stop_at:
        return Verdict(False, "train", f"early stopping on validation F1 (patience 2): your "
                                       f"history says training should have stopped after epoch "
                                       f"{stop_at}, it ran {len(f1s)} epochs")
    if stop_at is None:
        return Verdict(False, "train", "validation F1 kept improving for 15 epochs, so early "
                                       "stopping could not be seen; check that val_f1 is the F1 "
                                       "on the validation texts")
    return Verdict(True, "train")
