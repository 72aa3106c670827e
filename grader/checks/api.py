"""Which API built a value: judged on the learner's source, outside the sandbox.

Drills teach syntax, so ``linspace_3`` made with ``torch.arange`` is wrong even
when the numbers match. We parse the submission (never run it here), resolve
import aliases (``import torch as t``, ``from torch import zeros``) and look
only at code that can run: module-level statements in source order, skipping
branches whose condition is a constant (``if False:``, ``if __name__ ==
"__main__":`` — the harness does not run submissions as ``__main__``) and
the bodies of functions and classes (their bindings are not module names).

For a bound name the judge asks what *produced* the value of its final
binding (:attr:`SourceIndex.produced_by`), not which calls appear somewhere
in the statement:

- a call produces its result; a method call also passes on what produced
  its receiver (``torch.zeros(3, 4).float()`` is built with both
  ``torch.zeros`` and ``.float``), except methods that build a new value
  from scratch (``x.new_full(...)``);
- indexing a tuple or list literal with a constant picks that element
  (``(torch.zeros(0), torch.full(...))[1]`` is built with ``torch.full``);
  other indexing, slicing and attributes (``x[0]``, ``x.T``) keep what
  produced ``x``;
- a builtin conversion (``bool(…)``, ``float(…)``) keeps what produced its
  argument (``bool(torch.allclose(a, b))`` is built with ``torch.allclose``),
  and so does a comparison with ``True`` or ``False`` (``==``, ``!=``, ``is``,
  ``is not``): ``torch.allclose(a, b) == True`` is that call's value, and
  ``… == False`` its negation, like ``not …``;
- a name follows the data flow to its latest binding before the use
  (``x = torch.zeros(3, 4); zeros_1 = x``);
- arithmetic, conditional expressions and literals need every operand that
  holds data to be produced by the call; plain constants are neutral
  (``torch.ones(3) * 5`` is built with ``torch.ones``;
  ``torch.full(...) + torch.zeros(1)`` is not built with ``torch.zeros``).

A required entry is either a dotted function (``torch.zeros``, matched after
alias resolution) or a method (``.numpy`` — a call ``<expr>.numpy(...)``).
A top-level torch function and the tensor method of the same name are one
operation: ``theta.cos()`` satisfies ``torch.cos`` and ``torch.permute(x, …)``
satisfies ``.permute``.

For a function or class name the whole (reachable) body counts, and with it
the bodies of the submission's own module-level functions it calls (a
helper doing the work: ``def solve(A, b): return _checked(A, b)``).

Calls that cannot have built anything do not count: a pure call whose value is
thrown away (``x.detach()`` on a line of its own), and any value built by a
torch function the source rebinds (``torch.zeros = …``).

What the check cannot read fails it rather than passing: a name last bound by a
``for``/``with`` target or an import is built with nothing; a source that reaches
module names past their statements (``globals()``, ``vars()``, ``exec``,
``sys.modules``, a frame's or a function's globals, a function's ``global``)
passes no API check; a call looked up by a computed name (``getattr(x, "re" +
"peat")``) is :data:`DYNAMIC_LOOKUP`, which no forbid list accepts.

One module past the usual size on purpose (~900 lines): reading which calls
built a value is one walk of one tree — aliases, live statements, bindings,
data flow and the verdict share its types, and splitting them would pass the
tree and its indexes between modules for no reader's gain.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# Methods whose result does not come from their receiver's data.
FRESH_METHODS = frozenset({"new_tensor", "new_full", "new_zeros", "new_ones", "new_empty",
                           "copy_", "set_"})
#: Builtins that convert a value without computing a new one: ``bool(torch.allclose(…))``
#: is still built with ``torch.allclose`` (the value checks judge the type it gives).
CONVERSIONS = frozenset({"bool", "int", "float", "complex"})
_OPERATORS = {ast.MatMult: "@", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
              ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%"}
#: The calls an operator stands for, when a drill asks for the call itself.
_OPERATOR_CALLS = {"@": ("torch.matmul", "torch.mm", ".matmul", ".mm"),
                   "+": ("torch.add", ".add"), "-": ("torch.sub", "torch.subtract", ".sub"),
                   "*": ("torch.mul", "torch.multiply", ".mul"),
                   "/": ("torch.div", "torch.divide", ".div"), "**": ("torch.pow", ".pow")}
#: Calls that only compute a new value (no effect on their receiver or arguments): one
#: made as a whole statement, its result thrown away (``x.detach()`` on a line of its own
#: next to a loss built without it), is not a use of that API. Methods by name; torch
#: functions by the same names (``torch.matmul(a, b)`` alone on a line). Not ``.to``,
#: ``.float``, ``.cpu`` and the like: on a module they move its parameters in place; not
#: ``torch.randn`` and the like: they move the random generator on.
PURE_CALLS = frozenset({
    "detach", "clone", "contiguous", "long", "int", "bool", "view", "view_as", "reshape",
    "reshape_as", "permute", "transpose", "t", "squeeze", "unsqueeze", "flatten", "unflatten",
    "expand", "expand_as", "repeat", "movedim", "sum", "mean", "prod", "max", "min", "argmax",
    "argmin", "softmax", "log_softmax", "matmul", "mm", "bmm", "einsum", "add", "sub",
    "subtract", "mul", "multiply", "div", "divide", "pow", "exp", "log", "abs", "sqrt",
    "clamp", "relu", "sigmoid", "tanh", "norm", "item", "tolist", "numpy", "cat", "stack",
    "chunk", "split", "unbind", "gather", "index_select", "masked_fill", "where", "narrow",
    "zeros_like", "ones_like", "full_like", "tensor", "zeros", "ones", "full", "arange",
    "linspace", "eye", "from_numpy", "as_tensor", "allclose", "equal",
})
#: Expression nodes one submission's data flow may visit in all (a 64 KB source has at
#: most ~40,000; honest ones a few hundred): past it, nothing more is credited.
_VISIT_BUDGET = 400_000
_FOLLOW_LIMIT = 50  # names followed through data flow for one value (cycles, long chains)

Producers = frozenset[str] | None  # None: a literal, neutral in arithmetic


@dataclass(frozen=True)
class SourceIndex:
    """What the submission's reachable code calls, computed once per submission.

    ``calls_by_name[name]`` lists, in source order, the calls made in each
    reachable module-level statement binding ``name`` (its whole body for a
    ``def``/``class``); the last entry is the binding whose value the
    harness reads. ``produced_by[name]`` is the set of calls that produced
    that final value (see the module docstring).
    """

    calls_by_name: dict[str, list[set[str]]]
    all_calls: set[str]
    syntax_ok: bool
    produced_by: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Top-level modules the submission imports (``math.cos`` is not a method).
    modules: frozenset[str] = frozenset()
    #: The operator of a name's final value when it is one (``a @ b``: "@"), for messages.
    operators: dict[str, str] = field(default_factory=dict)
    #: Names whose final binding is a ``def`` or ``class`` (a message says "must call").
    definitions: frozenset[str] = frozenset()
    #: What the source rebinds of torch (``torch.zeros = …``): a value those calls
    #: produced passes no API check.
    patched: frozenset[str] = frozenset()
    #: How the source reaches module names other than by binding them (``globals()``,
    #: ``exec``…), as written; "" when it does not. No API check can pass then: what
    #: built a name's final value is not in the statements that name it.
    dynamic: str = ""
    #: Module names a function rebinds (``global zeros_1`` in its body).
    rebound_in_functions: frozenset[str] = frozenset()


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        head = aliases.get(node.id, node.id)
        return ".".join([head, *reversed(parts)])
    return None


#: Public torch names of one and the same object: a call of either counts as both
#: (``torch.autograd.set_grad_enabled`` is ``torch.set_grad_enabled``).
SAME_OBJECT = {f"{module}.{mode}": f"torch.{mode}"
               for module in ("torch.autograd", "torch.autograd.grad_mode")
               for mode in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode")}


#: Calls that look an attribute up by its name as text, and where that name is:
#: the index of the argument (``getattr(x, "repeat")``), or None for all of them.
_LOOKUPS = {"getattr": 1, "inspect.getattr_static": 1, "operator.methodcaller": 0,
            "operator.attrgetter": None, ".__getattribute__": -1, ".__getattr__": -1}
#: What a lookup by a computed name (``getattr(x, "re" + "peat")``) calls, as far as
#: anyone reading the source can tell: no check that forbids a call can pass it.
DYNAMIC_LOOKUP = "getattr(…)"


def lookup_message(name: str) -> str:
    return (f"`{name}` looks an attribute up by a computed name (`getattr(x, …)`), so the "
            "check cannot see whether it reaches a call this exercise rules out; call what "
            "you use by its name")


def _call_names(call: ast.Call, aliases: dict[str, str]) -> set[str]:
    names: set[str] = set()
    name = _dotted(call.func, aliases)
    if name is not None:
        names.add(name)
        if name in SAME_OBJECT:
            names.add(SAME_OBJECT[name])
    if isinstance(call.func, ast.Attribute):
        names.add("." + call.func.attr)
    lookup = name if name in _LOOKUPS else (
        "." + call.func.attr if isinstance(call.func, ast.Attribute) else None)
    if lookup in _LOOKUPS and call.args:
        names |= _looked_up(call, _LOOKUPS[lookup], aliases)
    return names


def _looked_up(call: ast.Call, where: int | None, aliases: dict[str, str]) -> set[str]:
    """What a lookup by name reaches, as if written out: ``getattr(bias, "repeat")`` is
    ``.repeat`` and ``getattr(torch, "cdist")`` is ``torch.cdist``; a name that is not
    plain text is :data:`DYNAMIC_LOOKUP`."""
    if where is not None and not -len(call.args) <= where < len(call.args):
        return set()
    found: set[str] = set()
    for arg in call.args if where is None else [call.args[where]]:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            found.add(DYNAMIC_LOOKUP)
            continue
        attr = arg.value.rsplit(".", 1)[-1]
        found.add("." + attr)
        owner = _dotted(call.args[0], aliases) if where == 1 else None
        if owner is not None:
            found.add(f"{owner}.{attr}")
    return found


def _discarded_pure(call: ast.Call) -> bool:
    """``call`` (a whole statement) only computes a value: a method or function of
    :data:`PURE_CALLS` (``x.detach()``, ``torch.matmul(a, b)``), with no ``out=``."""
    return (isinstance(call.func, ast.Attribute) and call.func.attr in PURE_CALLS
            and not any(k.arg == "out" for k in call.keywords))


def _constant_truth(test: ast.expr) -> bool | None:
    """The value of a condition known without running anything, else None."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _constant_truth(test.operand)
        return None if inner is None else not inner
    if (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__"):
        # submissions run as "__submission__", never as "__main__"
        if isinstance(test.ops[0], ast.Eq):
            return False
        if isinstance(test.ops[0], ast.NotEq):
            return True
    return None


def _live(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-scope statements that may run, in source order (compound ones first)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            truth = _constant_truth(stmt.test)
            if truth is not False:
                yield from _live(stmt.body)
            if truth is not True:
                yield from _live(stmt.orelse)
        elif isinstance(stmt, ast.While):
            if _constant_truth(stmt.test) is not False:
                yield from _live(stmt.body)
            yield from _live(stmt.orelse)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            yield from _live(stmt.body)
            yield from _live(stmt.orelse)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _live(stmt.body)
        elif isinstance(stmt, (ast.Try, ast.TryStar)):
            yield from _live(stmt.body)
            for handler in stmt.handlers:
                yield from _live(handler.body)
            yield from _live(stmt.orelse)
            yield from _live(stmt.finalbody)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                yield from _live(case.body)


class _LiveCalls(ast.NodeVisitor):
    """Every call in a subtree, skipping branches under a constant false condition."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self.found: set[str] = set()

    def visit_Call(self, node: ast.Call) -> None:
        self.found |= _call_names(node, self.aliases)
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        """A pure call whose result is thrown away is not a use (:data:`PURE_CALLS`);
        what its receiver and arguments call still is."""
        call = node.value
        if isinstance(call, ast.Call) and _discarded_pure(call):
            self.generic_visit(call)
        else:
            self.generic_visit(node)

    def visit_Try(self, node: ast.Try | ast.TryStar) -> None:
        """A call tried for the error it may raise is a use (``try: t.expand(*shape)``)."""
        for stmt in node.body:
            (self.generic_visit if isinstance(stmt, ast.Expr) else self.visit)(stmt)
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try

    def _branches(self, node: ast.If | ast.While | ast.IfExp) -> None:
        truth = _constant_truth(node.test)
        self.visit(node.test)
        body = node.body if isinstance(node.body, list) else [node.body]
        orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
        for child in (body if truth is not False else []) + (orelse if truth is not True else []):
            self.visit(child)

    visit_If = visit_While = visit_IfExp = _branches


def _live_calls(node: ast.AST, aliases: dict[str, str]) -> set[str]:
    visitor = _LiveCalls(aliases)
    visitor.visit(node)
    return visitor.found


def _aliases(tree: ast.AST) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                aliases[a.asname or top] = a.name if a.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


#: Modules whose names a submission must not rebind: the check reads ``torch.zeros(…)``
#: as torch's own function (``sys.modules[…]`` and ``builtins`` reach torch too).
_GUARDED_MODULES = frozenset({"torch", "sys", "builtins", "importlib"})


def _patched(tree: ast.AST, aliases: dict[str, str]) -> frozenset[str]:
    """What the source rebinds of torch (``torch.zeros = …``, ``setattr(torch, …)``,
    ``torch.__dict__[…] = …``, an imported name assigned or defined again: ``from torch
    import zeros`` then ``zeros = …``): a call the check would credit to torch's function
    then runs the submission's own."""
    def guarded(node: ast.AST) -> str | None:
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if isinstance(node, ast.Name) and node.id in aliases \
                and aliases[node.id].split(".")[0] in _GUARDED_MODULES:
            return aliases[node.id]
        return None

    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor,
                               ast.NamedExpr)):
            targets = [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name in aliases \
                and aliases[node.name].split(".")[0] in _GUARDED_MODULES:
            found.add(aliases[node.name])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("setattr", "delattr") and node.args:
            module = guarded(node.args[0])
            if module:
                found.add(module)
        while targets:
            target = targets.pop()
            if isinstance(target, (ast.Tuple, ast.List)):
                targets.extend(target.elts)
            elif isinstance(target, ast.Starred):
                targets.append(target.value)
            elif isinstance(target, ast.Name):
                if target.id in aliases and aliases[target.id].split(".")[0] in _GUARDED_MODULES:
                    found.add(aliases[target.id])
            elif isinstance(target, (ast.Attribute, ast.Subscript)):
                module = guarded(target)
                dotted = _dotted(target, aliases)
                # a setting is no function (torch.backends.cudnn.deterministic = True)
                if module and (dotted is None or _is_function(dotted)):
                    found.add(dotted or module)
    return frozenset(found)


#: Calls that read or write a namespace by name, or run text as code.
_NAMESPACE_CALLS = frozenset({"globals", "locals", "exec", "eval", "compile", "__import__",
                              "importlib.import_module", "importlib.reload", "sys._getframe",
                              "inspect.currentframe", "inspect.stack"})
#: Of those, imports by name: one of a module named by plain text is harmless.
_IMPORT_CALLS = frozenset({"__import__", "importlib.import_module"})
#: Attributes that are a module's (or a frame's) namespace itself.
_NAMESPACE_ATTRIBUTES = frozenset({"__globals__", "f_globals", "f_locals", "f_builtins"})


#: Words one of which a source must contain to reach names dynamically: a source
#: without any is not walked for it (each walk of a hostile 64 KB tree costs ~0.4 s).
_NAMESPACE_WORDS = re.compile(r"globals|locals|exec|eval|compile|__import__|import_module|"
                              r"reload|_getframe|currentframe|stack|vars|modules|f_builtins")


def _dynamic_names(tree: ast.AST, aliases: dict[str, str], source: str) -> str:
    """The first way the source reaches names dynamically (see :attr:`SourceIndex.dynamic`):
    a call of :data:`_NAMESPACE_CALLS` (also as ``builtins.globals``), ``vars()`` with
    no argument (the module's names; ``vars(obj)`` is an object's), ``sys.modules``, or
    an attribute of :data:`_NAMESPACE_ATTRIBUTES` (``f.__globals__``)."""
    if not _NAMESPACE_WORDS.search(source):
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func, aliases) or ""
            name = name.removeprefix("builtins.").removeprefix("__builtins__.")
            if name in _IMPORT_CALLS and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) \
                    and not node.args[0].value.startswith("__"):
                continue  # __import__("os"): another module, not this one's names
            if name in _NAMESPACE_CALLS or (name == "vars" and not node.args):
                return f"{name}()"
        elif isinstance(node, ast.Attribute):
            if node.attr in _NAMESPACE_ATTRIBUTES:
                return f".{node.attr}"
            if _dotted(node, aliases) == "sys.modules":
                return "sys.modules"
    return ""


