"""Checks of 2.2.5: safe_add and broadcast_shape on hidden compatible/incompatible shapes.

Every job draws a random number of random compatible and incompatible pairs
and shuffles them, and always adds pairs built to separate the known wrong
rules (by construction, with random sizes — never left to the draw):

* aligning from the *left*: ``(n,)`` with ``(m, n)`` broadcasts to ``(m, n)``
  but clashes left-aligned; ``(n,)`` with ``(n, 1)`` is ``(n, n)``, not
  ``(n, 1)``; ``(n,)`` with ``(n, k)`` clashes, though left-aligned it fits;
* forgetting the longer shape's leading dims, or the rank difference:
  ``(a, 1, c)`` with ``(b, 1)`` is ``(a, b, c)``;
* size 1 on both sides (``(1, n)`` with ``(m, 1)``) and the scalar shape ``()``;
* the pair in both orders (a rule that depends on the argument order);
* size 0 (an empty dim): it is not 1, so against a 1 the result is 0
  (``(m, 1)`` with ``(0,)`` is ``(m, 0)``, which ``max`` gets wrong) and against
  any other size it clashes.
"""


from curriculum.judges.cases import case_list, first_changed, raised_name, raised_names
from curriculum.judges.data import randn
from curriculum.judges.source import calls_in
from curriculum.judges.values import problem
from grader.checks.api import DYNAMIC_LOOKUP
from grader.checks.base import Verdict


def _dims(rng, k, lo=2, hi=6):
    """k distinct sizes ≥ 2 (so no accidental size-1 or equal dims)."""
    return [int(d) for d in rng.choice(range(lo, hi + 1), size=k, replace=False)]


def _separating(rng):
    """Pairs that a left-aligned, rank-ignoring or order-dependent rule gets wrong."""
    n, m, k = _dims(rng, 3)
    a, b, c = _dims(rng, 3)
    return [
        ((n,), (m, n)),          # right-aligned: (m, n); left-aligned: n vs m clash
        ((n,), (n, 1)),          # (n, n); left-aligned gives (n, 1)
        ((n,), (n, k)),          # clash (n vs k); left-aligned it "fits"
        ((a, 1, c), (b, 1)),     # (a, b, c): the rank difference matters
        ((1, n), (m, 1)),        # ones on both sides
        ((), (m, k)),            # the scalar shape
        ((m, n), (n,)),          # the first pair, the other way round
        ((m, 1), (0,)),          # (m, 0): 0 against 1 gives 0, not max(0, 1)
        ((0, 1), (1, n)),        # (0, n): the same with the zero in the first shape
        ((0, n), (m, n)),        # clash: 0 is not 1
    ]


def _compatible(rng):
    """Two random shapes that broadcast (some dims 1, different ranks)."""
    out = [int(rng.integers(2, 6)) for _ in range(int(rng.integers(1, 5)))]
    s1 = [1 if rng.random() < 0.35 else d for d in out]
    s2 = [1 if (rng.random() < 0.35 and s1[i] != 1) else d for i, d in enumerate(out)]
    s2 = s2[int(rng.integers(0, len(s2))):] if rng.random() < 0.5 else s2
    return (tuple(s1), tuple(s2)) if rng.random() < 0.5 else (tuple(s2), tuple(s1))


def _incompatible(rng):
    s1, s2 = map(list, _compatible(rng))
    for _ in range(10):
        j = int(rng.integers(1, min(len(s1), len(s2)) + 1))  # a dim both have, from the right
        if s1[-j] != 1:
            s2[-j] = s1[-j] + int(rng.integers(1, 3))
            return tuple(s1), tuple(s2)
        if s2[-j] != 1:
            s1[-j] = s2[-j] + int(rng.integers(1, 3))
            return tuple(s1), tuple(s2)
    return (3, 4), (4, 3)


