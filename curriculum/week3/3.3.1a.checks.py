"""Checks of 3.3.1a: polynomial evaluation (values + autograd derivative) and critical points."""

import numpy as np
import torch

from curriculum.judges.autograd import close_problem
from curriculum.judges.compare import at_most, close, max_abs_diff
from curriculum.judges.source import binding_calls
from curriculum.judges.text import with_article
from grader.checks.base import Verdict

SEED_CUBIC = [1.0, -6.0, 9.0, 1.0]  # x^3 - 6x^2 + 9x + 1: max at 1, min at 3


def _cubic(rng, two: bool) -> list[float]:
    a3 = float(rng.uniform(0.5, 2.0) * rng.choice([-1, 1]))
    a0 = float(rng.uniform(-5, 5))
    if two:
        r1 = float(rng.uniform(-8, 7.5))
        r2 = float(rng.uniform(r1 + 0.5, min(8.0, r1 + 8)))
        return [a3, -1.5 * a3 * (r1 + r2), 3 * a3 * r1 * r2, a0]
    p, q = float(rng.uniform(-5, 5)), float(rng.uniform(0.5, 3))
    return [a3, -3 * a3 * p, 3 * a3 * (p * p + q * q), a0]


def _ranged_case(rng) -> tuple[list[float], tuple[float, float]]:
    """A cubic with two critical points r1 < r2 and an x_range holding r1 only: the
    range's upper end lies between them, at least 0.5 from each."""
    while True:
        coeffs = _cubic(rng, True)
        (r1, _), (r2, _) = _true_points(coeffs)
        if r2 - r1 >= 1.0:
            break
    lo = float(np.floor(r1 - rng.uniform(1.0, 3.0)))
    hi = float(rng.uniform(r1 + 0.5, r2 - 0.5))
    return coeffs, (lo, round(hi, 2))


def make_cubics(rng: np.random.Generator) -> list:
    """(coeffs, x_range) cases, x_range None for the default (-10, 10): the course's
    cubic, three hidden cubics with two critical points, one with none, and one called
    with its own x_range that leaves one of its two critical points outside."""
    cases = [(SEED_CUBIC, None), *((_cubic(rng, True), None) for _ in range(3)),
             (_cubic(rng, False), None), _ranged_case(rng)]
    order = rng.permutation(len(cases)).tolist()
    cases = [cases[i] for i in order]
    # one more call, with the learner's polynomial swapped for a hidden stand-in (the same
    # kind of cubic moved by `shift`): derivatives by autograd through polynomial follow it,
    # a formula on the coefficients does not
    swapped = _cubic(rng, True)
    shift = float(rng.uniform(0.3, 0.8) * rng.choice([-1, 1]))
    cases.insert(int(rng.integers(0, len(cases) + 1)), (swapped, None, shift))
    return cases


def make_poly_inputs(rng: np.random.Generator) -> list:
    out = []
    for degree in (3, 2, 4):
        coeffs = [float(c) for c in rng.uniform(-3, 3, degree + 1)]
        x = torch.from_numpy(rng.uniform(-3, 3, 7)).to(torch.float64)
        out.append((coeffs, x))
    return out


def judge_poly(learner, reference, inputs, ctx):
    for i, ((coeffs, x), item) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        if item[0] == "not a tensor":
            return Verdict(False, "type", f"polynomial must return a tensor; found {item[1]}")
        if item[0] == "no grad":
            return Verdict(False, "grad", "polynomial's result is not differentiable with respect "
                                          f"to x (use tensor operations only): {item[1]}")
        xs = x.to(torch.float64).requires_grad_(True)
        n = len(coeffs)
        want = sum(c * xs ** (n - 1 - j) for j, c in enumerate(coeffs))
        (want_g,) = torch.autograd.grad(want.sum(), xs)
        degree = n - 1
        problem = close_problem(item[1], want.detach(), 1e-5, 1e-6)
        if problem:
            return Verdict(False, "value", f"case {i} (degree {degree}, highest power first): "
                                           f"values are off: {problem}")
        problem = close_problem(item[2], want_g, 1e-5, 1e-6)
        if problem:
            return Verdict(False, "grad", f"case {i} (degree {degree}): the autograd derivative "
                                          f"is off: {problem}")
    return Verdict(True, "value")


def _true_points(coeffs, x_range=(-10.0, 10.0)):
    a3, a2, a1, _ = coeffs
    roots = np.roots([3 * a3, 2 * a2, a1])
    roots = sorted(float(r.real) for r in roots if at_most(abs(r.imag), 1e-12))
    return [(r, "min" if 6 * a3 * r + 2 * a2 > 0 else "max") for r in roots
            if x_range[0] <= r <= x_range[1]]


