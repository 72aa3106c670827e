"""Checks of 1.3.2 (polynomial evaluator): the seed's polynomial, then hidden random ones.

Coefficients are highest degree first. Hidden inputs are float64; results
must keep the inputs' dtype. Root-finding polynomials are built from known,
well-separated real roots (times an optional factor with complex roots), so
their real roots are well defined; every job has one with three or more real
roots (the ascending order is judged) and one whose complex roots are 0.1-0.3
off the real axis (a loose imaginary-part tolerance counts them as real), and one
with no real root at all (an empty tensor).
"""

import numpy as np
import torch

from curriculum.judges.cases import (
    NO_ARGUMENTS,
    case_list,
    each_case,
    labels_for,
    raised_name,
    shuffled,
)
from curriculum.judges.source import binding_calls
from curriculum.judges.values import tensor_problem
from grader.checks.base import Verdict

SEED_COEFFS = [3.0, 2.0, -1.0, 5.0]


def _f64(values):
    return torch.tensor(np.asarray(values, dtype=np.float64))


def _poly(rng, degree):
    c = rng.uniform(-5, 5, size=degree + 1).round(3)
    if degree > 0 and abs(c[0]) < 0.5:
        c[0] = 0.5 if c[0] >= 0 else -0.5
    return _f64(c)


def _points(rng):
    return _f64(rng.uniform(-3, 3, size=int(rng.integers(5, 13))))


def inputs_none(rng):
    return [()]


def inputs_eval(rng):
    seed = (torch.arange(5, dtype=torch.float32), torch.tensor(SEED_COEFFS))
    hidden = [(_points(rng), _poly(rng, d)) for d in (1, 2, int(rng.integers(3, 7)), 4)]
    return [seed, *hidden]


def inputs_deriv(rng):
    seed = (torch.tensor(SEED_COEFFS),)
    hidden = [(_poly(rng, d),) for d in (1, 3, int(rng.integers(4, 7)))]
    hidden.append((_f64([rng.uniform(-5, 5)]),))  # a constant: derivative [0.]
    return shuffled(rng, [seed, *hidden], examples=1)


def inputs_deriv_eval(rng):
    seed = (torch.arange(5, dtype=torch.float32), torch.tensor(SEED_COEFFS))
    hidden = [(_points(rng), _poly(rng, d)) for d in (1, 3, int(rng.integers(4, 7)))]
    hidden.append((_points(rng), _f64([rng.uniform(-5, 5)])))  # a constant polynomial
    return shuffled(rng, [seed, *hidden], examples=1)


def _roots_poly(rng, k, complex_im=None):
    """A polynomial with k well-separated real roots in [-4, 4], times a quadratic
    factor whose complex roots have imaginary part ``complex_im`` (none if None)."""
    while True:
        roots = np.sort(rng.uniform(-4, 4, size=k))
        if k == 1 or np.min(np.diff(roots)) > 0.4:
            break
    coeffs = np.poly(roots) * rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 3)
    if complex_im is not None:
        re = rng.uniform(-2, 2)
        coeffs = np.polymul(coeffs, [1.0, -2 * re, re * re + complex_im * complex_im])
    return (_f64(coeffs),)


def inputs_roots(rng):
    """The course's polynomial, then four hidden ones in a random order: one with three
    or four real roots (so their order is judged: eigenvalues come unsorted), one whose
    complex pair lies close to the real axis (imaginary part 0.1-0.3: a loose
    'is it real' tolerance keeps it), one of 1-4 real roots with or without a complex pair,
    and a quadratic with two real roots (the commonest polynomial, which the others made
    only now and then: a companion matrix wrong for degree 2 alone passed). The quadratic
    and its place are drawn last, so each seed's other polynomials stay as they were."""
    hidden = [
        _roots_poly(rng, int(rng.integers(3, 5)),
                    rng.uniform(0.5, 2) if rng.random() < 0.5 else None),
        _roots_poly(rng, int(rng.integers(1, 4)), rng.uniform(0.1, 0.3)),
        _roots_poly(rng, int(rng.integers(1, 5)),
                    rng.uniform(0.5, 2) if rng.random() < 0.7 else None),
    ]
    cases = shuffled(rng, [(torch.tensor(SEED_COEFFS, dtype=torch.float64),), *hidden],
                     examples=1)
    quadratic = _roots_poly(rng, 2)
    cases.insert(1 + int(rng.integers(0, len(hidden) + 1)), quadratic)
    # drawn after all the above (each seed's other polynomials stay as they were): one
    # with no real root at all (the answer is an empty tensor: a torch.stack of the
    # kept roots raised, and passed while every polynomial had one)
    cases.insert(1 + int(rng.integers(0, len(cases))), _no_real_root_poly(rng))
    return cases


