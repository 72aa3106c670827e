"""Fifth audit, weeks 5–6 (training exercises): wrong submissions of a whole class fail with a
message that names the cause, on fixed seeds; correct ones written differently pass.

- 6.1.5b: the trained language model must be causal (a missing, inverted or off-by-one mask
  let the model copy the next token and passed on perplexity alone).
"""

from __future__ import annotations

import asyncio

import pytest

SEEDS = (3, 17)


def _edit(source: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def _messages(result: dict) -> dict[str, str]:
    return {c["id"]: c["message"] for c in result["checks"] if c["status"] != "passed"}


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
}


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    exercise_id, edits = CORRECT[name]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for result in await _grade_seeds(grader, exercise_id, source):
        assert result["status"] == "passed", (name, _messages(result))
