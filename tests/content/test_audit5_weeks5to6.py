"""Fifth audit, weeks 5–6 (training exercises): wrong submissions of a whole class fail with a
message that names the cause, on fixed seeds; correct ones written differently pass.

- 6.1.5b: the trained language model must be causal (a missing, inverted or off-by-one mask
  let the model copy the next token and passed on perplexity alone).
- 6.1.1: a validation row in a training batch is found also after the rows were shuffled
  and normalised feature by feature (standardised or min-max scaled with statistics of all
  rows passed: only exact row copies were found); normalising without training on the
  validation rows is no leak.
- final.2: the shuffle check is the shared one (rows of each training forward,
  curriculum/probes/rows.py + curriculum/judges/shuffling.py); rows the recorder cannot place
  (standardised features) say nothing about the order instead of reading as one order.
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


LM_MASK = "    return torch.triu(torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=1)"

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed 10/10 with a held-out perplexity near 1: the model saw the token it predicts
    "6.1.5b-no-mask": ("6.1.5b", [("                h = layer(h, src_mask=mask)",
                                   "                h = layer(h)")],
                       "training", ["looks at future tokens", "does not apply it"]),
    "6.1.5b-mask-off-by-one": ("6.1.5b", [(LM_MASK, LM_MASK.replace("diagonal=1", "diagonal=2"))],
                               "training", ["looks at future tokens", "off by one"]),
    "6.1.5b-mask-inverted": ("6.1.5b", [(LM_MASK, "    return torch.tril(torch.ones(seq_len, "
                                                  "seq_len, dtype=torch.bool), diagonal=-1)")],
                             "training", ["looks at future tokens", "blocks the past"]),
}

# 6.1.1: train_model gathers both loaders' rows first (a learner's "use all the data")
_GATHER = ("    xs = torch.cat([d for d, _ in train_loader] + [d for d, _ in val_loader])\n"
           "    ys = torch.cat([t for _, t in train_loader] + [t for _, t in val_loader])\n")


def _all_rows(transform: str) -> list[tuple[str, str]]:
    return [("    history = []\n", "    history = []\n" + _GATHER + transform +
             "    perm = torch.randperm(len(xs))\n"
             "    batches = [(xs[perm[i:i + 32]], ys[perm[i:i + 32]])\n"
             "               for i in range(0, len(xs), 32)]\n"),
            ("        for data, target in train_loader:", "        for data, target in batches:")]


WRONG.update({
    # passed the leak check (only exact row copies were looked for)
    "6.1.1-standardised-all-rows": ("6.1.1", _all_rows(
        "    xs = (xs - xs.mean(0)) / xs.std(0)\n"),
        "training", ["trained on validation rows", "rescaled feature by feature"]),
    "6.1.1-min-max-all-rows": ("6.1.1", _all_rows(
        "    xs = (xs - xs.min(0).values) / (xs.max(0).values - xs.min(0).values)\n"),
        "training", ["trained on validation rows", "rescaled feature by feature"]),
    # caught before too: a shuffle keeps the rows
    "6.1.1-shuffled-all-rows": ("6.1.1", _all_rows(""),
                                "training", ["trained on validation rows (160 of"]),
})

_F2_ORDER = "        order = torch.randperm(len(x))\n"
_F2_LOADER = [
    (_F2_ORDER + "        for i in range(0, len(x), 64):\n            idx = order[i:i + 64]\n",
     "        for xb, yb in torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),\n"
     "                                                  batch_size=64, shuffle=True,\n"
     "                                                  drop_last=True):\n"),
    ("loss = pinball_loss(model(x[idx]), y[idx], quantiles)",
     "loss = pinball_loss(model(xb), yb, quantiles)")]
WRONG.update({
    # one permutation drawn before the loop: every epoch in the same order
    "final.2-one-permutation": ("final.2", [
        ("    for _ in range(num_epochs):\n",
         "    order = torch.randperm(len(x))\n    for _ in range(num_epochs):\n"),
        (_F2_ORDER, "")], "training", ["every epoch fed the training rows in the same order"]),
    "final.2-loader-not-shuffled": ("final.2", [
        (a, b.replace("shuffle=True", "shuffle=False")) for a, b in _F2_LOADER],
        "training", ["every epoch fed the training rows in the same order"]),
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
    "6.1.5b-reference": ("6.1.5b", []),
    # an additive float mask (-inf above the diagonal) instead of the bool one
    "6.1.5b-float-mask": ("6.1.5b", [(
        "        mask = causal_mask(seq_len).to(x.device)",
        "        mask = torch.zeros(seq_len, seq_len, device=x.device).masked_fill(\n"
        "            causal_mask(seq_len).to(x.device), float('-inf'))")]),
    # 6.1.1: normalised with the training rows' statistics, or all rows', training on
    # train_loader's rows only: no leak
    "6.1.1-standardised-with-training-statistics": ("6.1.1", [
        ("    history = []\n", "    history = []\n"
         "    xs = torch.cat([d for d, _ in train_loader])\n"
         "    mu, sd = xs.mean(0), xs.std(0)\n"),
        ("            output = model(data)\n            loss = criterion(output, target)",
         "            output = model((data - mu) / sd)\n"
         "            loss = criterion(output, target)")]),
    "6.1.1-standardised-with-all-statistics": ("6.1.1", [
        ("    history = []\n", "    history = []\n" + _GATHER +
         "    mu, sd = xs.mean(0), xs.std(0)\n"),
        ("            output = model(data)\n            loss = criterion(output, target)",
         "            output = model((data - mu) / sd)\n"
         "            loss = criterion(output, target)")]),
    "final.2-shuffled-loader-drop-last": ("final.2", _F2_LOADER),
    # the recorder cannot place standardised rows: no verdict on their order
    "final.2-standardised-features": ("final.2", [(
        "    model = DemandNet(x.shape[1], 32, quantiles)",
        "    x = (x - x.mean(0)) / x.std(0)\n    model = DemandNet(x.shape[1], 32, quantiles)")]),
}


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    exercise_id, edits = CORRECT[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        assert result["status"] == "passed", (name, _messages(result))


def _rows(rng, n, dim=64):
    return torch.from_numpy(rng.normal(0.3, 1.2, (n, dim)).astype(np.float32))


@pytest.mark.parametrize("transform", ["none", "standardise", "min-max", "scale-shift"])
@pytest.mark.parametrize("stats_from", ["all", "train"])
def test_leak_judge_sees_validation_rows_through_a_per_feature_map(transform, stats_from):
    from curriculum.judges.leaks import validation_rows_trained

    rng = np.random.default_rng(5)
    train, val = _rows(rng, 200), _rows(rng, 60)
    data = torch.cat([train, val])
    ref = data if stats_from == "all" else train

    def apply(x):
        if transform == "standardise":
            return (x - ref.mean(0)) / ref.std(0)
        if transform == "min-max":
            return (x - ref.min(0).values) / (ref.max(0).values - ref.min(0).values)
        if transform == "scale-shift":
            return x * 3.5 - 2.0
        return x
    # the training rows of 3 epochs, shuffled; 20 validation rows among them in epoch 2 only
    leaked = val[rng.permutation(60)[:20]]
    seen = torch.cat([train, train, leaked, train])[torch.from_numpy(rng.permutation(620))]
    distinct = torch.unique(apply(seen), dim=0)
    counts = torch.ones(len(distinct), dtype=torch.int64)
    leak = validation_rows_trained({"rows": distinct, "counts": counts}, train, val)
    assert (leak.rows, leak.times) == (20, 20)
    assert leak.rescaled is (transform != "none")
    clean = torch.unique(apply(torch.cat([train, train])), dim=0)
    none = validation_rows_trained({"rows": clean, "counts": torch.ones(len(clean),
                                                                       dtype=torch.int64)},
                                   train, val)
    assert none.rows == 0


def test_leak_judge_takes_hostile_answers_without_error():
    from curriculum.judges.leaks import validation_rows_trained

    rng = np.random.default_rng(6)
    train, val = _rows(rng, 50), _rows(rng, 20)
    for got in (None, "rows", {"rows": torch.full((8, 64), float("nan")),
                               "counts": torch.ones(8, dtype=torch.int64)},
                {"rows": torch.zeros(9000, 64), "counts": torch.ones(9000, dtype=torch.int64)},
                {"rows": torch.cat([val, torch.full((3, 64), float("inf"))]),
                 "counts": torch.ones(23)}):
        assert validation_rows_trained(got, train, val).rows == 0


def test_rows_the_recorder_cannot_place_are_no_order():
    from curriculum.judges.shuffling import one_order, split_epochs

    unknown = [[-1] * 4, [-1] * 4, [-1] * 4]
    assert not one_order(split_epochs(unknown, 4))
    # known rows keep their say next to unknown ones
    assert one_order([[0, 1, -1, 2], [0, 1, 2, -1]])
    assert not one_order([[0, 1, -1, 2], [1, 0, 2, -1]])
