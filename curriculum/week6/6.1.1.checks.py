"""Checks of 6.1.1: SpeedMLP's architecture, then one training run judged on hidden data."""

import numpy as np
import torch

from curriculum.judges.compare import as_float, close, finite
from curriculum.judges.data import blobs
from curriculum.judges.leaks import validation_rows_trained
from curriculum.judges.modules import dropout_calls_problem
from curriculum.judges.shared import share, shared
from curriculum.judges.training import (
    accuracy_verdict,
    epoch_means_problem,
    forward_modes_problem,
    pattern_verdict,
)
from grader.checks.base import Hidden, Verdict

PARAMS = 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10


def make_batch(rng: np.random.Generator):
    return torch.from_numpy(rng.normal(0, 1, (int(rng.integers(3, 40)), 784)).astype(np.float32))


def judge_arch(learner, reference, inputs, ctx):
    got = learner.value
    linears = [(i, o) for name, i, o, _ in got["layers"] if name == "Linear"]
    if linears != [(784, 128), (128, 64), (64, 10)]:
        return Verdict(False, "module", "expected Linear layers 784→128, 128→64, 64→10 in that "
                                        f"order; found {linears}")
    drops = [p for name, _, _, p in got["layers"] if name == "Dropout"]
    if not drops or not all(close(p, 0.2, rtol=0.0, atol=1e-9) for p in drops):
        return Verdict(False, "module", "expected nn.Dropout(0.2) after each hidden layer; "
                                        f"found dropout rates {drops}")
    bad = dropout_calls_problem("SpeedMLP", "784 → 128 → 64 → 10, nn.Dropout(0.2) after each "
                                "hidden layer", got.get("dropout_calls"),
                                reference.value["dropout_calls"])
    if bad:
        return Verdict(False, "module", bad)
    # ReLU as a module or F.relu: the outputs under the grader's weights (below) tell
    if any(name in ("Softmax", "LogSoftmax", "Sigmoid") for name, *_ in got["layers"]):
        return Verdict(False, "module", "return raw logits: no softmax/sigmoid layer at the end "
                                        "(nn.CrossEntropyLoss applies log-softmax itself)")
    if got["params"] != PARAMS:
        return Verdict(False, "module", f"expected {PARAMS} parameters, found {got['params']}")
    if got["shape"] != [inputs.shape[0], 10]:
        return Verdict(False, "shape", f"a batch of {inputs.shape[0]} images must give logits of "
                                       f"shape [{inputs.shape[0]}, 10]; found {got['shape']}")
    if not got["eval_same"]:
        # before the outputs under the grader's weights: dropout left on in eval mode (a
        # functional dropout with training=True) would read as another computation
        return Verdict(False, "module", "in eval mode two forward passes must agree (dropout "
                                        "off): use nn.Dropout modules, or F.dropout(x, p, "
                                        "training=self.training), never training=True")
    want = reference.value["graded"]
    if not (isinstance(got["graded"], torch.Tensor) and got["graded"].shape == want.shape
            and close(got["graded"], want, rtol=1e-4, atol=1e-5)):
        return Verdict(False, "value", "with the grader's weights in every layer, forward in "
                                       "eval mode differs from Linear(784, 128) → ReLU → "
                                       "Linear(128, 64) → ReLU → Linear(64, 10): return the raw "
                                       "logits of the last Linear (no softmax — "
                                       "nn.CrossEntropyLoss applies log-softmax itself)")
    if not got["train_differs"]:
        return Verdict(False, "module", "in train mode dropout must be active (two passes differ)")
    return Verdict(True, "module")


def make_data(rng: np.random.Generator):
    x, y, centers = blobs(rng, 480, 784, 10, 0.3)
    xv, yv, _ = blobs(rng, 160, 784, 10, 0.3, centers)
    xt, yt, _ = blobs(rng, 300, 784, 10, 0.3, centers)
    return Hidden(inputs={"x": x, "y": torch.from_numpy(y), "xv": xv, "yv": torch.from_numpy(yv),
                          "xt": xt, "epochs": 4},
                  secret=yt)


