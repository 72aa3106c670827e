"""Autograd: leaf tensors, the graph built from them, and the gradients backward() leaves.

The probe (``curriculum/probes/grads.py``) sends back the learner's bound
tensors with ``requires_grad``, ``is_leaf`` and ``.grad``. Here the drill's
forward computation is recomputed in float64 *from the learner's own leaf
values* and differentiated with ``torch.autograd.grad``, so random leaves are
judged on what the learner drew and fixed leaves (``x = 3.0``) against the
stated value.

A drill variant (Exercise 3.1) is described by its YAML ``args``: the leaves
(``name``, ``shape``, optional fixed ``value``, the ``api`` that must build it
and calls it must not use), the named results (``outs``: name and expression
in the template's names, the last one being the scalar backward() is called
on), the API each result needs, calls needed anywhere, and the tolerance. A
leaf's ``method`` (``.requires_grad_``) must be called on that leaf itself —
in the statement that binds it or as ``x_k.requires_grad_(True)`` — so one
variant's call cannot stand in for another's. A leaf with ``helpers`` may also
be built through the submission's own function (``x_2 = r(5)`` after ``def
r(*s): return torch.randn(*s).requires_grad_()``): variants asking only for "a
random tensor" judge what produced the value, not how the line is spelled.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from curriculum.judges.compare import all_finite, largest, mismatch
from curriculum.judges.source import binding_calls, flow_calls
from curriculum.judges.text import dtype_name, exception_name, fmt_shape, pretty_calls, type_name
from grader.checks.base import Outcome, Verdict


class Meta:
    def __init__(self, requires_grad: bool, is_leaf: bool, grad: Any) -> None:
        self.requires_grad = requires_grad
        self.is_leaf = is_leaf
        self.grad = grad


class Bad:
    """A value the probe could not describe (a forged wrapper)."""

    type_name = "malformed value"


def unwrap(item: Any) -> Any:
    """Inverse of the probe's ``wrap`` (trusted side); forged shapes become :class:`Bad`."""
    if not isinstance(item, tuple) or not item:
        return Bad()
    tag = item[0]
    if tag == "tensor" and len(item) == 5 and isinstance(item[1], torch.Tensor):
        t = item[1]
        grad = item[4] if isinstance(item[4], torch.Tensor) else None
        t.meta = Meta(bool(item[2]), bool(item[3]), grad)
        return t
    if tag == "seq" and len(item) == 3 and isinstance(item[1], list):
        seq = [unwrap(x) for x in item[1]]
        return tuple(seq) if item[2] else seq
    if tag == "dict" and len(item) == 2 and isinstance(item[1], list):
        return {k: unwrap(x) for k, x in item[1] if isinstance(k, str | int)}
    if tag == "other" and len(item) == 2:
        return item[1]
    return Bad()


def unwrap_or_message(item: Any, what: str) -> tuple[Any, str | None]:
    """(value, None) or (None, message) for a probe's wrapped value."""
    value = unwrap(item)
    if isinstance(value, Bad):
        return None, f"could not read {what}"
    return value, None


def meta(value: torch.Tensor) -> Meta:
    return getattr(value, "meta", None) or Meta(False, True, None)


def close_problem(found: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float,
                  scale_atol: bool = True) -> str | None:
    """None when close; else how far off (never the values). ``scale_atol`` makes the
    absolute tolerance relative to the largest expected magnitude (big leaves, big grads)."""
    if scale_atol:
        atol = atol * max(1.0, largest(expected))
    return mismatch(found, expected, rtol=rtol, atol=atol)


def _rnn(x: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor) -> torch.Tensor:
    h = torch.zeros(x.shape[1], W_hh.shape[0], dtype=x.dtype)
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ W_ih.T + h @ W_hh.T)
    return h


EVAL_ENV = {"torch": torch, "F": torch.nn.functional, "math": math, "rnn": _rnn}


def _describe_value(value: Any) -> str:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return f"the scalar {float(arr):g}"
    if arr.size <= 11:
        return f"{arr.tolist()}"
    return f"shape {fmt_shape(arr.shape)}"


