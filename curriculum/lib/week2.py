"""Trusted helpers for the week 2 checks modules (shapes, broadcasting, data processing).

Everything here runs in the judge's process only. Probes are built as code
*strings* (self-contained: stdlib + torch only) that return the learner's
data; expected values are computed here, from the learner's own base tensors
(drills) or from the reference solution's outputs on hidden inputs (problems).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from grader.checks.base import Verdict

# --------------------------------------------------------------------------
# small formatting helpers
# --------------------------------------------------------------------------


def fmt_shape(shape: Sequence[int]) -> str:
    shape = tuple(int(s) for s in shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def type_name(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return "a torch.Tensor"
    if isinstance(value, np.ndarray):
        return "a NumPy array"
    if value is None:
        return "None"
    return f"a {getattr(value, 'type_name', type(value).__name__)}"


def dtype_name(t: torch.Tensor) -> str:
    return str(t.dtype).replace("torch.", "")


# --------------------------------------------------------------------------
# API on the learner's source (read from ctx.source, an api.SourceIndex)
# --------------------------------------------------------------------------


def _pretty(entries: Sequence[str]) -> str:
    return " and ".join(f"`x{e}()`" if e.startswith(".") else f"`{e}()`" for e in entries)


def api_problem(ctx, name: str, required: Sequence[str] = (), forbidden: Sequence[str] = ()
                ) -> str | None:
    """Message when the last statement binding ``name`` lacks/uses the given calls."""
    if not required and not forbidden:
        return None
    bindings = ctx.source.calls_by_name.get(name)
    if not bindings:
        return (f"couldn't find a statement `{name} = …` in your code; write it as an "
                f"assignment using {_pretty(required) if required else 'the requested API'}")
    calls = bindings[-1]
    missing = [r for r in required if r not in calls]
    if missing:
        return f"`{name}` must be built with {_pretty(missing)} in its own assignment"
    used = [f for f in forbidden if f in calls]
    if used:
        about = f" — this drill is about {_pretty(required)}" if required else ""
        return f"`{name}` must not use {_pretty(used)} here{about}"
    return None


def calls_in(ctx, name: str) -> set[str]:
    """Every call made in the statements (or def) binding ``name``."""
    found: set[str] = set()
    for calls in ctx.source.calls_by_name.get(name, []):
        found |= calls
    return found


# --------------------------------------------------------------------------
# Probes
# --------------------------------------------------------------------------

_PROBE_NAMES = '''
def probe(ns, inputs):
    out = {}
    for name in NAMES:
        if name not in ns:
            raise NameError("name '%s' is not defined" % name)
        out[name] = ns[name]
    return out
'''


def names_probe(names: Sequence[str]) -> str:
    """Probe code returning ``{name: ns[name]}`` (NameError for a missing one)."""
    return f"NAMES = {list(names)!r}\n" + _PROBE_NAMES


_PROBE_CALLS = '''
def probe(ns, inputs):
    if FUNC not in ns:
        raise NameError("name '%s' is not defined" % FUNC)
    fn = ns[FUNC]
    if not callable(fn):
        raise TypeError("%s is not a function" % FUNC)
    out = []
    for args, kwargs in inputs:
        try:
            out.append({"ok": fn(*args, **kwargs)})
        except Exception as exc:
            out.append({"raised": type(exc).__name__, "message": str(exc)[:300]})
    return out
'''


def calls_probe(func: str) -> str:
    """Probe code calling ``func(*args, **kwargs)`` on each hidden case."""
    return f"FUNC = {func!r}\n" + _PROBE_CALLS


# --------------------------------------------------------------------------
# Comparing structured outputs (tensors, tuples, dicts, numbers)
# --------------------------------------------------------------------------


def compare(got: object, exp: object, what: str, rtol: float = 1e-5, atol: float = 1e-6,
            check_dtype: bool = True) -> tuple[str, str] | None:
    """None when ``got`` matches ``exp``; else (kind, message) revealing no values."""
    if isinstance(exp, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return "type", f"{what} should be a torch.Tensor; found {type_name(got)}"
        if tuple(got.shape) != tuple(exp.shape):
            return "shape", (f"{what}: expected shape {fmt_shape(exp.shape)}, "
                             f"found {fmt_shape(got.shape)}")
        if check_dtype and got.dtype != exp.dtype:
            return "dtype", f"{what}: expected dtype {dtype_name(exp)}, found {dtype_name(got)}"
        if got.numel() == 0:
            return None
        if exp.is_floating_point() or got.is_floating_point():
            g, e = got.double(), exp.double()
            if torch.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
                return None
            diff = (g - e).abs()
            diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
            wrong = int((diff > atol + rtol * e.abs()).sum())
            return "value", (f"{what}: {wrong} of {e.numel()} values are off (max abs error "
                             f"{diff.max().item():.3g}; tolerance atol={atol:g}, rtol={rtol:g})")
        if torch.equal(got.to(exp.dtype), exp):
            return None
        wrong = int((got.to(exp.dtype) != exp).sum())
        return "value", f"{what}: {wrong} of {exp.numel()} values differ from the expected ones"
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            return "type", (f"{what} should be a dict with keys {sorted(exp)}; "
                            f"found {type_name(got)}")
        missing = [k for k in exp if k not in got]
        if missing:
            return "type", f"{what} is missing the key(s) {missing}"
        for k in exp:
            problem = compare(got[k], exp[k], f"{what}[{k!r}]", rtol, atol, check_dtype)
            if problem:
                return problem
        return None
    if isinstance(exp, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return "type", (f"{what} should be a {type(exp).__name__} of {len(exp)}; "
                            f"found {type_name(got)}")
        if len(got) != len(exp):
            return "shape", f"{what} should have {len(exp)} items; found {len(got)}"
        for i, (g, e) in enumerate(zip(got, exp, strict=True)):
            problem = compare(g, e, f"{what}[{i}]", rtol, atol, check_dtype)
            if problem:
                return problem
        return None
    if isinstance(exp, bool):
        if not isinstance(got, (bool, np.bool_)):
            return "type", f"{what} should be a bool (True/False); found {type_name(got)}"
        return None if bool(got) == exp else ("value", f"{what} is not the expected boolean")
    if isinstance(exp, (int, float)):
        if isinstance(got, bool) or not isinstance(got, (int, float, np.number)):
            return "type", f"{what} should be a number; found {type_name(got)}"
        if math.isclose(float(got), float(exp), rel_tol=rtol, abs_tol=atol):
            return None
        return "value", f"{what} is not the expected number"
    if exp is None:
        return None if got is None else ("value", f"{what} should be None; found {type_name(got)}")
    return None if got == exp else ("value", f"{what} is not what was expected")


def case_labels(n_examples: int, n_total: int) -> list[str]:
    """"the seed's example" for the first cases, then "hidden input #k"."""
    return [("the seed's example" if i < n_examples else f"hidden input #{i - n_examples + 1}")
            for i in range(n_total)]


def judge_cases(learner, reference, labels: Sequence[str], func: str, rtol: float = 1e-5,
                atol: float = 1e-6, check_dtype: bool = True,
                extra: Callable[[int, object, object], tuple[str, str] | None] | None = None
                ) -> Verdict:
    """Compare a calls_probe's per-case results of learner and reference."""
    got, exp = learner.value, reference.value
    if not isinstance(got, list) or len(got) != len(exp):
        return Verdict(False, "value", f"`{func}` could not be probed")
    for i, (g, e) in enumerate(zip(got, exp, strict=True)):
        where = f"`{func}` on {labels[i]}"
        if "raised" in e:
            raise RuntimeError(f"reference {func} raised on case {i}: {e}")
        if not isinstance(g, dict) or "raised" in g:
            msg = g.get("message", "") if isinstance(g, dict) else ""
            return Verdict(False, "value", f"{where} raised {g.get('raised', 'an error')}: "
                                           f"{msg[:200]}")
        problem = compare(g["ok"], e["ok"], f"{where}: the result", rtol, atol, check_dtype)
        if problem is None and extra is not None:
            problem = extra(i, g["ok"], e["ok"])
        if problem:
            return Verdict(False, *problem)
    return Verdict(True, "value")


