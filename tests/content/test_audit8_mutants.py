"""Eighth audit (held-out submissions), found by mutating every reference solution: each
statement line replaced by ``pass``, and one operator, comparison, whole number, flag or
method name changed at a time (``+``/``-``, ``<``/``<=``, ``n``/``n + 1``, ``sum``/``mean``,
``unsqueeze``/``squeeze``, ``train``/``eval``…). A mutant that still passed on two seeds was
either equivalent for the exercise's contract (a demo line, a redundant guard, a slice end
past a fixed size) or a hole in the hidden cases; each hole is below, failing with its cause.

- 1.3.2: ``find_roots`` was checked on the course's cubic and three hidden polynomials that
  were quadratics only now and then, so a companion matrix left without its sub-diagonal for
  degree 2 (``if n > 2:`` for ``if n > 1:``) passed on most seeds. A hidden quadratic with two
  real roots is now always among them, at a random place.
- 6.1.1: the history's ``epoch`` was only required to be there, so ``epoch - 1``, or
  ``num_epochs`` in every entry, passed; the entries must now be numbered by epoch in order
  (1–4, or 0–3 for a history counted from zero).
- 6.1.4a: an ``nn.LSTM`` without ``batch_first=True`` (which reads the ``[B, T]`` batch as
  ``[T, B]``, running along the batch and mixing sentences) passed: only the output's shape
  and the module kinds were read. The last sentence of the batch is now also tagged alone
  and must get the logits it got in the batch. Other defaults than the contract's
  ``embed_dim=32, hidden_dim=32`` passed too (the model was built with its defaults and only
  its shape read); its parameter count is now compared with the reference's.
- 6.1.4b: ``clip_grad_norm_`` after ``optimizer.step()``, or before ``loss.backward()``,
  passed: the check read the gradient norm each step saw, and this run's gradients stay
  under 1.0 on most seeds, clipped or not. Each step must now follow a clip of its fresh
  gradients (the order of clips and steps is recorded).
- final.1: ``fit`` only had to name ``clip_grad_norm_`` in its source, so a clip after
  ``step()`` or to another bound passed; its main run is now recorded the same way as 6.1.4b's
  (one ``clipping`` recorder in ``curriculum/probes/recorders.py``, one ``clip_problem``
  judge in ``curriculum/judges/training.py``).
- 5.2.1: the same; a clip after ``step()`` or to another bound passed. The recorder counts
  a clip of NaN gradients as a clip (a run whose gradients turn NaN fails on its training,
  not with "a step with no clip"), and also the two-step form (``get_total_norm``, then
  ``clip_grads_with_norm_``) and ``torch.nn.utils.clip_grad.clip_grad_norm_``, which it
  missed (a right run was told it had no clip). final.3's reproducibility run is recorded by
  the same recorder (``curriculum/probes/clipping.py``).
- 6.1.5a: ``MiniTransformerLM`` was always built with every size given, so other defaults
  (``d_model=64``, ``n_heads=2``, ``max_len=128``) passed. It is now also built with none
  given, from the seed of a build with the contract's sizes: same parameters, same logits.
"""

from __future__ import annotations

import pytest
from audit_support import fails_with_its_cause, passes

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEEDS = (3, 17)

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: quadratics were rare among the hidden polynomials
    "1.3.2-companion-wrong-for-quadratics": ("1.3.2", [("    if n > 1:", "    if n > 2:")],
                                             "roots", ["find_roots", "values are off"]),
}

_HISTORY = 'history.append({"epoch": epoch + 1,'
_EPOCH_MSG = "each history entry's epoch must be its epoch's number, in order"
WRONG.update({
    # passed: nothing read the epoch numbers
    "6.1.1-history-epoch-off-by-two": ("6.1.1", [(
        _HISTORY, _HISTORY.replace("epoch + 1", "epoch - 1"))],
        "validation", [_EPOCH_MSG, "[-1, 0, 1, 2]"]),
    "6.1.1-history-epoch-constant": ("6.1.1", [(
        _HISTORY, _HISTORY.replace("epoch + 1", "num_epochs"))],
        "validation", [_EPOCH_MSG, "[4, 4, 4, 4]"]),
    "6.1.1-history-epoch-text": ("6.1.1", [(
        _HISTORY, _HISTORY.replace("epoch + 1", "f'epoch {epoch + 1}'"))],
        "validation", [_EPOCH_MSG, "'str'"]),
})

_LSTM = "nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)"
WRONG.update({
    # passed: the tagger's output was only measured by its shape
    "6.1.4a-lstm-not-batch-first": ("6.1.4a", [(_LSTM, _LSTM.replace("batch_first=True, ", ""))],
                                    "model", ["each sentence must be tagged on its own",
                                              "batch_first=True"]),
    "6.1.4a-other-default-sizes": ("6.1.4a", [(
        "embed_dim=32, hidden_dim=32):", "embed_dim=32, hidden_dim=64):")],
        "model", ["with its defaults (embed_dim=32, hidden_dim=32) must have", "parameters"]),
})