def _shape_pairs(rng):
    """The separating pairs plus 3-5 compatible and 2-4 incompatible random ones, shuffled."""
    pairs = _separating(rng)
    pairs += [_compatible(rng) for _ in range(int(rng.integers(3, 6)))]
    pairs += [_incompatible(rng) for _ in range(int(rng.integers(2, 5)))]
    order = rng.permutation(len(pairs))
    return [pairs[i] for i in order]


def make_safe_add_cases(rng):
    return [(randn(rng, *a), randn(rng, *b)) for a, b in _shape_pairs(rng)]


def make_shape_cases(rng):
    return _shape_pairs(rng)


def judge_safe_add(learner, reference, inputs, ctx):
    exp = case_list(reference, len(inputs))
    got = case_list(learner, len(inputs))
    if exp is None:
        raise RuntimeError("reference safe_add returned malformed data")
    if got is None:
        return Verdict(False, "value", "could not read the results of `safe_add`")
    changed = first_changed(got, "safe_add", "hidden pair")
    if changed:
        return Verdict(False, "value", changed)
    for i, (g, e) in enumerate(zip(got, exp, strict=True)):
        label = f"hidden pair #{i + 1} of {len(exp)}"
        shapes = "broadcastable shapes" if e["ok"][1] is None else "incompatible shapes"
        if "raised" in g:
            return Verdict(False, "value", f"`safe_add` raised {raised_name(g)} on {label} "
                                           f"({shapes}); it must catch the RuntimeError and "
                                           f"return (None, str(e))")
        result = g["ok"]
        if not isinstance(result, tuple) or len(result) != 2:
            return Verdict(False, "type", f"`safe_add` must return a 2-tuple (result, error); "
                                          f"on {label} it returned something else")
        want_result, want_msg = e["ok"]
        if want_msg is None:
            bad = problem(result[0], want_result, f"`safe_add` on {label} ({shapes}): the "
                                                  f"result")
            if bad:
                return Verdict(False, *bad)
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
    used = sorted(c for c in calls_in(ctx, "broadcast_shape")  # getattr(…): could be either
                  if c.startswith(("torch.", "numpy.")) or c == DYNAMIC_LOOKUP)
    if used:
        return Verdict(False, "api", f"`broadcast_shape` must apply the rules in plain Python; "
                                     f"it calls {', '.join(used)}")
    exp = case_list(reference, len(inputs))
    got = case_list(learner, len(inputs))
    if exp is None:
        raise RuntimeError("reference broadcast_shape returned malformed data")
    if got is None:
        return Verdict(False, "value", "could not read the results of `broadcast_shape`")
    changed = first_changed(got, "broadcast_shape")
    if changed:
        return Verdict(False, "value", changed)
    for i, (g, e) in enumerate(zip(got, exp, strict=True)):
        kind = "incompatible shapes" if "raised" in e else "broadcastable shapes"
        label = f"hidden case #{i + 1} of {len(exp)}, {kind}"
        if "raised" in e:
            if "raised" not in g:
                return Verdict(False, "value", f"`broadcast_shape` on {label} should raise "
                                               f"ValueError; it returned a value")
            if "ValueError" not in raised_names(g):
                return Verdict(False, "type", f"`broadcast_shape` on {label} should raise "
                                              f"ValueError; it raised {raised_name(g)}")
            continue
        if "raised" in g:
            return Verdict(False, "value", f"`broadcast_shape` on {label} raised "
                                           f"{raised_name(g)}: "
                                           f"{str(g.get('message', ''))[:200]}")
        value = g["ok"]
        if not isinstance(value, tuple) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                   for v in value):
            return Verdict(False, "type", f"`broadcast_shape` on {label} should return a "
                                          f"tuple of ints; found {type(value).__name__}")
        if value != e["ok"]:
            zero = "; a size 0 is not 1: against a 1 it gives 0" if 0 in e["ok"] else ""
            return Verdict(False, "value", f"`broadcast_shape` on {label} returned a "
                                           f"tuple that is not the broadcast shape (align the "
                                           f"shapes from the right; a size 1 takes the other "
                                           f"size{zero})")
    return Verdict(True, "value")
