"""Checks of 3.3.1b: gradient descent reaches the true minimum within a step budget."""

import numpy as np
import torch

from curriculum.judges.autograd import close_problem
from curriculum.judges.compare import at_most, close, max_abs_diff
from curriculum.judges.source import has_call
from curriculum.judges.text import with_article
from grader.checks.base import Verdict

SURFACE = (1.0, 1.0, -1.0, 3.0, -4.0, 5.0)  # a x^2 + b y^2 + c xy + d x + e y + g


def _optimum(q):
    a, b, c, d, e, g = q
    H = np.array([[2 * a, c], [c, 2 * b]])
    x, y = np.linalg.solve(H, [-d, -e])
    return float(x), float(y), float(a * x * x + b * y * y + c * x * y + d * x + e * y + g)


def _random_quadratic(rng):
    # Hessian with eigenvalues in [0.5, 4], rotated; minimum somewhere in [-4, 4]^2
    lam = rng.uniform(0.5, 4.0, 2)
    t = rng.uniform(0, np.pi)
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    H = R @ np.diag(lam) @ R.T
    m = rng.uniform(-4, 4, 2)
    lin = -H @ m
    return (float(H[0, 0] / 2), float(H[1, 1] / 2), float(H[0, 1]), float(lin[0]), float(lin[1]),
            float(rng.uniform(-5, 5)))


def make_surfaces(rng: np.random.Generator) -> list:
    """The course's surface from (0, 0) with the default learning rate, then hidden
    quadratics from hidden starts with hidden learning rates in [0.05, 0.2] (stable:
    the Hessians' eigenvalues are at most 4), so a function that ignores its start
    point or learning rate is caught by its first two evaluations."""
    cases = [{"q": SURFACE, "start": (0.0, 0.0), "lr": 0.1}]
    for _ in range(3):
        cases.append({"q": _random_quadratic(rng),
                      "start": tuple(float(v) for v in rng.uniform(-3, 3, 2)),
                      "lr": round(float(rng.uniform(0.05, 0.2)), 3)})
    # two runs judged only on when they stop: a hidden max_iterations (8-20 steps), and a
    # hidden loose tolerance (0.05-0.2) — a loop that ignores either keeps evaluating f
    for stop in ({"max_iterations": int(rng.integers(8, 21))},
                 {"tolerance": round(float(rng.uniform(0.05, 0.2)), 3)}):
        cases.append({"q": _random_quadratic(rng),
                      "start": tuple(float(v) for v in rng.uniform(-3, 3, 2)),
                      "lr": round(float(rng.uniform(0.05, 0.2)), 3), **stop})
    return cases


def make_points(rng: np.random.Generator) -> list:
    return [tuple(float(v) for v in rng.uniform(-5, 5, 2)) for _ in range(4)]


BUDGET = 1000
TOL = 1e-3
STOP_SLACK = 2  # evaluations allowed past the tolerance (the value at the end)


def judge_objective(learner, reference, inputs, ctx):
    a, b, c, d, e, g = SURFACE
    for (x, y), got in zip(inputs, learner.value, strict=True):
        want = (a * x * x + b * y * y + c * x * y + d * x + e * y + g,
                2 * a * x + c * y + d, 2 * b * y + c * x + e)
        problem = close_problem(torch.tensor(got), torch.tensor(want), 1e-6, 1e-8)
        if problem:
            return Verdict(False, "value", "objective_function is not the corrected surface "
                                           "x² + y² − xy + 3x − 4y + 5 (value and gradient at "
                                           f"hidden points): {problem}")
    return Verdict(True, "value")


def _why_off(ctx, calls: int) -> str:
    """The likely cause, read from the source: a loop that never resets its gradients lets
    them pile up (the steps overshoot), which no stopping rule can fix. One evaluation or
    none is no descent at all (an answer worked out for the example surface)."""
    if calls <= 1:
        return ("f was hardly evaluated: descend from (start_x, start_y) on the f the grader "
                "passes, one evaluation and backward() per step — the hidden surfaces have "
                "other minima than the example's")
    source = ctx.source_text
    resets = ("zero_grad", ".zero_(", "grad = None", "grad=None", "autograd.grad")
    if ".backward" in source and not any(r in source for r in resets):
        return ("your loop never resets the gradients, so each backward() adds onto the last "
                "one and the steps overshoot: zero them every step (x.grad.zero_() / "
                "optimizer.zero_grad()), or use torch.autograd.grad")
    return ("check the update (learning rate, gradients reset every step) and stop on the "
            "gradient norm, not on a small change of the loss")


