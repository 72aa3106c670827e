"""Checks of 3.3.2a: the range formula (values, autograd derivative) and the optimal angle."""

import math

import numpy as np
import torch

from curriculum.judges.autograd import close_problem
from curriculum.judges.compare import at_most, close, max_abs_diff
from curriculum.judges.source import has_call
from curriculum.judges.text import with_article
from grader.checks.base import Verdict

STEPS = 300
DEFAULT_STEPS = 1000  # find_optimal_angle's default, used by the course's launch
SHORT_STEPS = (12, 30)  # the short run's hidden step count
START = 0.5  # the contract's start: angle = torch.tensor(0.5, requires_grad=True)
TOL_RAD = 2e-3
# Gradient steps that must really happen in find_optimal_angle: a gradient has to flow
# back through range_function at this many different angles (the prompt asks for
# `steps` = 300 steps; a closed form plus one decorative backward() does 1). Not asked
# of the short run.
MIN_STEPS = 10


def _range(theta, v0, g, h):
    vx, vy = v0 * math.cos(theta), v0 * math.sin(theta)
    return vx / g * (vy + math.sqrt(vy * vy + 2 * g * h))


def _drange(theta, v0, g, h, eps=1e-6):
    return (_range(theta + eps, v0, g, h) - _range(theta - eps, v0, g, h)) / (2 * eps)


def optimum(v0, g, h):
    theta = math.atan(v0 / math.sqrt(v0 * v0 + 2 * g * h))
    return theta, _range(theta, v0, g, h)


def make_range_inputs(rng: np.random.Generator) -> list:
    cases = [(float(a), 20.0, 9.81, 0.0) for a in rng.uniform(0.05, 1.5, 2)]
    for _ in range(3):
        cases.append((float(rng.uniform(0.05, 1.5)), float(rng.uniform(5, 40)), 9.81,
                      float(rng.uniform(1, 50))))
    return cases


def make_launches(rng: np.random.Generator) -> list:
    """(v0, g, h, steps): the course's launch called with the defaults (steps None:
    ``find_optimal_angle()``, 1000 steps), two hidden launches from a height with
    steps=300, and a short run (a hidden 12-30 steps) where only the calls and the start
    are judged — a loop that ignores ``steps`` overruns it."""
    cases = [(20.0, 9.81, 0.0, None)]
    cases.append((float(rng.uniform(10, 40)), 9.81, float(rng.uniform(5, 50)), STEPS))
    cases.append((float(rng.uniform(10, 40)), float(rng.choice([1.62, 3.71, 9.81])),
                  float(rng.uniform(5, 50)), STEPS))
    cases.append((float(rng.uniform(10, 40)), 9.81, float(rng.uniform(5, 50)),
                  int(rng.integers(SHORT_STEPS[0], SHORT_STEPS[1] + 1))))
    return cases


def judge_range(learner, reference, inputs, ctx):
    for (angle, v0, g, h), got in zip(inputs, learner.value, strict=True):
        if got[0] != "ok":
            return Verdict(False, "type", f"range_function must return a tensor; found {got[1]}")
        want = torch.tensor([_range(angle, v0, g, h), _drange(angle, v0, g, h)])
        problem = close_problem(torch.tensor(got[1:]), want, 1e-5, 1e-6)
        if problem:
            where = "from the ground (h = 0)" if h == 0 else "from a height h > 0"
            return Verdict(False, "value", f"range or its autograd derivative is off for a launch "
                                           f"{where}: {problem}")
    return Verdict(True, "value")


def judge_angle(learner, reference, inputs, ctx):
    for i, ((v0, g, h, steps), got) in enumerate(zip(inputs, learner.value, strict=True),
                                                start=1):
        short = steps is not None and steps < MIN_STEPS * 5  # compare: ok (counts)
        label = ("the example launch, find_optimal_angle() with its defaults" if i == 1 else
                 f"a short run (steps={steps})" if short else f"hidden launch {i}")
        if got[0] == "bad":
            return Verdict(False, "type", f"{label}: return (angle, range) as two numbers; "
                                          f"could not read {with_article(got[1])}: {got[2]}")
        if got[0] == "not float":
            return Verdict(False, "type", f"{label}: return (angle, range) as Python floats "
                                          f"(use .item()); found {with_article(got[1])}")
        angle, best, calls, _seconds, graded, first = got
        budget = (DEFAULT_STEPS if steps is None else steps) + 10
        if calls == 0:
            return Verdict(False, "value", f"{label}: find_optimal_angle never called "
                                           "range_function — optimise that function")
        if calls > budget:
            told = ("the default steps=1000 of the contract's signature" if steps is None
                    else f"steps={steps}")
            return Verdict(False, "value", f"{label}: range_function was evaluated {calls} times "
                                           f"for {told}; the budget is steps + 10 = {budget} "
                                           "— take `steps` steps, the number passed in")
        wrong_start = first is not None and not close(first, START, rtol=0.0, atol=1e-6)
        if wrong_start and calls >= MIN_STEPS:  # compare: ok (counts)
            # steps taken from elsewhere (at the optimum from π/4 they never move): the
            # start is the fault, not a missing loop
            return _start_verdict(label, first)
        if not short and graded < MIN_STEPS:  # compare: ok (counts)
            return Verdict(False, "value", f"{label}: maximise with autograd — a gradient "
                                           f"reached range_function at {graded} angle(s); take "
                                           "the `steps` steps (loss = -range_function(angle, "
                                           "…), loss.backward(), update the angle)")
        if wrong_start:
            return _start_verdict(label, first)
        if short:
            continue
        if not math.isfinite(angle):
            return Verdict(False, "value", f"{label}: your angle is {angle}, not a number — "
                                           "maximise the range (loss = -range_function(…)), "
                                           "zero the gradient before each backward "
                                           "(optimizer.zero_grad() or angle.grad.zero_(): "
                                           "gradients that pile up throw the angle out) and "
                                           "keep the angle in [0, π/2]")
        want_angle, want_range = optimum(v0, g, h)
        err = max_abs_diff(angle, want_angle)
        if not at_most(err, TOL_RAD):
            return Verdict(False, "value", f"{label}: your angle is {math.degrees(err):.3g}° "
                                           f"from the optimum (tolerance "
                                           f"{math.degrees(TOL_RAD):.2f}°); angles are in radians")
        if not close(best, _range(angle, v0, g, h), rtol=0.0, atol=1e-4 * want_range):
            return Verdict(False, "value", f"{label}: the returned range is not "
                                           "range_function at your angle")
    if not has_call(ctx, ("torch.autograd.grad", ".backward")):
        return Verdict(False, "api", "use autograd (.backward() or torch.autograd.grad) for the "
                                     "gradient")
    return Verdict(True, "value")


def _start_verdict(label, first):
    return Verdict(False, "value", f"{label}: range_function was first evaluated at "
                                   f"{first:.4g} rad; start the ascent from angle = "
                                   "torch.tensor(0.5, requires_grad=True), as the contract "
                                   "says")