def _swap_problem(coeffs, shift, got, calls) -> str | None:
    """What is wrong with find_critical_points' answer while polynomial was swapped for
    the same cubic moved by ``shift`` (None when its points followed the swap)."""
    side = "right" if shift > 0 else "left"
    intro = (f"with your polynomial swapped for a hidden stand-in (f moved {side} by "
             f"{abs(shift):.3g}, so its critical points move by as much), find_critical_points ")
    if calls == 0:
        return (intro + "never called polynomial: evaluate f with polynomial(x, coeffs) and "
                        "take f' and f'' from autograd on it, not from a formula for f'")
    if isinstance(got, tuple):
        return intro + f"returned something unreadable as (x, kind) pairs: {got[2]}"
    moved = [(x + shift, kind) for x, kind in _true_points(coeffs, (-10.0 - shift,
                                                                     10.0 - shift))]
    if _same_points(got, moved):
        return None
    if _same_points(got, _true_points(coeffs)):
        return (intro + "returned the points of the coefficients unchanged: it must find "
                        "f' = 0 from autograd derivatives of polynomial(x, coeffs), not from "
                        "a formula for f' on the coefficients")
    return (intro + f"returned {len(got)} point(s), not the stand-in's {len(moved)} critical "
                    "point(s): take f' and f'' from autograd on polynomial(x, coeffs)")


def _same_points(got, want) -> bool:
    return len(got) == len(want) and all(
        close(gx, wx, rtol=0.0, atol=1e-3) and gk == wk
        for (gx, gk), (wx, wk) in zip(got, want, strict=True))


#: The calls that are autograd (torch.autograd.functional's jacobian/hessian included).
AUTOGRAD_CALLS = {"torch.autograd.grad", ".backward", "torch.autograd.functional.jacobian",
                  "torch.autograd.functional.hessian", "torch.autograd.functional.vjp",
                  "torch.autograd.functional.jvp", "torch.autograd.functional.hvp",
                  "torch.autograd.functional.vhp", "torch.func.grad", "torch.func.jacrev",
                  "torch.func.jacfwd", "torch.func.hessian"}


def judge_crit(learner, reference, inputs, ctx):
    swaps = []
    n = 0
    for case, got in zip(inputs, learner.value, strict=True):
        if len(case) == 3:
            swaps.append((case, got))
            continue
        n += 1
        verdict = _crit_case(n, case, got)
        if verdict is not None:
            return verdict
    if not (binding_calls(ctx, "find_critical_points") or set()) & AUTOGRAD_CALLS:
        return Verdict(False, "api", "find_critical_points must compute the derivatives with "
                                     "autograd (torch.autograd.grad, .backward() or "
                                     "torch.autograd.functional, in its own code or a function "
                                     "of yours it calls), not a formula for f' and f''")
    for (coeffs, _, shift), (_, got, calls) in swaps:
        problem = _swap_problem(coeffs, shift, got, calls)
        if problem:
            return Verdict(False, "api", problem)
    return Verdict(True, "value")


def _crit_case(i, case, got):
    coeffs, x_range = case
    label = "the example cubic" if list(coeffs) == SEED_CUBIC else f"hidden cubic {i}"
    where = "(-10, 10)"
    if x_range is not None:
        label += " (called with its own x_range)"
        where = "x_range — points outside it are left out"
    if isinstance(got, tuple):
        return Verdict(False, "type", f"{label}: return a list of (x, kind) pairs; could not "
                                      f"read {with_article(got[1])}: {got[2]}")
    want = _true_points(coeffs, x_range or (-10.0, 10.0))
    if len(got) != len(want):
        return Verdict(False, "value", f"{label}: expected {len(want)} critical point(s) in "
                                       f"{where}, found {len(got)}")
    xs = [p[0] for p in got]
    if xs != sorted(xs):
        return Verdict(False, "value", f"{label}: sort the points by x")
    for (gx, gk), (wx, wk) in zip(got, want, strict=True):
        if not close(gx, wx, rtol=0.0, atol=1e-3):
            return Verdict(False, "value", f"{label}: a critical point is off by "
                                           f"{max_abs_diff(gx, wx):.3g} (tolerance 1e-3) — "
                                           "refine "
                                           "grid candidates (Newton or bisection on f')")
        if gk != wk:
            return Verdict(False, "value", f"{label}: a critical point is classified "
                                           f"{gk!r}, expected {wk!r} by the second-derivative "
                                           "test ('min' if f'' > 0, 'max' if f'' < 0)")
    return None
