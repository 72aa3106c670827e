"""Exercise 5.1 (Basic Training Loop Syntax): the twenty loop variants, and the files
written from them.

``VARIANTS`` is each loop's contract (optimizer, learning rate, loss, epochs,
model, data, metric and threshold); ``C`` its signature and prompt text. The
exercise YAML names the judge ``training_loops.loop`` with the variant as its
arguments. The references (``week5/5.1.*.ref.py``) are written by hand. Run
``python -m curriculum.generate`` after editing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from curriculum.generate import Flow, dump_yaml
from curriculum.judges.training_loops import Spec as LoopSpec

GENERATOR = "loop_drills"


@dataclass(frozen=True)
class Spec(LoopSpec):
    """One loop's contract — the judge's own :class:`LoopSpec`, so the YAML
    arguments cannot drift from what the judge reads — and ``seed_lr``, the
    course text's rate (for the notes only)."""

    seed_lr: float | None = None


BIN_MLP = ("seq", [("linear", 2, 10), ("relu",), ("linear", 10, 1)])


VARIANTS: dict[int, Spec] = {s.k: s for s in [
    Spec(1, "Adam", 0.05, "MSELoss", 10, ("seq", [("linear", 1, 1)]), "line", 384, "r2", 0.95,
         seed_lr=0.001),
    Spec(2, "SGD", 0.01, "MSELoss", 15, ("seq", [("linear", 3, 1)]), "poly", 480, "r2", 0.6),
    Spec(3, "RMSprop", 0.01, "MSELoss", 20, ("seq", [("linear", 8, 3)]), "multi", 256, "r2", 0.9,
         seed_lr=0.0005),
    Spec(4, "Adam", 0.02, "L1Loss", 12, ("seq", [("linear", 4, 1)]), "robust", 384, "r2", 0.9,
         seed_lr=0.002),
    Spec(5, "AdamW", 0.01, "MSELoss", 25, ("seq", [("linear", 10, 1)]), "ridge", 192, "r2", 0.9,
         seed_lr=0.001),
    Spec(6, "Adam", 0.01, "BCEWithLogitsLoss", 15, BIN_MLP, "blobs", 384, "acc", 0.85,
         seed_lr=0.001),
    Spec(7, "SGD", 0.01, "CrossEntropyLoss", 10, ("seq", [("linear", 20, 10)]), "clusters", 320,
         "acc", 0.65),
    Spec(8, "Adam", 0.001, "NLLLoss", 10, ("seq", [("flatten",), ("linear", 64, 32), ("relu",),
                                                   ("linear", 32, 10)]), "digits", 320, "acc", 0.8),
    Spec(9, "Adam", 0.005, "CrossEntropyLoss", 10, ("seq", [("linear", 4, 3)]), "imbalanced", 480,
         "bal_acc", 0.7, seed_lr=0.0005),
    Spec(10, "AdamW", 0.01, "BCEWithLogitsLoss", 10, ("seq", [("linear", 6, 5)]), "multilabel",
         320, "label_acc", 0.85, seed_lr=0.001),
    Spec(11, "Adam", 0.01, "BCEWithLogitsLoss", 15, BIN_MLP, "split", 400, "acc", 0.85),
    Spec(12, "Adam", 0.01, "BCEWithLogitsLoss", 50, BIN_MLP, "kfold", 240, "acc", 0.7,
         kwargs={"k": 5}),
    Spec(13, "Adam", 0.01, "BCEWithLogitsLoss", None, BIN_MLP, "earlystop", 1024, "acc", 0.8,
         kwargs={"patience": 3, "max_epochs": 100}),
    Spec(14, "Adam", 0.01, "BCEWithLogitsLoss", 20, BIN_MLP, "noisyval", 256, "acc", 0.75),
    Spec(15, "Adam", 0.01, "BCEWithLogitsLoss", 20, BIN_MLP, "noisyval", 256, "acc", 0.85),
    Spec(16, "Adam", 0.05, "MSELoss", 10, ("seq", [("linear", 10, 1)]), "bigreg", 320, "r2", 0.9),
    Spec(17, "Adam", 0.01, "CrossEntropyLoss", 10, ("seq", [("linear", 16, 32), ("relu",),
                                                           ("linear", 32, 4)]),
         "amp", 320, "acc", 0.8),
    Spec(18, "SGD", 0.05, "MSELoss", 5, ("seq", [("linear", 10, 1)]), "ridge", 320, "r2", 0.8),
    Spec(19, "Adam", 0.01, "CrossEntropyLoss", None, ("seq", [("linear", 4, 16), ("relu",),
                                                             ("linear", 16, 3)]),
         "curriculum", 300, "acc", 0.8),
    Spec(20, "Adam", 0.01, "MSELoss", 10, ("twohead", 10, 32, 3), "multitask", 320, "multi",
         0.7),
]}


