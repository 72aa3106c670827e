"""Final test, part 3 (final.3, integration project): the reference passes every check, and
wrong solutions (the reference with one text substitution) fail on the check that should
catch them, with the expected kind. Seeds are fixed so hidden data is repeatable."""

from __future__ import annotations

import pytest

SEED = 2024
EXERCISE = "final.3"


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


# (old, new, {failing check id: kind}) — a check id mapped to None may fail or not
WRONG = [
    # Config default changed
    ("    epochs: int = 30\n", "    epochs: int = 10\n", {"config_data": "value"}),
    # collate pads with 1 instead of 0 (packing hides it from the model)
    ("pad_sequence(list(sequences), batch_first=True, padding_value=0)",
     "pad_sequence(list(sequences), batch_first=True, padding_value=1)",
     {"config_data": "value"}),
    # the embedding forgets padding_idx
    ("nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=0)",
     "nn.Embedding(config.vocab_size, config.embed_dim)", {"model": "module"}),
    # the GRU reads the padding: the last step of a padded row is a padding step
    ("        packed = pack_padded_sequence(self.embedding(tokens), lengths.cpu(), "
     "batch_first=True,\n                                      enforce_sorted=False)\n"
     "        _, hidden = self.gru(packed)",
     "        _, hidden = self.gru(self.embedding(tokens))",
     {"model": "value", "predict": None, "training": None, "checkpoint": None}),
    # Adam instead of AdamW
    ("torch.optim.AdamW(model.parameters()", "torch.optim.Adam(model.parameters()",
     {"training": "api", "checkpoint": None}),
    # no gradient clipping
    ("            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)\n", "",
     {"training": "api", "reproducible": "api"}),
    # the scheduler is built but never stepped: the LR stays at max_lr / 25
    ("            scheduler.step()\n", "", {"training": "api", "checkpoint": None}),
    # no early stopping
    ("            if bad_epochs >= config.patience:", "            if bad_epochs >= 99:",
     {"checkpoint": "train"}),
    # the last epoch's weights are returned, not the best
    ("    model.load_state_dict(best_state)\n", "", {"checkpoint": "value"}),
    # load_model ignores the saved config
    ("SequenceClassifier(Config(**checkpoint[\"config\"]))", "SequenceClassifier(Config())",
     {"checkpoint": "value"}),
    # no seeding, then a hard-coded seed
    ("    torch.manual_seed(config.seed)\n", "", {"reproducible": "value"}),
    ("    torch.manual_seed(config.seed)\n", "    torch.manual_seed(0)\n",
     {"reproducible": "value"}),
    # predict stays in train mode and builds a graph
    ("    model.eval()\n    preds = []\n    with torch.no_grad():\n"
     "        for i in range(0, len(sequences), batch_size):",
     "    preds = []\n    if True:\n        for i in range(0, len(sequences), batch_size):",
     {"predict": "value"}),
]


def _matches(failed: dict[str, str], expected: dict[str, str | None]) -> bool:
    required = {k: v for k, v in expected.items() if v is not None}
    if any(failed.get(k) != v for k, v in required.items()):
        return False
    return set(failed) <= set(expected)


@pytest.mark.asyncio(loop_scope="session")
async def test_reference_passes_every_check(grader, curriculum):
    result = await grader.grade(EXERCISE, curriculum.get(EXERCISE).reference, seed=SEED)
    assert result["status"] == "passed", (result.get("message"), result["checks"])
    assert result["score"] == result["max_score"] == 15


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("old", "new", "expected"), WRONG,
                         ids=[str(i) for i in range(len(WRONG))])
async def test_wrong_integration_project_fails_on_expected_check(grader, curriculum, old, new,
                                                                 expected):
    source = curriculum.get(EXERCISE).reference
    assert old in source, old
    result = await grader.grade(EXERCISE, source.replace(old, new, 1), seed=SEED)
    assert result["status"] == "failed", (result.get("message"), result["checks"])
    assert _matches(_failed(result), expected), result["checks"]


@pytest.mark.asyncio(loop_scope="session")
async def test_missing_function_is_a_name_error(grader, curriculum):
    source = curriculum.get(EXERCISE).reference.replace("def predict(", "def predict_classes(")
    result = await grader.grade(EXERCISE, source, seed=SEED)
    kinds = {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}
    assert kinds == {"predict": "name"}, result["checks"]


def test_summary_and_prompt_state_the_graded_numbers(curriculum):
    ex = curriculum.get(EXERCISE)
    assert ex.kind == "challenge" and ex.time_limit_min == 90 and ex.week == 6
    assert sum(c.points for c in ex.checks) == 15
    for text in (ex.summary, ex.prompt):
        assert "≥ 0.8 " in text
    assert "weights_only=True" in ex.prompt
