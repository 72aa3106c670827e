"""Judges compare measured values only through curriculum/judges/compare.py.

Python's `x > tol` is False for NaN, so a judge that fails on `err > 1e-5` passes a NaN
error — a NaN causal mask once scored full marks that way. This test reads the trusted
judging code (judges, checks modules, the grader's check kinds) and fails on:

* calls to ``allclose`` / ``isclose`` / ``assert_close`` (use ``compare.close``/``mismatch``);
* ordering comparisons against a float literal or a tolerance/threshold name, or of a
  measured value — ``float(…)``, ``abs(…)``, ``x.item()``, ``x.max()`` and the other
  reductions — against anything, an int literal included (``float(g.abs().max()) > 0``
  is False for a NaN gradient): use ``compare.at_most`` / ``at_least`` / ``above`` /
  ``below`` / ``close``.

Input generators (functions taking ``rng``) draw data and may compare freely. A line that
compares on purpose — elementwise on values checked finite just before, or counts — says so
with ``# compare: ok (why)``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BANNED = ("allclose", "isclose", "assert_close")
NAMES = ("tol", "TOL", "threshold", "THRESHOLD", "MIN_", "MAX_")
#: Calls whose result is a measured (float) value: NaN when the value is.
MEASURED_FUNCS = ("float", "abs")
MEASURED_METHODS = ("item", "max", "min", "amax", "amin", "mean", "sum", "norm", "std", "var",
                    "abs")


def _trusted_files() -> list[Path]:
    files = [*ROOT.glob("curriculum/judges/*.py"), *ROOT.glob("curriculum/week*/*.checks.py"),
             ROOT / "grader/checks/tensor.py", ROOT / "grader/checks/python.py"]
    return sorted(f for f in files if f.name != "compare.py")


def _float(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.BinOp):
        return _float(node.left) or _float(node.right)
    return isinstance(node, ast.Constant) and isinstance(node.value, float)


def _measured(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.BinOp):
        return _measured(node.left) or _measured(node.right)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id in MEASURED_FUNCS) or (
        isinstance(func, ast.Attribute) and func.attr in MEASURED_METHODS)


def _suspect(node: ast.Compare) -> bool:
    if not any(isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in node.ops):
        return False
    operands = [node.left, *node.comparators]
    return any(_float(o) or _measured(o) or any(n in ast.unparse(o) for n in NAMES)
               for o in operands)


def _offenders(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def draws_data(node: ast.AST) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.FunctionDef | ast.Lambda) and "rng" in [
                    a.arg for a in [*node.args.args, *node.args.kwonlyargs]]:
                return True
        return False

    found = []
    for node in ast.walk(tree):
        bad = (isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in BANNED) \
            or (isinstance(node, ast.Compare) and _suspect(node)
                and "rng" not in ast.unparse(node) and not draws_data(node))
        if bad and "# compare: ok" not in lines[node.lineno - 1]:
            found.append(f"{path}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_judges_compare_through_the_one_nan_safe_comparison():
    offenders = [o for f in _trusted_files() for o in _offenders(f)]
    assert not offenders, "use curriculum.judges.compare:\n" + "\n".join(offenders)


def test_the_guard_catches_the_pattern_it_is_for(tmp_path):
    sample = tmp_path / "sample.checks.py"
    sample.write_text("def judge(g, r, i, ctx):\n    if g['err'] > 1e-5:\n        return 0\n"
                      "    import torch\n    return torch.allclose(g['a'], r['a'])\n")
    assert len(_offenders(sample)) == 2
    # a measured value against an int: False for NaN all the same (a NaN gradient at
    # padding once passed "padding positions must get zero gradient" that way)
    sample.write_text("def judge(g, r, i, ctx):\n    if float(g.abs().max()) > 0:\n"
                      "        return 0\n    return g.item() >= 1 or int(g.sum()) < 2\n")
    assert len(_offenders(sample)) == 2
    sample.write_text("def judge(g, r, i, ctx):\n    return (g > 0.5).sum()  # compare: ok (x)\n"
                      "\n\ndef inputs(rng):\n    return rng.random() < 0.5 or 3 > 0.5\n")
    assert _offenders(sample) == []


def test_compare_treats_nan_and_inf_as_failures():
    import math

    import torch

    from curriculum.judges.compare import above, at_least, at_most, below, close, mismatch

    nan, inf = math.nan, math.inf
    for bound in (0.0, 1e-5, 1.0):
        for value in (nan, inf, -inf, None, "0.0", True, torch.tensor([1.0, 2.0])):
            assert not at_most(value, bound) and not at_least(value, -bound)
            assert not above(value, -bound) and not below(value, bound)
    assert at_most(torch.tensor(1e-6), 1e-5) and at_least(0.9, 0.85)
    assert not close(torch.tensor([1.0, nan]), torch.tensor([1.0, 1.0]))
    assert not close(torch.tensor([nan]), torch.tensor([nan]))  # expected NaN must be explicit
    assert close(torch.tensor([nan, -inf]), torch.tensor([nan, -inf]), nonfinite="match")
    assert not close(torch.tensor([0.0, -inf]), torch.tensor([nan, -inf]), nonfinite="match")
    assert "NaN or inf" in mismatch(torch.tensor([inf]), torch.tensor([1.0]))
    assert "shape" in mismatch(torch.zeros(2), torch.zeros(3))