def _no_real_root_poly(rng):
    """A quadratic or quartic whose roots are all complex pairs, 0.5-2 off the real axis."""
    coeffs = np.array([rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 3)])
    for _ in range(int(rng.integers(1, 3))):
        re, im = rng.uniform(-2, 2), rng.uniform(0.5, 2)
        coeffs = np.polymul(coeffs, [1.0, -2 * re, re * re + im * im])
    return (_f64(coeffs),)


def _close(found, expected, what):
    return tensor_problem(found, expected, what, rtol=1e-6, atol=1e-6)


def judge_create(learner, reference, inputs, ctx):
    def compare(found, expected, what):
        if not isinstance(found, tuple | list) or len(found) != 3:
            return "type", (f"{what} should return a tuple (coefficients, points, values); found "
                    f"{type(found).__name__}")
        for part, got, want in zip(("coefficients", "points", "values"), found, expected,
                                   strict=True):
            problem = tensor_problem(got, want, f"{what} → {part}", rtol=1e-5, atol=1e-4,
                                      check_dtype=False)
            if problem:
                return problem
        return None

    verdict = each_case(learner, reference, "create_polynomial_coefficients", compare,
                        [NO_ARGUMENTS])
    if not verdict.ok:
        return verdict
    calls = binding_calls(ctx, "create_polynomial_coefficients") or set()
    if not calls & {"evaluate_polynomial", "horner_evaluation"}:
        return Verdict(False, "api", "`create_polynomial_coefficients` should compute the "
                                     "values with your `evaluate_polynomial` or "
                                     "`horner_evaluation`, not type them in")
    return Verdict(True, "value")


def judge_eval(learner, reference, inputs, ctx):
    return each_case(learner, reference, "evaluate_polynomial", _close, examples=1)


def judge_horner(learner, reference, inputs, ctx):
    return each_case(learner, reference, "horner_evaluation", _close, examples=1)


def judge_deriv(learner, reference, inputs, ctx):
    return each_case(learner, reference, "derivative_coefficients", _close, examples=1)


def judge_deriv_eval(learner, reference, inputs, ctx):
    return each_case(learner, reference, "evaluate_derivative", _close, examples=1)


def judge_roots(learner, reference, inputs, ctx):
    def compare(found, expected, what):
        if isinstance(found, torch.Tensor) and found.dim() == 1 \
                and found.shape != expected.shape:
            return (f"{what} found {found.numel()} real roots, but the polynomial has "
                    f"{expected.numel()} distinct real roots (keep only roots whose imaginary "
                    f"part is ~0, each once{_NONE if expected.numel() == 0 else ''})")
        problem = tensor_problem(found, expected, what + " (sorted ascending)", rtol=1e-4,
                                 atol=1e-4, check_dtype=False)
        if problem and isinstance(found, torch.Tensor) and found.dim() == 1 \
                and found.is_floating_point() and not tensor_problem(
                    torch.sort(found.detach()).values, expected, what, rtol=1e-4, atol=1e-4,
                    check_dtype=False):
            return (f"{what}: the right roots, but not in ascending order — sort them "
                    f"(torch.sort(...).values)")
        return problem

    verdict = each_case(learner, reference, "find_roots", compare, examples=1)
    if not verdict.ok:
        raised = _raised_on_no_root(learner, reference)
        if raised:
            return Verdict(False, "value", raised)
    return verdict


_NONE = "; with none, return an empty 1-D tensor"


def _raised_on_no_root(learner, reference):
    """The message for a find_roots that raised on a polynomial with no real root (whose
    answer is an empty tensor, e.g. torch.stack of an empty list raises), else ''."""
    if not isinstance(reference.value, list):
        return ""
    ref = case_list(reference, len(reference.value))
    got = case_list(learner, len(reference.value))
    if ref is None or got is None:
        return ""
    for label, g, r in zip(labels_for(len(ref), 1), got, ref, strict=True):
        empty = isinstance(r.get("ok"), torch.Tensor) and r["ok"].numel() == 0
        if empty and "raised" in g:
            return (f"`find_roots(…)` raised {raised_name(g)} on {label}, a polynomial with no "
                    "real root: its distinct real roots are none, so return an empty 1-D "
                    "tensor (e.g. torch.sort of an empty selection; torch.stack([]) raises): "
                    f"{str(g.get('message', ''))[:120]}")
    return ""
