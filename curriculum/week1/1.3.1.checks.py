"""Checks of 1.3.1 (linear system solver): the prompt's example plus hidden random systems.

Hidden systems are float64, well conditioned (diagonally dominant), some with
integer entries. Singular ones are of two sorts, always both in one job:
integer matrices with an exactly dependent or zero row, on which
torch.linalg.solve raises LinAlgError, and "rounded" ones, with one-decimal
entries and a row (or column) that is a decimal combination of others: singular
in exact arithmetic, but rounding leaves their determinant tiny and not 0 and
torch.linalg.solve returns a meaningless answer instead of raising. The
prompt's rule is the numerical rank (``torch.linalg.matrix_rank(A) < n``),
which finds both; an exact ``det == 0`` test (or catching LinAlgError alone)
misses every rounded one, in every job.

Regular and singular systems come in one random order and random numbers per
job, and each list carries a few cases of the other kind (not judged there),
so neither the call count nor the list a call comes from tells a submission
which kind of system it got: only solving (or testing the rank) does. The
kinds stay here (``Hidden.secret``). verify_solution gets right and wrong
solutions in a random order and number too, and one near miss (A @ x off b by
0.05-0.1 in one entry) that a loose tolerance (atol 0.1 or 0.5) takes for right.
"""

import numpy as np
import torch

from curriculum.judges.cases import (
    case_list,
    each_case,
    first_changed,
    labels_for,
    mixed,
    raised_name,
    raised_names,
)
from curriculum.judges.source import binding_calls
from curriculum.judges.values import bool_problem, tensor_problem
from grader.checks.base import Outcome, Verdict


def inputs_example(rng):
    return [(torch.tensor([[2.0, 1.0], [1.0, 3.0]]), torch.tensor([5.0, 7.0]))]


def _system(rng, n):
    if rng.random() < 0.5:  # integer entries, like the singular ones
        a = rng.integers(-5, 6, size=(n, n)).astype(float)
        a += np.diag(np.abs(a).sum(axis=1) + rng.integers(1, 4, size=n)) * rng.choice([-1, 1])
    else:
        a = rng.normal(size=(n, n)) + 1.5 * n * np.eye(n) * rng.choice([-1.0, 1.0])
    b = rng.normal(size=n) * 5
    return torch.from_numpy(a), torch.from_numpy(b)


def _rank_deficient(A):
    return int(torch.linalg.matrix_rank(A)) < A.shape[0]


def _singular(rng, n):
    """An integer matrix with one row doubling, repeating or zeroing another. Rounding in
    the LU can hide the dependency of some draws; those are drawn again (a zero row is
    always found)."""
    for attempt in range(20):
        a = rng.integers(-5, 6, size=(n, n)).astype(float)
        mode = "zero" if attempt == 19 else rng.choice(["double", "zero", "repeat"])
        i, j = (int(v) for v in rng.choice(n, size=2, replace=False))
        a[i] = 0.0 if mode == "zero" else (2.0 if mode == "double" else 1.0) * a[j]
        A, b = torch.from_numpy(a), torch.from_numpy(rng.normal(size=n))
        try:
            torch.linalg.solve(A, b)
        except RuntimeError:
            if _rank_deficient(A):
                return A, b
    raise AssertionError("generated matrix is not detectably singular")


_DECIMALS = [0.1, 0.2, 0.3, 0.6, 0.7, 1.1, 1.3, 2.1, 3.3]