# --------------------------------------------------------------------------
# Shape drills (2.1.x): every variant is judged against the learner's own base
# --------------------------------------------------------------------------


def _base_problem(bname: str, base: object, shape: tuple[int, ...]) -> Verdict | None:
    if not isinstance(base, torch.Tensor):
        return Verdict(False, "type", f"your base `{bname}` should be a torch.Tensor made with "
                                      f"torch.randn{fmt_shape(shape)}; found {type_name(base)}")
    if tuple(base.shape) != shape:
        return Verdict(False, "shape", f"your base `{bname}` has shape {fmt_shape(base.shape)}; "
                                       f"the contract says {fmt_shape(shape)} — fix it first")
    # randn repeats a value now and then (float32); a constant or hand-made base doesn't pass
    if base.numel() > 1 and torch.unique(base).numel() < 0.9 * base.numel():
        return Verdict(False, "value", f"your base `{bname}` must hold distinct random values "
                                       f"(torch.randn) so the drill can tell dimensions apart")
    return None


# A shape drill asks for one method; these would produce the same numbers another way.
SAME_RESULT_OTHER_WAY = {
    ".view": [".reshape", ".flatten"],
    ".reshape": [".view", ".flatten"],
    ".unsqueeze": [".view", ".reshape"],
    ".squeeze": [".view", ".reshape", ".flatten"],
    ".transpose": [".permute", ".swapaxes", ".swapdims", ".movedim"],
    ".permute": [".transpose", ".swapaxes", ".swapdims", ".movedim"],
    ".flatten": [".view", ".reshape"],
}


