"""Sixth audit, weeks 5–6 (held-out submissions): wrong submissions of a whole class fail with a
message that names the cause, on fixed seeds; correct ones written differently pass.

- final.2: a loop that standardised its features (rows the feature recorder cannot place) and
  did not shuffle was not caught; the rows are now also placed by their targets.
- 6.1.5b: causality is also judged in train mode (the same random draws for both rows): a mask
  applied only in eval mode, or BatchNorm's batch statistics over the positions, let the future
  in while training.
- 6.1.1: validation rows are found also when each training batch was normalised with its own
  statistics, or each row on its own.
- final.3: the scripted early-stopping run has a hidden patience (a typed-in 3 passed).
- 5.1.4 variant 17: the updates must go through scaler.step / scaler.update (an
  optimizer.step() of its own passed: Adam hardly notices the scaled gradients).
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import torch
from audit_support import edit_each as _edit
from audit_support import messages as _messages

SEEDS = (3, 17)


async def _grade_seeds(grader, exercise_id: str, source: str) -> list[dict]:
    return list(await asyncio.gather(*(grader.grade(exercise_id, source, seed=s)
                                       for s in SEEDS)))


_F2_STANDARDISE = ("    model = DemandNet(x.shape[1], 32, quantiles)",
                   "    x = (x - x.mean(0)) / x.std(0)\n"
                   "    model = DemandNet(x.shape[1], 32, quantiles)")

# 6.1.1: train_model gathers both loaders' rows (a learner's "use all the data"), shuffles
# them and normalises each batch
_GATHER = ("    xs = torch.cat([d for d, _ in train_loader] + [d for d, _ in val_loader])\n"
           "    ys = torch.cat([t for _, t in train_loader] + [t for _, t in val_loader])\n")


def _all_rows(transform: str) -> list[tuple[str, str]]:
    return [("    history = []\n", "    history = []\n" + _GATHER),
            ("        for data, target in train_loader:\n",
             "        perm = torch.randperm(len(xs))\n"
             "        for i in range(0, len(xs), 32):\n"
             "            data, target = xs[perm[i:i + 32]], ys[perm[i:i + 32]]\n" + transform)]


_LM_LAYER = "            else:\n                h = layer(h, src_mask=mask)"

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: the feature recorder cannot place standardised rows
    "final.2-standardised-not-shuffled": ("final.2", [
        _F2_STANDARDISE,
        ("        order = torch.randperm(len(x))\n", "        order = torch.arange(len(x))\n")],
        "training", ["every epoch fed the training rows in the same order"]),
    "final.2-standardised-one-permutation": ("final.2", [
        (_F2_STANDARDISE[0], _F2_STANDARDISE[1] + "\n    order = torch.randperm(len(x))"),
        ("        order = torch.randperm(len(x))\n        for i", "        for i")],
        "training", ["every epoch fed the training rows in the same order"]),
    # passed: causal in eval mode only
    "6.1.5b-mask-only-in-eval": ("6.1.5b", [(_LM_LAYER, _LM_LAYER.replace(
        "src_mask=mask", "src_mask=None if self.training else mask"))],
        "training", ["looks at future tokens in train mode", "apply the mask in both modes"]),
    "6.1.5b-batchnorm-over-positions": ("6.1.5b", [
        ("        self.norm = nn.LayerNorm(d_model)",
         "        self.norm = nn.BatchNorm1d(d_model)"),
        ("        return self.head(self.norm(h))",
         "        return self.head(self.norm(h.transpose(1, 2)).transpose(1, 2))")],
        "training", ["looks at future tokens in train mode", "BatchNorm"]),
    # passed: one affine map for all rows was looked for
    "6.1.1-batch-normalised-all-rows": ("6.1.1", _all_rows(
        "            data = (data - data.mean(0)) / (data.std(0) + 1e-5)\n"),
        "training", ["trained on validation rows (160 of",
                     "each batch normalised with its own statistics"]),
    "6.1.1-row-normalised-all-rows": ("6.1.1", _all_rows(
        "            data = (data - data.mean(1, keepdim=True)) / data.std(1, keepdim=True)\n"),
        "training", ["trained on validation rows (160 of", "each row normalised on its own"]),
    "6.1.1-l2-normalised-all-rows": ("6.1.1", _all_rows(
        "            data = torch.nn.functional.normalize(data, dim=1)\n"),
        "training", ["trained on validation rows (160 of", "each row normalised on its own"]),
    # passed: the scripted run's patience was the default 3
    "final.3-patience-typed-in": ("final.3", [(
        "            if bad_epochs >= config.patience:", "            if bad_epochs >= 3:")],
        "checkpoint", ["stop after config.patience"]),
    # passed: Adam barely notices gradients 65,536 times too large
    "5.1.4-optimizer-step-not-scaler": ("5.1.4", [
        ("            scaler.step(optimizer)\n            scaler.update()\n",
         "            optimizer.step()\n")],
        "train_loop_17", ["step through the scaler", "0 of the 100 updates"]),
}

# An argument the grader passes (or a setting the prompt fixes) typed into the loop: the grader
# passed the default, or never looked, so the typed-in value passed. Now it passes hidden values.
WRONG.update({
    "6.2.1-lr-typed-in": ("6.2.1", [(
        "optimizer = torch.optim.Adam(model.parameters(), lr=lr)",
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.01)")],
        "training", ["with the lr it is given", "found Adam(lr=0.01)"]),
    "6.2.1-epochs-typed-in": ("6.2.1", [("    for _ in range(num_epochs):",
                                         "    for _ in range(60):")],
                              "training", ["must train num_epochs epochs", "(60 epochs)"]),
    "6.3.1-epochs-typed-in": ("6.3.1", [("    for _ in range(num_epochs):",
                                         "    for _ in range(15):")],
                              "training_loop", ["must run num_epochs epochs", "(15 epochs)"]),
    "6.1.2-epochs-typed-in": ("6.1.2", [("    for epoch in range(num_epochs):",
                                         "    for epoch in range(5):")],
                              "training", ["num_epochs=4", "(5 epochs)"]),
    "6.1.4b-batch-size-typed-in": ("6.1.4b", [
        ("range(0, len(x), batch_size)", "range(0, len(x), 32)"),
        ("model(x[i:i + batch_size])", "model(x[i:i + 32])"),
        ("ner_loss(logits, y[i:i + batch_size])", "ner_loss(logits, y[i:i + 32])")],
        "training", ["batch_size=16", "up to 32 sentences"]),
    "6.1.5b-lr-typed-in": ("6.1.5b", [(
        "torch.optim.Adam(model.parameters(), lr=lr)",
        "torch.optim.Adam(model.parameters(), lr=0.003)")],
        "training", ["with the lr it is given", "found Adam(lr=0.003)"]),
    "6.1.5b-batch-size-typed-in": ("6.1.5b", [(
        "(batch_size,), generator=generator)", "(16,), generator=generator)")],
        "training", ["batches of the batch_size it is given", "held 16 sequences"]),
    "final.1-batch-size-typed-in": ("final.1", [(
        "DataLoader(train_ds, batch_size=batch_size, shuffle=True)",
        "DataLoader(train_ds, batch_size=32, shuffle=True)")],
        "fit", ["batch_size it is given", "your training batches held 32 rows"]),
    # runs that stop before epoch 11, where StepLR's first drop shows in the learning rate,
    # passed (seed 3); now the scheduler's step() calls are counted too
    "final.1-scheduler-never-stepped": ("final.1", [("        scheduler.step()\n", "")],
                                        "fit", ["call scheduler.step() once per epoch"]),
    "final.3-clip-norm-typed-in": ("final.3", [(
        "clip_grad_norm_(model.parameters(), config.max_grad_norm)",
        "clip_grad_norm_(model.parameters(), 1.0)")],
        "reproducible", ["config.max_grad_norm is 0."]),
    "5.2.4-epochs-typed-in": ("5.2.4", [("    for _epoch in range(num_epochs):",
                                         "    for _epoch in range(10):")],
                              "adv_training", ["must train num_epochs epochs"]),
    "5.2.4-epsilon-typed-in": ("5.2.4", [(
        "adversarial = generate_adversarial_examples(model, data, target, epsilon)",
        "adversarial = generate_adversarial_examples(model, data, target, 0.1)")],
        "adv_training", ["the epsilon adversarial_training_loop is given",
                         "moved the data by up to 0.1"]),
})

# Other held-out faults that passed.
WRONG.update({
    # 5.1.3 variant 11: the prompt fixes the first 80% for training, the last 20% to validate
    "5.1.3-split-reversed": ("5.1.3", [(
        "    X_train, y_train = X[:n_train], y[:n_train]\n    X_val, y_val = X[n_train:], "
        "y[n_train:]",
        "    X_val, y_val = X[:len(X) - n_train], y[:len(X) - n_train]\n"
        "    X_train, y_train = X[len(X) - n_train:], y[len(X) - n_train:]")],
        "train_loop_11", ["train on the first 80%", "80 of the last 80 rows were in training"]),
    "5.1.3-split-overlapping": ("5.1.3", [(
        "    X_val, y_val = X[n_train:], y[n_train:]",
        "    X_val, y_val = X[n_train - 80:n_train], y[n_train - 80:n_train]")],
        "train_loop_11", ["80 of the first 320 rows were validated on"]),
    # 'each epoch must cover the 480 training rows; yours covered 0'
    "5.1.1-model-forward": ("5.1.1", [(
        "    for _epoch in range(10):\n        for data, target in dataloader:\n"
        "            optimizer.zero_grad()\n            output = model(data)",
        "    for _epoch in range(10):\n        for data, target in dataloader:\n"
        "            optimizer.zero_grad()\n            output = model.forward(data)")],
        "train_loop_1", ["call it as `output = model(data)`"]),
    # a model without dropout or batch norm scores the same in either mode
    "6.2.1-saliency-in-train-mode": ("6.2.1", [("    model.eval()\n    x = x.clone()",
                                                "    x = x.clone()")],
                                     "saliency", ["put the model in eval mode"]),
    "5.2.2-scorer-in-train-mode": ("5.2.2", [(
        "        model.eval()\n        outputs = model(batch_data)",
        "        outputs = model(batch_data)")],
        "scoring", ["difficulty_scorer ran the model in training mode"]),
    # every validation word was a training word too: the vocabularies were the same
    "6.1.3b-vocab-with-validation-words": ("6.1.3b", [(
        "    vocab = build_vocab(train_texts)\n",
        "    vocab = build_vocab(train_texts + val_texts)\n")],
        "training", ["build the vocabulary from the training reviews only"]),
    # the returned fold accuracies were never compared with the fold models' own
    "5.1.3-kfold-accuracy-of-sigmoid-above-0": ("5.1.3", [(
        "            predicted = (model(X_val) > 0).float()",
        "            predicted = (torch.sigmoid(model(X_val)) > 0).float()")],
        "train_loop_12", ["return each fold's validation accuracy", "fold 1's model scores"]),
    # every run used accumulation_steps=4, so a typed-in 4 passed
    "5.2.5-accumulation-steps-typed-in": ("5.2.5", [
        ("if (batch_idx + 1) % self.accumulation_steps == 0:", "if (batch_idx + 1) % 4 == 0:"),
        ("loss = criterion(output, target) / self.accumulation_steps",
         "loss = criterion(output, target) / 4")],
        "accumulation", ["accumulation_steps=2", "not a typed-in 4"]),
    # train_forecaster was called with the default lr and quantiles
    "final.2-lr-typed-in": ("final.2", [(
        "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)",
        "    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)")],
        "training", ["the lr train_forecaster is given", "('Adam', 0.01)"]),
    "final.2-quantiles-not-passed-to-the-model": ("final.2", [(
        "    model = DemandNet(x.shape[1], 32, quantiles)",
        "    model = DemandNet(x.shape[1], 32)")],
        "training", ["must match the size of tensor b (3)"]),
    # precision and recall taken as 1 when undefined: F1 1.0 with no positive anywhere
    "6.1.3b-f1-of-no-positives-is-1": ("6.1.3b", [(
        "    if tp == 0:\n        return 0.0\n"
        "    precision, recall = tp / (tp + fp), tp / (tp + fn)",
        "    precision = tp / (tp + fp) if tp + fp else 1.0\n"
        "    recall = tp / (tp + fn) if tp + fn else 1.0\n"
        "    if precision + recall == 0:\n        return 0.0")],
        "f1", ["no positive labels or predictions: F1 is 0.0"]),
    # messages that named another fault. 'R² 0.066 on held-out data' for a target squeezed
    # to [32] against an output of [32, 1] (broadcast to [32, 32])
    "5.1.1-target-squeezed": ("5.1.1", [(
        "    for _epoch in range(10):\n        for data, target in dataloader:\n",
        "    for _epoch in range(10):\n        for data, target in dataloader:\n"
        "            target = target.squeeze(1)\n")],
        "train_loop_1", ["got an output of shape [32, 1] and a target of shape [32]"]),
    # 'train for 11 epochs over all 1024 training rows …; your model saw 12288'
    "5.1.3-epochs-run-one-short": ("5.1.3", [("    return model, epochs_run",
                                              "    return model, epochs_run - 1")],
                                   "train_loop_13", ["epochs_run must be the number of epochs"]),
    # 'forward in eval mode differs from Linear(784, 128) → … (no softmax …)'
    "6.1.1-dropout-always-on": ("6.1.1", [(
        "    def forward(self, x):\n        return self.net(x)",
        "    def forward(self, x):\n        x = torch.relu(self.net[0](x))\n"
        "        x = torch.nn.functional.dropout(x, 0.2, training=True)\n"
        "        x = torch.relu(self.net[3](x))\n"
        "        x = torch.nn.functional.dropout(x, 0.2, training=True)\n"
        "        return self.net[6](x)")],
        "architecture", ["in eval mode two forward passes must agree", "never training=True"]),
    # σ indexed by the position in task_losses: the same while every call passes the tasks in
    # task_names order, as the only hidden call did
    "5.2.1-sigma-by-position-in-task-losses": ("5.2.1", [(
        "        for i, name in enumerate(self.task_names):\n            if name in task_losses:",
        "        for i, name in enumerate(task_losses):\n            if name in self.task_names:")],
        "balancing", ["with the losses given in another order", "position in self.task_names"]),
    # no hidden call passed noise_std: ignoring it, or treating 0.0 as not given, passed
    "5.2.3-noise-std-ignored": ("5.2.3", [(
        "        if noise_std is None:\n            noise_std = self.noise_schedule(epoch)",
        "        noise_std = self.noise_schedule(epoch)")],
        "noise", ["noise_std=0.05", "replaces the schedule"]),
    "5.2.3-noise-std-zero-as-not-given": ("5.2.3", [("        if noise_std is None:",
                                                     "        if not noise_std:")],
                                          "noise", ["noise_std=0.0", "replaces the schedule"]),
    # no hidden case had a type only the predictions hold
    "6.1.4a-types-of-gold-only": ("6.1.4a", [(
        "    for kind in sorted({s[1] for s in pred | gold}):",
        "    for kind in sorted({s[1] for s in gold}):")],
        "bio", ["one entry per entity type seen in predictions or gold", "'MISC'"]),
})


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_solution_fails_with_its_cause(grader, curriculum, name):
    exercise_id, edits, check, fragments = WRONG[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        message = _messages(result).get(check, "")
        assert all(f in message for f in fragments), (name, _messages(result))


# Correct submissions written differently from the reference, as the prompts allow.
CORRECT = {
    "final.2-standardised-shuffled": ("final.2", [_F2_STANDARDISE]),
    "final.2-reference": ("final.2", []),
    # quantiles kept apart by sorting the raw outputs; the pinball loss written with relu
    "final.2-sorted-columns-relu-pinball": ("final.2", [
        ("        return torch.cat([base, base + torch.cumsum(F.softplus(rest), dim=1)], dim=1)",
         "        return torch.sort(raw, dim=1).values"),
        ("    return torch.maximum(q * diff, (q - 1) * diff).mean()",
         "    return (q * F.relu(diff) + (1 - q) * F.relu(-diff)).mean()")]),
    # dropout in the attention layers: train mode draws the same masks for both rows
    "6.1.5b-dropout": ("6.1.5b", [("dropout=0.0, batch_first=True)",
                                   "dropout=0.1, batch_first=True)")]),
    # each batch of training rows normalised with its own statistics: no leak
    "6.1.1-batch-normalised-training-rows": ("6.1.1", [(
        "            output = model(data)\n            loss = criterion(output, target)\n",
        "            data = (data - data.mean(0)) / (data.std(0) + 1e-5)\n"
        "            output = model(data)\n            loss = criterion(output, target)\n")]),
    "final.3-reference": ("final.3", []),
    "final.3-cosine-per-epoch": ("final.3", [
        ("    scheduler = torch.optim.lr_scheduler.OneCycleLR(\n"
         "        optimizer, max_lr=config.lr, total_steps=config.epochs * len(train_loader))",
         "    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, "
         "T_max=config.epochs)"),
        ("            scheduler.step()\n", ""),
        ("        val_loss = evaluate_loss(model, val_loader)\n",
         "        scheduler.step()\n        val_loss = evaluate_loss(model, val_loader)\n")]),
    "6.2.1-reference": ("6.2.1", []),
    "6.2.1-shuffled-loader-of-32": ("6.2.1", [(
        "        for i in range(0, len(train_x), 64):\n            optimizer.zero_grad()\n"
        "            loss = focal_loss(model(train_x[i:i + 64]), train_y[i:i + 64])",
        "        loader = torch.utils.data.DataLoader(\n"
        "            torch.utils.data.TensorDataset(train_x, train_y), batch_size=32,\n"
        "            shuffle=True)\n"
        "        for xb, yb in loader:\n            optimizer.zero_grad()\n"
        "            loss = focal_loss(model(xb), yb)")]),
    "6.3.1-reference": ("6.3.1", []),
    "6.1.2-reference": ("6.1.2", []),
    # an extra forward with gradients on (a training accuracy, a logged loss) is no extra
    # epoch: one optimizer step per batch still counts the epochs
    "6.1.2-extra-forward-for-accuracy": ("6.1.2", [(
        "            loss = criterion(outputs, labels)\n",
        "            loss = criterion(outputs, labels)\n"
        "            train_acc = (model(texts, lengths).argmax(1) == labels).float().mean()\n")]),
    "6.1.4b-logged-loss-of-all-sentences": ("6.1.4b", [(
        "        scheduler.step()\n",
        "        scheduler.step()\n        full_loss = ner_loss(model(x), y).item()\n")]),
    "6.2.1-logged-epoch-loss": ("6.2.1", [(
        "            optimizer.step()\n    return model",
        "            optimizer.step()\n"
        "        epoch_loss = focal_loss(model(train_x), train_y).item()\n    return model")]),
    "6.3.1-extra-forward-for-a-log": ("6.3.1", [(
        "            loss = criterion(output, target)\n",
        "            loss = criterion(output, target)\n"
        "            _ = criterion(model(data), target).item()\n")]),
    "6.1.4b-plain-loader": ("6.1.4b", [(
        "        for i in range(0, len(x), batch_size):  # fixed order: a resumed run repeats "
        "exactly\n            optimizer.zero_grad()\n"
        "            logits = model(x[i:i + batch_size])\n"
        "            loss = ner_loss(logits, y[i:i + batch_size])",
        "        for xb, yb in torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),\n"
        "                                                  batch_size=batch_size):\n"
        "            optimizer.zero_grad()\n            logits = model(xb)\n"
        "            loss = ner_loss(logits, yb)")]),
    "final.1-reference": ("final.1", []),
    # the scheduler stepped after the early-stopping check: one step fewer than epochs run
    "final.1-scheduler-after-stop-check": ("final.1", [
        ("        scheduler.step()\n        epochs += 1\n", "        epochs += 1\n"),
        ("            if bad >= patience:\n                break\n",
         "            if bad >= patience:\n                break\n        scheduler.step()\n")]),
    "5.1.3-reference": ("5.1.3", []),
    "5.2.2-reference": ("5.2.2", []),
    "5.2.4-reference": ("5.2.4", []),
    # the attack by loss.backward() (its parameter gradients cleared), generated before
    # zero_grad(): its backward's loss, the clean loss of the batch, was taken out of the
    # clean half and the 0.5/0.5 check failed every step
    "5.2.4-attack-by-backward": ("5.2.4", [(
        "    (grad,) = torch.autograd.grad(loss, data)\n",
        "    loss.backward()\n    grad = data.grad\n    for p in model.parameters():\n"
        "        p.grad = None\n")]),
    "6.1.3b-reference": ("6.1.3b", []),
    "5.2.5-reference": ("5.2.5", []),
    "5.2.1-reference": ("5.2.1", []),
    "5.2.3-reference": ("5.2.3", []),
    # the losses looked up by name, σ by the task's index in task_names
    "5.2.1-sigma-by-name": ("5.2.1", [(
        "        for i, name in enumerate(self.task_names):\n            if name in task_losses:\n"
        "                sigma = self.uncertainty_weights[i]",
        "        for name in task_losses:\n            if name in self.task_names:\n"
        "                sigma = self.uncertainty_weights[self.task_names.index(name)]")]),
    "6.1.4a-reference": ("6.1.4a", []),
    "6.1.5b-reference": ("6.1.5b", []),
    # a random subset of rows each step, drawn by permutation
    "6.1.5b-permutation-batches": ("6.1.5b", [(
        "        idx = torch.randint(0, len(data), (batch_size,), generator=generator).to(device)",
        "        idx = torch.randperm(len(data))[:batch_size].to(device)")]),
}


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    exercise_id, edits = CORRECT[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        assert result["status"] == "passed", (name, _messages(result))


class _Identity(torch.nn.Module):
    def forward(self, x):
        return x


def _recorded(train, val, transform, with_val: bool):
    """What the 6.1.1 probe keeps of 3 epochs of shuffled batches of 32 (train rows, or train
    and validation rows), each batch passed through ``transform``."""
    from curriculum.probes.rows import distinct_rows, track_distinct_rows

    model, store = _Identity(), {}
    handle = track_distinct_rows(model, store)
    rows = torch.cat([train, val]) if with_val else train
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        perm = torch.randperm(len(rows), generator=gen)
        for i in range(0, len(rows), 32):
            model(transform(rows[perm[i:i + 32]]))
    handle.remove()
    return distinct_rows(store)


_TRANSFORMS = {
    "batch-standardised": lambda b: (b - b.mean(0)) / (b.std(0) + 1e-5),
    "batch-min-max": lambda b: (b - b.min(0).values) / (b.max(0).values - b.min(0).values),
    "row-standardised": lambda b: (b - b.mean(1, keepdim=True)) / b.std(1, keepdim=True),
    "row-l2": lambda b: torch.nn.functional.normalize(b, dim=1),
}


@pytest.mark.parametrize("transform", sorted(_TRANSFORMS))
def test_leak_judge_sees_validation_rows_normalised_per_batch_or_row(transform):
    from curriculum.judges.leaks import validation_rows_trained

    rng = np.random.default_rng(7)
    train = torch.from_numpy(rng.normal(0.3, 1.2, (320, 100)).astype(np.float32))
    val = torch.from_numpy(rng.normal(0.3, 1.2, (96, 100)).astype(np.float32))
    f = _TRANSFORMS[transform]
    leak = validation_rows_trained(_recorded(train, val, f, True), train, val)
    assert (leak.rows, leak.times) == (96, 3 * 96)
    assert leak.how == transform.split("-")[0]
    # the same normalisation of the training rows only is no leak
    assert validation_rows_trained(_recorded(train, val, f, False), train, val).rows == 0


def test_leak_judge_takes_hostile_batches_without_error():
    from curriculum.judges.leaks import validation_rows_trained

    rng = np.random.default_rng(8)
    train = torch.from_numpy(rng.normal(0, 1, (64, 64)).astype(np.float32))
    val = torch.from_numpy(rng.normal(0, 1, (32, 64)).astype(np.float32))
    for batches in (None, "x", [[-1] * 9], [[10 ** 9] * 9], [list(range(96)), "y"],
                    [[True] * 9], [[0.5] * 9], [[0, 1]]):
        got = {"rows": train, "counts": torch.ones(64, dtype=torch.int64), "batches": batches}
        assert validation_rows_trained(got, train, val).rows == 0
    # batches of fewer than MIN_BATCH rows are not matched on their own (two per-feature
    # parameters fit any two rows onto any two others): val rows rescaled in pairs, each pair
    # with its own map, stay unmatched, while the same rows in batches of 8 are found
    from curriculum.judges.leaks import MIN_BATCH

    assert MIN_BATCH == 8
    picked = val[:16].double()
    scaled = torch.cat([picked[i:i + 8] * (i + 2.0) + i for i in range(0, 16, 8)]).float()
    counts = torch.ones(16, dtype=torch.int64)
    eights = {"rows": scaled, "counts": counts, "batches": [list(range(8)), list(range(8, 16))]}
    assert validation_rows_trained(eights, train, val).rows == 16
