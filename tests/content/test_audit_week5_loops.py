"""Audit of Exercise 5.1 (training loops): verdicts the audit found wrong.

- a hyper-parameter the prompt fixes (batch size, the loss module's reduction,
  the optimizer's and the scheduler's other settings) was not compared;
- early stopping: a patience count never reset on improvement passed, because
  the hidden validation curve never improved again after a worse epoch, and a
  loop that stopped too early passed whenever its own curve had not yet called
  for a stop;
- validating in train mode with gradients on was reported as a wrong number of
  epochs.

Seeds are fixed, so the hidden data repeats.
"""

from __future__ import annotations

import re
import types

import numpy as np
import pytest
import torch

from curriculum.judges import training_loops as loops
from curriculum.probes import training_loop as probe

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEED = 4242


def _edit(source: str, fn: str, old: str, new: str) -> str:
    """Replace ``old`` by ``new`` inside function ``fn`` only."""
    start = source.index(f"def {fn}(")
    end = source.find("\ndef ", start + 1)
    end = len(source) if end < 0 else end
    body = source[start:end]
    assert old in body, (fn, old)
    return source[:start] + body.replace(old, new, 1) + source[end:]


def _failures(result: dict) -> dict[str, tuple[str, str]]:
    return {c["id"]: (c["kind"], c["message"]) for c in result["checks"]
            if c["status"] != "passed"}


