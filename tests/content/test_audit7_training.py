"""Seventh audit, training loops (held-out submissions): wrong submissions fail with a
message that names the cause, on fixed seeds; correct ones written differently pass.

- 5.1.3 train_loop_15: on a seed where the reference itself misses the held-out bar (0.750
  against 0.85, about 1 seed in 100), a loop within 0.03 of the reference passes.
- 5.2.1: ``train_epoch`` returning the epoch's last batch loss (or the sum of its batch
  losses) instead of the mean batch loss passed: nothing compared what it returned with the
  losses it computed. Each epoch's returned losses are now the mean of the task's
  training-mode loss-module calls in that epoch. And the task configs' lr was always 0.01:
  ``Adam(…, lr=0.01)`` typed in passed (nothing read the optimizer's lr). It is hidden now
  (0.006, 0.008 or 0.015) and compared.
- 5.1.3 ``train_loop_11``: ``history['train_loss']`` holding the epoch's last batch loss,
  the summed batch losses (or the sum over the rows), and ``history['val_loss']`` measured
  before each epoch's training (one epoch behind) passed: only the validation losses' values
  and a falling training loss were compared. Each train_loss is now the epoch's mean batch
  loss (or per-sample mean), and each validation pass must follow that epoch's training.
- 6.1.1: ``train_model``'s history ``train_loss`` was never compared with anything: the last
  batch's loss, the summed batch losses, the loss of an eval-mode pass over the training
  rows, and a loss tensor still on the autograd graph passed. The probe now records the
  training batches' CrossEntropyLoss calls; each entry's train_loss is that epoch's mean.
- 5.2.4: ``adversarial_training_loop``'s ``train_loss`` was only counted: the last batch's
  loss, the summed batch losses, the clean half of the loss alone, and a loss tensor still on
  the autograd graph passed. Each entry is now the mean of the losses that epoch's updates
  backpropagated (the last backward before each optimizer step).
- final.3: ``train``'s history ``train_loss`` was never compared with anything: the last
  batch's loss, the summed losses, the loss of an eval-mode pass over the training loader,
  and a loss tensor still on the autograd graph passed. The probe records the training
  batches' loss-module calls (``recorders.loss_calls``); each entry is that epoch's mean.
- 6.1.3b: ``train_sentiment``'s history ``val_acc`` was never compared with anything: a
  count of right predictions, a percentage, and the accuracy on the training reviews passed.
  The probe records the accuracy of the predictions each ``f1_score`` call scored; each
  epoch's val_acc must be that of the validation predictions its val_f1 came from. And
  ``train_sentiment`` always ran with the default lr=0.01: ``Adam(…, lr=0.01)`` typed in
  passed. It is given a hidden lr now (0.008, 0.012 or 0.015), compared with Adam's. Its
  runs all stopped early, so a loop that ignored ``max_epochs`` passed: a third, scripted run
  whose validation F1 improves every epoch must end after max_epochs (2-4) epochs.
- 5.2.3: what ``train_step_with_gradient_monitoring`` records was never read: no
  ``loss_history`` or ``gradient_norms`` append at all, the norm after clipping, the NaN
  batch's loss appended before returning None, and loss tensors kept with their graph (in
  ``loss_history`` or the returned dict) passed. The probe now returns both lists after each
  step on a fresh trainer.
- 5.1.x (shared judge; seen on 5.1.1 variant 1): a second ``optimizer.step()`` after the
  batch's one, applying the same gradients twice, passed (the prompt's 5-step pattern has one
  update per backward pass). Every update must now follow a backward pass of its own.
- 5.2.2: ``curriculum_training_loop`` was always run with num_epochs=9, its default: a loop
  that typed in 9 epochs passed. The probe passes 6 or 12 now (thirds of the epochs on 40 %,
  70 % and all of the samples).
- 6.1.2: what ``train_text_classifier`` returned was never looked at: a history one epoch
  short, or none at all, passed. It must be a list of one dict per epoch. And the grader
  always passed lr=0.02, as the exercise said: ``Adam(…, lr=0.02)`` typed in passed. The lr
  is hidden now (0.015, 0.018 or 0.025).
"""

