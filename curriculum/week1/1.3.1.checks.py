"""Checks of 1.3.1 (linear system solver): the seed's systems plus hidden random ones.

Hidden systems are well conditioned (diagonally dominant), float64; singular
ones are built with an exactly dependent row or a zero row, so every sound
test (LinAlgError from torch.linalg.solve, det == 0, rank < n) detects them.
"""

import numpy as np
import torch

from curriculum.lib.week1 import (
    binding_calls,
    calls_probe,
    judge_cases,
    raised_names,
    tensor_mismatch,
)
from grader.checks.base import Verdict

PROBE_SOLVE = calls_probe("solve_linear_system")
PROBE_VERIFY = calls_probe("verify_solution")
PROBE_3X3 = calls_probe("solve_3x3_system")


def _t(rows):
    return torch.tensor(rows, dtype=torch.float64)


def inputs_seed(rng):
    return [(torch.tensor([[2.0, 1.0], [1.0, 3.0]]), torch.tensor([5.0, 7.0]))]


def _system(rng, n):
    a = rng.normal(size=(n, n)) + 1.5 * n * np.eye(n) * rng.choice([-1.0, 1.0])
    b = rng.normal(size=n) * 5
    return torch.from_numpy(a), torch.from_numpy(b)


def inputs_random(rng):
    return [_system(rng, n) for n in (2, 3, int(rng.integers(4, 7)), int(rng.integers(2, 5)))]


def _singular(rng, n, mode):
    a = rng.integers(-5, 6, size=(n, n)).astype(float)
    a[0, 0] = 1.0
    if mode == "double":
        a[n - 1] = 2.0 * a[0]
    elif mode == "zero":
        a[n - 1] = 0.0
    else:  # repeated row
        a[1] = a[0]
    A = torch.from_numpy(a)
    b = torch.from_numpy(rng.normal(size=n))
    try:
        torch.linalg.solve(A, b)
    except RuntimeError:
        return A, b
    raise AssertionError("generated matrix is not detectably singular")


def inputs_singular(rng):
    return [_singular(rng, 2, "double"), _singular(rng, 3, "repeat"),
            _singular(rng, int(rng.integers(2, 5)), "zero")]


def inputs_verify(rng):
    cases = []
    for n in (2, 3, 4):
        A, b = _system(rng, n)
        x = torch.linalg.solve(A, b)
        wrong = x.clone()
        wrong[int(rng.integers(0, n))] += float(rng.choice([-1.0, 1.0])) * (0.5 + rng.random())
        cases += [(A, x, b), (A, wrong, b)]
    return cases


def inputs_3x3(rng):
    return [()]


def _close(found, expected, what):
    return tensor_mismatch(found, expected, what, rtol=1e-5, atol=1e-5)


def judge_seed(learner, reference, inputs, ctx):
    verdict = judge_cases(learner, reference, inputs, "solve_linear_system", _close,
                          "seed examples")
    if not verdict.ok:
        verdict.message += (" (A = [[2, 1], [1, 3]], b = [5, 7]: x should satisfy A @ x = b — "
                            "see the errata note)")
    return verdict


def judge_random(learner, reference, inputs, ctx):
    return judge_cases(learner, reference, inputs, "solve_linear_system", _close)


def judge_singular(learner, reference, inputs, ctx):
    got = learner.value
    if not isinstance(got, list) or len(got) != len(inputs):
        return Verdict(False, "value", "could not read the results of `solve_linear_system`")
    for i, case in enumerate(got, start=1):
        names = raised_names(case)
        if not names:
            return Verdict(False, "value", f"hidden singular matrix {i} of {len(got)}: "
                                           f"`solve_linear_system` returned a value; it should "
                                           f"raise ValueError when A is singular")
        if "ValueError" not in names:
            return Verdict(False, "type", f"hidden singular matrix {i} of {len(got)}: "
                                          f"`solve_linear_system` raised {names[0]}; catch "
                                          f"torch.linalg.LinAlgError (or test the determinant) "
                                          f"and raise ValueError instead")
    return Verdict(True, "value")


def judge_verify(learner, reference, inputs, ctx):
    got = learner.value
    if not isinstance(got, list) or len(got) != len(inputs):
        return Verdict(False, "value", "could not read the results of `verify_solution`")
    for i, case in enumerate(got, start=1):
        names = raised_names(case)
        if names:
            return Verdict(False, "value", f"`verify_solution(…)` raised {names[0]} on case {i}: "
                                           f"{str(case.get('message', ''))[:200]}")
        value = case.get("ok")
        if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype == torch.bool:
            value = bool(value.item())
        if not isinstance(value, bool):
            return Verdict(False, "type", f"`verify_solution(…)` should return True or False "
                                          f"(a Python bool or a one-element bool tensor); found "
                                          f"{type(value).__name__}")
        want = i % 2 == 1  # cases alternate: the true solution, then a perturbed one
        if value != want:
            which = "a correct solution" if want else "a wrong solution (one entry off by ≥ 0.5)"
            return Verdict(False, "value", f"`verify_solution(…)` returned {value} for {which} "
                                           f"(hidden case {i} of {len(got)})")
    return Verdict(True, "value")


def judge_3x3(learner, reference, inputs, ctx):
    verdict = judge_cases(learner, reference, inputs, "solve_3x3_system",
                          lambda f, e, w: tensor_mismatch(f, e, w, rtol=1e-5, atol=1e-5,
                                                          check_dtype=False),
                          "systems")
    if not verdict.ok:
        return verdict
    calls = binding_calls(ctx, "solve_3x3_system") or set()
    if not calls & {"torch.linalg.solve", "solve_linear_system"}:
        return Verdict(False, "api", "`solve_3x3_system` should set up A and b as tensors and "
                                     "solve them with `torch.linalg.solve()` (or your "
                                     "`solve_linear_system`), not return a hand-computed answer")
    return Verdict(True, "value")