# (exercise, [(function, old, new)], {check id: (kind, words its message must hold)})
FIXED = [
    ("5.1.1", [
        ("train_loop_1", "nn.MSELoss()", "nn.MSELoss(reduction='sum')"),
        ("train_loop_2", "lr=0.01)", "lr=0.01, momentum=0.9)"),
        ("train_loop_3", "batch_size=32", "batch_size=8"),
        ("train_loop_4", "nn.L1Loss()", "nn.L1Loss(reduction='sum')"),
        ("train_loop_5", "lr=0.01)", "lr=0.01, weight_decay=0.1)"),
    ], {"train_loop_1": ("api", "reduction='sum'"),
        "train_loop_2": ("api", "momentum=0.9"),
        "train_loop_3": ("value", "batches of 32"),
        "train_loop_4": ("api", "reduction='sum'"),
        "train_loop_5": ("api", "weight_decay=0.1")}),
    ("5.1.2", [
        ("train_loop_6", "batch_size=64", "batch_size=16"),
        ("train_loop_7", "nn.CrossEntropyLoss()", "nn.CrossEntropyLoss(label_smoothing=0.1)"),
        ("train_loop_8", "nn.NLLLoss()", "nn.NLLLoss(reduction='sum')"),
        ("train_loop_9", "lr=0.005)", "lr=0.005, amsgrad=True)"),
        ("train_loop_10", "batch_size=32", "batch_size=64"),
    ], {"train_loop_6": ("value", "batches of 64"),
        "train_loop_7": ("api", "label_smoothing=0.1"),
        "train_loop_8": ("api", "reduction='sum'"),
        "train_loop_9": ("api", "amsgrad=True"),
        "train_loop_10": ("value", "batches of 32")}),
    ("5.1.3", [
        ("train_loop_11", "batch_size=64", "batch_size=32"),
        ("train_loop_14", "nn.BCEWithLogitsLoss()", "nn.BCEWithLogitsLoss(reduction='sum')"),
        ("train_loop_15", "patience=2)\n", "patience=2, cooldown=2)\n"),
    ], {"train_loop_11": ("value", "batches of 64"),
        "train_loop_14": ("api", "reduction='sum'"),
        "train_loop_15": ("api", "cooldown=2")}),
    ("5.1.4", [
        ("train_loop_16", "batch_size=32", "batch_size=64"),
        ("train_loop_18", "criterion = nn.MSELoss()", "criterion = nn.MSELoss(reduction='none')"),
        ("train_loop_18", "criterion(output, target) / accumulation_steps",
         "criterion(output, target).mean() / accumulation_steps"),
        ("train_loop_17", "batch_size=32", "batch_size=16"),
        ("train_loop_20", "ce = nn.CrossEntropyLoss()",
         "ce = nn.CrossEntropyLoss(reduction='sum')"),
    ], {"train_loop_16": ("value", "batches of 32"),
        "train_loop_17": ("value", "batches of 32"),
        "train_loop_18": ("api", "reduction='none'"),
        "train_loop_20": ("api", "reduction='sum'")}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("exercise_id", "edits", "expected"), FIXED,
                         ids=[f[0] for f in FIXED])
async def test_hyper_parameters_the_prompt_fixes_are_compared(grader, curriculum, exercise_id,
                                                              edits, expected):
    source = curriculum.get(exercise_id).reference
    for fn, old, new in edits:
        source = _edit(source, fn, old, new)
    result = await grader.grade(exercise_id, source, seed=SEED)
    failures = _failures(result)
    assert set(failures) == set(expected), failures
    for cid, (kind, words) in expected.items():
        assert failures[cid][0] == kind, failures[cid]
        assert words in failures[cid][1], failures[cid]


@pytest.mark.slow
async def test_validation_in_train_mode_is_named(grader, curriculum):
    source = curriculum.get("5.1.3").reference
    for fn, old, new in [
        ("train_loop_11", "        model.eval()\n        with torch.no_grad():\n",
         "        if True:\n"),
        ("train_loop_12", "        model.eval()\n        with torch.no_grad():\n",
         "        if True:\n"),
        ("train_loop_13", "        model.eval()\n        with torch.no_grad():\n",
         "        if True:\n"),
    ]:
        source = _edit(source, fn, old, new)
    result = await grader.grade("5.1.3", source, seed=SEED)
    failures = _failures(result)
    assert set(failures) == {"train_loop_11", "train_loop_12", "train_loop_13"}, failures
    for kind, message in failures.values():
        assert kind == "value"
        assert "ran in train mode" in message and "model.eval()" in message, message
        assert "torch.no_grad()" in message, message


UNRESET = ("            best_val_loss = val_loss\n            epochs_without_improvement = 0\n",
           "            best_val_loss = val_loss\n")


def _early_probe():  # type: ignore[no-untyped-def]
    """5.1.3's own probe of variant 13 (curriculum/week5/5.1.3.probe.py), run here."""
    import importlib.util
    from pathlib import Path

    path = Path(probe.__file__).parents[1] / "week5" / "5.1.3.probe.py"
    spec = importlib.util.spec_from_file_location("probe_5_1_3", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.early_probe


def _run_13(curriculum, source: str, seed: int) -> tuple[object, dict]:
    """Variant 13 probed and judged in this process (no sandbox: trusted code)."""
    check = next(c for c in curriculum.get("5.1.3").checks if c.id == "train_loop_13")
    spec = loops.Spec(**check.args)
    hidden = loops.make_inputs(spec, np.random.default_rng([seed, 13]))
    ns: dict = {}
    exec(compile(source, "submission", "exec"), ns)  # trusted: the reference, edited
    torch.set_num_threads(1)
    value = _early_probe()(ns, hidden.inputs)  # the shared probe, then its second runs
    ctx = types.SimpleNamespace(secrets={"train_loop_13": hidden.secret}, source_text=source)
    return loops.judge_variant(spec, types.SimpleNamespace(value=value), None, hidden.inputs,
                               ctx), value


@pytest.mark.slow
async def test_patience_count_never_reset_fails_on_every_seed(curriculum):
    reference = curriculum.get("5.1.3").reference
    unreset = reference.replace(*UNRESET)
    assert unreset != reference
    for seed in range(12):
        good, value = _run_13(curriculum, reference, seed)
        assert good.ok, (seed, good.message)
        curves = [loops._val_losses(value["report"])] + [
            loops._val_losses(run["report"]) for run in value["extra"]]
        assert loops._informative(curves[-1]), seed  # a miss, then an improvement
        bad, _ = _run_13(curriculum, unreset, seed)
        assert not bad.ok and bad.kind == "value", seed
        assert "reset that count whenever it improves" in bad.message, bad.message


@pytest.mark.slow
async def test_patience_count_never_reset_fails_in_the_grader(grader, curriculum):
    source = curriculum.get("5.1.3").reference.replace(*UNRESET)
    result = await grader.grade("5.1.3", source, seed=SEED)
    failures = _failures(result)
    assert set(failures) == {"train_loop_13"}, failures
    assert failures["train_loop_13"][0] == "value"


@pytest.mark.slow
async def test_early_stopping_is_deterministic_for_a_seed(curriculum):
    reference = curriculum.get("5.1.3").reference
    _, first = _run_13(curriculum, reference, 3)
    _, again = _run_13(curriculum, reference, 3)
    assert first["result"] == again["result"]
    assert first["report"]["seq"] == again["report"]["seq"]
    assert torch.equal(first["report"]["num"]["L"], again["report"]["num"]["L"])
    assert len(first["extra"]) == len(again["extra"])


async def test_hidden_inputs_repeat_for_a_seed(curriculum):
    for s in range(1, 5):
        for check in curriculum.get(f"5.1.{s}").checks:
            one = loops.loop_inputs(np.random.default_rng(7), **check.args)
            two = loops.loop_inputs(np.random.default_rng(7), **check.args)
            assert one.inputs["init_seed"] == two.inputs["init_seed"]
            for a, b in zip(one.inputs["args"], two.inputs["args"], strict=True):
                assert torch.equal(a, b), check.id
            assert torch.equal(one.inputs["X_test"], two.inputs["X_test"])


@pytest.mark.parametrize(("losses", "ran", "fine"), [
    ([0.5, 0.4, 0.41, 0.42, 0.43], 5, True),            # 3 misses in a row: stop
    ([0.5, 0.4, 0.41, 0.39, 0.40, 0.41], 6, False),     # a count never reset stops here
    ([0.5, 0.4, 0.41, 0.39, 0.40, 0.41, 0.42], 7, True),
    ([0.5, 0.4, 0.41, 0.42, 0.43, 0.44], 6, False),     # one epoch too many
    ([0.5, 0.4, 0.3], 3, False),                        # stopped while still improving
])
async def test_stop_epoch_follows_the_rule(losses, ran, fine):
    rep = {"seq": "El" * len(losses),
           "num": {"E": torch.full((len(losses),), 128.0, dtype=torch.float64),
                   "L": torch.tensor(losses, dtype=torch.float64)}}
    assert (loops._early_stop_problem(rep, ran, 128, "") is None) is fine


async def test_every_prompt_batch_size_is_compared():
    """Each loop whose prompt fixes a batch size has one in the judge's table."""
    from curriculum.generate.loop_drills import C

    for k, (_sig, _summary, text) in C.items():
        fixed = "batch" in text.lower() and "e.g." not in text
        assert (k in loops.BATCH_SIZES) is fixed, k


LOADER_1 = ("    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)\n"
            "    for _epoch in range(10):\n        for data, target in dataloader:\n")
ONE_ORDER = [
    # a loader that never shuffles
    ("shuffle=True", "shuffle=False"),
    # one permutation drawn before the loop: the same order every epoch
    (LOADER_1, "    perm = torch.randperm(len(X))\n"
               "    dataloader = DataLoader(TensorDataset(X[perm], y[perm]), batch_size=32)\n"
               "    for _epoch in range(10):\n        for data, target in dataloader:\n"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("old", "new"), ONE_ORDER, ids=["shuffle-false", "shuffled-once"])
async def test_variant_1_without_shuffling_fails(grader, curriculum, old, new):
    """Variant 1's prompt asks for DataLoader(..., shuffle=True); a loop feeding the rows in one
    order every epoch passed (every other step was right). It fails on the shuffle rule."""
    source = _edit(curriculum.get("5.1.1").reference, "train_loop_1", old, new)
    failures = _failures(await grader.grade("5.1.1", source, seed=SEED))
    assert set(failures) == {"train_loop_1"}, failures
    kind, message = failures["train_loop_1"]
    assert kind == "value" and "same order" in message and "shuffle=True" in message, message


@pytest.mark.slow
async def test_variant_1_shuffled_by_hand_every_epoch_passes(grader, curriculum):
    source = _edit(curriculum.get("5.1.1").reference, "train_loop_1", LOADER_1,
                   "    for _epoch in range(10):\n        perm = torch.randperm(len(X))\n"
                   "        for i in range(0, len(X), 32):\n"
                   "            data, target = X[perm[i:i + 32]], y[perm[i:i + 32]]\n")
    result = await grader.grade("5.1.1", source, seed=SEED)
    assert result["status"] == "passed", _failures(result)


async def test_every_loop_drill_asking_to_shuffle_is_checked():
    """Each loop whose prompt asks for shuffle=True has its row order checked."""
    from curriculum.generate.loop_drills import C

    for k, (_sig, _summary, text) in C.items():
        asks = "shuffle=True" in text and "e.g." not in text
        assert (k in loops.SHUFFLED) is asks, k


# Exercises (other than Exercise 5.1's generated loops) whose contract asks for shuffled
# training batches: the check that judges the row order, and an edit of the reference that
# feeds every epoch in one order (the failing check's message must name shuffling).
SHUFFLE_CHECKED = {
    "5.2.2": ("curriculum_training",
              [("curriculum_training_loop", "shuffle=True", "shuffle=False")]),
    "5.2.4": ("adv_training", [("adversarial_training_loop", "shuffle=True", "shuffle=False")]),
    "final.1": ("fit", [("fit", "shuffle=True", "shuffle=False")]),
    "final.2": ("training", [("train_forecaster", "order = torch.randperm(len(x))",
                           "order = torch.arange(len(x))")]),
    "final.3": ("training", [("train", "shuffle=True", "shuffle=False")]),
}
_ASKS_TO_SHUFFLE = re.compile(r"shuffle=True|shuffled", re.I)


def _contract_lines_asking_to_shuffle(prompt: str) -> list[str]:
    """The prompt's lines before "How it is checked" that ask for shuffled batches (a line
    offering shuffling as an example, "e.g.", asks nothing)."""
    contract = prompt.split("### How it is checked")[0]
    return [line for line in contract.splitlines()
            if _ASKS_TO_SHUFFLE.search(line) and "e.g." not in line]


async def test_every_prompt_asking_to_shuffle_is_checked(curriculum):
    """Every exercise whose contract asks for shuffle=True (or shuffled batches) has its row
    order checked: a generated loop drill through training_loops.SHUFFLED, any other through
    the check named in SHUFFLE_CHECKED (whose edits the slow test below proves fail)."""
    asking = set()
    for ex in curriculum.ordered():
        for line in _contract_lines_asking_to_shuffle(ex.prompt):
            drill = re.search(r"train_loop_(\d+)", line)
            if drill:
                assert int(drill.group(1)) in loops.SHUFFLED, (ex.id, line)
            else:
                asking.add(ex.id)
    assert asking == set(SHUFFLE_CHECKED)
    for ex_id, (check_id, _edits) in SHUFFLE_CHECKED.items():
        assert check_id in {c.id for c in curriculum.get(ex_id).checks}, ex_id


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", sorted(SHUFFLE_CHECKED))
async def test_one_row_order_every_epoch_fails(grader, curriculum, exercise_id):
    """A training loop that feeds every epoch in one order (a loader without shuffling)
    fails the exercise's training check, naming shuffling; nothing else fails."""
    check_id, edits = SHUFFLE_CHECKED[exercise_id]
    source = curriculum.get(exercise_id).reference
    for fn, old, new in edits:
        source = _edit(source, fn, old, new)
    failures = _failures(await grader.grade(exercise_id, source, seed=SEED))
    assert set(failures) == {check_id}, failures
    assert "shuffle" in failures[check_id][1], failures[check_id]


ONE_PERMUTATION = [
    # a permutation drawn once, before the epochs: the same order every epoch
    ("5.2.4", "adv_training", "adversarial_training_loop",
     "    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)\n",
     "    perm = torch.randperm(len(X))\n"
     "    loader = DataLoader(TensorDataset(X[perm], y[perm]), batch_size=32)\n"),
    ("final.1", "fit", "fit",
     "    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True)\n",
     "    perm = torch.randperm(len(train_ds)).tolist()\n"
     "    train_loader = DataLoader(torch.utils.data.Subset(train_ds, perm), "
     "batch_size=batch_size)\n"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("exercise_id", "check_id", "fn", "old", "new"), ONE_PERMUTATION,
                         ids=[e[0] for e in ONE_PERMUTATION])
async def test_one_permutation_before_the_loop_fails(grader, curriculum, exercise_id, check_id,
                                                     fn, old, new):
    source = _edit(curriculum.get(exercise_id).reference, fn, old, new)
    failures = _failures(await grader.grade(exercise_id, source, seed=SEED))
    assert set(failures) == {check_id}, failures
    assert "same order" in failures[check_id][1], failures[check_id]


@pytest.mark.slow
async def test_shuffling_subsets_by_hand_every_epoch_passes(grader, curriculum):
    """5.2.2: a new permutation of the epoch's subset every epoch, without shuffle=True."""
    source = _edit(curriculum.get("5.2.2").reference, "curriculum_training_loop",
                   "DataLoader(Subset(full_dataset, indices), batch_size=32, shuffle=True)",
                   "DataLoader(Subset(full_dataset, [indices[i] for i in "
                   "torch.randperm(len(indices)).tolist()]), batch_size=32)")
    result = await grader.grade("5.2.2", source, seed=SEED)
    assert result["status"] == "passed", _failures(result)


@pytest.mark.parametrize(("batches", "per_epoch", "repeats"), [
    ([[0, 1], [2, 3], [0, 1], [2, 3]], 4, True),           # one order, twice
    ([[0, 1], [2, 3], [3, 1], [2, 0]], 4, False),          # shuffled
    ([[0, 1], [2, 3], [0, 1], [2]], 4, False),             # a partial epoch is not compared
    ([[0, 1], [0, 1], [0, 1, 2], [0, 1, 2]], [2, 2, 3, 3], True),   # growing subsets, fixed
    ([[0, 1], [1, 0], [0, 1, 2], [0, 1, 2]], [2, 2, 3, 3], False),  # one subset reshuffled
    ([[0, 1, 2]], 3, False),                               # one epoch tells nothing
])
async def test_one_order_compares_epochs_on_the_same_rows(batches, per_epoch, repeats):
    from curriculum.judges.shuffling import one_order, split_epochs

    assert one_order(split_epochs(batches, per_epoch)) is repeats


@pytest.mark.parametrize(("spoiled", "passes"), [((3,), True), ((2, 4), False)])
async def test_one_unlucky_kfold_model_is_forgiven_two_are_not(grader, curriculum, spoiled,
                                                              passes):
    """train_loop_12 trains five models on 80 % of the rows each; the reference's
    now and then lands one a little under the held-out bar by chance (1 grading
    in ~40 failed a CI run), so one fold may miss it — two may not. Here folds
    are spoiled on purpose (their weights zeroed after they were evaluated)."""
    source = _edit(curriculum.get("5.1.3").reference, "train_loop_12",
                   "            accuracies.append((predicted == y_val).float().mean().item())\n",
                   "            accuracies.append((predicted == y_val).float().mean().item())\n"
                   f"            if fold + 1 in {spoiled!r}:\n"
                   "                for p in model.parameters():\n"
                   "                    p.zero_()\n")
    result = await grader.grade("5.1.3", source, seed=SEED)
    failures = _failures(result)
    if passes:
        assert "train_loop_12" not in failures, failures
    else:
        kind, message = failures["train_loop_12"]
        assert kind == "train"
        assert "fold 2:" in message and "fold 4:" in message and "at most 1" in message, message
