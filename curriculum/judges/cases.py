"""A learner's function called on hidden cases, judged case by case against the reference.

The probe (``curriculum/probes/calls.py``) calls the function once per case
and sends back ``{"ok": result}`` or ``{"raised": [exception class names,
most specific first], "message": …}``; an ``"ok"`` case whose function changed
an argument it was given also holds ``"changed": "tensor" | "list" | …``, and
fails (:func:`changed_input`). The reference runs the same cases.
Messages name a case by its label ("the example", "hidden input #3") and
never show hidden inputs or expected values.

Hidden cases of different kinds (regular and singular systems, right and
wrong solutions, compatible and incompatible shapes) are drawn in a random
order and, where the exercise allows, in random numbers per job
(:func:`mixed`), so a submission cannot answer by counting its calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from curriculum.judges.compare import Nonfinite
from curriculum.judges.source import calls_in
from curriculum.judges.text import exception_name, pretty_calls
from curriculum.judges.values import Problem, problem
from grader.checks.api import DYNAMIC_LOOKUP, lookup_message
from grader.checks.base import Hidden, Outcome, Verdict

Compare = Callable[[object, object, str], "Problem | str | None"]


def raised_names(case: object) -> list[str]:
    """Exception class names of a case that raised (most specific first), else []."""
    names = case.get("raised") if isinstance(case, dict) else None
    if isinstance(names, str):
        return [names]
    return [str(n) for n in names] if isinstance(names, list) else []


def case_list(outcome: Outcome, n: int) -> list[dict] | None:
    """The probe's per-case results, or None when they are malformed (hostile data)."""
    value = outcome.value
    if not isinstance(value, list) or len(value) != n:
        return None
    if not all(isinstance(v, dict) and ("ok" in v or "raised" in v) for v in value):
        return None
    if not all(isinstance(v.get("changed", ""), str) for v in value):
        return None
    return value


_CHANGED = {
    "tensor": ("the tensor", "compute a new tensor instead of changing the caller's "
                             "(no in-place operations such as `x[...] = …` or `x.add_(…)` "
                             "on it)"),
    "list": ("the list", "build a new one instead of changing the caller's"),
    "tuple": ("the tuple", "build a new one instead of changing the caller's"),
    "dict": ("the dict", "build a new one instead of changing the caller's"),
}


def changed_input(case: object, fn: str, label: str) -> str | None:
    """The message for a case whose function changed an argument it was given (the
    probe's ``"changed"``), else None."""
    if not isinstance(case, dict) or "changed" not in case:
        return None
    what, fix = _CHANGED.get(str(case["changed"]),
                             ("an argument", "leave the caller's arguments as they were"))
    return f"`{fn}` changed {what} it was given ({label}): {fix}"


def first_changed(cases: list[dict], fn: str, what: str = "hidden case") -> str | None:
    """:func:`changed_input`'s message for the first case that changed its arguments, for a
    judge that reads :func:`case_list` itself instead of going through ``each_case``."""
    for i, case in enumerate(cases, start=1):
        message = changed_input(case, fn, f"{what} {i} of {len(cases)}")
        if message:
            return message
    return None


def raised_name(case: object) -> str:
    """The exception a case raised, as a learner knows it (``torch.linalg.LinAlgError``,
    not torch's private ``_LinAlgError``); "an error" when unnamed."""
    names = raised_names(case)
    return exception_name(names[0]) if names else "an error"


NO_ARGUMENTS = ""
"""The label of the one case of a function called without arguments: the message
names the call, ```f()```, not an input the learner never sees."""


def labels_for(n: int, examples: int = 0) -> list[str]:
    """"the example from the prompt" for the first ``examples`` cases (the prompt's own),
    then hidden ones."""
    if n == 1 and examples == 0:
        return ["the hidden input"]
    return [("the example from the prompt" if examples == 1
             else f"example #{i + 1} from the prompt") if i < examples
            else f"hidden input #{i - examples + 1}" for i in range(n)]


