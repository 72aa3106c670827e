"""Eighth attack round: a judge that walks the learner's answers, one per hidden
case, passed when there were none.

The sandbox decodes a check's hidden inputs before the learner's module runs, and the
probe reads that same object: module-level code that walks the frames up to it and
empties its case lists leaves the probe nothing to try, and a judge looping over
``learner.value`` found nothing wrong (3.2.1 passed 6/6 and 3.2.2 4/4 with functions
returning garbage). A forged result frame with empty answers does the same without
any frame walk. The trusted side now also counts the answers against the reference's,
which ran outside the sandbox on the same inputs.
"""

from __future__ import annotations

import textwrap

import pytest

from grader.checks.python import cases_skipped

ASYNC = pytest.mark.asyncio(loop_scope="session")

#: Empties every list in the hidden inputs it finds in the harness's frames: at import
#: (``WHEN = "import"``) or from inside the first call the probe makes (``"first call"``).
EMPTY_THE_CASES = '''
import sys as _sys

def _empty_cases():
    frame = _sys._getframe(0)
    while frame is not None:
        found = frame.f_locals.get("inputs")
        if isinstance(found, dict):
            for value in found.values():
                for item in (value.values() if isinstance(value, dict) else [value]):
                    if isinstance(item, list):
                        del item[1 if WHEN == "first call" else 0:]
        frame = frame.f_back
'''

GARBAGE_321 = '''
import torch

def training_mode_practice(x, W):
    _empty_cases()
    loss = torch.matmul(W, x).sum()
    W.grad = None
    loss.backward()
    return loss

def inference_mode_practice(x, W):
    _empty_cases()
    with torch.no_grad():
        return "wrong"

def run_model(x, W, training):
    _empty_cases()
    with torch.set_grad_enabled(training):
        return None
'''


@ASYNC
@pytest.mark.slow
@pytest.mark.parametrize("when", ["import", "first call"])
async def test_emptied_hidden_cases_pass_no_check(grader, when: str) -> None:
    code = "\n".join([f"WHEN = {when!r}", textwrap.dedent(EMPTY_THE_CASES),
                      textwrap.dedent(GARBAGE_321)])
    if when == "import":
        code += "\n_empty_cases()\n"
    result = await grader.grade("3.2.1", code)
    assert result["status"] == "failed", result
    failed = [c for c in result["checks"] if c["status"] == "failed"]
    assert len(failed) == len(result["checks"]) == 3, result["checks"]
    if when == "import":  # nothing reached the judges: the count says so
        assert all("the check tried 3 cases and got an answer for 0" in c["message"]
                   for c in failed), failed


def test_answers_are_counted_against_the_reference() -> None:
    """What a forged frame can send: fewer answers, none, or not a list at all."""
    assert cases_skipped([1, 2, 3], [4, 5, 6]) is None
    assert cases_skipped((1, 2), [4, 5]) is None
    assert "tried 3 cases and got an answer for 0" in cases_skipped([], [4, 5, 6])
    assert "tried 3 cases and got an answer for 1" in cases_skipped([1], [4, 5, 6])
    assert "got an answer for 0" in cases_skipped({"a": 1}, [4, 5, 6])
    assert cases_skipped(7, 7) is None  # not a list of cases: the judge decides alone
    assert cases_skipped([], []) is None


# ---- a replay from a start the learner chose --------------------------------------------

#: 5.2.5: the constructor scales the model's weights by 1e7 and nothing trains; the
#: staleness check replayed SGD from those weights and compared with rtol 1e-3, a
#: tolerance wider than the whole update (2 of 8 points for no training).
NO_TRAINING_HUGE_WEIGHTS = '''
import torch


class DistributedSimulator:
    def __init__(self, model, num_workers=4, accumulation_steps=4):
        self.model, self.num_workers = model, num_workers
        self.accumulation_steps = accumulation_steps
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(1e7)

    def gradient_accumulation_training(self, dataloader, optimizer, num_epochs=3):
        pass

    def simulated_all_reduce(self, worker_grads):
        pass

    def asynchronous_updates(self, dataloader, optimizer, staleness=1):
        pass
'''


@ASYNC
@pytest.mark.slow
async def test_weights_that_never_moved_match_no_replay(grader) -> None:
    result = await grader.grade("5.2.5", NO_TRAINING_HUGE_WEIGHTS)
    assert result["score"] == 0, result["checks"]


def test_an_update_is_compared_on_its_own_scale() -> None:
    import torch

    from curriculum.judges.compare import same_update

    start = torch.full((3,), 1e7, dtype=torch.float64)
    moved = start - 0.05  # what the replay did
    assert not same_update(start, start, moved)  # within rtol of the weights, not the update
    small = torch.tensor([0.3, -0.2, 0.1], dtype=torch.float64)
    assert same_update(small, small - 0.05 + 1e-6, small - 0.05)
    assert not same_update(small, small, small - 0.05)
    assert not same_update(small, small[:2], small[:2])  # shapes must agree


# ---- observations made with what the learner rebound -------------------------------------

#: 1.3.1's solver, changed to clobber the caller's inputs (A and b), then a rebinding that
#: made the probe's "left its inputs alone" comparison report no change (6/6, deserved 2/6).
CLOBBER = ("    return x\n", "    A.zero_()\n    b.fill_(-1.0)\n")
REBINDINGS = {
    "torch.equal at import": ("", "\ntorch.equal = lambda a, b: True\n"),
    "isinstance inside the call": (
        "    import builtins\n    _real = builtins.isinstance\n"
        "    builtins.isinstance = lambda o, c: False if c is torch.Tensor else _real(o, c)\n",
        ""),
    "copy.deepcopy at import": ("", "\nimport copy\ncopy.deepcopy = lambda x, memo=None: x\n"),
}


@ASYNC
@pytest.mark.slow
@pytest.mark.parametrize("how", sorted(REBINDINGS))
async def test_a_rebound_comparison_does_not_hide_a_changed_input(grader, curriculum,
                                                                  how: str) -> None:
    inside, after = REBINDINGS[how]
    old, new = CLOBBER
    source = curriculum.get("1.3.1").reference
    assert old in source
    assert source.count(old) == 1
    result = await grader.grade("1.3.1", source.replace(old, new + inside + old) + after)
    assert result["score"] <= 2, result["checks"]
    assert any("changed the tensor it was given" in c["message"] for c in result["checks"])


@ASYNC
@pytest.mark.slow
async def test_a_rebound_torch_equal_does_not_fake_dropout(grader, curriculum) -> None:
    """4.1.1: dropout called and its output thrown away, with a torch.equal that says
    "different" every other call: "in train() mode the outputs differ" passed (10/10)."""
    source = curriculum.get("4.1.1").reference
    for i in (1, 2, 3):
        old = f"        x = self.dropout(torch.relu(self.layer{i}(x)))\n"
        assert old in source
        source = source.replace(old, f"        x = torch.relu(self.layer{i}(x))\n"
                                     "        self.dropout(x)\n")
    source += ("\n_real_equal = torch.equal\n_calls = [0]\n\n\ndef _equal(a, b):\n"
               "    _calls[0] += 1\n    return False if _calls[0] % 2 else _real_equal(a, b)\n\n\n"
               "torch.equal = _equal\n")
    result = await grader.grade("4.1.1", source)
    failed = {c["id"]: c["message"] for c in result["checks"] if c["status"] == "failed"}
    assert "dropout is not active" in failed.get("SimpleLinear4", ""), result["checks"]
