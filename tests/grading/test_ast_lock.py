"""The trusted side parses learner code in several threads at once (judges
in worker threads, the API index of a long source); CPython before 3.13
shares one AST-construction counter between threads and can fail such a
parse with ``SystemError: AST constructor recursion depth mismatch``
(python/cpython#106905; seen here in a full test run). Importing the grader
makes ``ast.parse`` take one process-wide lock."""

from __future__ import annotations

import ast
import sys
import threading

import pytest

import grader  # noqa: F401  (installs the lock)
from grader import ast_lock


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="fixed in CPython 3.13")
def test_ast_parse_is_serialised_in_the_grader_process() -> None:
    assert ast.parse is ast_lock.parse
    parsed = threading.Event()

    def parse() -> None:
        ast.parse("x = [i for i in range(3)]")
        parsed.set()

    with ast_lock._LOCK:  # another thread is parsing
        worker = threading.Thread(target=parse)
        worker.start()
        assert not parsed.wait(0.2)  # it waits for that parse to finish
    assert parsed.wait(10)
    worker.join()
    assert isinstance(ast.parse("y = 1", mode="exec"), ast.Module)
    ast_lock.install()  # idempotent: still one wrapper, not a wrapper of the wrapper
    assert ast.parse is ast_lock.parse
