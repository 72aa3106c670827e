"""``python`` checks: a probe that runs in the jail and a judge that runs here.

The check's YAML names its pieces (see ``curriculum.schema.PythonCheck``):

    - id: random_systems
      kind: python
      check_kind: value            # kind shown in the result
      inputs: inputs_random        # <id>.checks.py: inputs_random(rng) -> object
      probe: calls.probe           # curriculum/probes/calls.py (runs in the jail)
      probe_args: {fn: solve_linear_system}
      judge: cases.results         # curriculum/judges/cases.py: results(...)
      args: {fn: solve_linear_system, rtol: 1.0e-5, atol: 1.0e-5}

``inputs`` are generated from the job's seed on the trusted side, sent into
the sandbox, and given to both the learner's and the reference's probe. To
keep labels or held-out targets out of the sandbox, return
``grader.checks.base.Hidden(inputs=..., secret=...)``: only ``inputs`` is
sent; the judge finds ``secret`` in ``ctx.secrets[check.id]``. The judge also
has ``ctx.source_text`` (the learner's source) for custom AST checks.
``learner`` and ``reference`` are :class:`~grader.checks.base.Outcome`.
The probe must return data only; expected values stay here.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from curriculum.schema import PythonCheck
from grader.checks.api import check_api
from grader.checks.base import CheckContext, Hidden, Outcome, Verdict

log = logging.getLogger(__name__)
_NAME_ERROR = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")


def resolve(name: str, ctx: CheckContext) -> Callable[..., Any]:
    """``module.function`` from curriculum/judges, or a function of the exercise's checks."""
    if "." in name:
        module, _, function = name.partition(".")
        return getattr(importlib.import_module(f"curriculum.judges.{module}"), function)
    return ctx.module[name]


def accepted(fn: Callable[..., Any], args: dict[str, Any]) -> dict[str, Any]:
    """The check's ``args`` that ``fn`` declares: the inputs and the judge function of a
    check share one ``args`` mapping and each takes the keywords it names (``**kw``: all).
    tests/content checks that every key is taken by one of them."""
    if not args:
        return {}
    params = _keywords(fn)
    return dict(args) if params is None else {k: v for k, v in args.items() if k in params}


@functools.cache
def _keywords(fn: Callable[..., Any]) -> frozenset[str] | None:
    sig = inspect.signature(fn)
    reserved = {"rng", "learner", "reference", "inputs", "ctx"} & set(sig.parameters)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return frozenset(name for name, p in sig.parameters.items()
                     if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
                     and name not in reserved)


class PythonJudge:
    def probes(self, check: PythonCheck, ctx: CheckContext) -> list[dict]:
        if not check.probe_code:
            raise RuntimeError(f"{ctx.exercise_id}: probe {check.probe!r} was not assembled")
        probe = {"id": check.id, "op": "script", "code": check.probe_code}
        if check.inputs:
            rng = np.random.default_rng([ctx.seed, _stable_hash(check.id)])
            make = resolve(check.inputs, ctx)
            made = make(rng, **accepted(make, check.args))
            if isinstance(made, Hidden):  # labels etc. never enter the sandbox
                ctx.inputs[check.id], ctx.secrets[check.id] = made.inputs, made.secret
            else:
                ctx.inputs[check.id] = made
            probe["inputs_key"] = check.id
        return [probe]

    def judge(self, check: PythonCheck, learner: dict[str, Outcome],
              reference: dict[str, Outcome], ctx: CheckContext) -> Verdict:
        got, ref = learner[check.id], reference[check.id]
        if ref.error is not None:
            raise RuntimeError(f"reference for {check.id} failed: {ref.describe_error()}")
        if got.missing_name is not None:
            # Our own words around the name: the message is the learner's to write
            # (raise NameError("<anything>")), so it is quoted only as a NameError.
            found = _NAME_ERROR.fullmatch(got.missing_name)
            if found:
                return Verdict(False, "name", f"name '{found.group(1)}' is not defined")
            return Verdict(False, check.check_kind, got.describe_error())
        if got.error is not None:
            return Verdict(False, check.check_kind, got.describe_error())
        judge = resolve(check.judge, ctx)
        try:
            verdict = judge(got, ref, ctx.inputs.get(check.id), ctx,
                            **accepted(judge, check.args))
        except Exception as exc:  # the learner's data broke the judge: their verdict, logged
            log.exception("%s: judge %s failed on the learner's data", ctx.exercise_id,
                          check.judge)
            return Verdict(False, check.check_kind, "could not judge what your code produced "
                                                    f"({type(exc).__name__}); check its types "
                                                    "and shapes against the contract")
        if isinstance(verdict, tuple):
            ok, message = verdict
            verdict = Verdict(bool(ok), check.check_kind, message)
        if not verdict.ok:
            return verdict
        skipped = cases_skipped(got.value, ref.value)
        if skipped:
            return Verdict(False, check.check_kind, skipped)
        if check.api and check.api_target:
            ok, message = check_api(ctx.source, check.api_target, check.api, [])
            if not ok:
                return Verdict(False, "api", message)
        return verdict


def cases_skipped(got: Any, want: Any) -> str | None:
    """A probe that tries several cases returns one answer per case, and a judge
    walks the learner's answers: an empty list would pass every judge that loops
    over it. The learner's code can empty it (clearing the hidden inputs it is
    handed, or sending a result frame of its own), so a passing verdict also needs
    as many answers as the reference gave on the same inputs (trusted: it ran
    outside the sandbox)."""
    if not isinstance(want, list | tuple) or not want:
        return None
    if isinstance(got, list | tuple) and len(got) == len(want):
        return None
    found = len(got) if isinstance(got, list | tuple) else 0
    return (f"the check tried {len(want)} cases and got an answer for {found}: every case "
            "must run through your code, with the inputs it was given left as they were")


def _stable_hash(text: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) % (2**31)
