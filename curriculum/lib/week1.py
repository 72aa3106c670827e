"""Trusted helpers for week 1's checks modules (indexing drills, quizzes, problems).

Everything here runs in the judge's process. Probe *code* is produced as
self-contained strings (stdlib/torch only) that return data; expected values
are computed here, from the learner's own data where the contract says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from grader.checks.base import Verdict

# ---------------------------------------------------------------------------
# Exercise 1.2: indexing drills. (description, expression) per variant; the
# expression is evaluated here on the learner's own base tensor(s).
# ---------------------------------------------------------------------------

BASES = {"x": (4, 5, 6), "x6": (6, 5, 6)}

INDEXING: dict[str, dict[str, Any]] = {
    "1.2.1": {
        "set": 1, "title": "Single element access", "template": "elem", "bases": ["x"],
        "variants": [
            ("element at position [0, 1, 2]", "x[0, 1, 2]"),
            ("element at position [1, 0, 3]", "x[1, 0, 3]"),
            ("element at position [2, 2, 1]", "x[2, 2, 1]"),
            ("element at position [3, 4, 5] (last valid indices)", "x[3, 4, 5]"),
            ("first element [0, 0, 0]", "x[0, 0, 0]"),
            ("last element [-1, -1, -1] (all negative)", "x[-1, -1, -1]"),
            ("element with mixed indices [-1, 0, 0]", "x[-1, 0, 0]"),
            ("element with negative in middle dimension [0, -1, 0]", "x[0, -1, 0]"),
            ("element with negative in last dimension [0, 0, -1]", "x[0, 0, -1]"),
            ("element at position [1, 2, 3]", "x[1, 2, 3]"),
            ("element at position [2, 1, 4]", "x[2, 1, 4]"),
            ("element at position [0, 3, 2]", "x[0, 3, 2]"),
            ("element at position [3, 1, 1]", "x[3, 1, 1]"),
            ("element at position [1, 4, 0]", "x[1, 4, 0]"),
            ("element at position [2, 3, 5]", "x[2, 3, 5]"),
        ],
    },
    "1.2.2": {
        "set": 2, "title": "First dimension slicing", "template": "slice", "bases": ["x", "x6"],
        "variants": [
            ("first page [0]", "x[0]"),
            ("second page [1]", "x[1]"),
            ("third page [2]", "x[2]"),
            ("fourth page [3]", "x[3]"),
            ("last page [-1] (negative indexing)", "x[-1]"),
            ("second from last page [-2] (errata: the seed says 'third from last')", "x[-2]"),
            ("third from last page [-3] (errata: the seed says 'second from last')", "x[-3]"),
            ("first page using negative [-4]", "x[-4]"),
            ("from the 6-page tensor `x6`, first page [0]", "x6[0]"),
            ("from `x6`, last page [5]", "x6[5]"),
            ("from `x6`, last page [-1]", "x6[-1]"),
            ("from `x6`, middle page [2] (of 6 pages, 2 and 3 are both middle)", "x6[2]"),
            ("from `x6`, page [3]", "x6[3]"),
            ("from `x6`, page [4]", "x6[4]"),
            ("from `x6`, page [1]", "x6[1]"),
        ],
    },
    "1.2.3": {
        "set": 3, "title": "Range slicing", "template": "range", "bases": ["x"],
        "variants": [
            ("first 2 pages [0:2]", "x[0:2]"),
            ("middle 2 pages [1:3]", "x[1:3]"),
            ("last 2 pages [2:4]", "x[2:4]"),
            ("first 2 pages with implicit start [:2]", "x[:2]"),
            ("last 2 pages with implicit end [2:]", "x[2:]"),
            ("all pages [:]", "x[:]"),
            ("all pages explicit [0:4]", "x[0:4]"),
            ("skip first page [1:4]", "x[1:4]"),
            ("skip last page [0:3]", "x[0:3]"),
            ("1 page as a range [0:1]", "x[0:1]"),
            ("last page as a range [3:4]", "x[3:4]"),
            ("last 2 pages using negative [-2:]", "x[-2:]"),
            ("all except last page [:-1]", "x[:-1]"),
            ("range with negative indices [-3:-1]", "x[-3:-1]"),
            ("remove first and last page [1:-1]", "x[1:-1]"),
        ],
    },
    "1.2.4": {
        "set": 4, "title": "All dimensions slicing", "template": "all", "bases": ["x"],
        "variants": [
            ("first page, all rows, all columns [0, :, :]", "x[0, :, :]"),
            ("second page, all rows, all columns [1, :, :]", "x[1, :, :]"),
            ("all pages, first row, all columns [:, 0, :]", "x[:, 0, :]"),
            ("all pages, second row, all columns [:, 1, :]", "x[:, 1, :]"),
            ("all pages, all rows, first column [:, :, 0]", "x[:, :, 0]"),
            ("all pages, all rows, second column [:, :, 1]", "x[:, :, 1]"),
            ("last page, all rows, all columns [-1, :, :]", "x[-1, :, :]"),
            ("all pages, last row, all columns [:, -1, :]", "x[:, -1, :]"),
            ("all pages, all rows, last column [:, :, -1]", "x[:, :, -1]"),
            ("first page, first row, all columns [0, 0, :]", "x[0, 0, :]"),
            ("first page, all rows, first column [0, :, 0]", "x[0, :, 0]"),
            ("all pages, first row, first column [:, 0, 0]", "x[:, 0, 0]"),
            ("middle page, all rows, all columns [2, :, :] (of 4 pages, 1 and 2 are both middle)",
             "x[2, :, :]"),
            ("all pages, middle row, all columns [:, 2, :]", "x[:, 2, :]"),
            ("all pages, all rows, middle column [:, :, 3] (of 6 columns, 2 and 3 are both middle)",
             "x[:, :, 3]"),
        ],
    },
    "1.2.5": {
        "set": 5, "title": "Step slicing", "template": "step", "bases": ["x"],
        "variants": [
            ("every second page [::2]", "x[::2]"),
            ("every page (step 1) [::1]", "x[::1]"),
            ("every second row [:, ::2]", "x[:, ::2]"),
            ("every row (step 1) [:, ::1]", "x[:, ::1]"),
            ("every second column [:, :, ::2]", "x[:, :, ::2]"),
            ("every column (step 1) [:, :, ::1]", "x[:, :, ::1]"),
            ("every second page starting from index 1 [1::2]", "x[1::2]"),
            ("every second row starting from index 1 [:, 1::2]", "x[:, 1::2]"),
            ("every second column starting from index 1 [:, :, 1::2]", "x[:, :, 1::2]"),
            ("every third page [::3]", "x[::3]"),
            ("every third row [:, ::3]", "x[:, ::3]"),
            ("every third column [:, :, ::3]", "x[:, :, ::3]"),
            ("pages 0, 2 with explicit range [0:4:2]", "x[0:4:2]"),
            ("rows 0, 2, 4 [:, 0:5:2]", "x[:, 0:5:2]"),
            ("columns 0, 2, 4 [:, :, 0:6:2]", "x[:, :, 0:6:2]"),
        ],
    },
    "1.2.6": {
        "set": 6, "title": "Negative indexing", "template": "neg", "bases": ["x"],
        "variants": [
            ("last page [-1]", "x[-1]"),
            ("second from last page [-2]", "x[-2]"),
            ("last row of all pages [:, -1]", "x[:, -1]"),
            ("second from last row [:, -2]", "x[:, -2]"),
            ("last column of all pages [:, :, -1]", "x[:, :, -1]"),
            ("second from last column [:, :, -2]", "x[:, :, -2]"),
            ("last page, last row [-1, -1]", "x[-1, -1]"),
            ("last page, all rows, last column [-1, :, -1]", "x[-1, :, -1]"),
            ("all pages, last row, last column [:, -1, -1]", "x[:, -1, -1]"),
            ("last element [-1, -1, -1]", "x[-1, -1, -1]"),
            ("second from last element in each dimension [-2, -2, -2]", "x[-2, -2, -2]"),
            ("first page, last row, all columns [0, -1, :]", "x[0, -1, :]"),
            ("last page, first row, all columns [-1, 0, :]", "x[-1, 0, :]"),
            ("all pages, first row, last column [:, 0, -1]", "x[:, 0, -1]"),
            ("mixed positive/negative indices [1, -2, 3]", "x[1, -2, 3]"),
        ],
    },
    # The seed's `indexing_quiz.py` deliverable: questions answered without looking.
    "1.2.7": {
        "set": 7, "title": "Indexing quiz", "template": "q", "bases": ["x"],
        "variants": [
            ("the single element on page 2, row 3, column 4", "x[2, 3, 4]"),
            ("the whole last page, using a negative index", "x[-1]"),
            ("the first two rows of every page", "x[:, :2]"),
            ("every second column of every page", "x[:, :, ::2]"),
            ("the last column of the first page (all its rows)", "x[0, :, -1]"),
            ("pages 1 and 2 as one slice (keep the page dimension)", "x[1:3]"),
            ("the 2×2 top-left corner of the last page", "x[-1, :2, :2]"),
            ("the second-to-last row of every page, every third column", "x[:, -2, ::3]"),
        ],
    },
}


def _fmt_shape(shape: tuple[int, ...] | list[int]) -> str:
    shape = tuple(shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _type_name(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return "a torch.Tensor"
    if isinstance(value, np.ndarray):
        return "a NumPy array"
    return "a " + getattr(value, "type_name", type(value).__name__)


def value_probe(names: list[str], required: str | None = None) -> str:
    """Probe code returning ``{name: value or None}``; a missing ``required`` is a NameError."""
    return (
        "def probe(ns, inputs):\n"
        f"    names = {list(names)!r}\n"
        f"    required = {required!r}\n"
        "    if required is not None and required not in ns:\n"
        "        raise NameError(\"name '%s' is not defined\" % required)\n"
        "    return {n: ns.get(n) for n in names}\n"
    )


def binding_calls(ctx, name: str) -> set[str] | None:
    """Calls made in the last statement binding ``name`` (None: no such statement)."""
    bindings = ctx.source.calls_by_name.get(name)
    if not bindings:
        return None
    return bindings[-1]


def check_pure_indexing(ctx, name: str, expr: str) -> Verdict | None:
    """The drill asks for indexing syntax: ``name = x[...]`` with no calls in it."""
    calls = binding_calls(ctx, name)
    if calls is None:
        return Verdict(False, "api", f"couldn't find a statement `{name} = …` in your code; "
                                     f"write it as one assignment, `{name} = {expr}`")
    if calls:
        dotted = {c for c in calls if not c.startswith(".")}
        covered = {"." + c.rsplit(".", 1)[-1] for c in dotted if "." in c}
        methods = {c for c in calls if c.startswith(".") and c not in covered}
        shown = ", ".join(sorted(f"`{c}()`" for c in dotted | methods))
        return Verdict(False, "api", f"`{name}` must be written with indexing syntax only "
                                     f"(like `{name} = {expr}`), no function or method calls; "
                                     f"found {shown}")
    return None


def _base_problem(bases: dict, base_names: list[str]) -> str | None:
    for b in base_names:
        val = bases.get(b)
        want = BASES[b]
        if not isinstance(val, torch.Tensor):
            return (f"it is compared with your own base tensor `{b}`, which should be a "
                    f"torch.Tensor of shape {_fmt_shape(want)}; found {_type_name(val)}")
        if tuple(val.shape) != want:
            return (f"it is compared with your own base tensor `{b}`, which should have shape "
                    f"{_fmt_shape(want)}; found {_fmt_shape(tuple(val.shape))}")
    return None


def make_indexing_judge(name: str, expr: str, all_bases: list[str]) -> Callable:
    base_names = [b for b in all_bases if re.search(rf"\b{b}\[", expr)]

    def judge(learner, reference, inputs, ctx) -> Verdict:
        data = learner.value
        if not isinstance(data, dict):
            return Verdict(False, "value", "could not read your values")
        bases = {b: data.get(b) for b in base_names}
        problem = _base_problem(bases, base_names)
        if problem:
            return Verdict(False, "value", f"can't check `{name}`: {problem}")
        value = data.get(name)
        if not isinstance(value, torch.Tensor):
            return Verdict(False, "type", f"`{name}` should be a torch.Tensor (indexing a tensor "
                                          f"gives a tensor — a 0-d one for a single element; "
                                          f"don't call .item() or .tolist()); found "
                                          f"{_type_name(value)}")
        expected = eval(expr, {}, dict(bases))  # trusted expression from INDEXING
        if tuple(value.shape) != tuple(expected.shape):
            return Verdict(False, "shape", f"`{name}` should be `{expr}`, of shape "
                                           f"{_fmt_shape(tuple(expected.shape))}; found "
                                           f"{_fmt_shape(tuple(value.shape))}")
        if value.dtype != expected.dtype:
            return Verdict(False, "dtype", f"`{name}` should keep the base tensor's dtype "
                                           f"{str(expected.dtype).replace('torch.', '')}; found "
                                           f"{str(value.dtype).replace('torch.', '')}")
        if not torch.equal(value, expected):
            wrong = int((value != expected).sum().item())
            return Verdict(False, "value", f"`{name}` has the right shape but {wrong} of "
                                           f"{value.numel()} values are not those of `{expr}` "
                                           f"taken from your own `{base_names[0]}`")
        bad = check_pure_indexing(ctx, name, expr)
        if bad:
            return bad
        return Verdict(True, "value")

    return judge


def variant_name(exercise_id: str, k: int) -> str:
    """``elem_3`` for drill variants; quiz answers are ``q1``, ``q2``, …"""
    template = INDEXING[exercise_id]["template"]
    return f"q{k}" if template == "q" else f"{template}_{k}"


def indexing_module(exercise_id: str) -> dict[str, Any]:
    """PROBE_<name> strings and judge_<name> functions for every variant of an exercise."""
    spec = INDEXING[exercise_id]
    out: dict[str, Any] = {}
    for k, (_desc, expr) in enumerate(spec["variants"], start=1):
        name = variant_name(exercise_id, k)
        out[f"PROBE_{name}"] = value_probe([*spec["bases"], name], required=name)
        out[f"judge_{name}"] = make_indexing_judge(name, expr, spec["bases"])
    return out


# ---------------------------------------------------------------------------
# Shared comparisons for the problems
# ---------------------------------------------------------------------------


def tensor_mismatch(found: object, expected: torch.Tensor, what: str, *, rtol: float = 1e-4,
                    atol: float = 1e-4, check_dtype: bool = True) -> str | None:
    """None when ``found`` matches ``expected``; else a message without the expected values."""
    if not isinstance(found, torch.Tensor):
        return f"{what} should be a torch.Tensor; found {_type_name(found)}"
    if tuple(found.shape) != tuple(expected.shape):
        return (f"{what} should have shape {_fmt_shape(tuple(expected.shape))}; found "
                f"{_fmt_shape(tuple(found.shape))}")
    if check_dtype and found.dtype != expected.dtype:
        return (f"{what} should have dtype {str(expected.dtype).replace('torch.', '')} (the "
                f"inputs' dtype — don't hard-code another one); found "
                f"{str(found.dtype).replace('torch.', '')}")
    if found.is_complex() or not (found.is_floating_point() or found.dtype == expected.dtype):
        return f"{what} should hold real floating-point values; found dtype {found.dtype}"
    f = found.to(torch.float64)
    e = expected.to(torch.float64)
    if torch.allclose(f, e, rtol=rtol, atol=atol, equal_nan=True):
        return None
    diff = (f - e).abs()
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
    wrong = int((diff > atol + rtol * e.abs()).sum().item())
    return (f"{what}: {wrong} of {f.numel()} values are off (max abs error "
            f"{diff.max().item():.3g}; tolerance atol={atol:g}, rtol={rtol:g})")


def as_number(value: object) -> float | None:
    """A Python number or a one-element tensor/array as float; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        return float(value.reshape(-1)[0].item())
    if isinstance(value, np.ndarray) and value.size == 1:
        return float(value.reshape(-1)[0])
    if isinstance(value, np.generic):
        return float(value)
    return None