def _global_in_functions(tree: ast.AST, source: str) -> frozenset[str]:
    """Names a ``global`` statement declares (in a function it may rebind them when
    called; at module level it changes nothing, and is rare enough to count alike)."""
    if "global" not in source:
        return frozenset()
    return frozenset(name for node in ast.walk(tree) if isinstance(node, ast.Global)
                     for name in node.names)


@functools.cache
def _is_function(dotted: str) -> bool:
    """``torch.zeros`` names something callable of torch (its settings do not)."""
    import importlib

    head, *rest = dotted.split(".")
    try:
        value: object = importlib.import_module(head)
    except ImportError:
        return True
    for part in rest:
        value = getattr(value, part, None)
        if value is None:
            return True  # a name torch does not have: nothing to shadow, but not a setting
    return callable(value)


@dataclass
class _Binding:
    """One binding of a module-level name: where, and the expression giving its value."""

    position: int  # index of the statement among the reachable ones
    stmt: ast.stmt
    value: ast.expr | None  # None for def/class
    augmented: bool = False


def _pairs(target: ast.expr, value: ast.expr | None) -> Iterator[tuple[str, ast.expr | None]]:
    """(name, value expression) for each name an assignment target binds."""
    if isinstance(target, ast.Name):
        yield target.id, value
    elif isinstance(target, (ast.Tuple, ast.List)):
        elements = target.elts
        spread = (isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(elements)
                  and not any(isinstance(e, ast.Starred) for e in [*elements, *value.elts]))
        for i, element in enumerate(elements):
            inner = element.value if isinstance(element, ast.Starred) else element
            yield from _pairs(inner, value.elts[i] if spread else value)  # type: ignore[union-attr]