SETS = {
    1: ("Practice Set 1: regression loops — variants 1-5", range(1, 6)),
    2: ("Practice Set 2: classification loops — variants 6-10", range(6, 11)),
    3: ("Practice Set 3: training with validation — variants 11-15", range(11, 16)),
    4: ("Practice Set 4: advanced training patterns — variants 16-20", range(16, 21)),
}

# k -> (signature, one-line summary, full contract text)
C = {
    1: ("train_loop_1(model, X, y)",
        "linear regression y = 2x + 1 + noise; `nn.MSELoss`, `optim.Adam` lr=0.05, 10 epochs, "
        "batch 32",
        "Linear regression. `model` is `nn.Linear(1, 1)`, `X` (n, 1), `y` (n, 1) with "
        "y = 2x + 1 + noise. `nn.MSELoss()`, `optim.Adam(model.parameters(), lr=0.05)`, "
        "`DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)` (the rows in a new "
        "order every epoch: the grader checks it), 10 epochs. Return the model. Held-out "
        "R² ≥ 0.95."),
    2: ("train_loop_2(model, X, y)",
        "polynomial regression on given features [x, x², x³]; `nn.MSELoss`, `optim.SGD` lr=0.01, "
        "15 epochs",
        "Polynomial regression. `X` (n, 3) already holds the features [x, x², x³] "
        "(x in [-2, 2]); `model` is `nn.Linear(3, 1)`; `y` (n, 1) is a cubic of x plus noise. "
        "`nn.MSELoss()`, `optim.SGD(..., lr=0.01)`, batch size 32, 15 epochs. Return the model. "
        "Held-out R² ≥ 0.6."),
    3: ("train_loop_3(model, X, y)",
        "multi-output regression (8 → 3); `nn.MSELoss`, `optim.RMSprop` lr=0.01, 20 epochs",
        "Multi-output regression. `model` is `nn.Linear(8, 3)`, `X` (n, 8), `y` (n, 3). "
        "`nn.MSELoss()`, `optim.RMSprop(..., lr=0.01)`, batch size 32, 20 epochs. Return the "
        "model. Held-out R² ≥ 0.9."),
    4: ("train_loop_4(model, X, y)",
        "robust regression with 10% outliers; `nn.L1Loss`, `optim.Adam` lr=0.02, 12 epochs",
        "Robust regression. `model` is `nn.Linear(4, 1)`; 10% of the training targets are gross "
        "outliers. `nn.L1Loss()`, `optim.Adam(..., lr=0.02)`, batch size 32, 12 epochs. Return "
        "the model. Held-out (clean) R² ≥ 0.9."),
    5: ("train_loop_5(model, X, y)",
        "regularized regression: loss = MSE + 0.001·Σ‖p‖²; `optim.AdamW` lr=0.01, 25 epochs",
        "Regularized regression. `model` is `nn.Linear(10, 1)`. Per batch, backpropagate "
        "`criterion(output, target) + 0.001 * l2_penalty` where "
        "`l2_penalty = sum(p.pow(2).sum() for p in model.parameters())` (every parameter, "
        "biases too). `nn.MSELoss()`, `optim.AdamW(..., lr=0.01)` (its default weight decay), "
        "batch size 32, 25 epochs. Return the model. Held-out R² ≥ 0.9."),
    6: ("train_loop_6(model, X, y)",
        "binary classification; `nn.BCEWithLogitsLoss`, `optim.Adam` lr=0.01, 15 epochs, batch 64",
        "Binary classification of 2-D points. `model` is `nn.Sequential(nn.Linear(2, 10), "
        "nn.ReLU(), nn.Linear(10, 1))` (it outputs logits: the sigmoid lives inside "
        "`nn.BCEWithLogitsLoss`), `y` (n, 1) float 0/1. `optim.Adam(..., lr=0.01)`, batch size "
        "64, 15 epochs. Return the model. Held-out accuracy (logit > 0) ≥ 0.85."),
    7: ("train_loop_7(model, X, y)",
        "10-class classification; `nn.CrossEntropyLoss`, `optim.SGD` lr=0.01, 10 epochs",
        "Multi-class classification. `model` is `nn.Linear(20, 10)`, `X` (n, 20), `y` (n,) int64 "
        "class ids 0-9. `nn.CrossEntropyLoss()`, `optim.SGD(..., lr=0.01)`, batch size 32, "
        "10 epochs. Return the model. Held-out accuracy ≥ 0.65."),
    8: ("train_loop_8(model, X, y)",
        "8×8 'digits'; `nn.LogSoftmax(dim=1)` + `nn.NLLLoss`, `optim.Adam` lr=0.001, 10 epochs",
        "MNIST-style classification. `X` (n, 1, 8, 8) images, `y` (n,) digits 0-9, `model` is "
        "`nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))` and "
        "outputs raw scores: apply `nn.LogSoftmax(dim=1)` to them and use `nn.NLLLoss()`. "
        "`optim.Adam(..., lr=0.001)`, batch size 32, 10 epochs. Return the model. Held-out "
        "accuracy ≥ 0.8."),
    9: ("train_loop_9(model, X, y)",
        "imbalanced 3 classes (80/15/5%); `nn.CrossEntropyLoss(weight=n/(3·count_c))`, "
        "`optim.Adam` lr=0.005, 10 epochs",
        "Imbalanced classification. `model` is `nn.Linear(4, 3)`, `y` (n,) int64 with class "
        "shares about 80/15/5%. Weight the loss by class: "
        "`weights = len(y) / (3 * torch.bincount(y, minlength=3).float())`, "
        "`nn.CrossEntropyLoss(weight=weights)`. `optim.Adam(..., lr=0.005)`, batch size 32, "
        "10 epochs. Return the model. Held-out balanced accuracy (mean per-class recall, on a "
        "balanced test set) ≥ 0.7."),
    10: ("train_loop_10(model, X, y)",
         "multi-label (5 labels); `nn.BCEWithLogitsLoss`, `optim.AdamW` lr=0.01, 10 epochs",
         "Multi-label classification. `model` is `nn.Linear(6, 5)`, `y` (n, 5) float 0/1 (any "
         "number of labels per row). `nn.BCEWithLogitsLoss()`, `optim.AdamW(..., lr=0.01)`, "
         "batch size 32, 10 epochs. Return the model. Held-out per-label accuracy ≥ 0.85."),
    11: ("train_loop_11(model, X, y)",
         "80/20 train/val split, 15 epochs; return (model, history)",
         "Variant 6's model and loss (`nn.BCEWithLogitsLoss`, `optim.Adam` lr=0.01, batch 64) "
         "with a validation split: train on the first 80% of the rows, validate on the last 20%. "
         "Each of 15 epochs: `model.train()`, one pass over the training batches; then "
         "`model.eval()` and, inside `with torch.no_grad():`, ONE forward pass over the whole "
         "validation split and its loss. Return `(model, history)` with "
         "`history = {'train_loss': [15 floats], 'val_loss': [15 floats]}` (val_loss = that "
         "epoch's validation loss). Held-out accuracy ≥ 0.85."),
    12: ("train_loop_12(make_model, X, y, k=5)",
         "5-fold cross validation; fresh `make_model()` per fold; return the 5 fold accuracies",
         "K-fold cross validation with k=5. `make_model()` returns a fresh variant-6 model; "
         "split the n rows into 5 disjoint folds that cover every row; for each fold build a new "
         "model, train it on the other 4 folds (`nn.BCEWithLogitsLoss`, `optim.Adam` lr=0.01, "
         "batch 64, 10 epochs, `model.train()`), then evaluate it on its fold "
         "(`model.eval()`, `torch.no_grad()`). Return the list of the 5 validation accuracies "
         "(floats in [0, 1]). At least 4 of the 5 folds' models must reach held-out accuracy "
         "≥ 0.7 (one unlucky fold is forgiven; an untrained model stays near 0.5). It also "
         "calls your function with `k=3`, which must give 3 folds, 3 models and 3 accuracies "
         "(use the argument, not a typed-in 5)."),
    13: ("train_loop_13(model, X_train, y_train, X_val, y_val, patience=3, max_epochs=100)",
         "early stopping on the validation loss (patience 3); return (model, epochs_run)",
         "Early stopping. Variant 6's model and loss, `optim.Adam` lr=0.01, batch 64. After each "
         "training epoch, compute the validation loss on all of X_val in one forward pass "
         "(eval mode, no_grad). Keep the best (lowest) loss; an epoch improves only if its loss "
         "is strictly lower. Stop after `patience` epochs in a row without improvement, or after "
         "`max_epochs`. Return `(model, epochs_run)`. The validation labels are noisy, so the "
         "validation loss does turn back up: your loop must really stop. Held-out accuracy "
         "≥ 0.8. It also calls your function with `patience=1`, and with `max_epochs=3` "
         "(`patience=10`), where the stop must follow those values (use the arguments, not a "
         "typed-in 3 or 100)."),
    14: ("train_loop_14(model, X_train, y_train, X_val, y_val, path)",
         "save `model.state_dict()` to `path` whenever the val loss improves; return the best "
         "val loss",
         "Best-model saving. Variant 6's model and loss, `optim.Adam` lr=0.01, batch 64, "
         "20 epochs. After each epoch compute the validation loss (one forward pass, eval mode, "
         "no_grad); whenever it is lower than the best so far, "
         "`torch.save(model.state_dict(), path)`. Return the best validation loss (a float). "
         "The grader loads the file and checks it holds the best epoch's weights."),
    15: ("train_loop_15(model, X_train, y_train, X_val, y_val)",
         "`ReduceLROnPlateau(factor=0.5, patience=2)` stepped with the val loss; 20 epochs",
         "Learning-rate scheduling. Variant 6's model and loss, `optim.Adam` lr=0.01, batch 64, "
         "20 epochs. Create `optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', "
         "factor=0.5, patience=2)`; after each epoch compute the validation loss (one forward "
         "pass, eval mode, no_grad) and call `scheduler.step(val_loss)`. Return the model."),
    16: ("train_loop_16(model, X, y)",
         "gradient clipping `clip_grad_norm_(..., max_norm=1.0)`; MSE, Adam lr=0.05, 10 epochs",
         "Gradient clipping. `model` is `nn.Linear(10, 1)`; the targets are large, so raw "
         "gradients are far above 1. `nn.MSELoss()`, `optim.Adam(..., lr=0.05)`, batch size 32, "
         "10 epochs; between `loss.backward()` and `optimizer.step()` call "
         "`torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)`. Return the model. "
         "Held-out R² ≥ 0.9."),
    17: ("train_loop_17(model, X, y)",
         "mixed precision: `torch.autocast` + `torch.amp.GradScaler` (bf16 on CPU, fp16 on CUDA)",
         "Mixed precision. `model` is `nn.Sequential(nn.Linear(16, 32), nn.ReLU(), "
         "nn.Linear(32, 4))`, 4 classes; it and the data sit on the grader's device (CUDA when "
         "there is one, else CPU: use `next(model.parameters()).device`). "
         "`nn.CrossEntropyLoss()`, `optim.Adam(..., lr=0.01)`, batch 32, 10 epochs. Run the "
         "forward pass and loss inside `torch.autocast(device_type=device.type, dtype=...)` with "
         "`torch.float16` on CUDA and `torch.bfloat16` on CPU; use "
         "`scaler = torch.amp.GradScaler(device.type)`, `scaler.scale(loss).backward()`, "
         "`scaler.step(optimizer)`, `scaler.update()`. Return the model. Held-out accuracy ≥ 0.8."),
    18: ("train_loop_18(model, X, y, accumulation_steps=4)",
         "gradient accumulation: micro-batches of 8, step every 4 (= batch 32); SGD lr=0.05, "
         "5 epochs, no shuffle",
         "Gradient accumulation. `model` is `nn.Linear(10, 1)`, n = 320. `nn.MSELoss()`, "
         "`optim.SGD(..., lr=0.05)`, `DataLoader(..., batch_size=8, shuffle=False)`, 5 epochs. "
         "For each micro-batch: forward, `loss = criterion(output, target) / accumulation_steps`, "
         "`loss.backward()`; when `(batch_idx + 1) % accumulation_steps == 0`: "
         "`optimizer.step()` then `optimizer.zero_grad()`. The grader replays plain SGD with "
         "batches of 32 from the same start: your final weights must match it. It also calls "
         "your loop with `accumulation_steps=2`, which must match plain SGD with batches of 16 "
         "(use the argument, not a typed-in 4). Return the model."),
    19: ("train_loop_19(model, X, y, difficulty)",
         "curriculum: epochs 1-3 easiest 40%, 4-6 easiest 70%, 7-9 all (by `difficulty`)",
         "Curriculum learning. `model` is a 4 → 16 → 3 MLP, `y` (n,) int64, `difficulty` (n,) "
         "float (lower = easier). Sort the rows by difficulty (`torch.argsort(difficulty)`); "
         "epochs 1-3 train on the easiest `int(0.4 * n)` rows, epochs 4-6 on the easiest "
         "`int(0.7 * n)`, epochs 7-9 on all rows — each row of the epoch's subset once per "
         "epoch (e.g. `Subset` + `DataLoader(batch_size=32, shuffle=True)`). "
         "`nn.CrossEntropyLoss()`, `optim.Adam(..., lr=0.01)`. Return the model. Held-out "
         "accuracy ≥ 0.8."),
    20: ("train_loop_20(model, X, y_reg, y_cls)",
         "multi-task: model returns (regression, logits); loss = 1.0·MSE + 0.5·CE; Adam lr=0.01",
         "Multi-task training. `model(x)` returns a tuple `(out_reg, out_cls)`: (batch, 1) "
         "regression and (batch, 3) class logits. `y_reg` (n, 1) float, `y_cls` (n,) int64. "
         "Per batch backpropagate `1.0 * nn.MSELoss()(out_reg, y_reg) + 0.5 * "
         "nn.CrossEntropyLoss()(out_cls, y_cls)`. `optim.Adam(..., lr=0.01)`, batch 32, "
         "10 epochs. Return the model. Held-out: regression R² ≥ 0.7 and accuracy ≥ 0.7."),
}

