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
BUDGET = STEPS + 10
TOL_RAD = 2e-3
# Gradient steps that must really happen in find_optimal_angle: a gradient has to flow
# back through range_function at this many different angles (the prompt asks for
# `steps` = 300 steps; a closed form plus one decorative backward() does 1).
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
    cases = [(20.0, 9.81, 0.0)]
    cases.append((float(rng.uniform(10, 40)), 9.81, float(rng.uniform(5, 50))))
    cases.append((float(rng.uniform(10, 40)), float(rng.choice([1.62, 3.71, 9.81])),
                  float(rng.uniform(5, 50))))
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
    for i, ((v0, g, h), got) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        label = "the example launch (v0 = 20, h = 0)" if i == 1 else f"hidden launch {i}"
        if got[0] == "bad":
            return Verdict(False, "type", f"{label}: return (angle, range) as two numbers; "
                                          f"could not read {with_article(got[1])}: {got[2]}")
        if got[0] == "not float":
            return Verdict(False, "type", f"{label}: return (angle, range) as Python floats "
                                          f"(use .item()); found {with_article(got[1])}")
        angle, best, calls, _seconds, steps = got
        if calls == 0:
            return Verdict(False, "value", f"{label}: find_optimal_angle never called "
                                           "range_function — optimise that function")
        if calls > BUDGET:
            return Verdict(False, "value", f"{label}: range_function was evaluated {calls} times; "
                                           f"the budget is steps + 10 = {BUDGET}")
        if steps < MIN_STEPS:  # compare: ok (counts)
            return Verdict(False, "value", f"{label}: maximise with autograd — a gradient "
                                           f"reached range_function at {steps} angle(s); take "
                                           "the `steps` steps (loss = -range_function(angle, "
                                           "…), loss.backward(), update the angle)")
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
