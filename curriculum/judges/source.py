"""What the learner's source says: which calls build a name, which calls appear at all.

Judged on the parsed source outside the sandbox (``ctx.source`` is the
grader's :class:`grader.checks.api.SourceIndex`; ``ctx.source_text`` the raw
text). Every judge asks these questions through this module, so how "the
statement that binds a name" is found lives in one place — the grader's API
check (:func:`grader.checks.api.check_api`).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from curriculum.judges.text import pretty_calls
from grader.checks.api import DYNAMIC_LOOKUP, calls_put_into, check_api, index_source

_HELPER_DEPTH = 5  # helpers followed through helpers (a helper calling a helper …)


def binding_calls(ctx: Any, name: str, *, helpers: bool = False) -> set[str] | None:
    """Calls that produced the value ``name`` ends up bound to, followed through
    names, indexing and arithmetic (:attr:`SourceIndex.produced_by`: a decoy call
    elsewhere in the statement, or in dead code, does not count). None when
    ``name`` is never bound.

    With ``helpers``, a call of one of the submission's own module-level
    functions (``x_2 = r(5)`` after ``def r(*s): return torch.randn(*s)``) also
    counts what produced that function's returned value, on every return path
    — for drills that ask for a kind of value ("random (3,)"), not for the ones
    whose lesson is writing the call itself in the assignment."""
    produced = ctx.source.produced_by.get(name)
    found = set(produced) if produced is not None else statement_calls(ctx, name)
    if helpers and found is not None:
        found |= _helper_products(ctx.source_text, found, _HELPER_DEPTH)
    return found


def _module_functions(source: str) -> tuple[dict[str, ast.FunctionDef], list[ast.stmt]]:
    """(the submission's module-level functions by name, last definition wins; its imports)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}, []
    functions: dict[str, ast.FunctionDef] = {}
    imports: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            functions[stmt.name] = stmt
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            imports.append(stmt)
    return functions, imports


class _Returns(ast.NodeTransformer):
    """``return expr`` → ``__returned_<i>__ = expr`` in a function body (nested
    functions, classes and lambdas keep their own returns)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def visit_Return(self, node: ast.Return) -> ast.AST:
        name = f"__returned_{len(self.names)}__"
        self.names.append(name)
        value = node.value if node.value is not None else ast.Constant(None)
        return ast.copy_location(
            ast.Assign(targets=[ast.Name(name, ast.Store())], value=value), node)

    def visit_FunctionDef(self, node: ast.AST) -> ast.AST:
        return node

    visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = visit_FunctionDef


def _returned_calls(function: ast.FunctionDef, imports: list[ast.stmt]) -> set[str]:
    """Calls that produced the value ``function`` returns on every return path
    (its body read as module code by the grader's own data-flow index)."""
    import copy

    body = copy.deepcopy(function.body)
    returns = _Returns()
    body = [returns.visit(stmt) for stmt in body]
    if not returns.names:
        return set()
    module = ast.fix_missing_locations(ast.Module(body=[*imports, *body], type_ignores=[]))
    index = index_source(ast.unparse(module))
    found: set[str] | None = None
    for name in returns.names:
        made = set(index.produced_by.get(name, frozenset()))
        found = made if found is None else found & made
    return found or set()


def _helper_products(source: str, calls: set[str], depth: int) -> set[str]:
    """What the submission's own functions among ``calls`` return, followed ``depth`` deep."""
    functions, imports = _module_functions(source)
    found: set[str] = set()
    todo = [c for c in calls if c in functions]
    seen: set[str] = set()
    for _ in range(depth):
        later: list[str] = []
        for name in todo:
            if name in seen:
                continue
            seen.add(name)
            made = _returned_calls(functions[name], imports)
            found |= made
            later += [c for c in made if c in functions]
        todo = later
    return found


def statement_calls(ctx: Any, name: str) -> set[str] | None:
    """Every call made in the last statement binding ``name`` (None: no such
    statement) — for rules about how the statement is written, not about what
    produced the value."""
    bindings = ctx.source.calls_by_name.get(name)
    return bindings[-1] if bindings else None


def calls_in(ctx: Any, name: str) -> set[str]:
    """Every call made in any statement (or def) binding ``name``, and for a function or
    class, in the submission's own helpers it calls (a forbidden ``.repeat`` one helper
    away is still made by it)."""
    found: set[str] = set()
    for calls in ctx.source.calls_by_name.get(name, []):
        found |= calls
    if name in ctx.source.definitions:
        found |= ctx.source.produced_by.get(name, frozenset())
    return found


def assigned_from(source: str, name: str) -> str | None:
    """The name that ``name`` is last assigned from at module level: ``h_19 = h`` → ``h``,
    and an item of it, ``h_19 = hs[-1]`` → ``hs`` (the states a loop appended)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                for t in node.targets):
            value = node.value
            while isinstance(value, ast.Subscript):
                value = value.value
            found = value.id if isinstance(value, ast.Name) else None
    return found


def flow_calls(ctx: Any, name: str) -> set[str] | None:
    """Calls used to compute ``name``'s value — every call of its binding statement
    (``torch.sin(x) + torch.cos(y)`` is computed with both) and, when that statement
    only copies another name (``h_19 = h`` after a loop updating ``h``), those of
    every statement binding that name; with what produced the values the submission's
    own functions called there return. None when ``name`` is never bound. (What
    *built* a value, for "made with torch.zeros" drills, is :func:`binding_calls`.)"""
    calls = statement_calls(ctx, name)
    if calls is None:
        return None
    found, seen, current = set(calls), {name}, name
    while (other := assigned_from(ctx.source_text, current)) is not None and other not in seen:
        seen.add(other)
        found |= calls_in(ctx, other) | calls_put_into(ctx.source_text, other)
        current = other
    # and what the submission's own functions called there return (an RNN step written as
    # a helper: `h = step(x[t], h)` with `def step(...): return torch.tanh(...)`)
    return found | _helper_products(ctx.source_text, found, _HELPER_DEPTH)


def has_call(ctx: Any, alternatives: Sequence[str]) -> bool:
    """Any of ``alternatives`` is called anywhere in the source."""
    return any(a in ctx.source.all_calls for a in alternatives)


def forbidden_calls(ctx: Any, prefixes: Sequence[str]) -> list[str]:
    """Calls anywhere in the source that start with one of ``prefixes``, and a lookup
    by a computed name (``getattr(torch, "li" + "nalg")``: it could be any of them)."""
    return sorted(c for c in ctx.source.all_calls
                  if c == DYNAMIC_LOOKUP or any(c == p or c.startswith(p) for p in prefixes))


def api_problem(ctx: Any, name: str, required: Sequence[str] = (),
                forbidden: Sequence[str] = ()) -> str | None:
    """Message when the statement binding ``name`` lacks a required call or uses a
    forbidden one (the grader's API check)."""
    if not required and not forbidden:
        return None
    ok, message = check_api(ctx.source, name, list(required), list(forbidden))
    if ok:
        return None
    if forbidden and required and "must not use" in message:
        message += f" — this drill is about {pretty_calls(required)}"
    return message


def pure_indexing_problem(ctx: Any, name: str, expr: str) -> str | None:
    """The drill asks for indexing syntax: ``name = x[...]`` with no calls in it."""
    calls = statement_calls(ctx, name)
    if calls is None:
        return (f"couldn't find a statement `{name} = …` in your code; write it as one "
                f"assignment, `{name} = {expr}`")
    if not calls:
        expression = bound_expression(ctx.source_text, name)
        if expression is None or _is_indexing(expression):
            return None
        return (f"`{name}` must be written with indexing syntax only (like `{name} = {expr}`): "
                f"no arithmetic or other operations on the indexed value; found "
                f"`{name} = {_short(expression)}`")
    dotted = {c for c in calls if not c.startswith(".")}
    covered = {"." + c.rsplit(".", 1)[-1] for c in dotted if "." in c}
    methods = {c for c in calls if c.startswith(".") and c not in covered}
    shown = ", ".join(sorted(f"`{c}()`" for c in dotted | methods))
    return (f"`{name}` must be written with indexing syntax only (like `{name} = {expr}`), "
            f"no function or method calls; found {shown}")


def bound_expression(source: str, name: str) -> ast.expr | None:
    """The expression the last module-level statement binding ``name`` assigns to it
    (``a, b = x[0], x[1]`` element-wise; ``name += …`` keeps the one before); None when
    there is none or it cannot be told (``a, b = f()``)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found = None
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    found = stmt.value
                elif isinstance(target, ast.Tuple | ast.List) and any(
                        isinstance(e, ast.Name) and e.id == name for e in target.elts):
                    value = stmt.value
                    same = isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(
                        target.elts)
                    found = next((v for e, v in zip(target.elts, value.elts, strict=True)
                                  if isinstance(e, ast.Name) and e.id == name),
                                 None) if same else None
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(
                stmt.target, ast.Name) and stmt.target.id == name:
            found = stmt.value
    return found


def negative_literal(node: ast.AST) -> bool:
    """``node`` holds a negative integer literal (``-1``, ``(0, -2)``)."""
    return any((isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub)
                and isinstance(n.operand, ast.Constant) and type(n.operand.value) is int)
               or (isinstance(n, ast.Constant) and type(n.value) is int and n.value < 0)
               for n in ast.walk(node))


def index_form_problem(ctx: Any, name: str, expr: str, form: str) -> str | None:
    """What a drill asks of the index itself, beyond its value: ``negative`` — at least one
    negative index (``x[-1]``, not ``x[3]``); ``slice`` — a slice, not a list of indices
    (``x[1:3]``, not ``x[[1, 2]]``; told as pages, the quiz's wording); ``sliced`` — the
    same for the slicing drills (``x[::3]``, not ``x[[0, 3]]``). Several forms are joined
    with commas (``negative,sliced``). None when the binding cannot be found (the other
    checks say so)."""
    for one in form.split(","):
        bad = _index_form_problem(ctx, name, expr, one.strip())
        if bad:
            return bad
    return None


def _index_form_problem(ctx: Any, name: str, expr: str, form: str) -> str | None:
    expression = bound_expression(ctx.source_text, name)
    if expression is None:
        return None
    indexes = []
    node = expression
    while isinstance(node, ast.Subscript):
        indexes.append(node.slice)
        node = node.value
    parts = [n for i in indexes for n in ast.walk(i)]
    if form == "negative" and not any(negative_literal(i) for i in indexes):
        return (f"`{name}`: this variant practises negative indexing — write it as "
                f"`{name} = {expr}`, counting from the end")
    listed = any(isinstance(n, ast.List | ast.Tuple) for i in indexes for n in ast.walk(i)
                 if n is not i)
    sliced = not listed and any(isinstance(n, ast.Slice) for n in parts)
    if form == "slice" and not sliced:
        return (f"`{name}`: take the pages as one slice (`{name} = {expr}`), not a list "
                "of indices")
    if form == "sliced" and not sliced:
        advanced = any(isinstance(n, ast.List | ast.Call) for n in parts)  # [0, 3], tensor(…)
        instead = ("not a list of indices (which copies the values instead of viewing them)"
                   if advanced else "not an index without a slice")
        return (f"`{name}`: this variant practises slicing — write it as `{name} = {expr}`, "
                f"with start:stop:step, {instead}")
    return None


def _is_indexing(node: ast.expr) -> bool:
    """``x[...]``, ``x[1][2]``, ``(x[0])`` — subscripts on a name, nothing else."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return isinstance(node, ast.Name)


def _short(node: ast.expr, limit: int = 60) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def source_calls(source: str) -> set[str]:
    """Every called name in the source, both dotted (``torch.nn.utils.clip_grad_norm_``)
    and as a bare attribute (``.clip_grad_norm_``); attribute reads as ``@name``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute):
                names.add("." + f.attr)
                names.add(ast.unparse(f))
            elif isinstance(f, ast.Name):
                names.add(f.id)
        elif isinstance(node, ast.Attribute):
            names.add("@" + node.attr)
    return names


def uses(source: str, *wanted: str) -> bool:
    """True when any of ``wanted`` (``.step``, ``torch.no_grad``, ``clip_grad_norm_``) is used."""
    names = source_calls(source)
    for w in wanted:
        if w in names or ("." + w) in names or ("@" + w.lstrip(".")) in names:
            return True
        if any(n.endswith("." + w.lstrip(".")) for n in names):
            return True
    return False


#: Methods that only convert a tensor's dtype or copy it: ``torch.arange(10).float()``
#: still holds what ``torch.arange`` made.
CONVERSION_METHODS = frozenset({"to", "type", "long", "int", "float", "double", "half",
                                "clone", "contiguous", "detach", "cpu"})


def direct_call_problem(ctx: Any, name: str, function: str) -> str | None:
    """The value bound to ``name`` must be what the call of ``function`` (``arange``,
    ``linspace``) returns, its numbers set by the call's own arguments: a dtype
    conversion may follow, but no arithmetic on the result (``torch.arange(10) * 0.1``
    for a step of 0.1) and no reordering (``torch.arange(1, 101).flip(0)`` for a step of
    -1). None when it is, or when the binding cannot be read (the other checks say so);
    only asked once the API check has found ``function`` building the value."""
    expression = bound_expression(ctx.source_text, name)
    for _ in range(_HELPER_DEPTH * 4):  # `s = torch.arange(…)`, `arange_3 = s`
        if not isinstance(expression, ast.Name):
            break
        expression = bound_expression(ctx.source_text, expression.id)
    if expression is None:
        return None
    node = expression
    while (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
           and node.func.attr in CONVERSION_METHODS):
        node = node.func.value
    if isinstance(node, ast.Call) and (
            isinstance(node.func, ast.Name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == function
                and isinstance(node.func.value, ast.Name | ast.Attribute))):
        return None
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        what = "arithmetic on the tensor it returns"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        what = f"`.{node.func.attr}()` on the tensor it returns"
    else:
        what = "more than the call itself"
    return (f"`{name}` must be the tensor `torch.{function}()` returns, its numbers set by "
            f"the call's own arguments (start, end, {'step' if function == 'arange' else 'steps'}"
            f"); found `{name} = {_short(expression)}` — {what}. Put the numbers the variant "
            "asks for into the call (a dtype conversion such as .float() is fine)")
