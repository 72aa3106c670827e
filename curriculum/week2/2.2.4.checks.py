"""Checks of 2.2.4: manual expansion, judged against the learner's own random operands."""

import ast

import torch

from curriculum.judges.cases import each_case, labels_for, shuffled
from curriculum.judges.data import randn
from curriculum.judges.shapes import operand_problem
from curriculum.judges.source import api_problem, bound_expression
from curriculum.judges.values import problem
from grader.checks.base import Verdict


def _first(*problems):
    for p in problems:
        if p:
            return Verdict(False, *p)
    return None


def _api(ctx, pairs):
    for name, required, forbidden in pairs:
        bad = api_problem(ctx, name, required, forbidden)
        if bad:
            return Verdict(False, "api", bad)
    return None


def _data(learner):
    return learner.value if isinstance(learner.value, dict) else {}


def judge_manual(learner, reference, inputs, ctx, *, k, a, b):
    """Variant k: a_k, b_k expanded by hand to their broadcast shape, then added."""
    d = _data(learner)
    a_k, b_k = d.get(f"a_{k}"), d.get(f"b_{k}")
    bad = _first(operand_problem(f"a_{k}", a_k, a), operand_problem(f"b_{k}", b_k, b))
    if bad:
        return bad
    target = tuple(torch.broadcast_shapes(tuple(a), tuple(b)))
    bad = _first(
        problem(d.get(f"a_expanded_{k}"), a_k.expand(target),
                f"`a_expanded_{k}` (a_{k} expanded to {target})"),
        problem(d.get(f"b_expanded_{k}"), b_k.expand(target),
                f"`b_expanded_{k}` (b_{k} expanded to {target})"),
        problem(d.get(f"manual_{k}"), a_k + b_k, f"`manual_{k}` (sum of the expanded tensors)"))
    if bad:
        return bad
    bad = _api(ctx, [(f"a_{k}", ["torch.randn"], []), (f"b_{k}", ["torch.randn"], []),
                     (f"a_expanded_{k}", [".expand"], []),
                     (f"b_expanded_{k}", [".expand"], [])])
    if bad:
        return bad
    raw = _unexpanded_operands(ctx.source_text, f"manual_{k}", (f"a_{k}", f"b_{k}"))
    if raw:  # a_k + b_k has the same values: broadcasting did the expanding, not the learner
        which = " and ".join(f"`{n}`" for n in raw)
        rest = "as they are and lets broadcasting expand them" if len(raw) > 1 \
            else "as it is and lets broadcasting expand it"
        return Verdict(False, "api", f"`manual_{k}` must add the expanded tensors "
                                     f"(`manual_{k} = a_expanded_{k} + b_expanded_{k}`); yours "
                                     f"adds {which} {rest}")
    return Verdict(True, "value")


_EXPANDING = {"expand", "expand_as", "broadcast_to"}
_METADATA = {"shape", "size", "dtype", "device", "ndim", "dim"}


def _unexpanded_operands(source, name, operands):
    """The ``operands`` that the expression bound to ``name`` uses as they are (not as the
    receiver of ``.expand``/``.expand_as``, the tensor of ``torch.broadcast_to`` or only for
    their shape); none when the binding cannot be read (a helper's result)."""
    expr = bound_expression(source, name)
    if expr is None:
        return []
    covered = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _EXPANDING:
            target = node.args[0] if node.func.attr == "broadcast_to" and node.args \
                else node.func.value
            covered.add(id(target))
        if isinstance(node, ast.Attribute) and node.attr in _METADATA:
            covered.add(id(node.value))
    return sorted({n.id for n in ast.walk(expr) if isinstance(n, ast.Name)
                   and n.id in operands and id(n) not in covered})


