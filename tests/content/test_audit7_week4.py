"""Seventh audit, week 4 (held-out submissions): wrong submissions of a whole class fail with a
message that names the cause, on fixed seeds; correct ones written differently pass.

- 4.3.1b: with dropout, the block is also run in train() mode — the dropout it applies is
  recorded, and its output under the reference's random draws compared: a declared
  nn.Dropout never called, or called before the activation, after linear2 or after the
  residual sum, passed (only eval() mode, where dropout does nothing, was compared).
"""

from __future__ import annotations

import asyncio

import pytest
from audit_support import edit_each as _edit
from audit_support import messages as _messages

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEEDS = (3, 17)


async def _grade_seeds(grader, exercise_id: str, source: str) -> list[dict]:
    return list(await asyncio.gather(*(grader.grade(exercise_id, source, seed=s)
                                       for s in SEEDS)))


_1B_DROPOUT = "        if self.dropout is not None:\n            out = self.dropout(out)\n"
_1B_SUM = "        out = out + identity\n        out = self.activation(out)\n"

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: dropout was only ever run in eval() mode
    "4.3.1b-dropout-never-called": ("4.3.1b", [(_1B_DROPOUT, "")],
                                    "forward", ["in train() mode", "your forward applies none"]),
    "4.3.1b-dropout-after-residual-sum": ("4.3.1b", [
        (_1B_DROPOUT, ""), (_1B_SUM, _1B_SUM + _1B_DROPOUT)],
        "forward", ["in train() mode", "with the same dropout mask",
                    "dropout goes right after the first activation"]),
    "4.3.1b-dropout-before-activation": ("4.3.1b", [(
        "        out = self.activation(out)\n\n" + _1B_DROPOUT,
        _1B_DROPOUT + "        out = self.activation(out)\n")],
        "forward", ["with the same dropout mask", "not before the activation"]),
    "4.3.1b-dropout-twice": ("4.3.1b", [(
        "        out = out + identity\n", _1B_DROPOUT + "        out = out + identity\n")],
        "forward", ["applies dropout 1 time(s)", "your forward applies p = "]),
}


@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_solution_fails_with_its_cause(grader, curriculum, name):
    exercise_id, edits, check, fragments = WRONG[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        message = _messages(result).get(check, "")
        assert all(f in message for f in fragments), (name, _messages(result))


# Correct submissions written differently from the reference, as the prompts allow.
CORRECT = {
    # F.dropout with the module's rate and mode instead of calling the nn.Dropout it declares
    "4.3.1b-functional-dropout": ("4.3.1b", [(
        "            out = self.dropout(out)\n",
        "            out = F.dropout(out, self.dropout_rate, self.training)\n")]),
    # nn.Identity for "no dropout", always called
    "4.3.1b-identity-for-no-dropout": ("4.3.1b", [
        ("            self.dropout = None\n", "            self.dropout = nn.Identity()\n"),
        (_1B_DROPOUT, "        out = self.dropout(out)\n")]),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    exercise_id, edits = CORRECT[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        assert result["status"] == "passed", (name, _messages(result))