def _rounded_singular(rng, n):
    """A 3×3 … 6×6 matrix of one-decimal entries whose row i is c·(row j) + d·(row k) for
    decimal c, d (transposed half the time: a dependent column). Singular in exact
    arithmetic and by its numerical rank, but kept only when rounding leaves its
    determinant non-zero and torch.linalg.solve returns instead of raising: the case an
    exact test misses. About four draws in five qualify."""
    n = max(n, 3)
    for _ in range(60):
        a = np.round(rng.uniform(-5, 5, size=(n, n)), 1)
        i, j, k = (int(v) for v in rng.choice(n, size=3, replace=False))
        c, d = (float(rng.choice(_DECIMALS)) for _ in range(2))
        a[i] = c * a[j] + d * a[k]
        if rng.random() < 0.5:
            a = a.T.copy()
        A, b = torch.from_numpy(a), torch.from_numpy(rng.normal(size=n))
        if not _rank_deficient(A) or float(torch.linalg.det(A)) == 0.0:
            continue
        try:
            torch.linalg.solve(A, b)
        except RuntimeError:
            continue
        return A, b
    raise AssertionError("no rounded singular matrix drawn")


def _any_singular(rng, n):
    return (_rounded_singular if rng.random() < 0.5 else _singular)(rng, n)


def _size(rng):
    return int(rng.integers(2, 7))


def inputs_random(rng):
    return mixed(rng, {"regular": [_system(rng, _size(rng)) for _ in range(rng.integers(3, 6))],
                       "decoy": [_any_singular(rng, _size(rng))
                                 for _ in range(rng.integers(1, 3))]})


def inputs_singular(rng):
    exact = [_singular(rng, _size(rng)) for _ in range(rng.integers(1, 3))]
    rounded = [_rounded_singular(rng, _size(rng)) for _ in range(rng.integers(1, 3))]
    return mixed(rng, {"singular": exact + rounded,
                       "decoy": [_system(rng, _size(rng)) for _ in range(rng.integers(1, 3))]})


def _right_and_wrong(rng):
    A, b = _system(rng, _size(rng))
    x = torch.linalg.solve(A, b)
    wrong = x.clone()
    wrong[int(rng.integers(0, len(x)))] += float(rng.choice([-1.0, 1.0])) * (0.5 + rng.random())
    return (A, x, b), (A, wrong, b)


def _near_miss(rng):
    """A solution whose A @ x is off b by 0.05-0.1 in one entry only: any sensible
    tolerance (1e-3 or tighter, absolute or relative) rejects it; a loose one (0.1, 0.5)
    does not."""
    A, b = _system(rng, _size(rng))
    off = b.clone()
    off[int(rng.integers(0, len(b)))] += float(rng.choice([-1.0, 1.0])) * rng.uniform(0.05, 0.1)
    return A, torch.linalg.solve(A, off), b


def inputs_verify(rng):
    pairs = [_right_and_wrong(rng) for _ in range(4)]
    right = [p[0] for p in pairs[: int(rng.integers(2, 5))]]
    wrong = [p[1] for p in pairs[4 - int(rng.integers(2, 5)):]]
    return mixed(rng, {"right": right, "wrong": wrong, "near": [_near_miss(rng)]})


def inputs_3x3(rng):
    return [()]


def _close(found, expected, what):
    return tensor_problem(found, expected, what, rtol=1e-5, atol=1e-5)


def judge_example(learner, reference, inputs, ctx):
    verdict = each_case(learner, reference, "solve_linear_system", _close,
                        ["the example from the prompt"])
    if not verdict.ok:
        verdict.message += (" (A = [[2, 1], [1, 3]], b = [5, 7]: x should satisfy A @ x = b — "
                            "see the note in the prompt)")
    return verdict


def _kinds(ctx, check_id, n):
    kinds = ctx.secrets.get(check_id)
    if not isinstance(kinds, list) or len(kinds) != n:
        raise RuntimeError(f"1.3.1 {check_id}: case kinds are missing")
    return kinds


def judge_random(learner, reference, inputs, ctx):
    kinds = _kinds(ctx, "random_systems", len(inputs))
    keep = [i for i, k in enumerate(kinds) if k == "regular"]
    got, ref = case_list(learner, len(inputs)), case_list(reference, len(inputs))
    if got is None or ref is None:
        return Verdict(False, "value", "could not read the results of `solve_linear_system`")
    return each_case(Outcome(value=[got[i] for i in keep]), Outcome(value=[ref[i] for i in keep]),
                     "solve_linear_system", _close, labels_for(len(keep)))