def drill_judge(name: str, bname: str, bshape: Sequence[int], expr: str, api: Sequence[str],
                forbidden: Sequence[str] = ()):
    """Judge for ``name = <expr>`` where expr uses the learner's base ``bname``."""
    bshape = tuple(bshape)
    with torch.no_grad():
        want_shape = tuple(eval(expr, {"torch": torch, bname: torch.zeros(bshape)}).shape)

    def judge(learner, reference, inputs, ctx):
        data = learner.value
        base, value = data[bname], data[name]
        problem = _base_problem(bname, base, bshape)
        if problem:
            return problem
        if not isinstance(value, torch.Tensor):
            return Verdict(False, "type", f"`{name}` should be a torch.Tensor; "
                                          f"found {type_name(value)}")
        if tuple(value.shape) != want_shape:
            return Verdict(False, "shape", f"`{name}`: expected shape {fmt_shape(want_shape)}, "
                                           f"found {fmt_shape(value.shape)}")
        expected = eval(expr, {"torch": torch, bname: base})  # our own expression
        if value.dtype != expected.dtype:
            return Verdict(False, "dtype", f"`{name}`: expected dtype {dtype_name(expected)} "
                                           f"(same as `{bname}`), found {dtype_name(value)}")
        if not torch.equal(value, expected):
            return Verdict(False, "value", f"`{name}` has the right shape, but its elements are "
                                           f"not `{expr}` of your own `{bname}` (they are in a "
                                           f"different order or changed) — check the dims")
        problem = api_problem(ctx, name, api, forbidden)
        if problem:
            return Verdict(False, "api", problem)
        return Verdict(True, "value")

    return judge


def drill_module(variants: Sequence[tuple[str, str, str, str]],
                 bases: dict[str, tuple[int, ...]]) -> dict[str, object]:
    """Probe strings and judges for ``(name, base, expr, api)`` variants.

    Returns globals for a checks module: ``PROBE_<name>`` and ``judge_<name>``.
    """
    out: dict[str, object] = {}
    for name, bname, expr, api in variants:
        out[f"PROBE_{name}"] = names_probe([bname, name])
        out[f"judge_{name}"] = drill_judge(name, bname, bases[bname], expr, [api],
                                           SAME_RESULT_OTHER_WAY.get(api, []))
    return out


# --------------------------------------------------------------------------
# Broadcasting drills (2.2.x)
# --------------------------------------------------------------------------


