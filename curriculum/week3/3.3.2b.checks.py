"""Checks of 3.3.2b: energy function (values, autograd gradients) and equilibrium position."""


import numpy as np
import torch

from curriculum.judges.autograd import close_problem
from curriculum.judges.compare import at_most, close, max_abs_diff
from curriculum.judges.source import has_call
from curriculum.judges.text import with_article
from grader.checks.base import Verdict

STEPS = 500  # also find_equilibrium's default, used by the seed's spring
SHORT_STEPS = (5, 15)  # the short run's hidden step count
# Gradient steps that must really happen in find_equilibrium: a gradient has to flow back
# through potential_energy at this many different positions — the start and at least one
# point an update moved to (a closed form plus one decorative backward() does 1; plain
# gradient descent at lr = 1/k lands on the minimum in one step, so no more is asked).
MIN_POSITIONS = 2


def make_states(rng: np.random.Generator) -> list:
    return [tuple(float(v) for v in (rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(0.2, 5),
                                      rng.uniform(0.2, 5))) for _ in range(4)]


def make_springs(rng: np.random.Generator) -> list:
    """(k, force, start, steps): the seed's spring called with the defaults (steps None:
    ``find_equilibrium()``, so start 1.0 and 500 steps), three hidden springs with
    steps=500, and a short run (a hidden 5-15 steps) where only the calls and the start
    are judged — a loop that ignores ``steps`` overruns it."""
    cases = [(1.0, 0.0, 1.0, None)]  # the seed: k = 1, no external force, start at 1.0
    for _ in range(3):
        cases.append((float(rng.uniform(0.5, 5)), float(rng.uniform(-5, 5)),
                      float(rng.uniform(-3, 3)), STEPS))
    cases.append((float(rng.uniform(0.5, 5)), float(rng.uniform(-5, 5)),
                  float(rng.uniform(-3, 3)), int(rng.integers(SHORT_STEPS[0],
                                                               SHORT_STEPS[1] + 1))))
    return cases


def judge_energy(learner, reference, inputs, ctx):
    for (x, v, k, m), got in zip(inputs, learner.value, strict=True):
        if got[0] != "ok":
            return Verdict(False, "type", f"total_energy must return a tensor; found {got[1]}")
        want = torch.tensor([0.5 * m * v * v + 0.5 * k * x * x, k * x, m * v])
        problem = close_problem(torch.tensor(got[1:]), want, 1e-6, 1e-8)
        if problem:
            return Verdict(False, "value", "total_energy (½mv² + ½kx²) or its autograd gradients "
                                           f"(dE/dx = kx, dE/dv = mv) are off: {problem}")
    return Verdict(True, "value")


def judge_equilibrium(learner, reference, inputs, ctx):
    for i, ((k, force, start, steps), got) in enumerate(zip(inputs, learner.value, strict=True),
                                                        1):
        short = steps is not None and steps < STEPS
        label = ("the example spring, find_equilibrium() with its defaults (k = 1, no force, "
                 "start 1.0)" if i == 1 else
                 f"a short run (steps={steps})" if short else f"hidden spring {i}")
        if got[0] == "not float":
            return Verdict(False, "type", f"{label}: return the position as a Python float "
                                          f"(use .item()); found {with_article(got[1])}")
        position, calls, u, moved, first = got
        budget = (STEPS if steps is None else steps) + 10
        want_u = 0.5 * k * 0.7**2 - force * 0.7
        if not close(u, want_u, rtol=1e-6, atol=1e-6):
            return Verdict(False, "value", f"{label}: potential_energy(position, k, force) must "
                                           "be ½·k·x² − force·x (checked at a hidden point)")
        if calls == 0:
            return Verdict(False, "value", f"{label}: find_equilibrium never called "
                                           "potential_energy — minimise that function")
        if calls > budget:
            told = ("the default steps=500 of the contract's signature" if steps is None
                    else f"steps={steps}")
            return Verdict(False, "value", f"{label}: potential_energy was evaluated {calls} "
                                           f"times for {told}; the budget is steps + 10 = "
                                           f"{budget} — take at most `steps` steps, the number "
                                           "passed in")
        wrong_start = first is not None and not close(first, start, rtol=1e-6, atol=1e-6)
        if wrong_start and calls >= MIN_POSITIONS:  # compare: ok (counts)
            # steps taken from elsewhere (from the minimum itself they never move): the
            # start is the fault, not a missing descent
            return _start_verdict(label, steps)
        if not short and moved < MIN_POSITIONS:  # compare: ok (counts)
            return Verdict(False, "value", f"{label}: minimise with autograd — a gradient "
                                           f"reached potential_energy at {moved} position(s); "
                                           "step from `start` (energy.backward(), then update "
                                           "the position) instead of computing the answer")
        if wrong_start:
            # a spring's minimum is reached from anywhere: only the first call tells
            return _start_verdict(label, steps)
        if short:
            continue
        want = force / k
        err = max_abs_diff(position, want)
        tol = 1e-3 * max(1.0, abs(want))
        if not at_most(err, tol):
            return Verdict(False, "value", f"{label}: your position is {err:.3g} from the "
                                           f"equilibrium (tolerance {tol:.2g}) after {calls} "
                                           "steps")
    if not has_call(ctx, ("torch.autograd.grad", ".backward")):
        return Verdict(False, "api", "use autograd (.backward() or torch.autograd.grad)")
    return Verdict(True, "value")


def _start_verdict(label, steps):
    default = " (its default is start=1.0)" if steps is None else ""
    return Verdict(False, "value", f"{label}: potential_energy was first evaluated away "
                                   "from `start`; begin the descent at torch.tensor(start, "
                                   "requires_grad=True) with the start the grader passes"
                                   f"{default}")
