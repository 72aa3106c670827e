"""``tensor`` checks: a module-level name bound to a tensor or NumPy array.

Order of judgement mirrors how a learner debugs: is the name there, is it a
tensor at all, then shape, dtype, values, and finally which API built it.
Random drills (rand/randn/empty) have no fixed values; they are judged on
what a correct call guarantees — range, spread, statistics at ~6σ — so a
constant or a hand-written tensor fails while a true sample never does.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from curriculum.judges.compare import above, all_finite, at_least, at_most, below, mismatch
from curriculum.judges.shapes import normal_sample_problem
from curriculum.judges.text import dtype_name, fmt_shape, type_name
from curriculum.schema import TensorCheck
from grader.checks.api import check_api
from grader.checks.base import CheckContext, Outcome, Verdict

UNIFORM_STD = 1 / math.sqrt(12)


def _as_float64(value: torch.Tensor | np.ndarray) -> torch.Tensor:
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(np.asarray(value))
    if value.is_complex():
        return value.to(torch.complex128)
    return value.to(torch.float64)


def _compare_close(found: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float
                   ) -> str | None:
    # a drill whose answer is NaN/inf (torch.log(0), 1/0) expects exactly that value there
    return mismatch(found, expected, rtol=rtol, atol=atol, nonfinite="match")


def _compare_exact(found: torch.Tensor, expected: torch.Tensor) -> str | None:
    f, e = _as_float64(found), _as_float64(expected)
    same = (f == e) | (torch.isnan(f) & torch.isnan(e))
    if bool(same.all()):
        return None
    wrong = int((~same).sum().item())
    if not bool(torch.isfinite(f[~same]).all()):
        return f"{wrong} of {f.numel()} values differ from what the drill asks for (NaN or inf)"
    return f"{wrong} of {f.numel()} values differ from what the drill asks for"


def _check_uniform(t: torch.Tensor) -> str | None:
    x = _as_float64(t).flatten()
    n = x.numel()
    if not all_finite(x):
        return "values must be finite samples from U[0, 1)"
    if not (at_least(float(x.min()), 0.0) and below(float(x.max()), 1.0)):
        return "torch.rand samples lie in [0, 1); some values fall outside"
    if n >= 2 and bool((x == x[0]).all()):
        return "all values are equal; expected independent random samples"
    if n >= 30:
        mean, std = x.mean().item(), x.std().item()
        near = at_most(abs(mean - 0.5), 6 * UNIFORM_STD / math.sqrt(n))
        if not (near and above(std, 0.5 * UNIFORM_STD) and below(std, 1.5 * UNIFORM_STD)):
            return (f"sample mean {mean:.3f} / std {std:.3f} are far from U[0, 1)'s "
                    f"0.5 / {UNIFORM_STD:.3f}")
    return None


def _check_normal(t: torch.Tensor) -> str | None:
    x = _as_float64(t).flatten()
    n = x.numel()
    if not all_finite(x):
        return "values must be finite samples from N(0, 1)"
    if n >= 2 and bool((x == x[0]).all()):
        return "all values are equal; expected independent random samples"
    if n >= 12 and at_least(float(x.min()), 0.0) and below(float(x.max()), 1.0):
        return "every value lies in [0, 1) — that looks like torch.rand, not a standard normal"
    # a shifted mean, a scaled spread, all of one sign (calibrated: an honest draw of any
    # size fails with chance below 1e-9; the sample-std bounds used before failed one
    # 30-value draw in 50,000)
    unlike = normal_sample_problem(x)
    if unlike:
        return unlike
    if n >= 30:
        # N(0, 1) is symmetric: about half the samples are negative (binomial,
        # within 6 standard deviations). One-sided samples — randn().abs(),
        # ** 2, relu — can keep a mean and std that pass the test above.
        negative = int((x < 0).sum())
        if not at_most(abs(negative - n / 2), 6 * math.sqrt(n) / 2):
            return (f"{negative} of {n} values are negative; samples of N(0, 1) are negative "
                    "about half the time")
    return None


class TensorJudge:
    def probes(self, check: TensorCheck, ctx: CheckContext) -> list[dict]:
        return [{"id": check.id, "op": "get", "name": check.name}]

    def judge(self, check: TensorCheck, learner: dict[str, Outcome],
              reference: dict[str, Outcome], ctx: CheckContext) -> Verdict:
        got, ref = learner[check.id], reference[check.id]
        if ref.error is not None:  # a broken reference is our bug, never the learner's
            raise RuntimeError(f"reference for {check.id} failed: {ref.describe_error()}")
        if got.missing_name is not None:
            return Verdict(False, "name", f"`{check.name}` is not defined; bind it at module level")
        if got.error is not None:
            return Verdict(False, "value", f"reading `{check.name}` failed: {got.describe_error()}")
        value, expected = got.value, ref.value
        want_tensor = check.container == "tensor"
        is_ok_type = isinstance(value, torch.Tensor if want_tensor else np.ndarray)
        if not is_ok_type:
            want = "a torch.Tensor" if want_tensor else "a NumPy array (call .numpy())"
            found = type_name(value)
            return Verdict(False, "type", f"`{check.name}` should be {want}; found {found}")
        if want_tensor and value.meta.cls not in ("Tensor", "Parameter"):
            return Verdict(False, "type", f"`{check.name}` should be a plain torch.Tensor; "
                                          f"found {type_name(value)}")
        shape = tuple(check.shape) if check.shape is not None else tuple(expected.shape)
        if tuple(value.shape) != shape:
            return Verdict(False, "shape", f"expected shape {fmt_shape(shape)}, "
                                           f"found {fmt_shape(tuple(value.shape))}")
        dtype = check.dtype or dtype_name(expected)
        if dtype_name(value) != dtype:
            return Verdict(False, "dtype", f"expected dtype {dtype}, found {dtype_name(value)}")
        problem = None
        if check.value == "exact":
            problem = _compare_exact(value, expected)
        elif check.value == "close":
            problem = _compare_close(value, expected, check.rtol, check.atol)
        elif check.value == "uniform":
            problem = _check_uniform(value)
        elif check.value == "normal":
            problem = _check_normal(value)
        if problem:
            return Verdict(False, "value", problem)
        ok, message = check_api(ctx.source, check.name, check.api, check.forbid)
        if not ok:
            return Verdict(False, "api", message)
        primary = "value" if check.value != "unchecked" else "shape"
        return Verdict(True, primary)
