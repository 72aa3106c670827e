"""Judges of what a probe *observed* (a recorder's counts, a module's output shapes):
learner code in the same process can rewrite those records (README, "known limits"),
so a judge reads them as hostile data — a value of the wrong type, NaN, or a list cut
short fails the check with a plain message instead of skipping it."""

from __future__ import annotations

import math

from curriculum.judges.modules import module_class
from curriculum.judges.training import accumulation_problem
from grader.checks.base import Verdict


def test_an_unreadable_accumulation_record_is_a_problem_not_a_pass():
    assert accumulation_problem({"backward": 4, "accumulated": 0}) == ""
    assert "added onto the previous step" in accumulation_problem(
        {"backward": 4, "accumulated": 2})
    for forged in (math.nan, -1, "0", None, 0.0, True, [0]):
        message = accumulation_problem({"backward": 4, "accumulated": forged})
        assert message.startswith("could not read the record"), forged
    assert accumulation_problem({"backward": math.inf, "accumulated": 0}) != ""


class _Outcome:
    def __init__(self, value):
        self.value = value


def test_output_shapes_cut_short_fail_the_shape_check():
    calls = [[(8, 4)], [(3, 4)]]
    ref = _Outcome({"outs": [[8, 2], [3, 2]]})
    for outs in ([], [[8, 2]], "[[8, 2], [3, 2]]", None):
        got = _Outcome({"outs": outs, "finite": True})
        verdict = module_class(got, ref, {"calls": calls}, None, cls="Net", text="", types={})
        assert verdict == Verdict(False, "shape", "could not read the output shapes of `Net` "
                                                  "on every hidden batch"), outs


def test_forward_modes_name_the_call_that_is_missing():
    from curriculum.judges.training import forward_modes_problem

    assert forward_modes_problem([[True, True], [False, False]]) == ""
    once = forward_modes_problem([[True, True], [False, False], [False, True]])
    assert "call `model.train()` at the start of every epoch" in once
    assert "call `model.eval()` before validating" in forward_modes_problem(
        [[True, True], [True, False], [False, False]])
    assert forward_modes_problem([[True, True], [False, False], ["x", 1]]) == (
        "could not read the mode of every forward pass")
    assert forward_modes_problem([[False, False]]).startswith("training forward passes")


def test_a_record_without_its_second_run_fails_5_2_5(curriculum):
    """5.2.5's simulator is also built with accumulation_steps=2; a record without that
    run (rewritten by the learner's code) skipped the check instead of failing it."""
    import torch

    from grader.grading import _checks_module

    checks = _checks_module(curriculum.get("5.2.5"))

    class _Ctx:
        source_text = curriculum.get("5.2.5").reference

    value = {"acc": {"init": torch.zeros(3), "final": torch.zeros(3),
                     "report": {"seq": "S" * 30}}}
    real_replay = checks["_replay_sgd"]
    checks["_replay_sgd"] = lambda theta, *a: theta  # the first run matches by construction
    try:
        verdict = checks["judge_accumulation"](_Outcome(value), None, {"X": None, "y": None},
                                               _Ctx())
    finally:
        checks["_replay_sgd"] = real_replay
    assert verdict == Verdict(False, "type", "unexpected probe data (the run with "
                                             "accumulation_steps=2 is missing)"), verdict
