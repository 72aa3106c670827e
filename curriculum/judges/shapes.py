"""Shapes: reshaping drills (Exercise 2.1) and broadcasting (Exercise 2.2).

Both are judged against the learner's *own* random operands: the expected
tensor is the drill's expression evaluated here on the learner's base (or
the operation applied to their ``a_k``, ``b_k``), so any correct random
draw passes and a hard-coded or reordered tensor cannot.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Sequence
from typing import Any

import torch

from curriculum.judges.compare import at_least, at_most
from curriculum.judges.source import (
    api_problem,
    binding_calls,
    bound_expression,
    negative_literal,
)
from curriculum.judges.text import dtype_name, fmt_shape, type_name
from curriculum.judges.values import Problem, problem
from grader.checks.base import Outcome, Verdict

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


def base_problem(name: str, base: object, shape: Sequence[int]) -> Problem | None:
    """The learner's random base tensor: a tensor of the contract's shape with distinct values."""
    shape = tuple(shape)
    if not isinstance(base, torch.Tensor):
        return "type", (f"your base `{name}` should be a torch.Tensor made with "
                        f"torch.randn{fmt_shape(shape)}; found {type_name(base)}")
    if tuple(base.shape) != shape:
        return "shape", (f"your base `{name}` has shape {fmt_shape(base.shape)}; the contract "
                         f"says {fmt_shape(shape)} — fix it first")
    # randn repeats a value now and then (float32); a constant or hand-made base doesn't pass
    if base.numel() > 1 and torch.unique(base).numel() < 0.9 * base.numel():  # compare: ok (counts)
        return "value", (f"your base `{name}` must hold distinct random values (torch.randn) "
                         f"so the drill can tell dimensions apart")
    if not bool(torch.isfinite(base).all()):
        return "value", f"your base `{name}` holds NaN or inf; make it with torch.randn"
    return None


def reshaped(learner: Outcome, reference: Outcome, inputs: Any, ctx: Any, *, name: str,
             base: str, base_shape: list[int], expr: str, api: str) -> Verdict:
    """``name = <expr>`` on the learner's base (``x.view(6, 4)``), built with ``api``."""
    data = learner.value
    if not isinstance(data, dict):
        return Verdict(False, "value", "could not read your values")
    own, value = data.get(base), data.get(name)
    bad = base_problem(base, own, base_shape)
    if bad:
        return Verdict(False, *bad)
    with torch.no_grad():
        want_shape = tuple(eval(expr, {"torch": torch}, {base: torch.zeros(tuple(base_shape))})
                           .shape)
    if not isinstance(value, torch.Tensor):
        return Verdict(False, "type", f"`{name}` should be a torch.Tensor; found "
                                      f"{type_name(value)}")
    if tuple(value.shape) != want_shape:
        return Verdict(False, "shape", f"`{name}`: expected shape {fmt_shape(want_shape)}, "
                                       f"found {fmt_shape(value.shape)}")
    expected = eval(expr, {"torch": torch}, {base: own})  # our own expression, their data
    if value.dtype != expected.dtype:
        return Verdict(False, "dtype", f"`{name}`: expected dtype {dtype_name(expected)} (same "
                                       f"as `{base}`), found {dtype_name(value)}")
    if not torch.equal(value, expected):
        return Verdict(False, "value", f"`{name}` has the right shape, but its elements are "
                                       f"not `{expr}` of your own `{base}` (they are in a "
                                       f"different order or changed) — check the dims")
    bad_api = _drill_api_problem(ctx, name, base, expr, api) \
        or _one_call_problem(ctx, name, expr, api, len(base_shape)) \
        or _negative_problem(ctx, name, expr, api)
    if bad_api:
        return Verdict(False, "api", bad_api)
    return Verdict(True, "value")


