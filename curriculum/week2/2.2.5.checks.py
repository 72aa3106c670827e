"""Checks of 2.2.5: safe_add and broadcast_shape on hidden compatible/incompatible shapes."""

import torch

from curriculum.lib.week2 import calls_in, compare
from grader.checks.base import Verdict

PROBE = '''
def probe(ns, inputs):
    if FUNC not in ns:
        raise NameError("name '%s' is not defined" % FUNC)
    fn = ns[FUNC]
    out = []
    for args in inputs:
        try:
            out.append({"ok": fn(*args)})
        except Exception as exc:
            out.append({"raised": type(exc).__name__, "message": str(exc)[:300]})
    return out
'''
PROBE_SAFE_ADD = "FUNC = 'safe_add'\n" + PROBE
PROBE_SHAPE = "FUNC = 'broadcast_shape'\n" + PROBE


def _compatible(rng):
    """Two random shapes that broadcast (some dims 1, different ranks)."""
    out = [int(rng.integers(2, 6)) for _ in range(int(rng.integers(1, 5)))]
    s1 = [1 if rng.random() < 0.35 else d for d in out]
    s2 = [1 if (rng.random() < 0.35 and s1[i] != 1) else d for i, d in enumerate(out)]
    s2 = s2[int(rng.integers(0, len(s2))):] if rng.random() < 0.5 else s2
    return (s1, s2) if rng.random() < 0.5 else (s2, s1)


def _incompatible(rng):
    s1, s2 = _compatible(rng)
    for _ in range(10):
        j = int(rng.integers(1, min(len(s1), len(s2)) + 1))  # a dim both have, from the right
        if s1[-j] != 1:
            s2 = list(s2)
            s2[-j] = s1[-j] + int(rng.integers(1, 3))
            return s1, s2
        if s2[-j] != 1:
            s1 = list(s1)
            s1[-j] = s2[-j] + int(rng.integers(1, 3))
            return s1, s2
    return [3, 4], [4, 3]


def _shape_cases(rng):
    comp = [_compatible(rng) for _ in range(5)]
    inc = [_incompatible(rng) for _ in range(4)]
    return comp, inc


def make_safe_add_cases(rng):
    comp, inc = _shape_cases(rng)
    cases = [(torch.randn(*a), torch.randn(*b)) for a, b in comp]
    cases += [(torch.randn(*a), torch.randn(*b)) for a, b in inc]
    cases.append((torch.randn(3, 4), torch.randn(4, 3)))
    order = rng.permutation(len(cases))
    return [cases[i] for i in order]


def make_shape_cases(rng):
    comp, inc = _shape_cases(rng)
    cases = [(tuple(a), tuple(b)) for a, b in comp + inc]
    cases += [((2, 1, 4), (1, 3, 1)), ((), (3, 2)), ((3, 4), (4, 3))]
    order = rng.permutation(len(cases))
    return [cases[i] for i in order]


def judge_safe_add(learner, reference, inputs, ctx):
    got, exp = learner.value, reference.value
    for i, (g, e) in enumerate(zip(got, exp, strict=True)):
        label = f"hidden pair #{i + 1} of {len(exp)}"
        shapes = "broadcastable shapes" if e["ok"][1] is None else "incompatible shapes"
        if "raised" in g:
            return Verdict(False, "value", f"`safe_add` raised {g['raised']} on {label} "
                                           f"({shapes}); it must catch the RuntimeError and "
                                           f"return (None, str(e))")
        result = g["ok"]
        if not isinstance(result, tuple) or len(result) != 2:
            return Verdict(False, "type", f"`safe_add` must return a 2-tuple (result, error); "
                                          f"on {label} it returned something else")
        want_result, want_msg = e["ok"]
        if want_msg is None:
            problem = compare(result[0], want_result, f"`safe_add` on {label} ({shapes}): "
                                                      f"the result")
            if problem:
                return Verdict(False, *problem)
            if result[1] is not None:
                return Verdict(False, "value", f"`safe_add` on {label} ({shapes}) must return "
                                               f"None as the error when the addition works")
        else:
            if result[0] is not None:
                return Verdict(False, "value", f"`safe_add` on {label} ({shapes}): these shapes "
                                               f"do not broadcast, so the result must be None")
            if not isinstance(result[1], str) or result[1] != want_msg:
                return Verdict(False, "value", f"`safe_add` on {label} ({shapes}) must return "
                                               f"the RuntimeError's own message, `str(e)`, as "
                                               f"the error")
    return Verdict(True, "value")


def judge_broadcast_shape(learner, reference, inputs, ctx):
    used = sorted(c for c in calls_in(ctx, "broadcast_shape")
                  if c.startswith(("torch.", "numpy.")))
    if used:
        return Verdict(False, "api", f"`broadcast_shape` must apply the rules in plain Python; "
                                     f"it calls {', '.join(used)}")
    got, exp = learner.value, reference.value
    for i, (g, e) in enumerate(zip(got, exp, strict=True)):
        kind = "incompatible shapes" if "raised" in e else "broadcastable shapes"
        label = f"hidden case #{i + 1} of {len(exp)}, {kind}"
        if "raised" in e:
            if "raised" not in g:
                return Verdict(False, "value", f"`broadcast_shape` on {label} should raise "
                                               f"ValueError; it returned a value")
            if g["raised"] != "ValueError":
                return Verdict(False, "type", f"`broadcast_shape` on {label} should raise "
                                              f"ValueError; it raised {g['raised']}")
            continue
        if "raised" in g:
            return Verdict(False, "value", f"`broadcast_shape` on {label} raised "
                                           f"{g['raised']}: {g.get('message', '')[:200]}")
        value = g["ok"]
        if not isinstance(value, tuple) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                   for v in value):
            return Verdict(False, "type", f"`broadcast_shape` on {label} should return a "
                                          f"tuple of ints; found {type(value).__name__}")
        if value != e["ok"]:
            return Verdict(False, "value", f"`broadcast_shape` on {label} returned a "
                                           f"tuple that is not the broadcast shape")
    return Verdict(True, "value")