def judge_23(learner, reference, inputs, ctx):
    d = _data(learner)
    a, b = d.get("a_23"), d.get("b_23")
    bad = _first(operand_problem("a_23", a, (4, 1, 6)), operand_problem("b_23", b, (1, 2, 1)))
    if bad:
        return bad
    bad = _first(problem(d.get("manual_23"), a + b, "`manual_23`"),
                 problem(d.get("auto_23"), a + b, "`auto_23`"),
                 problem(d.get("match_23"), True, "`match_23`"))
    if bad:
        return bad
    return _api(ctx, [("a_23", ["torch.randn"], []), ("b_23", ["torch.randn"], []),
                      ("manual_23", [".expand"], []),
                      ("auto_23", [], [".expand", ".expand_as", "torch.broadcast_to"]),
                      ("match_23", ["torch.allclose"], [])]) or Verdict(True, "value")


def judge_24(learner, reference, inputs, ctx):
    d = _data(learner)
    a = d.get("a_24")
    bad = _first(operand_problem("a_24", a, (3, 1)))
    if bad:
        return bad
    bad = _first(problem(d.get("expanded_24"), a.expand(2, -1, 4), "`expanded_24`"))
    if bad:
        return bad
    return _api(ctx, [("a_24", ["torch.randn"], []), ("expanded_24", [".expand"], [])]) \
        or Verdict(True, "value")


def judge_25(learner, reference, inputs, ctx):
    d = _data(learner)
    a, target = d.get("a_25"), d.get("target_25")
    bad = _first(operand_problem("a_25", a, (3, 1)), operand_problem("target_25", target, (3, 4)))
    if bad:
        return bad
    bad = _first(problem(d.get("expanded_25"), a.expand(3, 4), "`expanded_25`"))
    if bad:
        return bad
    return _api(ctx, [("a_25", ["torch.randn"], []), ("target_25", ["torch.randn"], []),
                      ("expanded_25", [".expand_as"], [])]) or Verdict(True, "value")


# ---- can_expand(t, shape) on hidden cases -------------------------------------------

def _random_case(rng, compatible: bool):
    ndim = int(rng.integers(1, 4))
    src = [1 if rng.random() < 0.5 else int(rng.integers(2, 6)) for _ in range(ndim)]
    if compatible:
        target = [(-1 if rng.random() < 0.3 else (int(rng.integers(1, 6)) if s == 1 else s))
                  for s in src]
        lead = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))]
        target = lead + target
    else:
        target = [int(rng.integers(1, 6)) if s == 1 else s for s in src]
        fixed = [i for i, s in enumerate(src) if s != 1]
        if fixed and rng.random() < 0.7:
            i = int(rng.choice(fixed))
            target[i] = src[i] + int(rng.integers(1, 4))
        else:  # fewer dims than the tensor has
            src = [int(rng.integers(2, 5)), *src]
            target = target[:]
            if len(src) <= len(target):
                target = target[1:]
    return randn(rng, *src), tuple(int(s) for s in target)


def _separating(rng):
    """Cases a wrong rule always gets wrong (built, not drawn): new leading dims (a
    left-aligned rule compares n with m), -1 beside new dims, and a target with fewer dims
    than the tensor (never expandable)."""
    n, m, k = (int(v) for v in rng.choice(range(2, 7), size=3, replace=False))
    return [(randn(rng, n), (m, n)),
            (randn(rng, 1, n), (k, m, -1)),
            (randn(rng, m, n), (n,))]


def make_expand_cases(rng):
    examples = [(randn(rng, 2, 1, 4), (2, 3, 4)), (randn(rng, 3, 1), (4, 4))]
    flags = [True] * int(rng.integers(3, 6)) + [False] * int(rng.integers(3, 6))
    hidden = [_random_case(rng, flag) for flag in flags] + _separating(rng)
    return shuffled(rng, examples + hidden, examples=2)


RULES = ("remember the rules: align shapes from the right, a size-1 dim may become any size, "
         "-1 keeps a size, other sizes must match, and new dims can only be added in front")


def judge_can_expand(learner, reference, inputs, ctx):
    def compare(found, expected, where):
        bad = problem(found, expected, where)
        if bad and bad[0] == "value":
            return "value", f"{where} gave the wrong answer; {RULES}"
        return bad

    n = len(inputs)
    verdict = each_case(learner, reference, "can_expand", compare, labels_for(n, examples=2),
                        stop_at_first=True)
    if not verdict.ok and " raised " in verdict.message:
        verdict.message += " — return False instead"
    return verdict