def judge_train(learner, reference, inputs, ctx):
    share(ctx, "train", learner)
    got = learner.value
    bad = pattern_verdict(ctx.source_text, learner.value.get("acc"))
    if bad:
        return bad
    opts = [m for m in got["made"] if m["label"] == "optimizer"]
    if not opts or opts[0]["cls"] != "Adam" or not close(opts[0]["lr"], 0.001, rtol=1e-9, atol=0.0):
        found = f"{opts[0]['cls']}(lr={opts[0]['lr']})" if opts else "no optimizer"
        return Verdict(False, "api", f"train_model must build optim.Adam(model.parameters(), "
                                     f"lr=0.001); found {found}")
    leak = validation_rows_trained(got.get("trained_rows"), inputs["x"], inputs["xv"])
    if leak.rows:
        how = {"batch": ", each batch normalised with its own statistics",
               "row": ", each row normalised on its own"}.get(
            leak.how, ", rescaled feature by feature" if leak.rescaled else "")
        return Verdict(False, "train", f"the model trained on validation rows ({leak.rows} of "
                                       f"val_loader's rows{how}, {leak.times} rows of its "
                                       "training batches in all): train on train_loader only "
                                       "and keep val_loader for the validation phase")
    return accuracy_verdict(got["pred"], ctx.secrets["training"], 0.85,
                            "SpeedMLP after train_model (4 epochs)")


def _whole(value) -> int | None:
    """``value`` as a whole number (an int, or a float with nothing after the point), else
    None: the history's epoch numbers come through the probe as plain numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def judge_validation(learner, reference, inputs, ctx):
    out = shared(ctx, "train")
    if out is None or out.error is not None:
        return Verdict(False, "train", "not judged: train_model did not run to the end")
    got = out.value
    bad = forward_modes_problem(got["modes"])
    if bad:
        return Verdict(False, "train", bad)
    hist = got["history"]
    keys = {"epoch", "train_loss", "val_loss", "val_acc"}
    if not isinstance(hist, list) or len(hist) != 4:
        return Verdict(False, "value", "train_model must return a list with one dict per epoch "
                                       f"(4 here); found {hist if isinstance(hist, str) else len(hist)}")
    for h in hist:
        if not isinstance(h, dict) or not keys <= set(h):
            return Verdict(False, "value", f"each history entry needs the keys {sorted(keys)}")
        if not all(finite(h[k]) for k in keys - {"epoch"}):
            return Verdict(False, "value", "history losses and accuracies must be finite numbers")
    epochs = [_whole(h["epoch"]) for h in hist]
    if epochs not in ([1, 2, 3, 4], [0, 1, 2, 3]):
        found = [e if e is not None else type(h["epoch"]).__name__
                 for e, h in zip(epochs, hist, strict=True)]
        return Verdict(False, "value", "each history entry's epoch must be its epoch's number, "
                                       f"in order: 1, 2, 3, 4 (or from 0); found {found}")
    reported = as_float(hist[-1]["val_loss"])
    if not any(close(reported, v, rtol=1e-3, atol=1e-5) for v in got["val_loss"]):
        if any(close(reported, v, rtol=1e-3, atol=1e-5) for v in got.get("train_loss_now", [])):
            return Verdict(False, "value", f"the last epoch's val_loss ({reported:.4g}) is the "
                                           "trained model's loss on the TRAINING rows: validate "
                                           "on val_loader, the rows the model does not train on")
        return Verdict(False, "value", f"the last epoch's val_loss ({reported:.4g}) must be the "
                                       "mean validation loss of the trained model "
                                       f"({got['val_loss'][0]:.4g}): average the batch losses "
                                       "over the validation set, do not sum them")
    yv = ctx.inputs["training"]["yv"]
    true_acc = float((got["val_pred"] == yv).float().mean())
    reported = as_float(hist[-1]["val_acc"])
    if not close(reported, true_acc, rtol=0.0, atol=0.011):
        return Verdict(False, "value", f"the last epoch's val_acc ({reported:.3f}) must be the "
                                       "fraction (0–1) of validation samples the trained model "
                                       f"classifies correctly ({true_acc:.3f})")
    bad = _train_loss_problem(got, hist)
    if bad:
        return Verdict(False, "value", bad)
    return Verdict(True, "train")


def _train_loss_problem(got: dict, hist: list) -> str:
    """Each entry's train_loss is that epoch's mean training loss: the mean of the
    CrossEntropyLoss calls of its training batches (per batch or per sample), recorded in
    order; a float, not a loss tensor that keeps the batches' graphs alive. Not judged where
    the calls were not seen (a functional loss)."""
    if got.get("graph"):
        return ("history's train_loss holds a loss tensor still attached to the autograd "
                "graph (it keeps every batch's graph alive): accumulate `loss.item()`, a float")
    seen = got.get("train_values") or {}
    losses, sizes = seen.get("losses") or [], seen.get("sizes") or []
    return epoch_means_problem([h["train_loss"] for h in hist], losses, int(got.get("batches", 0)),
                               "history's train_loss",
                               sizes if len(sizes) == len(losses) else None)
