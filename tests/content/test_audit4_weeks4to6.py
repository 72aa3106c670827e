"""Held-out submission audit of weeks 4–6 (fourth audit): wrong submissions fail on the check
that owns the behaviour, with a message that names the cause, on every seed; correct
submissions written differently from the reference, as the prompt allows, pass.
"""

from __future__ import annotations

import asyncio

import pytest
from audit_support import edit_each as _edit
from audit_support import messages as _messages
from audit_support import not_passed as _failed

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

SEEDS = (3, 17, 2024)


async def _grade_seeds(grader, exercise_id: str, source: str) -> list[dict]:
    return list(await asyncio.gather(*(grader.grade(exercise_id, source, seed=s)
                                       for s in SEEDS)))


# (exercise, edits of the reference, failing check, fragment its message must contain)
NAMED_CAUSES = {
    # was the learner's own load_lm error ("Missing key(s) in state_dict …"): a right
    # load_lm refuses the 'module.' keys, so the prefix message was never reached
    "6.1.5b-save-wrapped-state-dict": ("6.1.5b", [(
        "    module = model.module if isinstance(model, nn.DataParallel) else model\n"
        "    torch.save(module.state_dict(), path)",
        "    torch.save(model.state_dict(), path)")],
        "save_load", "'module.' prefixes"),
    # was "… and start at the saved epoch", which is what this loop did (epoch 5 trained twice)
    "6.1.4b-resume-repeats-the-saved-epoch": ("6.1.4b", [(
        'start_epoch = checkpoint["epoch"]', 'start_epoch = checkpoint["epoch"] - 1')],
        "resume", "saved_epoch + 1 … num_epochs (epoch 5 is not run again)"),
    # was "found 15 validation passes for 15 epochs" (the right count, on the training rows)
    "5.1.3-validated-on-training-rows": ("5.1.3", [(
        "    X_val, y_val = X[n_train:], y[n_train:]",
        "    X_val, y_val = X[:n_train], y[:n_train]")],
        "train_loop_11", "over 320 rows for 15 epochs — the training rows?"),
}


@pytest.mark.parametrize("name", sorted(NAMED_CAUSES))
async def test_the_message_names_the_cause(grader, curriculum, name):
    exercise_id, edits, check, fragment = NAMED_CAUSES[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        message = _messages(result)[check]
        assert fragment in message, message


# (exercise, edits of the reference, failing check, fragment its message must contain)
WRONG = {
    # passed 10/10: the validation reviews trained on too (then early stopping and the best
    # checkpoint decide on F1s of reviews the model has seen)
    "6.1.3b-trains-on-validation-reviews": ("6.1.3b", [(
        "    x, y = encode(train_texts, vocab), torch.tensor(train_labels, dtype=torch.float32)",
        "    x = encode(train_texts + val_texts, vocab)\n"
        "    y = torch.tensor(train_labels + val_labels, dtype=torch.float32)")],
        "training", "trained on validation reviews"),
    # passed 10/10: every epoch also trained on val_loader's batches
    "6.1.1-trains-on-val-loader": ("6.1.1", [(
        "        for data, target in train_loader:",
        "        for data, target in [*train_loader, *val_loader]:")],
        "training", "trained on validation rows"),
    # failed only on the checkpoint check, told its validation loss was not the mean loss
    "final.3-trains-on-validation-sequences": ("final.3", [(
        "    train_loader = DataLoader(SequenceDataset(train_tokens, train_labels),",
        "    train_loader = DataLoader(SequenceDataset(list(train_tokens) + list(val_tokens),\n"
        "                                              torch.cat([train_labels, val_labels])),")],
        "training", "trained on validation sequences"),
    # validation without model.eval() and no_grad: its batches reach the model like training
    # ones, but only validation sequences — not a leak (that was the message), an eval slip
    "final.3-validates-in-train-mode": ("final.3", [(
        "    model.eval()\n    total, count = 0.0, 0\n    with torch.no_grad():\n"
        "        for tokens, lengths, labels in loader:",
        "    total, count = 0.0, 0\n    if True:\n"
        "        for tokens, lengths, labels in loader:")],
        "training", "validation ran in train mode with gradients on"),
}


@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_solution_fails_on_every_seed(grader, curriculum, name):
    exercise_id, edits, check, fragment = WRONG[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        assert check in _failed(result), (name, _messages(result))
        assert fragment in _messages(result)[check], (name, _messages(result))


# Correct submissions written differently from the reference, as the prompts allow.
CORRECT = {
    # the batches moved with .float() and validation under inference_mode
    "6.1.1-float-batches-inference-mode": ("6.1.1", [
        ("            output = model(data)\n            loss = criterion(output, target)",
         "            output = model(data.float())\n            loss = criterion(output, target)"),
        ("    with torch.no_grad():\n        for data, target in loader:",
         "    with torch.inference_mode():\n        for data, target in loader:")]),
    # a DataLoader over (ids, label) pairs with a padding collate_fn, shuffled, batch 16;
    # predict under inference_mode
    "6.1.3b-dataloader-collate": ("6.1.3b", [
        ("    x, y = encode(train_texts, vocab), torch.tensor(train_labels, dtype=torch.float32)",
         "    from torch.utils.data import DataLoader\n"
         "    pairs = [(numericalize(t, vocab), float(lab))\n"
         "             for t, lab in zip(train_texts, train_labels)]\n\n"
         "    def collate(batch):\n"
         "        xs, ys = zip(*batch)\n"
         "        return pad_sequence(list(xs), batch_first=True), torch.tensor(ys)\n"
         "    loader = DataLoader(pairs, batch_size=16, shuffle=True, collate_fn=collate)"),
        ("        for i in range(0, len(x), 32):\n"
         "            optimizer.zero_grad()\n"
         "            probs, _ = model(x[i:i + 32])\n"
         "            loss = criterion(probs, y[i:i + 32])",
         "        for xb, yb in loader:\n"
         "            optimizer.zero_grad(set_to_none=True)\n"
         "            probs, _ = model(xb)\n"
         "            loss = criterion(probs, yb)"),
        ("    with torch.no_grad():\n        probs, _ = model(encode(texts, vocab))",
         "    with torch.inference_mode():\n        probs, _ = model(encode(texts, vocab))")]),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    exercise_id, edits = CORRECT[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        assert result["status"] == "passed", (name, _messages(result))