def _dims(call: ast.Call, function_form: bool, ndim: int) -> frozenset[int] | str | None:
    """The dims a squeeze-like call names, normalised (None: no dim, i.e. all; "?": not
    a literal we can read)."""
    args = call.args[1:] if function_form else call.args
    given = args[0] if args else next((k.value for k in call.keywords if k.arg == "dim"), None)
    if given is None:
        return None
    try:
        value = ast.literal_eval(given)
    except ValueError:
        return "?"
    values = value if isinstance(value, tuple | list) else (value,)
    if not all(type(v) is int for v in values):
        return "?"
    return frozenset(v % ndim if ndim else v for v in values)


def _api_calls(node: ast.expr, api: str, modules: frozenset[str]) -> list[tuple[ast.Call, bool]]:
    """Calls of the drill's method in an expression: (call, written as ``torch.f(x, …)``)."""
    found = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                and "." + sub.func.attr == api:
            owner = sub.func.value
            found.append((sub, isinstance(owner, ast.Name) and owner.id in {"torch", *modules}))
    return found


def _one_call_problem(ctx: Any, name: str, expr: str, api: str, ndim: int) -> str | None:
    """"Each built by one call to squeeze()": one call of the method in the assignment
    (not ``y5.squeeze(0).squeeze(2)``) and, for squeeze, on the dims the variant names
    (``w.squeeze()`` is not "remove the specific dims 0 and 2"); for unsqueeze, adding the
    dim the variant names (``v.unsqueeze(0).T`` is not "a dim at position 1")."""
    value = bound_expression(ctx.source_text, name)
    if value is None:
        return None
    modules = frozenset(getattr(ctx.source, "modules", frozenset()))
    calls = _api_calls(value, api, modules)
    wanted = _api_calls(ast.parse(expr, mode="eval").body, api, frozenset())
    if len(calls) > max(1, len(wanted)):  # a variant may itself chain two (transpose_15)
        times = "one" if len(wanted) <= 1 else str(len(wanted))
        return (f"`{name}`: {times} `{api}()` call{'s' if len(wanted) > 1 else ''}, like "
                f"`{name} = {expr}`; yours chains {len(calls)} calls")
    if api == ".unsqueeze" and len(calls) == 1 and len(wanted) == 1:
        # the dim the one call adds (then moved by .T or transpose, it is another way)
        want_dim, got_dim = _dims(*wanted[0], ndim + 1), _dims(*calls[0], ndim + 1)
        if "?" in (want_dim, got_dim) or want_dim is None or want_dim == got_dim:
            return None
        added = "no dim" if got_dim is None else f"dim {min(got_dim)}"
        return (f"`{name}`: the variant asks for a new dim at position {min(want_dim)} "
                f"(`{name} = {expr}`), from the unsqueeze() call itself; yours adds {added}")
    if api != ".squeeze" or len(calls) != 1 or len(wanted) != 1:
        return None
    (want_call, _), = wanted
    want = _dims(want_call, False, ndim)
    got = _dims(*calls[0], ndim)
    if got == "?" or got == want:
        return None
    asked = "all singleton dims" if want is None else \
        "dim" + ("s " if len(want) > 1 else " ") + " and ".join(str(d) for d in sorted(want))
    removed = "no dim (so it removes all singleton dims)" if got is None else \
        "dim" + ("s " if len(got) > 1 else " ") + " and ".join(str(d) for d in sorted(got))
    return (f"`{name}`: the variant asks to remove {asked} (`{name} = {expr}`); your call "
            f"names {removed}")


def _negative(call: ast.Call) -> bool:
    """A negative integer literal among the call's arguments (``-1``, ``(0, -1)``)."""
    return any(negative_literal(a) for a in [*call.args, *(k.value for k in call.keywords)])