def number_mismatch(found: object, expected: float, what: str, *, rtol: float = 1e-4,
                    atol: float = 1e-4) -> str | None:
    num = as_number(found)
    if num is None:
        return f"{what} should be a number (or a one-element tensor); found {_type_name(found)}"
    if math.isnan(expected) and math.isnan(num):
        return None
    if abs(num - expected) <= atol + rtol * abs(expected):
        return None
    return f"{what} is off (abs error {abs(num - expected):.3g}; tolerance atol={atol:g}, " \
           f"rtol={rtol:g})"


def int_mismatch(found: object, expected: int, what: str) -> str | None:
    if isinstance(found, bool):
        return f"{what} should be an integer index; found a bool"
    if isinstance(found, torch.Tensor) and found.numel() == 1 and not found.is_floating_point():
        found = int(found.reshape(-1)[0].item())
    if isinstance(found, np.integer):
        found = int(found)
    if not isinstance(found, int):
        return f"{what} should be an integer index (int or a one-element integer tensor); " \
               f"found {_type_name(found)}"
    if found != expected:
        return f"{what} is not the right index"
    return None


def first_problem(problems: list[str | None], total: int, label: str) -> Verdict:
    """A verdict over several cases: the first failure, with how many failed."""
    bad = [p for p in problems if p]
    if not bad:
        return Verdict(True, "value")
    if total == 1:
        return Verdict(False, kind_of(bad[0]), bad[0])
    return Verdict(False, kind_of(bad[0]),
                   f"{len(bad)} of {total} {label} wrong — first: {bad[0]}")