#: The value of a binding whose producer the check cannot read (a ``for`` or ``with``
#: target, an import): a constant, so nothing is credited with it.
_OPAQUE = ast.Constant(value=None)
_COMPOUND = (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try,
             ast.TryStar, ast.Match)


def _headers(stmt: ast.stmt) -> list[ast.AST]:
    """What a statement evaluates itself: a simple one whole; a compound one its
    test, iterable, context managers or subject (its bodies are statements of their
    own in :func:`_live`)."""
    if not isinstance(stmt, _COMPOUND):
        return [stmt]
    found: list[ast.AST] = [getattr(stmt, attr) for attr in ("test", "iter", "subject")
                            if getattr(stmt, attr, None) is not None]
    return found + [item.context_expr for item in getattr(stmt, "items", [])]


def _walruses(stmt: ast.stmt) -> Iterator[ast.NamedExpr]:
    """``(name := value)`` in what ``stmt`` evaluates; one in a comprehension binds in
    the module too, one in a lambda or a def does not."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return
    pending = _headers(stmt)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.NamedExpr):
            yield node
        if not isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(node))


def _bindings(stmt: ast.stmt, walrus: bool = True
              ) -> Iterator[tuple[str, ast.expr | None, bool]]:
    """(name, value expression, augmented) for each module name ``stmt`` binds:
    assignments, ``def``/``class``, ``:=`` (before the statement's own target), and
    with a value nothing is credited with (:data:`_OPAQUE`) ``for`` and ``with``
    targets and imports — ``zeros_1 = torch.zeros(1)`` then ``for zeros_1 in
    [torch.full(…)]: pass`` is not built with ``torch.zeros``."""
    for named in _walruses(stmt) if walrus else ():  # walrus: the source has a `:=`
        if isinstance(named.target, ast.Name):
            yield named.target.id, named.value, False
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        for name, _ in _pairs(stmt.target, None):
            yield name, _OPAQUE, False
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        for item in stmt.items:
            if item.optional_vars is not None:
                for name, _ in _pairs(item.optional_vars, None):
                    yield name, _OPAQUE, False
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for alias in stmt.names:
            if alias.name != "*":
                yield alias.asname or alias.name.split(".")[0], _OPAQUE, False
    elif isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            for name, value in _pairs(target, stmt.value):
                yield name, value, False
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        for name, value in _pairs(stmt.target, stmt.value):
            yield name, value, False
    elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        yield stmt.target.id, stmt.value, True
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield stmt.name, None, False


_BOOL_COMPARISONS = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)


def _compared_with_bool(node: ast.Compare) -> ast.expr | None:
    """``x == True``, ``x is False``, ``True != x`` …: the side compared with a bool
    constant (the value is ``x`` or its negation); None for any other comparison."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], _BOOL_COMPARISONS):
        return None
    left, right = node.left, node.comparators[0]

    def is_bool(side: ast.expr) -> bool:
        return isinstance(side, ast.Constant) and type(side.value) is bool

    if is_bool(right) and not is_bool(left):
        return left
    if is_bool(left) and not is_bool(right):
        return right
    return None


def _meet(a: Producers, b: Producers) -> Producers:
    """Both operands hold data: only calls that produced both count."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b


class _Bodies:
    """The calls of each def/class body (and assigned value), found once per submission.

    ``of(stmt)`` is (every call in the body, and the submission's own
    module-level functions it calls by name, in name order, each with the
    ``def`` that binds it last)."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self._calls: dict[int, frozenset[str]] = {}
        self._helpers: dict[int, tuple[tuple[str, ast.stmt], ...]] = {}
        self._defs: dict[str, ast.stmt] = {}  # name -> its last module-level def

    def bind(self, bindings: dict[str, list[_Binding]]) -> None:
        """The module's bindings, once they are all known (before :meth:`of`)."""
        for name, history in bindings.items():
            defs = [b.stmt for b in history if b.value is None
                    and isinstance(b.stmt, (ast.FunctionDef, ast.AsyncFunctionDef))]
            if defs:
                self._defs[name] = defs[-1]

    def calls(self, node: ast.AST) -> frozenset[str]:
        """Every call in ``node`` (a body, or a value that binds several names)."""
        found = self._calls.get(id(node))
        if found is None:
            found = self._calls[id(node)] = frozenset(_live_calls(node, self.aliases))
        return found

    def of(self, stmt: ast.stmt) -> tuple[frozenset[str], tuple[tuple[str, ast.stmt], ...]]:
        direct = self.calls(stmt)
        helpers = self._helpers.get(id(stmt))
        if helpers is None:
            helpers = self._helpers[id(stmt)] = tuple(
                (name, self._defs[name]) for name in sorted(direct)
                if "." not in name and name in self._defs)
        return direct, helpers


@dataclass
class _Shared:
    """What every name's data flow of one submission shares: the producers of each
    binding already worked out in full, and the expression nodes visited so far.

    A source of 3,600 names bound to one list of 15,000 names walked that list once
    per name (18 s of the trusted side's CPU for one 64 KB submission)."""

    produced: dict[int, Producers] = field(default_factory=dict)
    visits: int = 0


class _DataFlow:
    """What produced a value: calls followed through names, indexing and arithmetic."""

    def __init__(self, bindings: dict[str, list[_Binding]], aliases: dict[str, str],
                 bodies: _Bodies, shared: _Shared) -> None:
        self.bindings = bindings
        self.aliases = aliases
        self.bodies = bodies  # shared by every name of the submission
        self.shared = shared
        self.followed = 0
        self.truncated = False  # the follow limit was hit: results depend on the path

    def binding_before(self, name: str, position: int) -> _Binding | None:
        found = None
        for binding in self.bindings.get(name, []):
            if binding.position < position:
                found = binding
        return found

    def of_binding(self, binding: _Binding) -> Producers:
        key = id(binding)
        if key in self.shared.produced:
            return self.shared.produced[key]
        truncated, self.truncated = self.truncated, False
        if binding.value is None:  # def / class: everything its body calls
            produced: Producers = frozenset(self._body_calls(binding.stmt, set()))
        else:
            produced = self.of(binding.value, binding.position)
            if binding.augmented:  # x += y keeps x's data and adds y's
                target = binding.stmt.target  # type: ignore[attr-defined]
                previous = self.binding_before(target.id, binding.position)
                produced = _meet(self.of_binding(previous) if previous else frozenset(),
                                 produced)
        if not self.truncated:  # the same for every name that reaches it
            self.shared.produced[key] = produced
        self.truncated = self.truncated or truncated
        return produced

    def _body_calls(self, stmt: ast.stmt, seen: set[str]) -> set[str]:
        """Every call in a def/class body, and in the bodies of the module-level
        functions of the submission that it calls by name, transitively (at most
        :data:`_FOLLOW_LIMIT` of them, followed in name order, depth first).

        Each body is walked once per submission (:class:`_Bodies`): a source of
        thousands of functions calling each other walked them ~77,000 times."""
        found: set[str] = set()
        self._collect(stmt, seen, found)
        return found

    def _collect(self, stmt: ast.stmt, seen: set[str], found: set[str]) -> None:
        direct, helpers = self.bodies.of(stmt)
        found |= direct
        for name, helper in helpers:
            if len(seen) >= _FOLLOW_LIMIT:  # seen only grows: nothing after this is followed
                return
            if name not in seen:
                seen.add(name)
                self._collect(helper, seen, found)

    def of(self, node: ast.expr, position: int) -> Producers:
        self.shared.visits += 1
        if self.shared.visits > _VISIT_BUDGET:  # hostile shapes: nothing more is credited
            self.truncated = True
            return frozenset()
        if isinstance(node, ast.Constant):
            return None
        if isinstance(node, ast.Call):
            if (isinstance(node.func, ast.Name) and node.func.id in CONVERSIONS
                    and node.func.id not in self.aliases and len(node.args) == 1
                    and not node.keywords and not isinstance(node.args[0], ast.Starred)):
                # bool(torch.allclose(a, b)): the value is still the call's
                inner = self.of(node.args[0], position)
                return (inner or frozenset()) | {node.func.id}
            produced = frozenset(_call_names(node, self.aliases))
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr not in FRESH_METHODS:
                receiver = self.of(func.value, position)
                produced |= receiver or frozenset()
            return produced
        if isinstance(node, ast.Name):
            binding = self.binding_before(node.id, position)
            self.followed += 1
            if self.followed > _FOLLOW_LIMIT:
                self.truncated = True
                return frozenset()
            if binding is None:
                return frozenset()
            return self.of_binding(binding)
        if isinstance(node, ast.Subscript):
            element = self._element(node, position)
            if element is not None:
                return self.of(*element)
            return self.of(node.value, position)
        if isinstance(node, ast.Attribute):
            return self.of(node.value, position)
        if isinstance(node, ast.UnaryOp):
            return self.of(node.operand, position)
        if isinstance(node, ast.Compare):
            other = _compared_with_bool(node)
            return self.of(other, position) if other is not None else frozenset()
        if isinstance(node, ast.BinOp):
            return _meet(self.of(node.left, position), self.of(node.right, position))
        if isinstance(node, ast.IfExp):
            truth = _constant_truth(node.test)
            if truth is not None:
                return self.of(node.body if truth else node.orelse, position)
            return _meet(self.of(node.body, position), self.of(node.orelse, position))
        if isinstance(node, (ast.Tuple, ast.List)):
            produced: Producers = None
            for element in node.elts:
                produced = _meet(produced, self.of(element, position))
            return produced
        if isinstance(node, ast.NamedExpr):
            return self.of(node.value, position)
        return frozenset()

    def _element(self, node: ast.Subscript, position: int) -> tuple[ast.expr, int] | None:
        """(element, where it was written) a constant index picks out of a tuple/list literal."""
        container: ast.expr = node.value
        for _ in range(_FOLLOW_LIMIT):  # through names bound to the literal
            if not isinstance(container, ast.Name):
                break
            binding = self.binding_before(container.id, position)
            if binding is None or binding.value is None or binding.augmented:
                return None
            container, position = binding.value, binding.position
        index = node.slice
        if (isinstance(container, (ast.Tuple, ast.List)) and isinstance(index, ast.Constant)
                and type(index.value) is int
                and not any(isinstance(e, ast.Starred) for e in container.elts)
                and -len(container.elts) <= index.value < len(container.elts)):
            return container.elts[index.value], position
        return None


def index_source(source: str) -> SourceIndex:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return SourceIndex({}, set(), False)
    aliases = _aliases(tree)
    walrus = ":=" in source
    bindings: dict[str, list[_Binding]] = {}
    calls_by_name: dict[str, list[set[str]]] = {}
    all_calls: set[str] = set()
    bodies = _Bodies(aliases)  # each def/class body is walked once, here
    for position, stmt in enumerate(_live(tree.body)):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            all_calls |= bodies.calls(stmt)
        else:  # compound statements: their parts come next
            for part in _headers(stmt):
                all_calls |= _live_calls(part, aliases)
        for name, value, augmented in _bindings(stmt, walrus):
            bindings.setdefault(name, []).append(_Binding(position, stmt, value, augmented))
    bodies.bind(bindings)
    for name, history in bindings.items():
        calls_by_name[name] = [  # `a, b, … = value`: one walk of value for all its names
            set(bodies.calls(b.stmt if b.value is None else getattr(b.stmt, "value", b.value)))
            for b in history]
    produced_by = {}
    operators = {}
    shared = _Shared()
    for name, history in bindings.items():
        produced = _DataFlow(bindings, aliases, bodies, shared).of_binding(history[-1])
        produced_by[name] = produced or frozenset()
        value = history[-1].value
        if isinstance(value, ast.BinOp) and type(value.op) in _OPERATORS:
            operators[name] = _OPERATORS[type(value.op)]
    modules = frozenset(target.split(".")[0] for target in aliases.values())
    definitions = frozenset(name for name, history in bindings.items()
                            if history[-1].value is None)
    return SourceIndex(calls_by_name, all_calls, True, produced_by, modules, operators,
                       definitions, _patched(tree, aliases),
                       _dynamic_names(tree, aliases, source), _global_in_functions(tree, source))


_PUTS = frozenset({"append", "extend", "insert"})


def calls_put_into(source: str, name: str) -> set[str]:
    """Calls in the values module-level code puts into ``name`` without rebinding it —
    ``hs.append(torch.tanh(…))``, ``hs[t] = …`` (a loop's states kept in a list) — named
    as :class:`SourceIndex` names them. Function and class bodies are not looked in."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    aliases = _aliases(tree)
    found: set[str] = set()
    for stmt in _live(tree.body):
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if isinstance(func, ast.Attribute) and func.attr in _PUTS \
                    and isinstance(func.value, ast.Name) and func.value.id == name:
                for arg in stmt.value.args:
                    found |= _live_calls(arg, aliases)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                root = target
                while isinstance(root, ast.Subscript):
                    root = root.value
                if target is not root and isinstance(root, ast.Name) and root.id == name:
                    found |= _live_calls(stmt.value, aliases)
    return found


def check_api(index: SourceIndex, name: str, required: list[str], forbidden: list[str]
              ) -> tuple[bool, str]:
    """(ok, message) for the value finally bound to ``name``."""
    if not required and not forbidden:
        return True, ""
    bindings = index.calls_by_name.get(name)
    spoofed = _spoofed(index, index.produced_by.get(name, frozenset()))
    if spoofed:
        return False, (f"your code rebinds `{spoofed}`: the drill checks the calls torch "
                       "itself provides; remove the line that does it")
    if index.dynamic:
        return False, (f"your code reaches module names through `{index.dynamic}`: the check "
                       f"reads what built `{name}` from the statements that bind it by name; "
                       "remove it and write plain assignments")
    if name in index.rebound_in_functions:
        return False, (f"a function rebinds `{name}` (`global {name}`): the check reads what "
                       f"built it from module-level statements; bind it there (`{name} = …`)")
    if not bindings:
        return False, (f"couldn't find a statement `{name} = …` in your code; "
                       f"write it as an assignment using {_pretty(required)}")
    produced = index.produced_by.get(name, frozenset())
    missing = [r for r in required if r not in produced
               and not any(_made_with(index, produced, e) for e in _same_operation(r))]
    used_forbidden = [f for f in forbidden if f in produced or f in bindings[-1]]
    if forbidden and DYNAMIC_LOOKUP in produced | bindings[-1]:
        return False, lookup_message(name)
    if missing:
        seen = sorted(c for c in produced if not c.startswith("."))
        found = f"; found {', '.join(seen)}" if seen else ""
        operator = index.operators.get(name)
        if operator and any(m in _OPERATOR_CALLS.get(operator, ()) for m in missing):
            found = f"; yours uses the `{operator}` operator"  # a @ b for torch.matmul(a, b)
        if name in index.definitions:  # a function: what it computes, not a bound value
            return False, f"`{name}` must call {_pretty(missing)}{found}"
        return False, (f"`{name}` must be built with {_pretty(missing)} (the value bound to "
                       f"`{name}` has to come from that call){found}")
    if used_forbidden:
        return False, f"`{name}` must not use {_pretty(used_forbidden)} in this drill"
    return True, ""


def _spoofed(index: SourceIndex, produced: frozenset[str]) -> str | None:
    """What the source rebound of the calls that produced a value: ``torch.zeros`` for
    ``torch.zeros = …`` then ``zeros_1 = torch.zeros(…)``; a whole module rebound through
    ``setattr`` or its ``__dict__`` spoils every call of torch."""
    for patched in sorted(index.patched):
        if patched in produced:
            return patched
        if "." not in patched and any(p.startswith("torch.") for p in produced):
            return patched
    return None


def _made_with(index: SourceIndex, produced: frozenset[str], entry: str) -> bool:
    """``entry`` is among ``produced``; a method (``.cos``) only as a call on a value,
    not a module's function of the same name (``math.cos(…)`` is not ``x.cos()``)."""
    if entry not in produced:
        return False
    if not entry.startswith("."):
        return True
    spelled = [c for c in produced if not c.startswith(".") and c.endswith(entry)]
    return not spelled or any(c.split(".")[0] not in index.modules for c in spelled)


@functools.cache
def _same_operation(entry: str) -> tuple[str, ...]:
    """The other spelling of a top-level torch function that is also a tensor
    method (``torch.cos`` ↔ ``.cos``); none for anything else (``torch.zeros``
    has no method, ``torch.linalg.solve`` is not top-level)."""
    import torch  # the trusted side has it; only asked once per name

    if entry.startswith("."):
        name = entry[1:]
        fn_name, method = f"torch.{name}", entry
    elif entry.startswith("torch.") and entry.count(".") == 1:
        name = entry.split(".", 1)[1]
        fn_name, method = entry, f".{name}"
    else:
        return ()
    if name.startswith("_") or not callable(getattr(torch, name, None)) \
            or not callable(getattr(torch.Tensor, name, None)):
        return ()
    return (method,) if entry == fn_name else (fn_name,)


def _pretty(entries: list[str]) -> str:
    return " and ".join(f"`{e}()`" if not e.startswith(".") else f"`x{e}()`" for e in entries)