from __future__ import annotations

import pytest
from audit_support import fails_with_its_cause, passes

pytestmark = pytest.mark.asyncio(loop_scope="session")
# One fixed seed per submission: each grading trains (the learner's loop and the
# reference's), and the suite runs on two cores; the verdicts were checked on more seeds.
SEEDS = (5,)



_LAST_BATCH = ("                sums[name] += batch_losses[name].item()\n"
               "                counts[name] += 1\n",
               "                sums[name] = batch_losses[name].item()\n"
               "                counts[name] = 1\n")

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # every run stopped early before max_epochs: a loop that typed in 20 (the default) passed
    "6.1.3b-max-epochs-typed-in": ("6.1.3b", [("range(max_epochs)", "range(20)")],
                                   "early_stopping", ["improves every epoch",
                                                      "train at most max_epochs epochs"]),
    # the probe always passed num_epochs=9, the signature's default: a typed-in 9 passed
    "5.2.2-epochs-typed-in": ("5.2.2", [(
        "    schedule = create_curriculum_schedule(full_dataset, model, num_epochs)",
        "    num_epochs = 9\n"
        "    schedule = create_curriculum_schedule(full_dataset, model, num_epochs)")],
        "curriculum_training", ["one entry per epoch", "the grader passed num_epochs="]),
    # train_sentiment was always run with the default lr=0.01: a typed-in one passed
    "6.1.3b-lr-typed-in": ("6.1.3b", [("lr=lr", "lr=0.01")], "training",
                           ["with the lr it is given", "found Adam(lr=0.01)"]),
    # the task configs' lr was always 0.01: a typed-in one passed
    "5.2.1-lr-typed-in": ("5.2.1", [("lr=lr", "lr=0.01")], "multitask_training",
                          ["with the lr of the task configs", "found Adam(lr=0.01)"]),
    # the lr was always 0.02, and the exercise says so: a typed-in one passed
    "6.1.2-lr-typed-in": ("6.1.2", [("lr=lr", "lr=0.02")], "training",
                          ["with the lr it is given", "found Adam(lr=0.02)"]),
    "5.2.1-last-batch-loss": ("5.2.1", [_LAST_BATCH], "multitask_training",
                              ["train_epoch's regression loss of epoch 1",
                               "the epoch's last batch loss"]),
    "5.2.1-summed-batch-losses": ("5.2.1", [(
        "        averages = {name: sums[name] / max(1, counts[name]) for name in sums}",
        "        averages = {name: sums[name] for name in sums}")],
        "multitask_training", ["the sum of its batch losses",
                               "the mean of the 10 batch losses your loop computed"]),
    "5.1.3-v11-last-batch-loss": ("5.1.3", [(
        'history["train_loss"].append(train_loss / len(train_loader))',
        'history["train_loss"].append(loss.item())')], "train_loop_11",
        ["history['train_loss'] of epoch 1", "the epoch's last batch loss"]),
    "5.1.3-v11-summed-batch-losses": ("5.1.3", [(
        'history["train_loss"].append(train_loss / len(train_loader))',
        'history["train_loss"].append(train_loss)')], "train_loop_11",
        ["the sum of its batch losses", "average training loss"]),
    "5.1.3-v11-sum-over-rows": ("5.1.3", [(
        'history["train_loss"].append(train_loss / len(train_loader))',
        'history["train_loss"].append(train_loss / len(X_train))')], "train_loop_11",
        ["the mean of the 5 batch losses"]),
    # validating at the start of each epoch: every val_loss is one epoch behind
    "5.1.3-v11-validation-before-training": ("5.1.3", [
        ('    for _epoch in range(15):\n        model.train()\n        train_loss = 0.0\n',
         '    for _epoch in range(15):\n        model.eval()\n        with torch.no_grad():\n'
         '            history["val_loss"].append(criterion(model(X_val), y_val).item())\n'
         '        model.train()\n        train_loss = 0.0\n'),
        ('            val_loss = criterion(model(X_val), y_val).item()\n'
         '        history["train_loss"].append(train_loss / len(train_loader))\n'
         '        history["val_loss"].append(val_loss)\n',
         '            pass\n'
         '        history["train_loss"].append(train_loss / len(train_loader))\n')],
        "train_loop_11", ["validate after each epoch's training pass", "one epoch behind"]),
    "6.1.1-last-batch-loss": ("6.1.1", [(
        '"train_loss": running / len(train_loader)', '"train_loss": loss.item()')],
        "validation", ["history's train_loss of epoch 1", "the epoch's last batch loss"]),
    "6.1.1-summed-batch-losses": ("6.1.1", [(
        '"train_loss": running / len(train_loader)', '"train_loss": running')],
        "validation", ["the sum of its batch losses", "average training loss"]),
    # the training loss measured afterwards, in eval mode over the training rows
    "6.1.1-train-loss-in-eval-mode": ("6.1.1", [(
        '"train_loss": running / len(train_loader)',
        '"train_loss": validate(model, train_loader, criterion)[0]')],
        "validation", ["the mean of the 15 batch losses your loop computed"]),
    "6.1.1-loss-tensor-with-graph": ("6.1.1", [(
        "            running += loss.item()", "            running += loss")],
        "validation", ["attached to the autograd graph", "loss.item()"]),
    "5.2.4-last-batch-loss": ("5.2.4", [(
        'history["train_loss"].append(epoch_loss / len(loader))',
        'history["train_loss"].append(loss.item())')],
        "adv_training", ["train_loss of epoch 1", "the epoch's last batch loss"]),
    "5.2.4-summed-batch-losses": ("5.2.4", [(
        'history["train_loss"].append(epoch_loss / len(loader))',
        'history["train_loss"].append(epoch_loss)')],
        "adv_training", ["the sum of its batch losses"]),
    # the clean half of the loss recorded, not the loss the update used
    "5.2.4-clean-loss-only": ("5.2.4", [(
        "            epoch_loss += loss.item()",
        "            epoch_loss += 0.5 * criterion(output_clean, target).item()")],
        "adv_training", ["the mean of the 10 batch losses your loop computed"]),
    "5.2.4-loss-tensor-with-graph": ("5.2.4", [(
        "            epoch_loss += loss.item()", "            epoch_loss += loss")],
        "adv_training", ["attached to the autograd graph"]),
    "final.3-last-batch-loss": ("final.3", [(
        '"train_loss": total / count', '"train_loss": loss.item()')],
        "checkpoint", ["history's 'train_loss' of epoch 1", "the epoch's last batch loss"]),
    "final.3-summed-losses": ("final.3", [(
        '"train_loss": total / count', '"train_loss": total')],
        "checkpoint", ["the mean of the 10 batch losses your loop computed"]),
    # the training loss measured after the epoch, in eval mode over the training loader
    "final.3-train-loss-in-eval-mode": ("final.3", [(
        '"train_loss": total / count', '"train_loss": evaluate_loss(model, train_loader)')],
        "checkpoint", ["average training loss"]),
    "final.3-loss-tensor-with-graph": ("final.3", [(
        "            total += loss.item() * len(labels)",
        "            total += loss * len(labels)")],
        "checkpoint", ["attached to the autograd graph"]),
    "6.1.3b-val-acc-as-a-count": ("6.1.3b", [(
        '"val_acc": (preds == val).float().mean().item()',
        '"val_acc": (preds == val).sum().item()')],
        "checkpoint", ["history's 'val_acc' of epoch 1", "a count"]),
    "6.1.3b-val-acc-in-percent": ("6.1.3b", [(
        '"val_acc": (preds == val).float().mean().item()',
        '"val_acc": 100 * (preds == val).float().mean().item()')],
        "checkpoint", ["a fraction in [0, 1]"]),
    "6.1.3b-val-acc-on-the-training-reviews": ("6.1.3b", [(
        '"val_acc": (preds == val).float().mean().item()',
        '"val_acc": (predict(model, vocab, train_texts) '
        '== torch.tensor(train_labels)).float().mean().item()')],
        "checkpoint", ["record that accuracy on the validation set"]),
    "5.2.3-no-loss-history": ("5.2.3", [(
        "        self.loss_history.append(loss.item())\n", "")],
        "monitoring", ["loss_history should be [", "found []"]),
    "5.2.3-gradient-norm-after-clipping": ("5.2.3", [
        ("        self.gradient_norms.append(total_grad_norm)\n", ""),
        ("        self.optimizer.step()\n",
         "        self.gradient_norms.append(\n"
         "            sum(p.grad.norm() ** 2 for p in self.model.parameters()).item() ** 0.5)\n"
         "        self.optimizer.step()\n")],
        "monitoring", ["a batch with huge targets", "gradient_norms should be ["]),
    "5.2.3-nan-loss-recorded": ("5.2.3", [
        ("        if torch.isnan(loss) or torch.isinf(loss):\n            return None",
         "        self.loss_history.append(loss.item())\n"
         "        if torch.isnan(loss) or torch.isinf(loss):\n            return None"),
        ("        self.optimizer.step()\n        self.loss_history.append(loss.item())",
         "        self.optimizer.step()")],
        "monitoring", ["a batch with a NaN input", "loss_history holds 1 value(s)"]),
    "5.2.3-loss-tensor-in-history": ("5.2.3", [(
        "        self.loss_history.append(loss.item())", "        self.loss_history.append(loss)")],
        "monitoring", ["attached to the autograd graph"]),
    "5.2.3-loss-tensor-returned": ("5.2.3", [(
        'return {"loss": loss.item(),', 'return {"loss": loss,')],
        "monitoring", ["attached to the autograd graph"]),
    "5.1.1-v1-second-step": ("5.1.1", [(
        "            loss.backward()\n            optimizer.step()\n    return model\n\n\n"
        "def train_loop_2(",
        "            loss.backward()\n            optimizer.step()\n            optimizer.step()\n"
        "    return model\n\n\ndef train_loop_2(")],
        "train_loop_1", ["without a backward pass of its own", "240 updates for 120 backward"]),
    # the first epoch's entry left out
    "6.1.2-history-one-epoch-short": ("6.1.2", [(
        '        history.append({"epoch": epoch + 1, "val_loss": val_loss, "val_acc": val_acc})',
        "        if epoch:\n"
        '            history.append({"epoch": epoch + 1, "val_loss": val_loss, '
        '"val_acc": val_acc})')],
        "training", ["one dict per epoch (4 for num_epochs=4)", "a list of 3 (dict)"]),
    "6.1.2-no-history-returned": ("6.1.2", [("    return history\n", "    return None\n")],
        "training", ["must return its history", "None (no return)"]),
}

