"""Seventh audit, training loops (held-out submissions): wrong submissions fail with a
message that names the cause, on fixed seeds; correct ones written differently pass.

- 5.2.1: ``train_epoch`` returning the epoch's last batch loss (or the sum of its batch
  losses) instead of the mean batch loss passed: nothing compared what it returned with the
  losses it computed. Each epoch's returned losses are now the mean of the task's
  training-mode loss-module calls in that epoch.
"""

from __future__ import annotations

import asyncio

import pytest
from audit_support import edit_each as _edit
from audit_support import messages as _messages

pytestmark = pytest.mark.asyncio(loop_scope="session")
SEEDS = (5, 23)


async def _grade_seeds(grader, exercise_id: str, source: str) -> list[dict]:
    return list(await asyncio.gather(*(grader.grade(exercise_id, source, seed=s)
                                       for s in SEEDS)))


_LAST_BATCH = ("                sums[name] += batch_losses[name].item()\n"
               "                counts[name] += 1\n",
               "                sums[name] = batch_losses[name].item()\n"
               "                counts[name] = 1\n")

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    "5.2.1-last-batch-loss": ("5.2.1", [_LAST_BATCH], "multitask_training",
                              ["that is the last batch's loss", "average batch loss"]),
    "5.2.1-summed-batch-losses": ("5.2.1", [(
        "        averages = {name: sums[name] / max(1, counts[name]) for name in sums}",
        "        averages = {name: sums[name] for name in sums}")],
        "multitask_training", ["the mean of its 10 batch losses"]),
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
}


@pytest.mark.slow  # training gradings, a few seconds each
@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_solution_fails_with_its_cause(grader, curriculum, name):
    exercise_id, edits, check, fragments = WRONG[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        assert result["status"] == "failed", (name, _messages(result))
        message = _messages(result).get(check, "")
        assert all(f in message for f in fragments), (name, _messages(result))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    exercise_id, edits = CORRECT[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        assert result["status"] == "passed", (name, _messages(result))
