"""The one tolerance comparison every judge uses.

Python's ordering comparisons are false for NaN, so ``if err > tol: fail``
passes a NaN error, and ``torch.allclose(..., equal_nan=True)`` passes NaN
where NaN was expected by accident. A verdict must never hinge on that, so
every comparison of a measured value (a tensor, a number the sandbox sent
back, an error, an accuracy) goes through this module, where NaN and ±inf
are failures unless the caller explicitly says a non-finite value is the
expected answer (``nonfinite="match"``: the same non-finite value at the same
place, e.g. ``torch.log(0) = -inf`` in a drill that asks for it).

Values coming back from the sandbox are hostile: anything that is not a real
number (``None``, a string, a bool, a complex number, a tensor subclass that
lies) fails the scalar helpers instead of raising.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch

from curriculum.judges.text import fmt_shape

Nonfinite = Literal["fail", "match"]


def as_float(value: object) -> float | None:
    """A real number (Python, NumPy, or a one-element real tensor/array) as a float.

    None for anything else — bools included, since ``True`` is not a measurement.
    The float may be NaN or inf; the helpers below decide what that means.
    """
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.is_complex() or value.dtype == torch.bool:
            return None
        return float(value.detach().reshape(-1)[0].item())
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(-1)[0])
    return None


def finite(value: object) -> bool:
    """A real, finite number."""
    x = as_float(value)
    return x is not None and math.isfinite(x)


def at_most(value: object, bound: float) -> bool:
    """``value <= bound`` for a real finite number; False for NaN, inf or a non-number."""
    x = as_float(value)
    return x is not None and math.isfinite(x) and x <= bound


def at_least(value: object, bound: float) -> bool:
    """``value >= bound`` for a real finite number; False for NaN, inf or a non-number."""
    x = as_float(value)
    return x is not None and math.isfinite(x) and x >= bound


def above(value: object, bound: float) -> bool:
    """``value > bound`` for a real finite number ("changed by more than …")."""
    x = as_float(value)
    return x is not None and math.isfinite(x) and x > bound


def below(value: object, bound: float) -> bool:
    """``value < bound`` for a real finite number."""
    x = as_float(value)
    return x is not None and math.isfinite(x) and x < bound


def _as_tensor(value: object) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, list | tuple):  # nested numbers: a rectangular array or nothing
        if not all(isinstance(v, list | tuple) or as_float(v) is not None
                   for v in value):
            return None
        try:
            return torch.tensor(value, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            return None
    x = as_float(value)
    return None if x is None else torch.tensor(x, dtype=torch.float64)


def _wide(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.complex128) if t.is_complex() else t.to(torch.float64)


def mismatch(found: object, expected: object, *, rtol: float = 1e-5, atol: float = 1e-6,
             nonfinite: Nonfinite = "fail", what: str = "") -> str | None:
    """None when ``found`` is within ``atol + rtol·|expected|`` of ``expected`` everywhere.

    Both may be tensors, arrays or numbers. Otherwise a message that says how
    many values are off, the largest error and the tolerance — never the
    expected values (they may be hidden). Shapes must match exactly. NaN and inf
    in ``found`` fail, unless ``nonfinite="match"`` and ``expected`` holds the
    same non-finite value at the same place.
    """
    prefix = f"{what}: " if what else ""
    f, e = _as_tensor(found), _as_tensor(expected)
    if e is None:
        raise TypeError(f"expected value of type {type(expected).__name__} is not numeric")
    if f is None:
        return f"{prefix}expected a number or tensor; found {type(found).__name__}"
    if tuple(f.shape) != tuple(e.shape):
        return f"{prefix}expected shape {fmt_shape(e.shape)}, found {fmt_shape(f.shape)}"
    if f.numel() == 0:
        return None
    fw, ew = _wide(f), _wide(e)
    f_bad, e_bad = ~torch.isfinite(fw), ~torch.isfinite(ew)
    if nonfinite == "match":
        same = (fw == ew) | (torch.isnan(fw) & torch.isnan(ew))
        wrong_special = (f_bad | e_bad) & ~same
        if bool(wrong_special.any()):
            n = int(wrong_special.sum())
            return (f"{prefix}{n} of {f.numel()} values should be (or are) NaN/inf where the "
                    "other is not")
        keep = ~(f_bad | e_bad)
        fw, ew = fw[keep], ew[keep]
    else:
        if bool(f_bad.any()):
            return f"{prefix}{int(f_bad.sum())} of {f.numel()} values are NaN or inf"
        if bool(e_bad.any()):
            raise ValueError("expected value holds NaN/inf; pass nonfinite='match' if meant")
    if fw.numel() == 0:
        return None
    diff = (fw - ew).abs()
    limit = atol + rtol * ew.abs()
    wrong = diff > limit
    if not bool(wrong.any()):
        return None
    return (f"{prefix}{int(wrong.sum())} of {f.numel()} values are off (max abs error "
            f"{float(diff.max()):.3g}; tolerance atol={atol:g}, rtol={rtol:g})")


def close(found: object, expected: object, *, rtol: float = 1e-5, atol: float = 1e-6,
          nonfinite: Nonfinite = "fail") -> bool:
    """``mismatch(...) is None``: same shape, every value within tolerance, finite."""
    return mismatch(found, expected, rtol=rtol, atol=atol, nonfinite=nonfinite) is None


def same_update(init: object, final: object, expected: object, *, rtol: float = 1e-3,
                atol: float = 1e-4) -> bool:
    """A training run replayed on the trusted side from the weights the run started at:
    the final weights must match, and so must the *update* (final − start). The start
    comes from the learner's process: weights of 1e7 made a relative tolerance wide
    enough to pass a run that never moved (5.2.5), while the update, compared on its
    own scale, still has to be the one the replay made."""
    start, got, want = _as_tensor(init), _as_tensor(final), _as_tensor(expected)
    if start is None or got is None or want is None \
            or not tuple(start.shape) == tuple(got.shape) == tuple(want.shape):
        return False
    if not close(got, want, rtol=rtol, atol=atol):
        return False
    start = _wide(start)
    return close(_wide(got) - start, _wide(want) - start, rtol=rtol, atol=atol)


def max_abs_diff(a: object, b: object) -> float:
    """Largest |a − b| over all elements; inf when shapes differ, a value is not
    numeric, or either side holds NaN/inf (so ``at_most(max_abs_diff(…), tol)``
    can never pass by accident)."""
    ta, tb = _as_tensor(a), _as_tensor(b)
    if ta is None or tb is None or tuple(ta.shape) != tuple(tb.shape):
        return math.inf
    if ta.numel() == 0:
        return 0.0
    wa, wb = _wide(ta), _wide(tb)
    if not (bool(torch.isfinite(wa).all()) and bool(torch.isfinite(wb).all())):
        return math.inf
    return float((wa - wb).abs().max())


def all_finite(value: object) -> bool:
    """Every element of a tensor/array/number is finite (False for non-numeric values)."""
    t = _as_tensor(value)
    if t is None:
        return False
    return t.numel() == 0 or bool(torch.isfinite(_wide(t)).all())


def largest(value: object) -> float:
    """max |value| over a tensor/number; inf when not numeric or not finite."""
    t = _as_tensor(value)
    if t is None:
        return math.inf
    if t.numel() == 0:
        return 0.0
    w = _wide(t)
    if not bool(torch.isfinite(w).all()):
        return math.inf
    return float(w.abs().max())
