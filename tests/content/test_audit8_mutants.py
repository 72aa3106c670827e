"""Eighth audit (held-out submissions), found by mutating every reference solution: each
statement line replaced by ``pass``, and one operator, comparison, whole number, flag or
method name changed at a time (``+``/``-``, ``<``/``<=``, ``n``/``n + 1``, ``sum``/``mean``,
``unsqueeze``/``squeeze``, ``train``/``eval``…). A mutant that still passed on two seeds was
either equivalent for the exercise's contract (a demo line, a redundant guard, a slice end
past a fixed size) or a hole in the hidden cases; each hole is below, failing with its cause.

- 1.3.2: ``find_roots`` was checked on the course's cubic and three hidden polynomials that
  were quadratics only now and then, so a companion matrix left without its sub-diagonal for
  degree 2 (``if n > 2:`` for ``if n > 1:``) passed on most seeds. A hidden quadratic with two
  real roots is now always among them, at a random place.
"""

from __future__ import annotations

import pytest
from audit_support import fails_with_its_cause

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEEDS = (3, 17)

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: quadratics were rare among the hidden polynomials
    "1.3.2-companion-wrong-for-quadratics": ("1.3.2", [("    if n > 1:", "    if n > 2:")],
                                             "roots", ["find_roots", "values are off"]),
}


@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_submission_fails_with_its_cause(grader, curriculum, name):
    await fails_with_its_cause(grader, curriculum, WRONG[name], SEEDS, name)