ERRATA = {
    1: "Note (variant 1): the classic recipe uses Adam lr=0.001 for 10 epochs; from PyTorch's "
       "default initialisation that needs thousands of steps to reach y = 2x + 1, while the "
       "grader's budget allows a few hundred, so this variant uses lr=0.05.",
    3: "Note (variant 3): RMSprop lr=0.0005 would not converge within the grader's step budget; "
       "this variant uses lr=0.01.",
    4: "Note (variant 4): lr=0.02 (not 0.002) so the loop converges within the step budget.",
    5: "Note (variant 5): lr=0.01 (not 0.001) for the step budget. 'L2 penalty' is made "
       "concrete: 0.001 × the sum of every parameter squared.",
    6: "Note (variant 6): lr=0.01 (not 0.001) for the step budget. 'Sigmoid output': the model "
       "outputs logits and BCEWithLogitsLoss applies the sigmoid (putting a sigmoid in the "
       "model as well would apply it twice).",
    9: "Note (variant 9): lr=0.005 (not 0.0005) for the step budget.",
    10: "Note (variant 10): lr=0.01 (not 0.001) for the step budget.",
    17: "Note (variant 17): autocast and GradScaler. On CPU, float16 autocast is not the usual "
        "choice: use bfloat16 there.",
}

SET_INTRO = {
    1: "Regression loops.",
    2: "Classification loops.",
    3: "Training with validation.",
    4: "Advanced training patterns.",
}