def _negative_problem(ctx: Any, name: str, expr: str, api: str) -> str | None:
    """A variant written with -1 or negative dims (``x.view(-1, 4)`` "auto-calculate",
    ``x.unsqueeze(-1)``, ``x.transpose(-1, -2)`` "negative indexing") practises them: the
    positive equivalent gives the same tensor and misses the lesson."""
    wanted = _api_calls(ast.parse(expr, mode="eval").body, api, frozenset())
    if len(wanted) != 1 or not _negative(wanted[0][0]):
        return None
    value = bound_expression(ctx.source_text, name)
    if value is None:
        return None
    calls = _api_calls(value, api, frozenset(getattr(ctx.source, "modules", frozenset())))
    if len(calls) != 1 or _negative(calls[0][0]):
        return None
    if api in (".view", ".reshape"):
        return f"`{name}`: this variant practises -1: let it calculate a dimension, like " \
               f"`{name} = {expr}`"
    return f"`{name}`: this variant practises negative dims (counted from the end), like " \
           f"`{name} = {expr}`"


def _drill_api_problem(ctx: Any, name: str, base: str, expr: str, api: str) -> str | None:
    """The drill's method must produce the value. Said in the drill's terms — the call
    expected on the learner's base and what was used instead — not as "found
    torch.randn", which is only what made the base (``t2.T`` keeps t2's producers)."""
    others = SAME_RESULT_OTHER_WAY.get(api, [])
    calls = binding_calls(ctx, name)
    if calls is not None and api not in calls:
        used = sorted(c for c in calls if c in others)
        example = " (such as `.T`)" if api == ".transpose" else ""
        instead = (f"it uses {' and '.join(f'`{c}()`' for c in used)} instead" if used else
                   f"no `{api}()` call produces its value — the same numbers made another "
                   f"way{example} don't count here")
        return (f"`{name}` must be made with `{api}()` on your `{base}`, like "
                f"`{name} = {expr}`: {instead}")
    return api_problem(ctx, name, [api], others)


def operand_problem(name: str, value: object, shape: Sequence[int]) -> Problem | None:
    """An operand the learner made with torch.randn of the stated shape."""
    shape = tuple(shape)
    if not isinstance(value, torch.Tensor):
        return "type", f"`{name}` should be a torch.Tensor; found {type_name(value)}"
    if tuple(value.shape) != shape:
        return "shape", (f"`{name}`: expected shape {fmt_shape(shape)}, found "
                         f"{fmt_shape(value.shape)}")
    if value.dtype != torch.float32:
        return "dtype", (f"`{name}`: expected dtype float32 (torch.randn), found "
                         f"{dtype_name(value)}")
    if not bool(torch.isfinite(value).all()):
        return "value", f"`{name}` holds NaN or inf; make it with torch.randn{fmt_shape(shape)}"
    if value.numel() > 1 and bool((value == value.flatten()[0]).all()):
        return "value", (f"`{name}` holds one repeated value; make it with "
                         f"torch.randn{fmt_shape(shape)}")
    unlike = normal_sample_problem(value)
    if unlike:
        return "value", (f"`{name}`: {unlike} — the operands are samples of torch.randn"
                         f"{fmt_shape(shape)} as it is (no scaling, shift or abs())")
    return None


# Tests that a tensor is a sample of N(0, 1), each with a known chance of failing a true
# sample of any size (mean 0 and variance 1 are known, nothing is estimated): together
# below 1e-9 per tensor, so an honest torch.randn operand never fails.
_MEAN_Z = 7.0  # |mean| * sqrt(n) > 7: P = 2.6e-12
_SQUARES_Z = 6.467  # sum of squares outside chi2(n)'s 5e-11 tails (Wilson–Hilferty, conservative)
_ONE_SIDED_P = 7e-10  # every value on one side of 0, at least min |x| from it


def _chi2_quantile(n: int, z: float) -> float:
    """Wilson–Hilferty's approximation of chi2(n)'s quantile at the normal z-score ``z``:
    outside [quantile(-z), quantile(z)] has at most the normal tails' chance for z ≈ 6.5
    (checked against the exact distribution for n up to 2000)."""
    return n * (1 - 2 / (9 * n) + z * math.sqrt(2 / (9 * n))) ** 3