def kind_of(message: str) -> str:
    """The aspect a comparison message is about (shape, dtype, type, value)."""
    if "should have shape" in message:
        return "shape"
    if "should have dtype" in message:
        return "dtype"
    if "should be a torch.Tensor" in message or "should be a number" in message \
            or "should be an integer" in message or "should be a dict" in message \
            or "should be True or False" in message:
        return "type"
    return "value"


# ---------------------------------------------------------------------------
# Function-calling probes for the problems (Exercise 1.3)
# ---------------------------------------------------------------------------


def calls_probe(fn_name: str) -> str:
    """Probe code calling ``fn_name(*args)`` for every ``args`` tuple in the inputs.

    Each case gives ``{"ok": result}`` or ``{"raised": [exception MRO names], "message"}``.
    Arguments are deep-copied first, so a function that modifies its inputs in
    place cannot change the next case.
    """
    return (
        "def probe(ns, inputs):\n"
        "    import copy\n"
        f"    name = {fn_name!r}\n"
        "    fn = ns.get(name)\n"
        "    if fn is None:\n"
        "        raise NameError(\"name '%s' is not defined\" % name)\n"
        "    if not callable(fn):\n"
        "        raise TypeError('%s should be a function; found %s' % (name, type(fn).__name__))\n"
        "    out = []\n"
        "    for args in inputs:\n"
        "        args = copy.deepcopy(args)\n"
        "        try:\n"
        "            out.append({'ok': fn(*args)})\n"
        "        except Exception as exc:\n"
        "            out.append({'raised': [c.__name__ for c in type(exc).__mro__],\n"
        "                        'message': str(exc)[:300]})\n"
        "    return out\n"
    )


