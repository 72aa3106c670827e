"""Tenth audit: arguments only ever tried at their default value.

- 6.1.4b: ``train_ner`` was always called with num_epochs=10 (the default) on data of 60
  words and 5 tags, so a loop that typed in ``range(start_epoch, 10)`` or a model built as
  ``NERTagger(60, 5)`` passed. The probe now passes a hidden vocab_size and num_tags above
  the data's and num_epochs of 11 or 12 (checkpoints still after epochs 5 and 10); the
  judge reads the returned model's Embedding rows and last Linear outputs and counts the
  optimizer steps of the run.
- 6.1.5b: ``load_lm`` only ever loaded a ``MiniTransformerLM(16)`` of default sizes, so one
  that ignored its ``**kwargs`` or typed in the vocabulary passed. The saved model is now
  built with a hidden vocabulary and d_model=16, n_heads=2, n_layers=1, and loaded with
  the same arguments.
- final.1: ``fit`` was always called with patience=3 (the default), so ``if bad >= 3``
  passed. The scripted run now has a hidden patience of 2, 4 or 5.
"""

from __future__ import annotations

from audit_support import audit_tests

SEEDS = (3, 17)

_NER_MODEL = "    model = NERTagger(vocab_size, num_tags)\n"
_NER_LOOP = "    for epoch in range(start_epoch, num_epochs):\n"
_LM_LOAD = "    model = MiniTransformerLM(vocab_size, **kwargs)\n"
_LOAD_MSG = ["d_model=16, n_heads=2, n_layers=1) raised",
             "build MiniTransformerLM(vocab_size, **kwargs) with the arguments load_lm is given"]

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: train_ner was only called with num_epochs=10
    "6.1.4b-epochs-typed-in": ("6.1.4b", [
        (_NER_LOOP, "    for epoch in range(start_epoch, 10):\n")],
        "training", ["took 60 optimizer steps (10 epochs of 6 batches)",
                     "with the num_epochs argument, not a typed-in count"]),
    # passed: the data always had 60 words and 5 tags
    "6.1.4b-sizes-typed-in": ("6.1.4b", [(_NER_MODEL, "    model = NERTagger(60, 5)\n")],
                              "training", ["built an Embedding of 60 rows",
                                           "use the vocab_size argument"]),
    "6.1.4b-tags-typed-in": ("6.1.4b", [
        (_NER_MODEL, "    model = NERTagger(vocab_size, 5)\n")],
        "training", ["built a last Linear layer with 5 outputs", "use the num_tags argument"]),
    # passed: load_lm only ever loaded a MiniTransformerLM(16) of default sizes
    "6.1.5b-load-lm-ignores-kwargs": ("6.1.5b", [
        (_LM_LOAD, "    model = MiniTransformerLM(vocab_size)\n")], "save_load", _LOAD_MSG),
    "6.1.5b-load-lm-typed-vocab-16": ("6.1.5b", [
        (_LM_LOAD, "    model = MiniTransformerLM(16)\n")], "save_load", _LOAD_MSG),
    # passed: fit was only called with patience=3
    "final.1-patience-typed-in": ("final.1", [
        ("            if bad >= patience:\n", "            if bad >= 3:\n")],
        "fit", ["in a second run, fit(…, patience=",
                "stopped where patience 3 (the default) would",
                "with the patience argument, not a typed-in 3"]),
}

# (exercise, edits of the reference): right, written another way
CORRECT = {
    "6.1.4b-reference": ("6.1.4b", []),
    "6.1.5b-reference": ("6.1.5b", []),
    "final.1-reference": ("final.1", []),
}


test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS, slow=False)


def test_final1_scripted_patience_is_never_the_default(curriculum) -> None:
    """On many seeds, the scripted run's patience is not 3 and its curve stops training at
    another epoch under patience 3: a typed-in 3 always shows."""
    import numpy as np

    from curriculum.judges.data import early_stop
    from grader.grading import _checks_module

    checks = _checks_module(curriculum.get("final.1"))
    for seed in range(40):
        stop = checks["make_data"](np.random.default_rng(seed)).inputs["stop"]
        assert stop["patience"] in (2, 4, 5), seed
        assert early_stop(stop["curve"], 3)[0] != early_stop(stop["curve"], stop["patience"])[0]


def test_ner_hidden_sizes_and_epochs_are_never_the_defaults(curriculum) -> None:
    import numpy as np

    from grader.grading import _checks_module

    checks = _checks_module(curriculum.get("6.1.4b"))
    for seed in range(20):
        inputs = checks["make_data"](np.random.default_rng(seed)).inputs
        assert inputs["vocab"] > 60 and inputs["tags"] > 5 and inputs["epochs"] in (11, 12)