# Variants whose check runs its exercise's own probe (``week5/5.1.*.probe.py``, written by
# hand) instead of the shared ``curriculum/probes/training_loop.py``: they call the loop a
# second time with other argument values — variant 12 with k=3, variant 13 with patience=1
# and with max_epochs=3, variant 18 with accumulation_steps=2.
PROBES = {12: "kfold_probe", 13: "early_probe", 18: "accumulation_probe"}

STARTER_HEAD = """import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
"""


def judge_args(spec: Spec) -> dict[str, Any]:
    """The variant as the judge's arguments (``curriculum.judges.training_loops.Spec``)."""
    args = asdict(spec)
    del args["seed_lr"]
    if not args["kwargs"]:
        del args["kwargs"]
    return args


def build(s: int) -> dict[str, Any]:
    title, ks = SETS[s]
    eid = f"5.1.{s}"
    ks = list(ks)
    notes = [ERRATA[k] for k in ks if k in ERRATA]
    summary_lines = [f"**{title}** ({2 * len(ks)} points)",
                     "Write each loop with the 5-step pattern (zero_grad → forward → loss → "
                     "backward → step). The grader builds the model and calls:"]
    for k in ks:
        summary_lines.append(f"- `{C[k][0]}`: {C[k][1]}")
    summary_lines.append("Judged on hidden data: pattern, optimizer/lr/loss/epochs, "
                         "gradients reset, loss falls, held-out metric, and the variant's "
                         "feature.")
    summary = "\n".join(summary_lines)
    assert len(summary) <= 1500, (eid, len(summary))
    prompt = [f"## {title}", "",
              f"Exercise 5.1 (Basic Training Loop Syntax), Practice Set {s}, week 5. "
              f"{SET_INTRO[s]} Muscle memory: write every loop yourself with the "
              "5-step pattern, in this order inside the batch loop:", "",
              "```python", "optimizer.zero_grad()          # 1. zero gradients",
              "output = model(data)           # 2. forward pass",
              "loss = criterion(output, target)  # 3. loss",
              "loss.backward()                # 4. backward pass",
              "optimizer.step()               # 5. update", "```", "",
              "### Your contract",
              "The grader builds each model (seeded, the architecture given below), "
              "generates the data, calls your function, then predicts held-out inputs "
              "whose labels never enter the sandbox. Define:", ""]
    for k in ks:
        prompt.append(f"- **`{C[k][0]}`** — {C[k][2]}")
    falls = ("the training loss falls (not for variant 4, whose outliers keep the L1 loss high "
             "however well the clean rows fit: its held-out R² judges it)" if 4 in ks
             else "the training loss falls")
    feature = (" (variant 11: each epoch validates after its training pass, "
               "`history['val_loss']` holds those validation losses and "
               "`history['train_loss']` each epoch's mean batch loss of the losses your loop "
               "computed; the per-sample mean is fine too)" if 11 in ks else "")
    prompt += ["", "### How it is checked",
               "Each variant is worth 2 points and is judged in this order: the five steps "
               "appear in order in your function (AST); the optimizer class and learning "
               "rate (its other settings at their defaults), the loss module as given "
               "(default reduction), the batch size and the number of epochs (samples seen "
               "in train mode = epochs × training rows) are the requested ones; the first "
               "backward pass "
               "after every update starts from zeroed gradients, and every update follows a "
               "backward pass of its own (no second `optimizer.step()` on the same "
               "gradients); the parameters change and "
               f"{falls}; the variant's feature really happens{feature}; and the "
               "trained model reaches the stated metric on the held-out data. Runs are "
               "seeded, so a correct loop passes every time. Code under "
               "`if __name__ == \"__main__\":` is not run by the grader."]
    if notes:
        prompt += ["", "### Notes", *[f"- {e}" for e in notes]]
    starter = STARTER_HEAD
    for k in ks:
        starter += f"\n\ndef {C[k][0]}:\n    # TODO: {C[k][1]}\n    ...\n"
    checks = [{"id": f"train_loop_{k}", "kind": "python", "check_kind": "train",
               "points": 2, "inputs": "training_loops.loop_inputs",
               "probe": PROBES.get(k, "training_loop.probe"), "judge": "training_loops.loop",
               "args": Flow(judge_args(VARIANTS[k]))} for k in ks]
    doc = {"id": eid, "title": title, "week": 5, "kind": "drill",
           "max_score": 2 * len(ks), "summary": summary, "prompt": "\n".join(prompt) + "\n",
           "starter": starter, "errata": notes, "checks": checks,
           "limits": {"wall_s": 60, "cpu_s": 60, "memory_mb": 1024}}
    if s == 4:
        doc["device"] = "cuda"
    return doc


def files() -> dict[str, str]:
    """week5/5.1.*.yaml (the references are written by hand)."""
    assert set(VARIANTS) == set(C)
    return {f"week5/5.1.{s}.yaml": dump_yaml(build(s), GENERATOR) for s in SETS}
