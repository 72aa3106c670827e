"""Ninth audit, 5.1.3: arguments only ever tried at their defaults.

- train_loop_12 (k-fold cross validation) was only called with k=5, so a loop that typed
  in 5 folds passed. The check's own probe (``week5/5.1.3.probe.py``) now calls it again
  with k=3: 3 fresh models, 3 disjoint folds covering every row, 3 accuracies.
- train_loop_13 (early stopping) was only called with patience=3 and max_epochs=100, so
  typed-in values passed. It is now also called with patience=1 (the stop must come at the
  first epoch without improvement) and with max_epochs=3, patience=10 (3 epochs exactly).
"""

from __future__ import annotations

import pytest
from audit_support import audit_tests

SEEDS = (3, 17)

_FOLD_SIZE = "    fold_size = len(X) // k\n"
_FOLDS = "    for fold in range(k):\n"
_PATIENCE = "            if epochs_without_improvement >= patience:\n"
_EPOCHS = "    for _epoch in range(max_epochs):\n"

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: only k=5 was ever used
    "5.1.3-kfold-k-typed-in": ("5.1.3", [
        (_FOLD_SIZE, "    fold_size = len(X) // 5\n"), (_FOLDS, "    for fold in range(5):\n")],
        "train_loop_12", ["called with k=3", "it was called 5 times",
                          "use the k argument, not a typed-in 5"]),
    "5.1.3-kfold-fold-size-typed-in": ("5.1.3", [
        (_FOLD_SIZE, "    fold_size = len(X) // 5\n")],
        "train_loop_12", ["called with k=3", "the 3 validation folds must be disjoint",
                          "use the k argument, not a typed-in 5"]),
    # passed: only patience=3 and max_epochs=100 were ever used
    "5.1.3-early-patience-typed-in": ("5.1.3", [
        (_PATIENCE, "            if epochs_without_improvement >= 3:\n")],
        "train_loop_13", ["called with patience=1", "1 epoch in a row",
                          "use the patience argument, not a typed-in 3"]),
    "5.1.3-early-max-epochs-typed-in": ("5.1.3", [
        (_EPOCHS, "    for _epoch in range(100):\n")],
        "train_loop_13", ["called with patience=10, max_epochs=3",
                          "stop after max_epochs=3 at the latest",
                          "use the max_epochs argument, not a typed-in 100"]),
}

# (exercise, edits of the reference): right, written another way
CORRECT = {
    "5.1.3-reference": ("5.1.3", []),
    "5.1.3-early-stop-by-while": ("5.1.3", [
        (_EPOCHS, "    while epochs_run < max_epochs:\n")]),
}


test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS, slow=False)


@pytest.mark.parametrize("second", [None, [], {"n_models": 3}, {"n_models": True, "report": {}},
                                    {"n_models": 3, "report": {"rows": [[0, "E", ["x"]]]}},
                                    {"n_models": 3, "report": {"rows": [[7, "E", [0]]]}}])
def test_malformed_kfold_second_run_fails(second) -> None:
    from curriculum.judges.training_loops import _folds_problem

    bad = _folds_problem(second if isinstance(second, dict) else {}, 240, 3)
    assert bad is not None and not bad.ok and bad.kind == "type"


@pytest.mark.parametrize("second", [None, {}, {"patience": {}, "max_epochs": {}},
                                    {"patience": {"report": {"seq": 1}, "result": [0, 1]},
                                     "max_epochs": {"report": {}, "result": [0, 3]}}])
def test_malformed_early_second_runs_fail(second) -> None:
    from curriculum.judges.training_loops import _second_early_problem

    bad = _second_early_problem({"second": second}, 128)
    assert bad is not None and not bad.ok and bad.kind == "type"
