"""Tensors and values: is what the learner returned the value that was asked for?

One structural comparison for every kind of result — tensors, NumPy arrays,
numbers, bools, ``None``, and dicts/tuples/lists of them — built on the one
tolerance comparison (:mod:`curriculum.judges.compare`, NaN/inf fail). Each
mismatch comes back as a :data:`Problem`: the aspect at fault (``type``,
``shape``, ``dtype``, ``value``) and a message that says what was expected
and what was found without revealing hidden expected values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from curriculum.judges.compare import Nonfinite, as_float, mismatch
from curriculum.judges.text import dtype_name, fmt_shape, type_name, with_article
from grader.checks.base import Verdict

Problem = tuple[str, str]


def tensor_problem(found: object, expected: torch.Tensor | np.ndarray, what: str, *,
                   rtol: float = 1e-5, atol: float = 1e-6, check_dtype: bool = True,
                   nonfinite: Nonfinite = "fail") -> Problem | None:
    """A tensor result against the expected tensor: type, shape, dtype, then values."""
    want_array = isinstance(expected, np.ndarray)
    if not isinstance(found, np.ndarray if want_array else torch.Tensor):
        want = "a NumPy array" if want_array else "a torch.Tensor"
        return "type", f"{what} should be {want}; found {type_name(found)}"
    if tuple(found.shape) != tuple(expected.shape):
        return "shape", (f"{what}: expected shape {fmt_shape(expected.shape)}, found "
                         f"{fmt_shape(found.shape)}")
    if check_dtype and dtype_name(found) != dtype_name(expected):
        return "dtype", (f"{what}: expected dtype {dtype_name(expected)} (don't hard-code "
                         f"another one), found {dtype_name(found)}")
    exact = not _is_float(expected) and not _is_float(found)
    message = mismatch(found, expected, rtol=0.0 if exact else rtol,
                       atol=0.0 if exact else atol, nonfinite=nonfinite)
    return None if message is None else ("value", f"{what}: {message}")


def _is_float(t: torch.Tensor | np.ndarray) -> bool:
    if isinstance(t, torch.Tensor):
        return t.is_floating_point() or t.is_complex()
    return t.dtype.kind in "fc"


def number_problem(found: object, expected: float, what: str, *, rtol: float = 1e-5,
                   atol: float = 1e-6, nonfinite: Nonfinite = "fail") -> Problem | None:
    """A scalar result (number or one-element tensor) against an expected number."""
    num = as_float(found)
    if num is None:
        return "type", (f"{what} should be a number (or a one-element tensor); found "
                        f"{type_name(found)}")
    message = mismatch(num, float(expected), rtol=rtol, atol=atol, nonfinite=nonfinite)
    return None if message is None else ("value", f"{what} is off: {message}")


def int_problem(found: object, expected: int, what: str) -> Problem | None:
    """An integer (index, count): an int or a one-element integer tensor, exactly equal."""
    if isinstance(found, bool):
        return "type", f"{what} should be an integer; found a bool"
    if isinstance(found, torch.Tensor) and found.numel() == 1 and not found.is_floating_point() \
            and not found.is_complex() and found.dtype != torch.bool:
        found = int(found.reshape(-1)[0].item())
    if isinstance(found, np.integer):
        found = int(found)
    if not isinstance(found, int):
        return "type", (f"{what} should be an integer (an int or a one-element integer "
                        f"tensor); found {type_name(found)}")
    return None if found == expected else ("value", f"{what} is not the right integer")


def bool_problem(found: object, expected: bool, what: str) -> Problem | None:
    """True/False: a Python bool, NumPy bool or one-element bool tensor."""
    if isinstance(found, torch.Tensor) and found.numel() == 1 and found.dtype == torch.bool:
        found = bool(found.reshape(-1)[0].item())
    if not isinstance(found, bool | np.bool_):
        return "type", f"{what} should be True or False; found {type_name(found)}"
    return None if bool(found) == expected else ("value", f"{what} is not the expected boolean")


def problem(found: object, expected: object, what: str, *, rtol: float = 1e-5,
            atol: float = 1e-6, check_dtype: bool = True, nonfinite: Nonfinite = "fail"
            ) -> Problem | None:
    """Compare any result with the expected one, recursing into dicts and sequences."""
    kw = {"rtol": rtol, "atol": atol, "nonfinite": nonfinite}
    if isinstance(expected, torch.Tensor | np.ndarray):
        return tensor_problem(found, expected, what, check_dtype=check_dtype, **kw)
    if isinstance(expected, dict):
        if not isinstance(found, dict):
            return "type", (f"{what} should be a dict with keys {sorted(map(str, expected))}; "
                            f"found {type_name(found)}")
        missing = [k for k in expected if k not in found]
        if missing:
            return "type", f"{what} is missing the key(s) {missing}"
        for key in expected:
            bad = problem(found[key], expected[key], f"{what}[{key!r}]",
                          check_dtype=check_dtype, **kw)
            if bad:
                return bad
        return None
    if isinstance(expected, tuple | list):
        if not isinstance(found, tuple | list):
            return "type", (f"{what} should be {with_article(type(expected).__name__)} of "
                            f"{len(expected)}; "
                            f"found {type_name(found)}")
        if len(found) != len(expected):
            return "shape", f"{what} should have {len(expected)} items; found {len(found)}"
        for i, (g, e) in enumerate(zip(found, expected, strict=True)):
            bad = problem(g, e, f"{what}[{i}]", check_dtype=check_dtype, **kw)
            if bad:
                return bad
        return None
    if isinstance(expected, bool | np.bool_):
        return bool_problem(found, bool(expected), what)
    if isinstance(expected, int | np.integer) and not check_dtype:
        return number_problem(found, float(expected), what, **kw)
    if isinstance(expected, int | float | np.integer | np.floating):
        if isinstance(found, bool) or as_float(found) is None \
                or isinstance(found, torch.Tensor | np.ndarray):
            return "type", f"{what} should be a number; found {type_name(found)}"
        if isinstance(expected, float) and not math.isfinite(expected) and nonfinite == "fail":
            raise ValueError(f"{what}: the expected number is not finite")
        return number_problem(found, float(expected), what, **kw)
    if expected is None:
        return None if found is None else ("value", f"{what} should be None; found "
                                                    f"{type_name(found)}")
    return None if found == expected else ("value", f"{what} is not what was expected")


ANSWER_FORMS = {
    "shape": "a tuple of ints, e.g. (2, 3) (a torch.Size is fine too)",
    "bool": "True or False (a Python bool)",
    "int": "a Python int",
}


def _is_int(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def answer(learner: Any, reference: Any, inputs: Any, ctx: Any, *, name: str, form: str
           ) -> Verdict:
    """A quiz answer bound to ``name``: of the stated form (shape / bool / int) and equal to
    what the reference computes with PyTorch. The message never gives the answer."""
    data = learner.value if isinstance(learner.value, dict) else {}
    got, exp = data.get(name), reference.value[name]
    if form == "shape":
        ok_type = isinstance(got, tuple | list) and all(_is_int(v) for v in got)
    elif form == "bool":
        ok_type = isinstance(got, bool | np.bool_)
    else:
        ok_type = _is_int(got)
    if not ok_type:
        return Verdict(False, "type", f"`{name}` should be {ANSWER_FORMS[form]}; found "
                                      f"{type_name(got)}")
    value = tuple(int(v) for v in got) if form == "shape" else got
    if value != exp:
        return Verdict(False, "value", f"`{name}` is not the right answer — try it in a Python "
                                       f"shell and check the broadcasting rules")
    return Verdict(True, "value")