def _leaf_problem(bound: str, leaf: dict, value: Any) -> Verdict | None:
    shape = tuple(leaf["shape"])
    if not isinstance(value, torch.Tensor):
        return Verdict(False, "type", f"`{bound}` should be a torch.Tensor; found "
                                      f"{type_name(value)}")
    if tuple(value.shape) != shape:
        return Verdict(False, "shape", f"`{bound}`: expected shape {fmt_shape(shape)}, "
                                       f"found {fmt_shape(value.shape)}")
    if value.dtype != torch.float32:
        hint = "" if value.dtype.is_floating_point else \
            " (only floating-point tensors can require gradients)"
        return Verdict(False, "dtype", f"`{bound}`: expected dtype float32, found "
                                       f"{dtype_name(value)}{hint}")
    fixed = leaf.get("value")
    if fixed is not None and not torch.equal(value, torch.tensor(fixed, dtype=torch.float32)):
        return Verdict(False, "value", f"`{bound}` does not hold the values the variant asks "
                                       f"for ({_describe_value(fixed)})")
    if not all_finite(value):
        return Verdict(False, "value", f"`{bound}` contains NaN or inf")
    m = meta(value)
    if not m.requires_grad:
        return Verdict(False, "grad", f"`{bound}.requires_grad` is False; create it with "
                                      "requires_grad=True (or call .requires_grad_(True))")
    if not m.is_leaf:
        return Verdict(False, "grad", f"`{bound}` is not a leaf tensor (it was computed from "
                                      "another tensor, e.g. `torch.randn(3) * 2` with "
                                      "requires_grad set first), so its .grad is never filled; "
                                      "create it directly, then set requires_grad")
    return None


def _is_main_guard(test: ast.expr) -> bool:
    """``if __name__ == "__main__":`` — never true when the grader runs a submission."""
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def _module_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Simple statements that run at module level: blocks of compound statements
    included, function and class bodies and ``if False:`` / main-guard blocks not."""
    found: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(stmt, ast.If):
            dead = _is_main_guard(stmt.test) or (
                isinstance(stmt.test, ast.Constant) and not stmt.test.value)
            found += ([] if dead else _module_statements(stmt.body))
            found += _module_statements(stmt.orelse)
        elif isinstance(stmt, ast.For | ast.While | ast.With | ast.Try):
            for part in ("body", "orelse", "finalbody"):
                found += _module_statements(getattr(stmt, part, []))
            for handler in getattr(stmt, "handlers", []):
                found += _module_statements(handler.body)
        else:
            found.append(stmt)
    return found


def _own_method_use(source: str, bound: str, method: str) -> tuple[bool, bool]:
    """(``bound.method(...)`` is called at module level, ``bound.requires_grad = …`` is
    assigned there) — calls on the name itself, not on another variant's tensor."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False, False
    called = assigned = False
    for stmt in _module_statements(tree.body):
        for node in ast.walk(stmt):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and "." + node.func.attr == method
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == bound):
                called = True
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            assigned |= any(isinstance(t, ast.Attribute) and t.attr == "requires_grad"
                            and isinstance(t.value, ast.Name) and t.value.id == bound
                            for t in targets)
    return called, assigned


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        found = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        found = [node.target]
    else:
        return []
    flat: list[ast.expr] = []
    while found:
        t = found.pop()
        if isinstance(t, ast.Tuple | ast.List):
            found.extend(t.elts)
        else:
            flat.append(t.value if isinstance(t, ast.Starred) else t)
    return flat