def _gradient(q, x, y):
    a, b, c, d, e, _ = q
    return 2 * a * x + c * y + d, 2 * b * y + c * x + e


def _first_step_problem(case, points) -> str | None:
    """The descent starts at the start point passed in, and its first step is
    learning_rate times the gradient there (the grader passes its own start points and
    learning rates; a convex quadratic's minimum is found from anywhere, with many rates)."""
    points = [p for p in points or [] if p is not None]
    if not points:
        return None
    (x0, y0), (sx, sy) = points[0], case["start"]
    if not close([x0, y0], [sx, sy], rtol=1e-5, atol=1e-5):
        return ("f was first evaluated away from (start_x, start_y): start the descent at the "
                "start point the grader passes")
    moved = [p for p in points[1:] if not close(list(p), [x0, y0], rtol=0.0, atol=1e-12)]
    if not moved:
        return None
    gx, gy = _gradient(case["q"], x0, y0)
    lr = case["lr"]
    if not close(list(moved[0]), [x0 - lr * gx, y0 - lr * gy], rtol=1e-4, atol=1e-4):
        return ("your first step is not learning_rate × the gradient (x − learning_rate · "
                "∂f/∂x, y − learning_rate · ∂f/∂y): use the learning_rate argument the grader "
                "passes, in plain gradient descent")
    return None


def judge_minimum(learner, reference, inputs, ctx):
    for i, (case, got) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        label = "the example surface" if case["q"] == SURFACE else f"hidden surface {i}"
        if got[0] == "bad":
            return Verdict(False, "type", f"{label}: return (x, y, value) as three numbers; "
                                          f"could not read {with_article(got[1])}: {got[2]}")
        if got[0] == "not float":
            return Verdict(False, "type", f"{label}: return (x, y, value) as Python floats "
                                          f"(use .item()); found {with_article(got[1])}")
        x, y, v, calls, _seconds, points, deep = got
        steps = case.get("max_iterations", BUDGET)
        calls = int(calls) if isinstance(calls, int | float) else steps + 6
        if "max_iterations" in case:
            label = f"a short run (max_iterations={steps})"
        elif "tolerance" in case:
            label = f"a run with tolerance={case['tolerance']:g}"
        if calls > steps + 5:
            return Verdict(False, "value", f"{label}: f was evaluated {calls} times; the budget is "
                                           f"max_iterations = {steps} steps — stop after the "
                                           "max_iterations passed in")
        if "tolerance" in case and isinstance(deep, int) and deep > STOP_SLACK:
            return Verdict(False, "value", f"{label}: f was evaluated {deep} times where the "
                                           "gradient norm was already under a quarter of the "
                                           "tolerance — stop once ‖∇f‖ < the tolerance passed "
                                           "in")
        if "max_iterations" in case or "tolerance" in case:
            continue  # judged only on when it stops
        wx, wy, wv = _optimum(case["q"])
        dist = max_abs_diff([x, y], [wx, wy])
        if not at_most(dist, TOL):
            return Verdict(False, "value", f"{label}: your point is {dist:.3g} away from the true "
                                           f"minimum (tolerance {TOL:g} in x and y) after "
                                           f"{calls} evaluations — {_why_off(ctx, calls)}")
        if not close(v, wv, rtol=1e-4, atol=1e-4):
            return Verdict(False, "value", f"{label}: the returned value is not f at your point "
                                           f"(off by {max_abs_diff(v, wv):.3g})")
        problem = _first_step_problem(case, points) if calls > 1 else None
        if problem:
            return Verdict(False, "value", f"{label}: {problem}")
    if not has_call(ctx, ("torch.autograd.grad", ".backward")):
        return Verdict(False, "api", "use autograd for the gradient (.backward() or "
                                     "torch.autograd.grad)")
    return Verdict(True, "value")
