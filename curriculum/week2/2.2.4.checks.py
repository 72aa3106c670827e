"""Checks of 2.2.4: manual expansion, judged against the learner's own random operands."""

import torch

from curriculum.lib.week2 import api_problem, case_labels, compare, names_probe, operand_kind
from grader.checks.base import Verdict


def _first(*problems):
    for p in problems:
        if p:
            return Verdict(False, *p)
    return None


def _api(ctx, pairs):
    for name, required, forbidden in pairs:
        problem = api_problem(ctx, name, required, forbidden)
        if problem:
            return Verdict(False, "api", problem)
    return None


def _manual(k, s1, s2):
    target = tuple(torch.broadcast_shapes(s1, s2))

    def judge(learner, reference, inputs, ctx):
        d = learner.value
        a, b = d[f"a_{k}"], d[f"b_{k}"]
        bad = _first(operand_kind(f"a_{k}", a, s1), operand_kind(f"b_{k}", b, s2))
        if bad:
            return bad
        bad = _first(
            compare(d[f"a_expanded_{k}"], a.expand(target), f"`a_expanded_{k}` (a_{k} expanded "
                    f"to {target})"),
            compare(d[f"b_expanded_{k}"], b.expand(target), f"`b_expanded_{k}` (b_{k} expanded "
                    f"to {target})"),
            compare(d[f"manual_{k}"], a + b, f"`manual_{k}` (sum of the expanded tensors)"))
        if bad:
            return bad
        return _api(ctx, [(f"a_{k}", ["torch.randn"], []), (f"b_{k}", ["torch.randn"], []),
                          (f"a_expanded_{k}", [".expand"], []),
                          (f"b_expanded_{k}", [".expand"], [])]) or Verdict(True, "value")

    return judge


NAMES = {k: [f"a_{k}", f"b_{k}", f"a_expanded_{k}", f"b_expanded_{k}", f"manual_{k}"]
         for k in (21, 22)}
PROBE_21 = names_probe(NAMES[21])
PROBE_22 = names_probe(NAMES[22])
judge_21 = _manual(21, (2, 1, 4), (1, 3, 1))
judge_22 = _manual(22, (1, 5, 1), (3, 1, 2))

PROBE_23 = names_probe(["a_23", "b_23", "manual_23", "auto_23", "match_23"])


def judge_23(learner, reference, inputs, ctx):
    d = learner.value
    a, b = d["a_23"], d["b_23"]
    bad = _first(operand_kind("a_23", a, (4, 1, 6)), operand_kind("b_23", b, (1, 2, 1)))
    if bad:
        return bad
    bad = _first(compare(d["manual_23"], a + b, "`manual_23`"),
                 compare(d["auto_23"], a + b, "`auto_23`"),
                 compare(d["match_23"], True, "`match_23`"))
    if bad:
        return bad
    return _api(ctx, [("a_23", ["torch.randn"], []), ("b_23", ["torch.randn"], []),
                      ("manual_23", [".expand"], []),
                      ("auto_23", [], [".expand", ".expand_as", "torch.broadcast_to"]),
                      ("match_23", ["torch.allclose"], [])]) or Verdict(True, "value")


PROBE_24 = names_probe(["a_24", "expanded_24"])


def judge_24(learner, reference, inputs, ctx):
    d = learner.value
    a = d["a_24"]
    bad = _first(operand_kind("a_24", a, (3, 1)),
                 compare(d["expanded_24"], a.expand(2, -1, 4), "`expanded_24`"))
    if bad:
        return bad
    return _api(ctx, [("a_24", ["torch.randn"], []), ("expanded_24", [".expand"], [])]) \
        or Verdict(True, "value")


# ---- can_expand(t, shape) on hidden cases -------------------------------------------

PROBE_CAN_EXPAND = '''
def probe(ns, inputs):
    if "can_expand" not in ns:
        raise NameError("name 'can_expand' is not defined")
    fn = ns["can_expand"]
    out = []
    for t, shape in inputs:
        try:
            out.append({"ok": fn(t, tuple(shape))})
        except Exception as exc:
            out.append({"raised": type(exc).__name__, "message": str(exc)[:300]})
    return out
'''


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
    return torch.randn(*src), [int(s) for s in target]


def make_expand_cases(rng):
    cases = [(torch.randn(2, 1, 4), [2, 3, 4]), (torch.randn(3, 1), [4, 4])]  # prompt examples
    flags = [True, True, True, True, False, False, False, False]
    rng.shuffle(flags)
    cases += [_random_case(rng, flag) for flag in flags]
    return cases


def judge_can_expand(learner, reference, inputs, ctx):
    got, exp = learner.value, reference.value
    labels = ["the first example", "the second example",
              *case_labels(0, len(exp) - 2)]
    for i, (g, e) in enumerate(zip(got, exp, strict=True)):
        if "raised" in g:
            return Verdict(False, "value", f"`can_expand` raised {g['raised']} on {labels[i]}: "
                                           f"{g.get('message', '')[:200]} — return False instead")
        problem = compare(g["ok"], e["ok"], f"`can_expand` on {labels[i]}")
        if problem:
            kind, msg = problem
            if kind == "value":
                msg = (f"`can_expand` gave the wrong answer on {labels[i]} (of {len(exp)}); "
                       f"remember the rules: align shapes from the right, a size-1 dim may "
                       f"become any size, -1 keeps a size, other sizes must match, and new "
                       f"dims can only be added in front")
            return Verdict(False, kind, msg)
    return Verdict(True, "value")


PROBE_25 = names_probe(["a_25", "target_25", "expanded_25"])


def judge_25(learner, reference, inputs, ctx):
    d = learner.value
    a, target = d["a_25"], d["target_25"]
    bad = _first(operand_kind("a_25", a, (3, 1)), operand_kind("target_25", target, (3, 4)),
                 compare(d["expanded_25"], a.expand(3, 4), "`expanded_25`"))
    if bad:
        return bad
    return _api(ctx, [("a_25", ["torch.randn"], []), ("target_25", ["torch.randn"], []),
                      ("expanded_25", [".expand_as"], [])]) or Verdict(True, "value")