def grad_set_by_hand(source: str, bound: str, loss: str) -> bool:
    """``bound.grad`` written by the learner (``= …``, ``+=``, ``.grad.data = …``,
    ``.grad[:] = …``, ``.grad.copy_(…)``, ``setattr(bound, "grad", …)``) in module-level
    code that runs, with no ``loss.backward()`` after it: a gradient the learner wrote,
    not one backward() left. Before the variant's own backward (``x.grad =
    torch.zeros_like(x)`` as a start) and ``x.grad = None`` (a reset) are fine."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    statements = _module_statements(tree.body)
    last_write = last_backward = -1
    for position, stmt in enumerate(statements):
        for node in ast.walk(stmt):
            if _writes_grad(node, bound):
                last_write = position
            if _backward_of(node, loss):
                last_backward = position
    return last_write >= 0 and last_backward <= last_write


def _is_grad_of(node: ast.AST, bound: str) -> bool:
    """``bound.grad`` itself, ``bound.grad.data`` or ``bound.grad[...]``."""
    while isinstance(node, ast.Subscript) or (isinstance(node, ast.Attribute)
                                              and node.attr == "data"):
        node = node.value
    return (isinstance(node, ast.Attribute) and node.attr == "grad"
            and isinstance(node.value, ast.Name) and node.value.id == bound)


def _writes_grad(node: ast.AST, bound: str) -> bool:
    value = getattr(node, "value", None)
    none = isinstance(value, ast.Constant) and value.value is None
    if isinstance(node, ast.AugAssign) or (isinstance(node, ast.Assign | ast.AnnAssign)
                                           and not none):
        return any(_is_grad_of(t, bound) for t in _targets(node))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in ("copy_", "fill_", "set_", "add_", "mul_", "sub_", "div_") \
            and _is_grad_of(node.func.value, bound):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "setattr" and len(node.args) == 3
            and isinstance(node.args[0], ast.Name) and node.args[0].id == bound
            and isinstance(node.args[1], ast.Constant) and node.args[1].value == "grad"
            and not (isinstance(node.args[2], ast.Constant) and node.args[2].value is None))


def _backward_of(node: ast.AST, loss: str) -> bool:
    """``loss.backward(…)`` or ``torch.autograd.backward(loss, …)``."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "backward":
        if isinstance(func.value, ast.Name) and func.value.id == loss:
            return True
        return bool(node.args) and isinstance(node.args[0], ast.Name) \
            and node.args[0].id == loss
    return False


def _method_problem(ctx: Any, bound: str, method: str, calls: set[str] | None) -> str | None:
    """The leaf must be passed through ``method`` itself: in its binding statement
    (``x_11 = torch.randn(3, 4).requires_grad_(True)``) or by a call on its name."""
    if calls and method in calls:
        return None
    called, assigned = _own_method_use(ctx.source_text, bound, method)
    if called:
        return None
    example = f"`{bound}.requires_grad_(True)`" if method == ".requires_grad_" else \
        f"`{bound}{method}(…)`"
    if assigned:
        return (f"`{bound}`: `{bound}.requires_grad = True` sets the attribute; this variant "
                f"practises the method — create the tensor, then call {example}")
    return (f"`{bound}`: this variant practises `{method}()` — create the tensor "
            f"first, then call it on `{bound}` itself ({example}); a call on another "
            f"variant's tensor or `requires_grad=True` in the creating call doesn't count")


def _api_problem(ctx: Any, k: int, leaves: Sequence[dict], api: dict[str, Sequence[str]],
                 needs: Sequence[str], outs: Sequence[Sequence[str]] = ()) -> Verdict | None:
    for leaf in leaves:
        bound = f"{leaf['name']}_{k}"
        helpers = bool(leaf.get("helpers"))
        calls = binding_calls(ctx, bound, helpers=helpers)
        method = leaf.get("method")
        if method:
            problem = _method_problem(ctx, bound, method, calls)
            if problem:
                return Verdict(False, "api", problem)
        wanted = leaf.get("api") or ()
        if wanted and (calls is None or not any(a in calls for a in wanted)):
            where = ("in its assignment or in a function of yours that it calls and "
                     "returns" if helpers else "in its own assignment")
            return Verdict(False, "api", f"`{bound}` must be built with "
                                         f"{pretty_calls(wanted, ' or ')} {where}")
        forbid = leaf.get("forbid") or ()
        if calls and any(f in calls for f in forbid):
            return Verdict(False, "api", f"`{bound}`: this variant practises the "
                                         "`requires_grad=True` argument; don't call "
                                         "`.requires_grad_()` here")
        if ".requires_grad_" in forbid and _own_method_use(ctx.source_text, bound,
                                                           ".requires_grad_")[1]:
            return Verdict(False, "api", f"`{bound}`: this variant practises the "
                                         "`requires_grad=True` argument in the creating call; "
                                         f"setting the attribute (`{bound}.requires_grad = "
                                         "True`) doesn't count")
    for out, alternatives in api.items():
        bound = f"{out}_{k}"
        calls = flow_calls(ctx, bound)
        if calls is None or not any(a in calls for a in alternatives):
            return Verdict(False, "api", f"`{bound}` must be computed with "
                                         f"{pretty_calls(alternatives, ' or ')} (in its "
                                         "assignment, or in the variable it is assigned from)")
    if ".backward" in needs and outs:
        loss = f"{outs[-1][0]}_{k}"
        for leaf in leaves:
            bound = f"{leaf['name']}_{k}"
            if grad_set_by_hand(ctx.source_text, bound, loss):
                return Verdict(False, "api", f"`{bound}.grad` is assigned by hand; this variant "
                                             f"practises backward(): call it on the scalar "
                                             f"result and let autograd fill `{bound}.grad`")
    for need in needs:
        if need not in ctx.source.all_calls:
            what = "call `.backward()` on the scalar result" if need == ".backward" else \
                f"call {pretty_calls((need,))}"
            return Verdict(False, "api", f"variant {k}: {what}")
    return None