def judge_singular(learner, reference, inputs, ctx):
    kinds = _kinds(ctx, "singular", len(inputs))
    got = case_list(learner, len(inputs))
    if got is None:
        return Verdict(False, "value", "could not read the results of `solve_linear_system`")
    changed = first_changed(got, "solve_linear_system")
    if changed:
        return Verdict(False, "value", changed)
    singular = [case for case, kind in zip(got, kinds, strict=True) if kind == "singular"]
    # a wrong exception first: its fix (raise ValueError) comes before the rank rule
    for i, case in enumerate(singular, start=1):
        names = raised_names(case)
        if names and "ValueError" not in names:
            return Verdict(False, "type", f"hidden singular matrix {i} of {len(singular)}: "
                                          f"`solve_linear_system` raised {raised_name(case)}; "
                                          f"catch torch.linalg.LinAlgError (or test the rank) "
                                          f"and raise ValueError instead")
    for i, case in enumerate(singular, start=1):
        if not raised_names(case):
            return Verdict(False, "value", f"hidden singular matrix {i} of {len(singular)}: "
                                           f"`solve_linear_system` returned a value; it should "
                                           f"raise ValueError when A is singular. Rounding can "
                                           f"leave a singular matrix's determinant tiny but not "
                                           f"0, and then `torch.linalg.solve` returns a "
                                           f"meaningless answer instead of raising: neither an "
                                           f"exact `det == 0` test nor catching LinAlgError "
                                           f"alone finds it. Test "
                                           f"`torch.linalg.matrix_rank(A) < A.shape[0]`, as the "
                                           f"prompt says")
    return Verdict(True, "value")


def judge_verify(learner, reference, inputs, ctx):
    kinds = _kinds(ctx, "verify", len(inputs))
    got = case_list(learner, len(inputs))
    if got is None:
        return Verdict(False, "value", "could not read the results of `verify_solution`")
    changed = first_changed(got, "verify_solution")
    if changed:
        return Verdict(False, "value", changed)
    for i, (case, kind) in enumerate(zip(got, kinds, strict=True), start=1):
        names = raised_names(case)
        if names:
            return Verdict(False, "value", f"`verify_solution(…)` raised {raised_name(case)} on "
                                           f"hidden case {i}: "
                                           f"{str(case.get('message', ''))[:200]}")
        which = {"right": "a correct solution",
                 "wrong": "a wrong solution (one entry off by ≥ 0.5)",
                 "near": "a wrong solution: A @ x is off b by 0.05 to 0.1 in one entry"}[kind]
        bad = bool_problem(case.get("ok"), kind == "right",
                           f"`verify_solution(…)` on hidden case {i} ({which})")
        if bad:
            kind_of, message = bad
            if kind_of == "type":
                message += " (a Python bool or a one-element bool tensor)"
            elif kind == "near":
                message += (" — your tolerance is too loose: A @ x should match b to 1e-3 or "
                            "better (e.g. torch.allclose(A @ x, b, atol=1e-5))")
            return Verdict(False, kind_of, message)
    return Verdict(True, "value")


def judge_3x3(learner, reference, inputs, ctx):
    verdict = each_case(learner, reference, "solve_3x3_system",
                        lambda f, e, w: tensor_problem(f, e, w, rtol=1e-5, atol=1e-5,
                                                       check_dtype=False), ["the 3×3 system"])
    if not verdict.ok:
        return verdict
    calls = binding_calls(ctx, "solve_3x3_system") or set()
    if not calls & {"torch.linalg.solve", "solve_linear_system"}:
        return Verdict(False, "api", "`solve_3x3_system` should set up A and b as tensors and "
                                     "solve them with `torch.linalg.solve()` (or your "
                                     "`solve_linear_system`), not return a hand-computed answer")
    return Verdict(True, "value")
