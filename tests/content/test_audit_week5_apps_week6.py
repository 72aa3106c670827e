"""Audit of 5.2.1–5.2.3 and week 6 (final projects included): wrong solutions that passed now
fail on the check that owns the behaviour, on every seed, and correct solutions written as
the prompt allows pass.

The classes fixed: hidden validation curves now always stop improving for a while and then
improve again (``curriculum.judges.data.stopping_curve``; final.3 and 6.1.3b script the
validation losses / F1s of a second short run so the learner's own loop decides on them);
outputs are compared with the reference's with the grader's weights in every layer
(``curriculum/probes/grader_weights.py``); and what a run records (validation loss, F1,
tokens/s, the learning rate of every step, batch sizes, clipping) is compared with what the
grader measured.
"""

from __future__ import annotations

import asyncio

import pytest
from audit_support import edit_each as _edit
from audit_support import messages as _messages
from audit_support import not_passed as _failed

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

# Each wrong solution is graded with several seeds: the hidden inputs must catch it every time.
SEEDS = (3, 17, 2024)


async def _grade_seeds(grader, exercise_id: str, source: str) -> list[dict]:
    return list(await asyncio.gather(*(grader.grade(exercise_id, source, seed=s)
                                       for s in SEEDS)))


NO_RESET_523 = ("            self.patience_counter = 0\n            return False",
                "            return False")
NO_RESET_FINAL3 = ("best_loss, bad_epochs = val_loss, 0", "best_loss = val_loss")

EVAL_MODE = {
    "5.2.4-evaluate-in-train-mode": (
        "    model.eval()\n    adversarial = generate_adversarial_examples(",
        "    adversarial = generate_adversarial_examples("),
    "final.2-ig-in-train-mode": ("∂ input.\"\"\"\n    model.eval()\n", "∂ input.\"\"\"\n"),
    "6.1.3b-predict-in-train-mode": ("def predict(model, vocab, texts):\n    model.eval()\n",
                                     "def predict(model, vocab, texts):\n"),
    "6.1.3b-predict-with-grad": ("    model.eval()\n    with torch.no_grad():\n"
                                 "        probs, _ = model(encode(texts, vocab))",
                                 "    model.eval()\n    if True:\n"
                                 "        probs, _ = model(encode(texts, vocab))"),
}

