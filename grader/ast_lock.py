"""One ``ast.parse`` at a time in this process: CPython before 3.13 builds the
Python AST objects with a recursion counter shared by every thread
(python/cpython#106905), so two threads parsing at once can fail with
``SystemError: AST constructor recursion depth mismatch``.

The trusted side parses submissions in several threads at once — the judges
(``asyncio.to_thread``), the API-check index of a long source, the reference
stock — and every judge in ``curriculum/judges`` reads the source with
``ast.parse``. Rather than hand each caller a lock, :func:`install` makes
``ast.parse`` itself take one (it holds the GIL throughout anyway, so nothing
that could run in parallel is lost). The sandbox never imports this module.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
from typing import Any

_LOCK = threading.Lock()
_UNLOCKED = ast.parse


@functools.wraps(_UNLOCKED)
def parse(*args: Any, **kwargs: Any) -> Any:
    with _LOCK:
        return _UNLOCKED(*args, **kwargs)


def install() -> None:
    """Make ``ast.parse`` serialised for this process (idempotent)."""
    if sys.version_info < (3, 13) and ast.parse is _UNLOCKED:
        ast.parse = parse  # type: ignore[assignment]
