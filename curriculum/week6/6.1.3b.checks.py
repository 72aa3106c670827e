"""Checks of 6.1.3b: F1, training on hidden reviews, best-model checkpoint, early stopping."""

import numpy as np
import torch

from curriculum.judges.cases import mixed
from curriculum.judges.compare import as_float, close, finite, max_abs_diff
from curriculum.judges.data import review_texts
from curriculum.judges.shared import share, shared
from curriculum.judges.training import accuracy_verdict, binary_f1, pattern_verdict
from grader.checks.base import Hidden, Verdict


def _labels(rng, n):
    labels = torch.from_numpy(rng.integers(0, 2, n))
    labels[int(rng.integers(0, n))] = 1
    return labels


def make_f1(rng: np.random.Generator):
    """Random predictions, none predicted positive, and perfect ones, in a random order and
    numbers (the kinds stay here)."""
    def pair(n):
        return torch.from_numpy(rng.integers(0, 2, n)), torch.from_numpy(rng.integers(0, 2, n))

    def sizes(k):
        return [int(n) for n in rng.integers(5, 21, k)]

    none = [(torch.zeros(n, dtype=torch.int64), _labels(rng, n)) for n in sizes(rng.integers(1, 3))]
    perfect = [(lab.clone(), lab) for lab in (_labels(rng, n) for n in sizes(rng.integers(1, 3)))]
    return mixed(rng, {"random": [pair(n) for n in sizes(rng.integers(2, 5))],
                       "no positive predictions: F1 is 0.0": none,
                       "perfect predictions": perfect})


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


def make_data(rng: np.random.Generator):
    x, y = review_texts(rng, 192)
    xv, yv = review_texts(rng, 48)
    xt, yt = review_texts(rng, 200)
    return Hidden(inputs={"x": x, "y": y.tolist(), "xv": xv, "yv": yv.tolist(), "xt": xt},
                  secret=yt)


def judge_train(learner, reference, inputs, ctx):
    share(ctx, "train", learner)
    bad = pattern_verdict(ctx.source_text, learner.value.get("acc"))
    if bad:
        return bad
    return accuracy_verdict(learner.value["pred"], ctx.secrets["training"], 0.85,
                            "predict() after train_sentiment")


def _trained(ctx):
    out = shared(ctx, "train")
    if out is None or out.error is not None:
        return None
    return out.value


def judge_checkpoint(learner, reference, inputs, ctx):
    got = _trained(ctx)
    if got is None:
        return Verdict(False, "train", "not judged: train_sentiment did not run to the end")
    saved = got["saved"]
    if not saved["exists"]:
        return Verdict(False, "value", "train_sentiment must save the best model to `path` with "
                                       "torch.save(model.state_dict(), path)")
    if saved.get("type") not in ("dict", "OrderedDict"):
        return Verdict(False, "value", "save the state_dict (a dict of tensors), not the whole "
                                       f"model; found a {saved.get('type')}")
    if not saved.get("keys_match"):
        return Verdict(False, "value", "the saved state_dict's keys do not match "
                                       "SentimentModel(len(vocab)).state_dict()")
    if not saved.get("weights_equal"):
        return Verdict(False, "value", "the returned model must be the best checkpoint: load it "
                                       "back with model.load_state_dict(torch.load(path)) before "
                                       "returning")
    return Verdict(True, "value")


def judge_early_stopping(learner, reference, inputs, ctx):
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