# Correct submissions written differently from the reference, as the prompts allow.
CORRECT = {
    # the mean taken over a list of the batch losses, kept as tensors until the end
    "5.2.1-mean-of-a-list": ("5.2.1", [
        ("        sums = {name: 0.0 for name in data_loaders}",
         "        seen = {name: [] for name in data_loaders}\n"
         "        sums = {name: 0.0 for name in data_loaders}"),
        ("                sums[name] += batch_losses[name].item()\n",
         "                seen[name].append(batch_losses[name].detach())\n"),
        ("        averages = {name: sums[name] / max(1, counts[name]) for name in sums}",
         "        averages = {name: torch.stack(v).mean().item() for name, v in seen.items()}"),
    ]),
    # the per-sample mean of the epoch, summed over detached tensors
    "5.1.3-v11-per-sample-mean": ("5.1.3", [
        ("            train_loss += loss.item()\n",
         "            train_loss += loss.detach() * len(data)\n"),
        ('history["train_loss"].append(train_loss / len(train_loader))',
         'history["train_loss"].append(float(train_loss) / len(X_train))')]),
    # detached loss tensors summed, the per-sample mean over the loader's dataset
    "6.1.1-per-sample-mean-of-detached-losses": ("6.1.1", [
        ("            running += loss.item()",
         "            running += loss.detach() * len(target)"),
        ('"train_loss": running / len(train_loader)',
         '"train_loss": running / len(train_loader.dataset)')]),
    # detached losses summed; the attack takes its gradient with its own backward (and then
    # zeroes the model's gradients): the update's loss is the last backward before the step
    "5.2.4-detached-losses-and-an-attack-backward": ("5.2.4", [
        ("            epoch_loss += loss.item()", "            epoch_loss += loss.detach()"),
        ("    (grad,) = torch.autograd.grad(loss, data)\n",
         "    loss.backward()\n    grad = data.grad\n    model.zero_grad()\n")]),
    # the mean batch loss (the reference takes the per-sequence mean), of detached tensors
    "final.3-mean-batch-loss": ("final.3", [
        ('"train_loss": total / count', '"train_loss": batch_sum / len(train_loader)'),
        ("        total, count = 0.0, 0\n", "        total, count, batch_sum = 0.0, 0, 0.0\n"),
        ("            total += loss.item() * len(labels)\n",
         "            total += loss.item() * len(labels)\n"
         "            batch_sum += loss.detach()\n")]),
    # the accuracy as right predictions over the number of labels
    "6.1.3b-val-acc-counted-then-divided": ("6.1.3b", [(
        '"val_acc": (preds == val).float().mean().item()',
        '"val_acc": (preds == val).sum().item() / len(val_labels)')]),
    # the loss as a float of the detached tensor
    "5.2.3-float-of-detached-loss": ("5.2.3", [(
        "        self.loss_history.append(loss.item())",
        "        self.loss_history.append(float(loss.detach()))")]),
    # the prompt does not fix the history's keys
    "6.1.2-history-with-other-keys": ("6.1.2", [(
        '        history.append({"epoch": epoch + 1, "val_loss": val_loss, "val_acc": val_acc})',
        "        history.append(dict(epoch=epoch, accuracy=100 * val_acc))")]),
    # gradient clipping between backward and step, and zero_grad after the step instead
    "5.1.1-v1-clipped-zeroed-after-step": ("5.1.1", [(
        "            loss.backward()\n            optimizer.step()\n    return model\n\n\n"
        "def train_loop_2(",
        "            loss.backward()\n"
        "            torch.nn.utils.clip_grad_norm_(model.parameters(), 1e6)\n"
        "            optimizer.step()\n            optimizer.zero_grad()\n"
        "    return model\n\n\ndef train_loop_2(")]),
}


@pytest.mark.slow  # training gradings, a few seconds each
@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_solution_fails_with_its_cause(grader, curriculum, name):
    await fails_with_its_cause(grader, curriculum, WRONG[name], SEEDS, name)



@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    await passes(grader, curriculum, CORRECT[name], SEEDS, name)


# 5.1.3's reference, trained from the grader's weights, reached 0.750 on train_loop_15's
# held-out data (bar 0.85) on this seed: about 1 seed in 100 failed a correct loop.
HARD_SEED_5_1_3 = 1583337307586941514


@pytest.mark.slow
async def test_a_seed_the_reference_cannot_clear_does_not_fail_a_correct_loop(grader,
                                                                              curriculum):
    result = await grader.grade("5.1.3", curriculum.get("5.1.3").reference,
                                seed=HARD_SEED_5_1_3)
    assert result["status"] == "passed", [c["message"] for c in result["checks"]
                                          if c["status"] != "passed"]