def operand_problem(name: str, value: object, shape: tuple[int, ...]) -> str | None:
    if not isinstance(value, torch.Tensor):
        return f"`{name}` should be a torch.Tensor; found {type_name(value)}"
    if tuple(value.shape) != tuple(shape):
        return f"`{name}`: expected shape {fmt_shape(shape)}, found {fmt_shape(value.shape)}"
    if value.dtype != torch.float32:
        return f"`{name}`: expected dtype float32 (torch.randn), found {dtype_name(value)}"
    if value.numel() > 1 and bool((value == value.flatten()[0]).all()):
        return f"`{name}` holds one repeated value; make it with torch.randn{fmt_shape(shape)}"
    return None




def operand_kind(name: str, value: object, shape: tuple[int, ...]) -> tuple[str, str] | None:
    problem = operand_problem(name, value, shape)
    if problem is None:
        return None
    kind = ("type" if "torch.Tensor" in problem else "shape" if "shape" in problem
            else "dtype" if "dtype" in problem else "value")
    return kind, problem


OPS = {"add": ("+", torch.add), "sub": ("-", torch.sub), "mul": ("*", torch.mul),
       "div": ("/", torch.div)}


def broadcast_judge(k: int, s1: tuple[int, ...], s2: tuple[int, ...]):
    """Judge variant k: a_k, b_k (torch.randn of s1, s2) and add/sub/mul/div_k."""
    out_shape = tuple(torch.broadcast_shapes(s1, s2))

    def judge(learner, reference, inputs, ctx):
        data = learner.value
        a, b = data[f"a_{k}"], data[f"b_{k}"]
        for name, value, shape in ((f"a_{k}", a, s1), (f"b_{k}", b, s2)):
            problem = operand_kind(name, value, shape)
            if problem:
                return Verdict(False, *problem)
        for op, (sym, fn) in OPS.items():
            name = f"{op}_{k}"
            value = data[name]
            if isinstance(value, torch.Tensor) and tuple(value.shape) != out_shape:
                return Verdict(False, "shape", (
                    f"`{name}`: expected shape {fmt_shape(out_shape)} — {fmt_shape(s1)} {sym} "
                    f"{fmt_shape(s2)} broadcasts to it — found {fmt_shape(value.shape)}"))
            problem = compare(value, fn(a, b), f"`{name}` (a_{k} {sym} b_{k})")
            if problem:
                return Verdict(False, *problem)
        for name in (f"a_{k}", f"b_{k}"):
            problem = api_problem(ctx, name, ["torch.randn"])
            if problem:
                return Verdict(False, "api", problem)
        return Verdict(True, "value")

    return judge


def broadcast_module(variants: dict[int, tuple[tuple[int, ...], tuple[int, ...]]]
                     ) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, (s1, s2) in variants.items():
        names = [f"a_{k}", f"b_{k}", *(f"{op}_{k}" for op in OPS)]
        out[f"PROBE_{k}"] = names_probe(names)
        out[f"judge_{k}"] = broadcast_judge(k, tuple(s1), tuple(s2))
    return out


# --------------------------------------------------------------------------
# Application problems (2.3.x): functions called on the seed's example + hidden inputs
# --------------------------------------------------------------------------


def forbidden_problem(ctx, func: str, forbidden: Sequence[str]) -> str | None:
    used = sorted(f for f in forbidden if f in calls_in(ctx, func))
    if used:
        return (f"`{func}` must do this with reshaping/broadcasting itself; it calls "
                f"{_pretty(used)}")
    return None


def function_judge(func: str, n_examples: int, rtol: float = 1e-5, atol: float = 1e-6,
                   forbidden: Sequence[str] = (), check_dtype: bool = True,
                   extra: Callable[[int, object, object], tuple[str, str] | None] | None = None):
    """Judge for a calls_probe: per case, the learner's result against the reference's."""

    def judge(learner, reference, inputs, ctx):
        problem = forbidden_problem(ctx, func, forbidden)
        if problem:
            return Verdict(False, "api", problem)
        labels = case_labels(n_examples, len(reference.value))
        return judge_cases(learner, reference, labels, func, rtol, atol, check_dtype, extra)

    return judge
