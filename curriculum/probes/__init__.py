"""Probes: the code that runs in the jail, next to the learner's code, and sends data back.

A probe is a plain Python file (so it is linted, read and tested like any
other code) that defines ``probe(ns, inputs)``: ``ns`` is the learner's module
namespace, ``inputs`` the check's hidden inputs. It returns data only — the
judge decides outside the jail.

Shared probes live here (``curriculum/probes/<name>.py``); a probe that only
one exercise needs lives beside it in ``<id>.probe.py``. The jail cannot
import our packages (they are masked there), so the loader *assembles* a
probe into one self-contained text:

* ``from curriculum.probes.<module> import …`` lines are replaced by that
  module's text (recursively, each module once) — that is how probes share
  preludes such as ``need`` or the optimizer recorders;
* the check's ``probe_args`` (YAML) are appended as the literal
  ``PROBE_ARGS = {...}`` (a probe declares ``PROBE_ARGS: dict = {}`` to read them);
* ``probe = <function>`` is appended when the check names another function.

Assembly is text only (no torch), so the bot can load the curriculum too.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent
_IMPORT = re.compile(r"^from curriculum\.probes\.(\w+) import [^\n]+$", re.M)


class ProbeSourceError(ValueError):
    """A probe file is malformed; the message says what and where."""


@functools.cache
def shared_text(module: str) -> str:
    path = ROOT / f"{module}.py"
    if not path.is_file() or module.startswith("_"):
        raise ProbeSourceError(f"no shared probe module curriculum/probes/{module}.py")
    return path.read_text(encoding="utf-8")


def _inline(text: str, load: Callable[[str], str], seen: set[str], where: str) -> str:
    if re.search(r"^from __future__ import", text, re.M):
        raise ProbeSourceError(f"{where}: probes cannot use `from __future__` imports (they "
                               "are assembled into one text)")

    def replace(match: re.Match[str]) -> str:
        module = match.group(1)
        if module in seen:
            return ""
        seen.add(module)
        return _inline(load(module), load, seen, f"curriculum/probes/{module}.py")

    return _IMPORT.sub(replace, text)


@functools.lru_cache(maxsize=512)
def defined_names(text: str) -> frozenset[str]:
    """Top-level functions and assignments of a probe file (for the loader's checks)."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ProbeSourceError(f"not valid Python: {exc.msg} (line {exc.lineno})") from None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "curriculum.probes."):
            names.update(a.asname or a.name for a in node.names)
    return frozenset(names)


def assemble(text: str, function: str, args: dict[str, Any] | None = None, *,
             where: str = "probe", load: Callable[[str], str] = shared_text) -> str:
    """The self-contained probe text for one check (see the module docstring)."""
    if function not in defined_names(text):
        raise ProbeSourceError(f"{where} defines no function {function!r}")
    body = _compiled_body(text, where, load)
    tail = []
    if args:
        tail.append(f"PROBE_ARGS = {args!r}")  # JSON-like YAML data: its repr is Python
    if function != "probe":
        tail.append(f"probe = {function}")
    return body + ("\n" + "\n".join(tail) + "\n" if tail else "")


@functools.lru_cache(maxsize=512)
def _compiled_body(text: str, where: str, load: Callable[[str], str]) -> str:
    """A probe file with its preludes inlined, compiled once to prove it is whole (many
    checks share one file; only their PROBE_ARGS differ)."""
    body = _inline(text, load, set(), where).rstrip() + "\n"
    try:
        compile(body, where, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ProbeSourceError(f"{where}: assembled probe does not compile: {exc.msg}") from None
    return body
