"""``python`` checks: probe and judge written in Python for special cases.

An exercise's ``<id>.checks.py`` is trusted code, executed only in the
judge's process. It may define, for a check declared as::

    - id: solve_1
      kind: python
      check_kind: value          # kind shown in the result
      inputs: make_systems       # def make_systems(rng: numpy.random.Generator) -> object
      probe: PROBE_SOLVE         # str: code defining probe(ns, inputs) -> data
      judge: judge_solve         # def judge_solve(learner, reference, inputs, ctx) -> Verdict|tuple

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

import numpy as np

from curriculum.schema import PythonCheck
from grader.checks.api import check_api
from grader.checks.base import CheckContext, Hidden, Outcome, Verdict


class PythonJudge:
    def probes(self, check: PythonCheck, ctx: CheckContext) -> list[dict]:
        code = ctx.module.get(check.probe)
        if not isinstance(code, str):
            raise RuntimeError(f"{ctx.exercise_id}: probe {check.probe!r} is not a string")
        probe = {"id": check.id, "op": "script", "code": code}
        if check.inputs:
            rng = np.random.default_rng([ctx.seed, _stable_hash(check.id)])
            made = ctx.module[check.inputs](rng)
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
            return Verdict(False, "name", got.error["message"])
        if got.error is not None:
            return Verdict(False, check.check_kind, got.describe_error())
        verdict = ctx.module[check.judge](got, ref, ctx.inputs.get(check.id), ctx)
        if isinstance(verdict, tuple):
            ok, message = verdict
            verdict = Verdict(bool(ok), check.check_kind, message)
        if not verdict.ok:
            return verdict
        if check.api and check.api_target:
            ok, message = check_api(ctx.source, check.api_target, check.api, [])
            if not ok:
                return Verdict(False, "api", message)
        return verdict


def _stable_hash(text: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) % (2**31)