def _expected(leaves: dict[str, torch.Tensor], outs: Sequence[Sequence[str]]
              ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    env = dict(EVAL_ENV)
    xs = {n: v.detach().to(torch.float64).requires_grad_(True) for n, v in leaves.items()}
    env.update(xs)
    results = {}
    for name, expr in outs:
        results[name] = env[name] = eval(expr, env)  # trusted spec text, the learner's leaves
    loss = results[outs[-1][0]]
    grads = torch.autograd.grad(loss, list(xs.values()), allow_unused=True)
    return results, {n: (g if g is not None else torch.zeros_like(xs[n]))
                     for n, g in zip(xs, grads, strict=True)}


def variant(learner: Outcome, reference: Outcome, inputs: Any, ctx: Any, *, k: int,
            leaves: Sequence[dict], outs: Sequence[Sequence[str]] = (),
            api: dict[str, Sequence[str]] | None = None, needs: Sequence[str] = (),
            rtol: float = 1e-4, atol: float = 1e-5) -> Verdict:
    """One drill variant: leaves, each result and each leaf's gradient, then the API."""
    if not isinstance(learner.value, dict):
        return Verdict(False, "type", "could not read your names")
    values = {name: unwrap(v) for name, v in learner.value.items()}
    own: dict[str, torch.Tensor] = {}
    for leaf in leaves:
        bound = f"{leaf['name']}_{k}"
        bad = _leaf_problem(bound, leaf, values.get(bound))
        if bad:
            return bad
        own[leaf["name"]] = values[bound]
    if outs:
        bad = _outputs_problem(k, values, own, outs, rtol, atol, ctx.source_text)
        if bad:
            return bad
    bad = _api_problem(ctx, k, leaves, api or {}, needs, outs)
    if bad:
        return bad
    return Verdict(True, "grad" if outs else "value")


def _outputs_problem(k: int, values: dict[str, Any], own: dict[str, torch.Tensor],
                     outs: Sequence[Sequence[str]], rtol: float, atol: float,
                     source: str = "") -> Verdict | None:
    try:
        results, grads = _expected(own, outs)
    except Exception as exc:  # the learner's values make the maths fail (e.g. singular)
        return Verdict(False, "value", f"variant {k}: your leaf values can't be used "
                                       f"({exception_name(type(exc).__name__)}); draw them again")
    if not all(all_finite(t) for t in [*results.values(), *grads.values()]):
        return Verdict(False, "value", f"variant {k}: with your leaf values the computation "
                                       "gives NaN or inf; draw them again")
    loss = f"{outs[-1][0]}_{k}"
    for name, _expr in outs:
        bound = f"{name}_{k}"
        got, exp = values.get(bound), results[name]
        if not isinstance(got, torch.Tensor):
            return Verdict(False, "type", f"`{bound}` should be a torch.Tensor (the result of "
                                          f"the computation, not .item()); found "
                                          f"{type_name(got)}")
        if tuple(got.shape) != tuple(exp.shape):
            return Verdict(False, "shape", f"`{bound}`: expected shape {fmt_shape(exp.shape)}, "
                                           f"found {fmt_shape(got.shape)}")
        m = meta(got)
        if not m.requires_grad or m.is_leaf:
            return Verdict(False, "grad", f"`{bound}` is not connected to the autograd graph "
                                          "(requires_grad False or a leaf): compute it from the "
                                          "leaf tensors without .detach(), .item() or "
                                          "torch.no_grad()")
        problem = close_problem(got, exp, rtol, atol)
        if problem:
            return Verdict(False, "value", f"`{bound}` doesn't match the computation the "
                                           f"variant asks for: {problem}")
    for name, leaf_value in own.items():
        bound = f"{name}_{k}"
        g = meta(leaf_value).grad
        if g is None:
            filled = [f"`{n}_{k}.grad`" for n, v in own.items() if meta(v).grad is not None]
            if filled:  # backward ran: this leaf was cut out of the graph on the way
                return Verdict(False, "grad", f"`{bound}.grad` is None although backward ran "
                                              f"({', '.join(filled)} "
                                              f"{'is' if len(filled) == 1 else 'are'} filled): "
                                              f"`{loss}` does not reach "
                                              f"`{bound}` through the graph — a .detach(), "
                                              ".item(), .data or torch.no_grad() on the way "
                                              f"cuts it out; compute with `{bound}` itself")
            return Verdict(False, "grad", f"`{bound}.grad` is None: call `{loss}.backward()` "
                                          "and leave the gradient in place")
        exp = grads[name]
        if tuple(g.shape) != tuple(exp.shape):
            return Verdict(False, "grad", f"`{bound}.grad` has shape {fmt_shape(g.shape)}; it "
                                          f"must match `{bound}` {fmt_shape(exp.shape)}")
        problem = close_problem(g, exp, rtol, atol)
        if problem:
            return Verdict(False, "grad", f"`{bound}.grad` is not d{loss}/d{bound} at your "
                                          f"values: {problem}"
                                          f"{_grad_hint(g, exp, rtol, atol, source, loss, bound)}")
    return None


def _grad_hint(got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float,
               source: str = "", loss: str = "y", leaf: str = "x") -> str:
    """Why a gradient is all zeros or twice the right one, from what the source does with
    this variant's names: a reset (``x.grad.zero_()``) or a cut graph (detach, .item(), a
    new tensor); a second backward() or a gradient passed to ``loss.backward(…)``."""
    g64, e64 = got.to(torch.float64), expected.to(torch.float64)
    if bool((g64 == 0).all()) and bool((e64 != 0).any()):
        reset = _calls_on(source, "zero_", leaf)
        if reset or not _calls_on(source, "zero_", None):
            return (" — it is all zeros: don't call .grad.zero_() after backward here, the "
                    "grader reads the gradient you computed" if reset else
                    f" — it is all zeros: `{loss}` does not depend on `{leaf}` through the "
                    f"graph (a .detach(), .item() or a new tensor in between cuts it)")
        return (" — it is all zeros: the gradient was reset after backward (don't call "
                ".grad.zero_() here), or the graph from it to the result is cut")
    if close_problem(g64, 2 * e64, rtol, atol) is None:
        if any(_scales_gradient(call) for call in _calls_on(source, "backward", loss)):
            return (" — it is twice the expected gradient: the gradient passed to "
                    f"`{loss}.backward(…)` scales it; call `{loss}.backward()` with none")
        return (" — it is twice the expected gradient: backward ran twice and the gradients "
                "accumulated (reset with .grad.zero_() between passes)")
    return ""


def _calls_on(source: str, method: str, name: str | None) -> list[ast.Call]:
    """Calls of ``.method(…)`` whose receiver mentions ``name`` (any receiver for None):
    ``x_1.grad.zero_()`` is a ``zero_`` call on ``x_1``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == method
            and (name is None or any(isinstance(n, ast.Name) and n.id == name
                                     for n in ast.walk(node.func.value)))]


def _scales_gradient(call: ast.Call) -> bool:
    """``y.backward(g)`` / ``y.backward(gradient=g)`` with g other than a literal 1 or None."""
    given = [*call.args[:1], *(kw.value for kw in call.keywords if kw.arg == "gradient")]
    return any(not (isinstance(g, ast.Constant) and g.value in (None, 1, 1.0)) for g in given)

