"""Which API built a value: judged on the learner's source, outside the sandbox.

Drills teach syntax, so ``linspace_3`` made with ``torch.arange`` is wrong even
when the numbers match. We parse the submission (never run it here), resolve
import aliases (``import torch as t``, ``from torch import zeros``), find the
statements that bind a name and collect every call made in them.

A required entry is either a dotted function (``torch.zeros``, matched after
alias resolution) or a method (``.numpy`` — any call
``<expr>.numpy(...)``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceIndex:
    """Calls per bound name, computed once per submission."""

    calls_by_name: dict[str, list[set[str]]]
    all_calls: set[str]
    syntax_ok: bool


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        head = aliases.get(node.id, node.id)
        return ".".join([head, *reversed(parts)])
    return None


def _calls(node: ast.AST, aliases: dict[str, str]) -> set[str]:
    found: set[str] = set()
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        func = sub.func
        name = _dotted(func, aliases)
        if name is not None:
            found.add(name)
        if isinstance(func, ast.Attribute):
            found.add("." + func.attr)
    return found


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


def _targets(node: ast.AST) -> list[str]:
    names: list[str] = []
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    for t in targets:
        for sub in ast.walk(t):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
    return names


def index_source(source: str) -> SourceIndex:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return SourceIndex({}, set(), False)
    aliases = _aliases(tree)
    by_name: dict[str, list[set[str]]] = {}
    for node in ast.walk(tree):
        names = _targets(node)
        if not names:
            continue
        value = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
            else getattr(node, "value", None)
        if value is None:
            continue
        calls = _calls(value, aliases)
        for name in names:
            by_name.setdefault(name, []).append(calls)
    return SourceIndex(by_name, _calls(tree, aliases), True)


def _matches(required: str, calls: set[str]) -> bool:
    return required in calls


def check_api(index: SourceIndex, name: str, required: list[str], forbidden: list[str]
              ) -> tuple[bool, str]:
    """(ok, message) for the statements that bind ``name``."""
    if not required and not forbidden:
        return True, ""
    bindings = index.calls_by_name.get(name)
    if not bindings:
        return False, (f"couldn't find a statement `{name} = …` in your code; "
                       f"write it as an assignment using {_pretty(required)}")
    # The last binding is the one whose value is checked.
    calls = bindings[-1]
    missing = [r for r in required if not _matches(r, calls)]
    used_forbidden = [f for f in forbidden if _matches(f, calls)]
    if missing:
        seen = sorted(c for c in calls if not c.startswith("."))
        found = f"; found {', '.join(seen)}" if seen else ""
        return False, f"`{name}` must be built with {_pretty(missing)}{found}"
    if used_forbidden:
        return False, f"`{name}` must not use {_pretty(used_forbidden)} in this drill"
    return True, ""


def _pretty(entries: list[str]) -> str:
    return " and ".join(f"`{e}()`" if not e.startswith(".") else f"`x{e}()`" for e in entries)
