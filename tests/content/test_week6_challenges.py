"""Week 6 speed challenges (6.1.x): wrong solutions fail on the check that should catch them.

Each wrong solution is the reference with one text substitution; seeds are fixed
so hidden data is repeatable.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEED = 4321


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


# (exercise, old, new, {failing check id: kind}) — a check id mapped to None may fail or not
WRONG = [
    # 6.1.1 MLP with validation
    ("6.1.1", "nn.Dropout(0.2),\n            nn.Linear(128, 64)", "nn.Dropout(0.5),\n"
     "            nn.Linear(128, 64)", {"architecture": "module"}),
    ("6.1.1", "nn.Linear(64, 10),", "nn.Linear(64, 10), nn.Softmax(dim=1),",
     {"architecture": "module", "training": None}),
    ("6.1.1", "            optimizer.zero_grad()\n", "", {"training": "api"}),
    ("6.1.1", "lr=0.001)", "lr=0.0)", {"training": "api"}),
    ("6.1.1", "    model.eval()\n    total_loss", "    total_loss", {"validation": "train"}),
    ("6.1.1", "    with torch.no_grad():\n        for data, target in loader:",
     "    if True:\n        for data, target in loader:", {"validation": "train"}),
    ("6.1.1", "correct / count", "correct", {"validation": "value"}),
    # model.train() once, before the loop: after the first validation every epoch trains
    # in eval mode
    ("6.1.1", [("    for epoch in range(num_epochs):\n        model.train()\n",
                "    model.train()\n    for epoch in range(num_epochs):\n")], None,
     {"validation": "train"}),
    # 6.1.2 LSTM text classifier
    ("6.1.2", "        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True,\n"
     "                                      enforce_sorted=False)\n"
     "        _, (hidden, _) = self.lstm(packed)\n"
     "        return self.fc2(torch.relu(self.fc1(hidden[-1])))",
     "        out, _ = self.lstm(embedded)\n"
     "        return self.fc2(torch.relu(self.fc1(out[:, -1])))",
     {"padding": "value", "training": None}),
    ("6.1.2", "self.fc1 = nn.Linear(hidden_dim, 32)\n        self.fc2 = nn.Linear(32, num_classes)",
     "self.fc1 = nn.Linear(hidden_dim, 16)\n        self.fc2 = nn.Linear(16, num_classes)",
     {"architecture": "module"}),
    ("6.1.2", "padding_value=0)", "padding_value=0).t()", {"padding": "value", "training": None}),
    ("6.1.2", "lr=lr)", "lr=0.001)", {"training": "api"}),
    # model.train() once, before the loop (later epochs train in eval mode)
    ("6.1.2", [("    for epoch in range(num_epochs):\n        model.train()\n",
                "    model.train()\n    for epoch in range(num_epochs):\n")], None,
     {"training": "train"}),
    # 6.1.3a sentiment preprocessing + BiLSTM/attention
    ("6.1.3a", "        scores = scores.masked_fill(~mask, float(\"-inf\"))\n", "",
     {"masking": "value"}),
    ("6.1.3a", "        out, _ = self.lstm(packed)\n"
     "        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))\n",
     "        out, _ = self.lstm(self.embedding(x))\n", {"masking": "value"}),
    ("6.1.3a", [("bidirectional=True", "bidirectional=False"), ("2 * hidden_dim", "hidden_dim")],
     None, {"model": "module"}),
    ("6.1.3a", "if count >= min_freq", "if count >= 1", {"preprocessing": "value"}),
    ("6.1.3a", "return text.lower().split()", "return text.split()", {"preprocessing": "value"}),
    # 6.1.3b sentiment training
    ("6.1.3b", "    if tp == 0:\n        return 0.0\n", "", {"f1": "value"}),
    ("6.1.3b", "2 * precision * recall / (precision + recall)", "(precision + recall) / 2",
     {"f1": "value", "early_stopping": None}),
    ("6.1.3b", "    model.load_state_dict(torch.load(path))\n    return", "    return",
     {"checkpoint": "value"}),
    ("6.1.3b", "torch.save(model.state_dict(), path)", "torch.save(model, path)",
     {"training": "train", "checkpoint": "train", "early_stopping": "train"}),
    ("6.1.3b", "            if bad_epochs >= patience:", "            if bad_epochs >= 99:",
     {"early_stopping": "train"}),
    ("6.1.3b", "            optimizer.step()\n", "", {"training": "api"}),
    # an F1 equal to the best counted as an improvement: the scripted runs hold such a tie
    # (curriculum.judges.data.stopping_curve), so this fails on every seed
    ("6.1.3b", "if f1 > best_f1:", "if f1 >= best_f1:",
     {"checkpoint": "value", "early_stopping": "train"}),
    # the same slip on validation losses in the capstones' early stopping
    ("final.1", "if val_loss < best_loss:", "if val_loss <= best_loss:", {"fit": "train"}),
    ("final.3", "if val_loss < best_loss:", "if val_loss <= best_loss:",
     {"checkpoint": "train"}),
    # 6.1.4a NER model, loss, BIO
    ("6.1.4a", "    return F.cross_entropy(logits[mask], tags[mask])",
     "    return F.cross_entropy(logits.flatten(0, 1), tags.clamp(min=0).flatten())",
     {"loss": "value"}),
    ("6.1.4a", "bidirectional=True)\n        self.fc = nn.Linear(2 * hidden_dim, num_tags)",
     "bidirectional=False)\n        self.fc = nn.Linear(hidden_dim, num_tags)",
     {"model": "module"}),
    ("6.1.4a", "        if tag.startswith(\"B-\") or (tag.startswith(\"I-\") and not inside):",
     "        if tag.startswith(\"B-\"):", {"bio": "value"}),
    ("6.1.4a", "tp / len(g) if g else 0.0", "tp / len(p) if p else 0.0", {"bio": "value"}),
    # a term worth 0 whose gradient at padding is 0 * inf = NaN: not a zero gradient
    ("6.1.4a", "    return F.cross_entropy(logits[mask], tags[mask])",
     "    return F.cross_entropy(logits[mask], tags[mask]) + torch.sqrt(logits[~mask] * 0).sum()",
     {"loss": "grad"}),
    # 6.1.5a Transformer decoder
    # a float mask built as triu(ones) * -inf: 0 · (−inf) = NaN makes every logit NaN
    ("6.1.5a", "h = layer(h, src_mask=mask)",
     "h = layer(h, src_mask=torch.triu(torch.ones(x.shape[1], x.shape[1]), 1) * "
     "float('-inf'))", {"shapes": "value", "causality": "value", "positions": "value",
                        "checkpointing": None}),
    ("6.1.5a", "h = layer(h, src_mask=mask)", "h = layer(h)",
     {"causality": "value", "checkpointing": None}),
    ("6.1.5a", "h = self.token_embedding(x) + self.position_embedding(positions)",
     "h = self.token_embedding(x)", {"positions": "value"}),
    ("6.1.5a", "if self.use_checkpoint and self.training:", "if False:", {"checkpointing": "api"}),
    ("6.1.5a", "diagonal=1)", "diagonal=0)", {"shapes": "value", "causality": None,
                                              "positions": None, "checkpointing": None}),
    # 6.1.5b Transformer LM training
    ("6.1.5b", [("logits[:, :-1].reshape(-1, logits.size(-1))",
                 "logits.reshape(-1, logits.size(-1))"),
                ("tokens[:, 1:].reshape(-1))", "tokens.reshape(-1))")], None,
     {"loss": "value", "training": None}),
    ("6.1.5b", "    module = model.module if isinstance(model, nn.DataParallel) else model\n"
     "    torch.save(module.state_dict(), path)", "    torch.save(model.state_dict(), path)",
     {"save_load": "value"}),
    ("6.1.5b", "        optimizer.zero_grad()\n        logits = model(batch)",
     "        logits = model(batch)", {"training": "api"}),
    # 6.1.4b NER training, checkpoints, resume
    ("6.1.4b", "        start_epoch = checkpoint[\"epoch\"]\n", "", {"resume": "train"}),
    ("6.1.4b", "        optimizer.load_state_dict(checkpoint[\"optimizer_state_dict\"])\n", "",
     {"resume": "train"}),
    ("6.1.4b", "        scheduler.step()\n", "", {"checkpoints": "value", "resume": None,
                                                   "training": None}),
    ("6.1.4b", "if (epoch + 1) % 5 == 0:", "if (epoch + 1) % 5 == 0 or epoch == 0:",
     {"checkpoints": "value"}),
    ("6.1.4b", "            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n", "",
     {"training": "api"}),
]


def _matches(failed: dict[str, str], expected: dict[str, str | None]) -> bool:
    required = {k: v for k, v in expected.items() if v is not None}
    if any(failed.get(k) != v for k, v in required.items()):
        return False
    return set(failed) <= set(expected)


@pytest.mark.slow
@pytest.mark.parametrize(("exercise_id", "old", "new", "expected"), WRONG,
                         ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
async def test_wrong_solution_fails_on_expected_check(grader, curriculum, exercise_id, old, new,
                                                      expected):
    source = curriculum.get(exercise_id).reference
    for a, b in (old if new is None else [(old, new)]):
        assert a in source, a
        source = source.replace(a, b)
    result = await grader.grade(exercise_id, source, seed=SEED)
    assert result["status"] == "failed", (result.get("message"), result["checks"])
    assert _matches(_failed(result), expected), result["checks"]


async def test_missing_class_is_a_name_error(grader):
    result = await grader.grade("6.1.1", "import torch\n\ndef train_model(*a):\n    return []\n",
                                seed=SEED)
    assert result["status"] == "error"
    assert any(c["kind"] == "name" for c in result["checks"]), result["checks"]


async def test_mask_after_softmax_is_named_as_the_cause(grader, curriculum):
    """Zeroing the padding weights after the softmax leaves rows that do not sum to 1; the
    message must say so, not blame packing."""
    source = curriculum.get("6.1.3a").reference
    old = "        scores = scores.masked_fill(~mask, float(\"-inf\"))\n" \
          "        weights = torch.softmax(scores, dim=1)"
    assert old in source
    source = source.replace(old, "        weights = torch.softmax(scores, dim=1)\n"
                                 "        weights = weights.masked_fill(~mask, 0.0)")
    result = await grader.grade("6.1.3a", source, seed=SEED)
    msg = next(c["message"] for c in result["checks"] if c["id"] == "masking")
    assert _failed(result).get("masking") == "value", result["checks"]
    assert "before" in msg and "softmax" in msg and "pack" not in msg, msg



SAVE_ON_BEST = ("        if f1 > best_f1:\n            best_f1, bad_epochs = f1, 0\n"
                "            torch.save(model.state_dict(), path)\n")
SAVE_EVERY_EPOCH = ("        torch.save(model.state_dict(), path)\n"
                    "        if f1 > best_f1:\n            best_f1, bad_epochs = f1, 0\n")


@pytest.mark.slow
async def test_6_1_3b_checkpoint_saved_every_epoch_fails_in_every_job(grader, curriculum):
    """Saving after every epoch (and loading that file) returns the last epoch's model. On
    hidden data whose last epoch tied the best F1 it used to pass (about one job in three:
    seeds 3, 6 and 9 among 1-10 did). The scripted run's best epoch comes two epochs before
    its last, and the checkpoint check compares the returned weights with the best epoch's."""
    source = curriculum.get("6.1.3b").reference
    assert SAVE_ON_BEST in source
    source = source.replace(SAVE_ON_BEST, SAVE_EVERY_EPOCH)
    for seed in (3, 6, 9):
        result = await grader.grade("6.1.3b", source, seed=seed)
        assert _failed(result) == {"checkpoint": "value"}, (seed, result["checks"])
        msg = next(c["message"] for c in result["checks"] if c["id"] == "checkpoint")
        # the scripted run's cause, or the main run's (where its last epoch was not the best)
        assert ("last epoch's weights" in msg and "not every epoch" in msg) \
            or "save the checkpoint whenever the validation F1" in msg, msg
