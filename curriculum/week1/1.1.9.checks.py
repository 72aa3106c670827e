"""Checks of 1.1.9 (Exercise 1.1 self-check): each answer is judged by what it evaluates to.

The API each question calls for is checked on the source by the framework
(``api`` + ``api_target`` in the YAML) once the value is right.
"""

import torch

from curriculum.judges.source import api_problem, direct_call_problem
from curriculum.judges.text import with_article
from curriculum.judges.values import tensor_problem
from grader.checks.base import Verdict


def _tensor(learner, name):
    value = learner.value.get(name) if isinstance(learner.value, dict) else None
    if not isinstance(value, torch.Tensor):
        kind = type(value).__name__
        return None, Verdict(False, "type", f"`{name}` should evaluate to a torch.Tensor; "
                                            f"found {with_article(kind)}")
    return value, None


def judge_q1(learner, reference, inputs, ctx):
    value, bad = _tensor(learner, "q1")
    if bad:
        return bad
    if tuple(value.shape) != (3, 4):
        return Verdict(False, "shape", f"a 3×4 tensor has shape (3, 4); found {tuple(value.shape)}")
    if value.is_complex() or bool((value != 0).any()):
        return Verdict(False, "value", "every value of `q1` should be 0")
    return Verdict(True, "value")


def judge_q2(learner, reference, inputs, ctx):
    value, bad = _tensor(learner, "q2")
    if bad:
        return bad
    if not value.is_floating_point():
        return Verdict(False, "dtype", f"random numbers between 0 and 1 are floating point; "
                                       f"found dtype {str(value.dtype).replace('torch.', '')}")
    if value.numel() < 10:
        return Verdict(False, "shape", f"make at least 10 numbers so their spread can be "
                                       f"judged; found {value.numel()}")
    v = value.to(torch.float64).flatten()
    if bool((v < 0).any()) or bool((v >= 1).any()) or not bool(torch.isfinite(v).all()):
        return Verdict(False, "value", "every value should lie in [0, 1)")
    if bool((v == v[0]).all()):
        return Verdict(False, "value", "all values are equal; expected random samples")
    return Verdict(True, "value")


def judge_q3(learner, reference, inputs, ctx):
    value, bad = _tensor(learner, "q3")
    if bad:
        return bad
    if tuple(value.shape) != (10,):
        return Verdict(False, "shape", f"0 to 9 is 10 numbers, shape (10,); found "
                                       f"{tuple(value.shape)}")
    if value.is_complex() or not torch.equal(value.to(torch.float64),
                                             torch.arange(10, dtype=torch.float64)):
        return Verdict(False, "value", "`q3` should hold 0, 1, …, 9 in order")
    return _own_result(ctx, "q3", "arange")


def judge_q4(learner, reference, inputs, ctx):
    value, bad = _tensor(learner, "q4")
    if bad:
        return bad
    problem = tensor_problem(value, torch.linspace(0, 1, 5, dtype=torch.float64), "`q4`",
                             rtol=1e-6, atol=1e-6, check_dtype=False)
    if problem:
        kind, message = problem
        return Verdict(False, kind, message + " (5 evenly spaced numbers from 0 to 1, both ends "
                                              "included)")
    return _own_result(ctx, "q4", "linspace")


def _own_result(ctx, name, function):
    """A sequence answer is the creation call itself: its own arguments make the numbers
    (not arithmetic or .flip() on what it returns). Asked only once the call is the right
    one — otherwise the API check (after the judge) names what is wrong."""
    if api_problem(ctx, name, [f"torch.{function}"]):
        return Verdict(True, "value")
    form = direct_call_problem(ctx, name, function)
    if form:
        return Verdict(False, "api", form.split(" Put the numbers")[0].rstrip(".") + ". The answer is the "
                                     "call made for the job, its arguments giving the numbers")
    return Verdict(True, "value")