# (exercise, edits of the reference, {check id: kind} that must be among the failures)
WRONG = {
    # finding 3: early stopping whose counter is never reset, min_delta and the ×1.5 rule
    "5.2.3-no-reset": ("5.2.3", [NO_RESET_523], {"early_stopping": "value"}),
    "5.2.3-no-min-delta": ("5.2.3", [("val_loss < self.best_val_loss - self.min_delta",
                                      "val_loss < self.best_val_loss")],
                           {"early_stopping": "value"}),
    "5.2.3-no-adaptive": ("5.2.3", [("effective_patience = patience * 1.5",
                                     "effective_patience = patience")],
                          {"early_stopping": "value"}),
    "5.2.3-divided": ("5.2.3", [("effective_patience = patience * 1.5",
                                 "effective_patience = patience / 1.5")],
                      {"early_stopping": "value"}),
    "5.2.3-ten-entries": ("5.2.3", [("if len(self.loss_history) > 10:",
                                     "if len(self.loss_history) >= 10:")],
                          {"early_stopping": "value"}),
    "final.3-no-reset": ("final.3", [NO_RESET_FINAL3], {"checkpoint": "train"}),
    "6.1.3b-no-reset": ("6.1.3b", [("best_f1, bad_epochs = f1, 0", "best_f1 = f1")],
                        {"early_stopping": "train"}),
    # finding 4: 6.1.1 softmax on the logits; val_loss a sum
    "6.1.1-softmax": ("6.1.1", [("        return self.net(x)\n",
                                 "        return torch.softmax(self.net(x), dim=1)\n")],
                      {"architecture": "value"}),
    # third audit: "split on whitespace" with split(" ") or a regex of word characters
    "6.1.3a-split-on-space": ("6.1.3a", [
        ("return text.lower().split()", 'return text.lower().split(" ")')],
        {"preprocessing": "value"}),
    # third audit: tags padded with 0 (a real tag) instead of -100
    "6.1.4b-tags-padded-with-0": ("6.1.4b", [(
        "    y = pad_sequence(tags, batch_first=True, padding_value=PAD_TAG)",
        "    y = pad_sequence(tags, batch_first=True, padding_value=0)")], {"training": "value"}),
    # third audit: AdamW's weight decay left at its default instead of the config's
    "final.3-default-weight-decay": ("final.3", [(
        "                                  weight_decay=config.weight_decay)",
        "                                  )")], {"checkpoint": "value"}),
    # third audit: float16 autocast hard-coded, where the prompt asks bfloat16 on CPU
    "5.1.4-float16-on-cpu": ("5.1.4", [(
        '    amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16',
        "    amp_dtype = torch.float16")], {"train_loop_17": "value"}),
    # third audit: a second sigmoid before nn.BCEWithLogitsLoss
    "5.1.2-double-sigmoid": ("5.1.2", [(
        "def train_loop_6(model, X, y):", "def train_loop_6(model, X, y):\n"
        "    model = nn.Sequential(model, nn.Sigmoid())  # probabilities into the logits loss")],
        {"train_loop_6": "api"}),
    # third audit: 5.2.4's loss is 0.5 x clean + 0.5 x adversarial
    "5.2.4-weighted-0.9": ("5.2.4", [(
        "loss = 0.5 * criterion(output_clean, target) + 0.5 * criterion(output_adv, target)",
        "loss = 0.9 * criterion(output_clean, target) + 0.1 * criterion(output_adv, target)")],
        {"adv_training": "value"}),
    "5.2.4-adversarial-only": ("5.2.4", [(
        "loss = 0.5 * criterion(output_clean, target) + 0.5 * criterion(output_adv, target)",
        "loss = criterion(output_adv, target)")], {"adv_training": "value"}),
    # third audit: the dropout the forward applies, not the modules it declares
    "6.1.1-functional-dropout-rate": ("6.1.1", [
        ("            nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),\n",
         "            nn.Linear(784, 128), nn.ReLU(),\n"),
        ("        return self.net(x)\n",
         "        h = nn.functional.dropout(self.net[1](self.net[0](x)), 0.5, self.training)\n"
         "        return self.net[2:](h)\n")], {"architecture": "module"}),
    "6.1.1-one-dropout-applied": ("6.1.1", [
        ("            nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.2),\n",
         "            nn.Linear(128, 64), nn.ReLU(),\n"),
        ("        super().__init__()\n",
         "        super().__init__()\n        self.unused = nn.Dropout(0.2)\n")],
        {"architecture": "module"}),
    "6.1.1-val-sum": ("6.1.1", [("    return total_loss / count, correct / count",
                                 "    return total_loss, correct / count")],
                      {"validation": "value"}),
    # finding 5: 6.1.5a default dropout; only the first layer checkpointed
    "6.1.5a-dropout": ("6.1.5a", [("dim_feedforward=4 * d_model,\n"
                                   "                                       dropout=0.0, ",
                                   "dim_feedforward=4 * d_model,\n"
                                   "                                       ")],
                       {"shapes": "value"}),
    "6.1.5a-first-layer": ("6.1.5a", [("if self.use_checkpoint and self.training:",
                                       "if self.use_checkpoint and self.training "
                                       "and layer is self.layers[0]:")],
                           {"checkpointing": "api"}),
    # finding 6: double sigmoid; val_f1 from accuracy; a context that ignores the weights
    "6.1.3b-bce-logits": ("6.1.3b", [("criterion = nn.BCELoss()",
                                      "criterion = nn.BCEWithLogitsLoss()")],
                          {"training": "train"}),
    "6.1.3b-f1-is-accuracy": ("6.1.3b", [("        f1 = f1_score(preds, val)",
                                          "        f1 = (preds == val).float().mean().item()")],
                              {"checkpoint": "value", "early_stopping": "train"}),
    "6.1.3a-masked-mean": ("6.1.3a", [("context = (weights.unsqueeze(-1) * out).sum(dim=1)",
                                       "context = (out * mask.unsqueeze(-1)).sum(dim=1) "
                                       "/ lengths.unsqueeze(-1)")],
                           {"model": "value"}),
    # finding 7: 6.1.2 padding_idx, Tanh, validation with gradients
    "6.1.2-no-padding-idx": ("6.1.2", [("nn.Embedding(vocab_size, embed_dim, padding_idx=0)",
                                        "nn.Embedding(vocab_size, embed_dim)")],
                             {"architecture": "module"}),
    "6.1.2-tanh": ("6.1.2", [("self.fc2(torch.relu(self.fc1(hidden[-1])))",
                              "self.fc2(torch.tanh(self.fc1(hidden[-1])))")],
                   {"architecture": "value"}),
    "6.1.2-val-grad": ("6.1.2", [("    model.eval()\n    total, correct, count = 0.0, 0, 0\n"
                                  "    with torch.no_grad():\n",
                                  "    model.eval()\n    total, correct, count = 0.0, 0, 0\n"
                                  "    if True:\n")],
                       {"training": "train"}),
    # finding 8: 5.2.1 no clipping; validate sums its batch losses and stays in train mode
    "5.2.1-no-clip": ("5.2.1", [("            torch.nn.utils.clip_grad_norm_(self.model."
                                 "parameters(), max_norm=1.0)\n", "")],
                      {"multitask_training": "api"}),
    "5.2.1-val-sum": ("5.2.1", [("results[name] = {\"loss\": loss_sum / len(loader),",
                                 "results[name] = {\"loss\": loss_sum,")],
                      {"multitask_training": "value"}),
    "5.2.1-val-train-mode": ("5.2.1", [("    def validate(self, val_loaders):\n"
                                        "        self.model.eval()\n",
                                        "    def validate(self, val_loaders):\n")],
                             {"multitask_training": "train"}),
    # 5.2.2: train_loss a sum; val_accuracy a fraction; the schedule rebuilt every epoch
    "5.2.2-loss-sum": ("5.2.2", [("epoch_loss / len(train_loader)", "epoch_loss")],
                       {"curriculum_training": "value"}),
    "5.2.2-fraction": ("5.2.2", [("100.0 * correct / total", "correct / total")],
                       {"curriculum_training": "value"}),
    "5.2.2-rebuilt": ("5.2.2", [("        indices = schedule[epoch]\n",
                                 "        schedule = create_curriculum_schedule(full_dataset, "
                                 "model, num_epochs)\n        indices = schedule[epoch]\n")],
                      {"curriculum_training": "value"}),
    # finding 9
    "6.3.1-sgd": ("6.3.1", [("optim.Adam(model.parameters(), lr=0.001)",
                             "optim.SGD(model.parameters(), lr=0.01)")],
                  {"training_loop": "api"}),
    "6.3.1-scaled-rand": ("6.3.1", [("rand = torch.rand(3, 4)\n",
                                     "rand = torch.rand(3, 4) * 0.5\n"),
                                    ("randn = torch.randn(3, 4)\n",
                                     "randn = 2 * torch.randn(3, 4)\n")],
                          {"rand": "value", "randn": "value"}),
    "final.1-step-per-batch": ("final.1", [("            optimizer.step()\n"
                                            "        scheduler.step()\n",
                                            "            optimizer.step()\n"
                                            "            scheduler.step()\n")],
                               {"fit": "api"}),
    "final.2-batches-of-16": ("final.2", [("        for i in range(0, len(x), 64):\n"
                                           "            idx = order[i:i + 64]",
                                           "        for i in range(0, len(x), 16):\n"
                                           "            idx = order[i:i + 16]")],
                              {"training": "api"}),
    "6.1.4a-fixed-pad": ("6.1.4a", [("    mask = tags != pad_tag\n", "    mask = tags != -100\n")],
                         {"loss": "value"}),
    "6.1.4b-max-norm-5": ("6.1.4b", [("clip_grad_norm_(model.parameters(), max_norm=1.0)",
                                      "clip_grad_norm_(model.parameters(), max_norm=5.0)")],
                          {"training": "api"}),
    "6.1.5b-steps-per-sec": ("6.1.5b", [("        tokens += batch.numel()\n",
                                         "        tokens += 1\n")],
                             {"training": "value"}),
    # evaluation functions whose prompt asks for eval mode, on models without dropout or
    # batch norm: the outputs are the same, so only the mode of their forward passes shows it
    **{name: (exercise_id, [EVAL_MODE[name]], {check: kind})
       for name, (exercise_id, check, kind) in {
           "5.2.4-evaluate-in-train-mode": ("5.2.4", "fgsm", "value"),
           "final.2-ig-in-train-mode": ("final.2", "interpretability", "value"),
           "6.1.3b-predict-in-train-mode": ("6.1.3b", "training", "train"),
           "6.1.3b-predict-with-grad": ("6.1.3b", "training", "train"),
       }.items()},
}


