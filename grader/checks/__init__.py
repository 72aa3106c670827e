"""Check kinds: what each kind asks the sandbox for, and how it judges the data.

A kind has two halves. ``probes`` says what data the sandbox must produce
(read a name, call a function on hidden inputs, run a probe script); the same
probes run on the reference solution in the trusted process. ``judge``
compares the learner's data with the reference's and returns a
:class:`Verdict`. Judging never happens in the sandbox.
"""

from __future__ import annotations

from grader.checks.base import CheckContext, Hidden, Outcome, Verdict, judge_for

__all__ = ["CheckContext", "Hidden", "Outcome", "Verdict", "judge_for"]
