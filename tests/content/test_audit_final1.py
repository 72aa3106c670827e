"""Audit of final.1 and Exercise 5.1.3: verdicts the audit found wrong.

- final.1 ``fit``: a patience counter never reset on improvement passed, because the hidden
  run's validation curve never got worse and then improved again; a second, short run now
  scripts its validation losses (through a subclass of the learner's FinalNet) and checks the
  stopping epoch, ``best_val_loss`` and the weights returned.
- final.1 ``fit``: a loop that ignored ``num_epochs`` passed (every run stopped early first);
  a third scripted run, whose validation loss improves every epoch, must end at num_epochs;
  and ``Adam(lr=0.01)`` typed in passed (the lr given was always 0.01): it is hidden now.
- 5.1.3 ``train_loop_11/13/14/15``: a validation loss computed with the functional form of the
  same loss (``F.binary_cross_entropy_with_logits(model(X_val), y_val)``, mean reduction)
  failed "compute the validation loss with the criterion once per epoch"; it is the same value,
  so it passes now. Another reduction of the functional form still fails.

Seeds are fixed, so the hidden data repeats.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

FINAL1 = "final.1"
SEEDS = (3, 17, 2024)

# the reference's improvement branch, and the same branch that never resets the counter
RESET = "            best_loss, best_state, bad = val_loss, copy.deepcopy(model.state_dict()), 0\n"
NO_RESET = "            best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())\n"


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
async def test_final1_reference_passes(grader, curriculum, seed):
    result = await grader.grade(FINAL1, curriculum.get(FINAL1).reference, seed=seed)
    assert result["status"] == "passed", (result.get("message"), result["checks"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
async def test_final1_patience_never_reset_fails_fit(grader, curriculum, seed):
    source = curriculum.get(FINAL1).reference
    assert RESET in source
    result = await grader.grade(FINAL1, source.replace(RESET, NO_RESET, 1), seed=seed)
    assert _failed(result) == {"fit": "train"}, result["checks"]
    fit = next(c for c in result["checks"] if c["id"] == "fit")
    assert "restart the count of epochs without improvement" in fit["message"], fit["message"]


@pytest.mark.slow
@pytest.mark.parametrize("loop", ["range(num_epochs + 3)", "range(40)", "itertools.count()"])
async def test_final1_training_past_num_epochs_fails_fit(grader, curriculum, loop):
    """A loop that ignored num_epochs (a few more, a number typed in, or until patience
    alone stops it) passed: every run the grader made stopped early well before its
    num_epochs. A third run, whose validation loss improves every epoch, must end after
    num_epochs (2-5) epochs."""
    source = "import itertools\n" + curriculum.get(FINAL1).reference
    assert source.count("for _ in range(num_epochs):") == 1
    result = await grader.grade(FINAL1, source.replace("range(num_epochs)", loop), seed=SEEDS[0])
    assert _failed(result) == {"fit": "train"}, result["checks"]
    fit = next(c for c in result["checks"] if c["id"] == "fit")
    assert "improves every epoch" in fit["message"] and "num_epochs=" in fit["message"], \
        fit["message"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
async def test_final1_lr_typed_in_fails_fit(grader, curriculum, seed):
    """fit was always given lr=0.01, the signature's default: Adam(lr=0.01) typed in
    passed. The main run's lr is hidden now (0.008-0.015)."""
    source = curriculum.get(FINAL1).reference
    assert source.count("lr=lr") == 1
    result = await grader.grade(FINAL1, source.replace("lr=lr", "lr=0.01"), seed=seed)
    assert _failed(result) == {"fit": "api"}, result["checks"]
    fit = next(c for c in result["checks"] if c["id"] == "fit")
    assert "but fit was given lr=" in fit["message"], fit["message"]


LOOPS = ("train_loop_11", "train_loop_13", "train_loop_14", "train_loop_15")
VAL_LOSS = "criterion(model(X_val), y_val).item()"


def _functional_val_loss(source: str, new: str) -> str:
    """Every validation loss of the four loops in ``new``'s form (whole-file replace: only
    these four loops compute ``criterion(model(X_val), y_val)``)."""
    assert source.count(VAL_LOSS) == len(LOOPS)
    return "import torch.nn.functional as F\n" + source.replace(VAL_LOSS, new)


@pytest.mark.slow
async def test_functional_validation_loss_is_the_criterion(grader, curriculum):
    source = _functional_val_loss(curriculum.get("5.1.3").reference,
                                  "F.binary_cross_entropy_with_logits(model(X_val), y_val).item()")
    result = await grader.grade("5.1.3", source, seed=2024)
    assert result["status"] == "passed", (result.get("message"), result["checks"])


@pytest.mark.slow
async def test_functional_validation_loss_with_another_reduction_fails(grader, curriculum):
    source = _functional_val_loss(
        curriculum.get("5.1.3").reference,
        "F.binary_cross_entropy_with_logits(model(X_val), y_val, reduction='sum').item()")
    result = await grader.grade("5.1.3", source, seed=2024)
    failed = {c["id"] for c in result["checks"] if c["status"] == "failed"}
    assert set(LOOPS) <= failed, result["checks"]