@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_solution_fails_on_every_seed(grader, curriculum, name):
    exercise_id, edits, expected = WRONG[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        failed = _failed(result)
        assert expected.items() <= failed.items(), (name, _messages(result))


# A correct solution the prompt allows, for each exercise whose checks this audit changed.
CORRECT = {
    # finding 1: the course's zero_() after the copy is fine on w
    "6.3.1-zero-after-clone": ("6.3.1", [("w_grad = w.grad.clone()      # dy/dw = 2w = 4\n",
                                          "w_grad = w.grad.clone()\nw.grad.zero_()\n")]),
    # one loss over the clean and adversarial halves concatenated is their mean
    "5.2.4-concatenated-halves": ("5.2.4", [(
        "            output_clean = model(data)\n            output_adv = model(adversarial)\n"
        "            loss = 0.5 * criterion(output_clean, target) + 0.5 * criterion(output_adv, "
        "target)",
        "            both = model(torch.cat([data, adversarial]))\n"
        "            loss = criterion(both, torch.cat([target, target]))")]),
    # a loop that does not validate may log a loss under no_grad in train mode
    "5.1.1-no-grad-logging": ("5.1.1", [(
        "            optimizer.step()\n    return model\n\n\ndef train_loop_2",
        "            optimizer.step()\n    with torch.no_grad():\n"
        "        print(criterion(model(X), y).item())\n    return model\n\n\n"
        "def train_loop_2")]),
    # ReLU written as F.relu in forward: the same function of the weights
    "6.1.1-functional-relu": ("6.1.1", [
        ("            nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),\n"
         "            nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.2),\n"
         "            nn.Linear(64, 10),\n        )\n",
         "            nn.Linear(784, 128), nn.Dropout(0.2),\n"
         "            nn.Linear(128, 64), nn.Dropout(0.2),\n"
         "            nn.Linear(64, 10),\n        )\n"),
        ("        return self.net(x)\n",
         "        x = self.net[1](torch.relu(self.net[0](x)))\n"
         "        x = self.net[3](torch.relu(self.net[2](x)))\n"
         "        return self.net[4](x)\n")]),
    # one nn.Dropout(0.2) module applied after each hidden layer
    "6.1.1-reused-dropout": ("6.1.1", [
        ("            nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),\n"
         "            nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.2),\n"
         "            nn.Linear(64, 10),\n        )\n",
         "            nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),\n"
         "            nn.Linear(64, 10),\n        )\n        self.drop = nn.Dropout(0.2)\n"),
        ("        return self.net(x)\n",
         "        x = self.drop(self.net[1](self.net[0](x)))\n"
         "        x = self.drop(self.net[3](self.net[2](x)))\n"
         "        return self.net[4](x)\n")]),
    "6.3.1-rand-dtype": ("6.3.1", [("rand = torch.rand(3, 4)\n",
                                    "r = torch.rand((3, 4), dtype=torch.float32)\nrand = r\n")]),
    # the counter, min_delta and patience written differently
    "5.2.3-numpy-variance": ("5.2.3", [
        ("            variance = torch.var(torch.tensor(self.loss_history[-10:]))",
         "            import numpy as np\n"
         "            variance = float(np.var(self.loss_history[-10:]))")]),
    "5.2.2-weighted-loss": ("5.2.2", [
        ("            epoch_loss += loss.item()",
         "            epoch_loss += loss.item() * len(target)"),
        ("epoch_loss / len(train_loader)", "epoch_loss / len(indices)")]),
    "6.1.5a-checkpoint-stack": ("6.1.5a", [
        ("        for layer in self.layers:\n"
         "            if self.use_checkpoint and self.training:\n"
         "                h = checkpoint(layer, h, mask, use_reentrant=False)\n"
         "            else:\n"
         "                h = layer(h, src_mask=mask)\n",
         "        def stack(h, mask):\n"
         "            for layer in self.layers:\n"
         "                h = layer(h, src_mask=mask)\n"
         "            return h\n"
         "        if self.use_checkpoint and self.training:\n"
         "            h = checkpoint(stack, h, mask, use_reentrant=False)\n"
         "        else:\n"
         "            h = stack(h, mask)\n")]),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    exercise_id, edits = CORRECT[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        assert result["status"] == "passed", (name, _messages(result))


async def test_diagonal_mask_is_named_not_the_float_mask(grader, curriculum):
    """Finding 2: a bool mask with the diagonal masked (row 0 blocks everything: NaN) is told
    so, not blamed on a float triu(ones) * -inf mask it does not use."""
    source = _edit(curriculum.get("6.1.5a").reference,
                   [("torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=1)",
                     "torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=0)")])
    result = await grader.grade("6.1.5a", source, seed=SEEDS[0])
    messages = _messages(result)
    assert {"shapes", "causality", "positions"} <= set(messages), messages
    for message in messages.values():
        assert "diagonal" in message and "row 0" in message, message
        assert "* -inf" not in message, message


async def test_stopping_curve_exercises_every_rule():
    """Every seed's curve stops improving for fewer than `patience` epochs, improves again and
    then stops: the reset, min_delta and patience rules each change the stopping epoch."""
    import numpy as np

    from curriculum.judges.data import early_stop, stopping_curve

    for seed in range(200):
        rng = np.random.default_rng(seed)
        for patience in (3, 6, 10, 15):
            curve = stopping_curve(rng, patience, min_delta=1e-4)
            stop, best = early_stop(curve, patience, min_delta=1e-4)
            assert stop is not None and best is not None and best < stop
            assert early_stop(curve, patience, min_delta=1e-4, reset=False)[0] < stop
            assert early_stop(curve, patience)[0] != stop           # min_delta ignored
            assert early_stop(curve, patience * 1.5, min_delta=1e-4)[0] != stop


# Third audit: a failure whose message blamed something else now names its cause.
# (exercise, edits of the reference, check, a fragment the message must hold)
NAMED_CAUSES = {
    # was "the loss must be differentiable with autograd (tensor operations only)"
    "6.2.1-detached-focal-factor": ("6.2.1", [(
        "    return (-(1 - log_p.exp()) ** gamma * log_p).mean()",
        "    return (-(1 - log_p.exp()).detach() ** gamma * log_p).mean()")],
        "loss", "(1 - p_t)^gamma as a constant"),
    # was "… below best_val_loss - min_delta …" (a one-call shift can stop where ignoring
    # min_delta does) or the generic hint: the hint now names a rule only when it explains
    # the stop in every scenario
    "5.2.3-stops-one-call-late": ("5.2.3", [(
        "should_stop = self.patience_counter >= effective_patience",
        "should_stop = self.patience_counter > effective_patience")],
        "early_stopping", "one call late"),
    "5.2.3-stops-one-call-early": ("5.2.3", [(
        "should_stop = self.patience_counter >= effective_patience",
        "should_stop = self.patience_counter >= effective_patience - 1")],
        "early_stopping", "one call early"),
    # passed: the models have no dropout or batch norm, so train mode changed no number
    "5.2.4-evaluate-in-train-mode": ("5.2.4", [EVAL_MODE["5.2.4-evaluate-in-train-mode"]],
                                     "fgsm", "model.eval()"),
    "final.2-ig-in-train-mode": ("final.2", [EVAL_MODE["final.2-ig-in-train-mode"]],
                                 "interpretability", "model.eval()"),
    "6.1.3b-predict-with-grad": ("6.1.3b", [EVAL_MODE["6.1.3b-predict-with-grad"]],
                                 "training", "torch.no_grad()"),
    # was "expected shape (6, 8), found torch.Size([6, 8])"
    "final.3-sorted-collate": ("final.3", [(
        "def collate(batch):\n",
        "def collate(batch):\n    batch = sorted(batch, key=lambda p: -len(p[0]))\n")],
        "config_data", "order given"),
    # was "precision must be a [4] tensor per class"
    "6.2.1-swapped-precision-recall": ("6.2.1", [(
        "    precision = tp / confusion.sum(0).clamp(min=1)\n"
        "    recall = tp / confusion.sum(1).clamp(min=1)\n",
        "    precision = tp / confusion.sum(1).clamp(min=1)\n"
        "    recall = tp / confusion.sum(0).clamp(min=1)\n")],
        "evaluation", "yours is the recall"),
    # was "check that the model really trains"
    "6.1.4b-scheduler-per-batch": ("6.1.4b", [(
        "            optimizer.step()\n        scheduler.step()\n",
        "            optimizer.step()\n            scheduler.step()\n")],
        "training", "once per epoch"),
    # was "train in batches of 64 … took batches of 16" (the last batch of 400 rows)
    "5.1.3-all-rows-in-the-loader": ("5.1.3", [(
        "train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)",
        "train_loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)")],
        "train_loop_11", "validation rows too"),
    # was "average the batch losses over the validation set, do not sum them"
    "6.1.1-validated-on-training-rows": ("6.1.1", [(
        "val_loss, val_acc = validate(model, val_loader, criterion)",
        "val_loss, val_acc = validate(model, train_loader, criterion)")],
        "validation", "TRAINING rows"),
}


@pytest.mark.parametrize("name", sorted(NAMED_CAUSES))
async def test_the_message_names_the_cause(grader, curriculum, name):
    exercise_id, edits, check, fragment = NAMED_CAUSES[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    message = _messages(await grader.grade(exercise_id, source, seed=3))[check]
    assert fragment in message and "torch.Size" not in message, message