_CLIP = "            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n"
_STEP = "            optimizer.step()\n"
_CLIP_MSG = "a step with no clip of its gradients before it"
WRONG.update({
    # passed: the gradients a step saw were under the bound anyway
    "6.1.4b-clip-after-step": ("6.1.4b", [(_CLIP + _STEP, _STEP + _CLIP)],
                               "training", ["clip every step to norm 1.0", _CLIP_MSG]),
    "6.1.4b-clip-before-backward": ("6.1.4b", [
        (_CLIP + _STEP, _STEP),
        ("            optimizer.zero_grad()\n", "            optimizer.zero_grad()\n" + _CLIP)],
        "training", ["clip every step to norm 1.0", _CLIP_MSG]),
})

WRONG.update({
    # passed: clip_grad_norm_ only had to be named in the source
    "final.1-clip-after-step": ("final.1", [(_CLIP + _STEP, _STEP + _CLIP)],
                                "fit", ["clip gradients every step", "found a step"]),
    "final.1-clip-to-another-bound": ("final.1", [(_CLIP, _CLIP.replace("1.0", "5.0"))],
                                      "fit", ["clip gradients every step", "max_norm=5"]),
})

_MT_CLIP = "            torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=1.0)\n"
_MT_STEP = "            self.optimizer.step()\n"
WRONG.update({
    # passed: only the name clip_grad_norm_ and the model's gradient norms were read, and
    # those stay under 1.0 on most seeds
    "5.2.1-clip-after-step": ("5.2.1", [(_MT_CLIP + _MT_STEP, _MT_STEP + _MT_CLIP)],
                              "multitask_training", ["clip the gradients every step",
                                                     _CLIP_MSG]),
    "5.2.1-clip-to-another-bound": ("5.2.1", [(_MT_CLIP, _MT_CLIP.replace("1.0", "5.0"))],
                                    "multitask_training", ["clip the gradients every step",
                                                           "max_norm=5"]),
})

_LM_INIT = "    def __init__(self, vocab_size, d_model=32, n_heads=4, n_layers=2, max_len=64,"
_DEFAULTS_MSG = "MiniTransformerLM(vocab_size) with no sizes given must be the contract's model"
WRONG.update({
    # passed: the model was always built with every size given
    "6.1.5a-default-d-model": ("6.1.5a", [(_LM_INIT, _LM_INIT.replace("d_model=32", "d_model=64"))],
                               "shapes", [_DEFAULTS_MSG, "parameters"]),
    "6.1.5a-default-heads": ("6.1.5a", [(_LM_INIT, _LM_INIT.replace("n_heads=4", "n_heads=2"))],
                             "shapes", [_DEFAULTS_MSG, "other logits"]),
    "6.1.5a-default-max-len": ("6.1.5a", [(
        _LM_INIT, _LM_INIT.replace("max_len=64", "max_len=128"))],
        "shapes", [_DEFAULTS_MSG, "parameters"]),
})

# (exercise, edits of the reference): right, written another way
CORRECT = {
    # not counted as clips before: the two-step form, and the clip_grad module's name
    "6.1.4b-clip-in-two-steps": ("6.1.4b", [(_CLIP, (
        "            grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
        "            torch.nn.utils.clip_grads_with_norm_(\n"
        "                model.parameters(), 1.0, torch.nn.utils.get_total_norm(grads))\n"))]),
    "final.1-clip-through-the-clip-grad-module": ("final.1", [(
        _CLIP, _CLIP.replace("torch.nn.utils.clip_grad_norm_",
                             "torch.nn.utils.clip_grad.clip_grad_norm_"))]),
    "5.2.1-clip-with-the-uncertainty-weights": ("5.2.1", [(
        "clip_grad_norm_(self.model.parameters(), max_norm=1.0)",
        "clip_grad_norm_([*self.model.parameters(), self.uncertainty_weights], 1.0)")]),
    "6.1.4b-clip-imported-by-name": ("6.1.4b", [
        (_CLIP, _CLIP.replace("torch.nn.utils.clip_grad_norm_", "clip_grad_norm_")),
        ("import torch.nn.functional as F\n",
         "import torch.nn.functional as F\nfrom torch.nn.utils import clip_grad_norm_\n")]),
    "6.1.4a-time-major-lstm-fed-transposed": ("6.1.4a", [
        (_LSTM, _LSTM.replace("batch_first=True, ", "")),
        ("        out, _ = self.lstm(self.embedding(x))",
         "        out, _ = self.lstm(self.embedding(x).transpose(0, 1))\n"
         "        out = out.transpose(0, 1)")]),
    "6.1.1-history-counted-from-zero": ("6.1.1", [(
        _HISTORY, _HISTORY.replace("epoch + 1", "epoch"))]),
}


@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_submission_fails_with_its_cause(grader, curriculum, name):
    await fails_with_its_cause(grader, curriculum, WRONG[name], SEEDS, name)


@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    await passes(grader, curriculum, CORRECT[name], SEEDS, name)


async def test_a_clip_of_nan_gradients_is_a_clip() -> None:
    """A run whose gradients turned NaN is not told it skipped its clipping: its clips
    count, and its NaN step norms are left to the training checks."""
    from curriculum.judges.training import clip_problem

    nan = float("nan")
    assert clip_problem([1.0, 1.0], [0.5, nan], "CSCS") == ""
    assert clip_problem([1.0, 1.0], [nan, 3.0], "CSCS") == "a step with gradient norm 3"
    assert "no clip" in clip_problem([1.0], [0.5, 0.5], "CSS")
    assert clip_problem([1.0], ["0.5"], "CS") == "no record of the clipping"