def normal_sample_problem(value: torch.Tensor) -> str | None:
    """How a finite tensor is unlike a sample of N(0, 1) (None when it is not): a shifted
    mean, a scaled spread, or every value on one side of 0 (abs(), + offset). A true
    sample fails with chance below 1e-9 whatever its size."""
    x = value.detach().to(torch.float64).flatten()
    n = x.numel()
    if n == 0:
        return None
    mean = float(x.mean())
    squares = float((x * x).sum())
    # NaN or inf is never "like a sample" (the compare helpers fail it)
    if not (at_most(abs(mean) * math.sqrt(n), _MEAN_Z)
            and at_most(squares, _chi2_quantile(n, _SQUARES_Z))
            and at_least(squares, _chi2_quantile(n, -_SQUARES_Z))):
        return (f"its {n} values have mean {mean:.3g} and root mean square "
                f"{math.sqrt(squares / n):.3g}, far from N(0, 1)'s 0 and 1")
    positive, negative = bool((x > 0).all()), bool((x < 0).all())
    if positive or negative:
        least = float(x.abs().min())
        tail = 0.5 * math.erfc(least / math.sqrt(2))  # P(a sample is beyond least, one side)
        log_p = math.log(2) + n * math.log(tail) if tail > 0 else -math.inf
        if log_p < math.log(_ONE_SIDED_P):
            sign = "positive" if positive else "negative"
            size = f" and at least {least:.3g} in size" if at_least(least, 0.005) else ""
            return (f"all {n} of its values are {sign}{size}; samples of N(0, 1) take both "
                    "signs")
    return None


OPS = {"add": ("+", torch.add), "sub": ("-", torch.sub), "mul": ("*", torch.mul),
       "div": ("/", torch.div)}


def broadcast(learner: Outcome, reference: Outcome, inputs: Any, ctx: Any, *, k: int,
              a: list[int], b: list[int]) -> Verdict:
    """Variant k: ``a_k``, ``b_k`` (torch.randn of shapes ``a``, ``b``) and
    ``add_k``, ``sub_k``, ``mul_k``, ``div_k`` — the four operations broadcast."""
    data = learner.value
    if not isinstance(data, dict):
        return Verdict(False, "value", "could not read your values")
    a_k, b_k = data.get(f"a_{k}"), data.get(f"b_{k}")
    for name, value, shape in ((f"a_{k}", a_k, a), (f"b_{k}", b_k, b)):
        bad = operand_problem(name, value, shape)
        if bad:
            return Verdict(False, *bad)
    out_shape = tuple(torch.broadcast_shapes(tuple(a), tuple(b)))
    for op, (sym, fn) in OPS.items():
        name = f"{op}_{k}"
        value = data.get(name)
        if isinstance(value, torch.Tensor) and tuple(value.shape) != out_shape:
            return Verdict(False, "shape", (
                f"`{name}`: expected shape {fmt_shape(out_shape)} — {fmt_shape(a)} {sym} "
                f"{fmt_shape(b)} broadcasts to it — found {fmt_shape(value.shape)}"))
        # expected from the learner's own operands: a zero in b_k makes div_k hold inf
        bad = problem(value, fn(a_k, b_k), f"`{name}` (a_{k} {sym} b_{k})", nonfinite="match")
        if bad:
            operand = next((n for n, t in ((f"a_{k}", a_k), (f"b_{k}", b_k))
                            if isinstance(value, torch.Tensor) and value.shape == t.shape
                            and torch.equal(value, t)), None)
            if operand and bad[0] == "value":
                # a_k.add_(b_k) / a_k += b_k: the result is a_k itself, changed in place
                return Verdict(False, "value", f"{bad[1]} — `{name}` holds the same values as "
                                               f"`{operand}`: an in-place operation "
                                               f"(`{operand}.{op}_(…)`, `{operand} {sym}= …`) "
                                               f"changed `{operand}` itself; write "
                                               f"`{name} = a_{k} {sym} b_{k}`")
            return Verdict(False, *bad)
    for name in (f"a_{k}", f"b_{k}"):
        bad_api = api_problem(ctx, name, ["torch.randn"])
        if bad_api:
            return Verdict(False, "api", bad_api)
    return Verdict(True, "value")