def _cases(outcome, n: int) -> list[dict] | None:
    value = outcome.value
    if not isinstance(value, list) or len(value) != n:
        return None
    if not all(isinstance(v, dict) and ("ok" in v or "raised" in v) for v in value):
        return None
    return value


def judge_cases(learner, reference, inputs, fn_name: str,
                compare: Callable[[object, object, str], str | None],
                label: str = "hidden inputs") -> Verdict:
    """Compares the learner's result with the reference's on every case.

    ``compare(found, expected, what)`` returns None or a message; messages name
    the case by number only (hidden inputs and expected values stay here).
    """
    n = len(inputs)
    got, ref = _cases(learner, n), _cases(reference, n)
    if ref is None:
        raise RuntimeError(f"reference probe for {fn_name} returned malformed data")
    if got is None:
        return Verdict(False, "value", f"could not read the results of `{fn_name}`")
    problems: list[str | None] = []
    for i, (g, r) in enumerate(zip(got, ref, strict=True), start=1):
        where = f"`{fn_name}(…)` on case {i}" if n > 1 else f"`{fn_name}(…)`"
        if "raised" in r:
            raise RuntimeError(f"reference {fn_name} raised on case {i}: {r.get('message')}")
        if "raised" in g:
            problems.append(f"{where} raised {g['raised'][0]}: {g.get('message', '')[:200]}")
            continue
        problems.append(compare(g["ok"], r["ok"], where))
    return first_problem(problems, n, f"{label} give results that are")


def raised_names(case: dict) -> list[str]:
    names = case.get("raised") if isinstance(case, dict) else None
    return [str(n) for n in names] if isinstance(names, list) else []