def each_case(learner: Outcome, reference: Outcome, fn: str, compare: Compare,
              labels: Sequence[str] | None = None, *, examples: int = 0,
              stop_at_first: bool = False) -> Verdict:
    """Compare the learner's result with the reference's on every case.

    ``compare(found, expected, where)`` returns None, a message, or a
    (kind, message) problem. The verdict reports the first failing case and,
    unless ``stop_at_first``, how many failed. Without ``labels`` the first
    ``examples`` cases are the prompt's examples (:func:`labels_for`); a label
    :data:`NO_ARGUMENTS` names the call itself.
    """
    ref = case_list(reference, len(reference.value) if isinstance(reference.value, list) else -1)
    if ref is None:
        raise RuntimeError(f"reference probe for {fn} returned malformed data")
    n = len(ref)
    labels = list(labels) if labels is not None else labels_for(n, examples)
    got = case_list(learner, n)
    if got is None:
        return Verdict(False, "value", f"could not read the results of `{fn}`")
    problems: list[Problem] = []
    for label, g, r in zip(labels, got, ref, strict=True):
        where = f"`{fn}(…)` on {label}" if label != NO_ARGUMENTS else f"`{fn}()`"
        if "raised" in r:
            raise RuntimeError(f"reference {fn} raised on {label}: {r.get('message')}")
        if "changed" in r:
            raise RuntimeError(f"reference {fn} changed its {r['changed']} on {label}")
        if "raised" in g:
            bad: Problem | None = ("value", f"{where} raised {raised_name(g)}"
                                            f": {str(g.get('message', ''))[:200]}")
        elif (changed := changed_input(g, fn, label or "the call")) is not None:
            bad = ("value", changed)
        else:
            found = compare(g["ok"], r["ok"], where)
            bad = ("value", found) if isinstance(found, str) else found
        if bad:
            problems.append(bad)
            if stop_at_first:
                break
    if not problems:
        return Verdict(True, "value")
    kind, message = problems[0]
    if len(problems) > 1:
        message = f"{len(problems)} of {n} cases are wrong — first: {message}"
    return Verdict(False, kind, message)


def results(learner: Outcome, reference: Outcome, inputs: Any, ctx: Any, *, fn: str,
            rtol: float = 1e-5, atol: float = 1e-6, check_dtype: bool = True,
            examples: int = 0, forbid: Sequence[str] = (), hint: str = "",
            nonfinite: Nonfinite = "fail") -> Verdict:
    """Judge ``fn`` on every case: the learner's result must equal the reference's
    (tensors within rtol/atol, NaN/inf failing; dicts and tuples item by item).

    ``examples``: how many leading cases are the prompt's own examples.
    ``forbid``: calls ``fn`` must not make (it must do the work itself).
    ``hint``: appended to a failing value verdict (a teaching pointer).
    ``nonfinite``: ``"match"`` only where NaN/inf is the expected answer (e.g. a NaN
    pad value); otherwise NaN or inf in a result fails.
    """
    made = calls_in(ctx, fn)
    if forbid and DYNAMIC_LOOKUP in made:
        return Verdict(False, "api", lookup_message(fn))
    used = sorted(f for f in forbid if f in made)
    if used:
        return Verdict(False, "api", f"`{fn}` must do this itself; it calls {pretty_calls(used)}")
    n = len(reference.value) if isinstance(reference.value, list) else 0

    def compare(found: object, expected: object, where: str) -> Problem | None:
        return problem(found, expected, f"{where}: the result", rtol=rtol, atol=atol,
                       check_dtype=check_dtype, nonfinite=nonfinite)

    verdict = each_case(learner, reference, fn, compare, labels_for(n, examples),
                        stop_at_first=True)
    if not verdict.ok and hint and verdict.kind == "value" and " it was given (" not in \
            verdict.message:
        verdict.message += f" — {hint}"
    return verdict


def with_case_hint(verdict: Verdict, learner: Outcome, reference: Outcome, inputs: Any, *,
                   rtol: float, atol: float, hint: Callable[[tuple, object], str | None]
                   ) -> Verdict:
    """A failed value verdict of :func:`results`, told what is wrong with the first wrong
    case: ``hint(args, found)`` reads it from that case's own arguments (say, a softmax
    over another dim) and its text is appended. Expected values are never shown."""
    if verdict.ok or verdict.kind != "value":
        return verdict
    got, ref = case_list(learner, len(inputs)), case_list(reference, len(inputs))
    if got is None or ref is None:
        return verdict
    for (args, _kwargs), g, r in zip(inputs, got, ref, strict=True):
        if "ok" not in g:
            return verdict
        if problem(g["ok"], r["ok"], "", rtol=rtol, atol=atol) is None:
            continue
        said = hint(args, g["ok"])
        if said:
            verdict.message += f" — {said}"
        return verdict
    return verdict


def mixed(rng: np.random.Generator, groups: dict[str, Sequence[Any]]) -> Hidden:
    """Cases of several kinds in one random order: ``Hidden(inputs=cases, secret=kinds)``.

    The kinds stay on the trusted side; the judge reads them from
    ``ctx.secrets[check_id]`` (same order as the cases).
    """
    tagged = [(kind, case) for kind, cases in groups.items() for case in cases]
    order = rng.permutation(len(tagged))
    return Hidden(inputs=[tagged[i][1] for i in order], secret=[tagged[i][0] for i in order])


def shuffled(rng: np.random.Generator, cases: Sequence[Any], examples: int = 0) -> list[Any]:
    """The prompt's examples first (their answers are public), then the hidden cases in a
    random order: a special case (an empty sequence, a constant polynomial) is never at a
    fixed call number."""
    hidden = list(cases[examples:])
    return [*cases[:examples], *(hidden[i] for i in rng.permutation(len(hidden)))]
