"""Fourteenth audit (held-out submissions and the last round's known gaps).

- 1.3.4: no hidden data set had a |z-score| exactly at the threshold, so ``>=`` (the
  contract says greater than) passed. One set now has its largest |z-score| exactly at the
  threshold for every usual way of computing z (``torch.std_mean`` included), drawn after
  the other cases and put at a random call.
"""

from __future__ import annotations

import numpy as np
from audit_support import audit_tests

SEEDS = (5, 23)

_OUTLIERS = "return data[z.abs() > threshold]"

# (exercise, edits of the reference, failing check, fragments of its message)
WRONG = {
    "1.3.4-outliers-at-or-above-the-threshold": ("1.3.4", [
        (_OUTLIERS, "return data[z.abs() >= threshold]")],
        "outliers", ["strictly greater", "exactly at the threshold"]),
}

CORRECT = {
    "1.3.4-reference": ("1.3.4", []),
    "1.3.4-std-mean-at-once": ("1.3.4", [
        ("    z = normalize_to_z_scores(data)\n",
         "    std, mean = torch.std_mean(data)\n    z = (data - mean) / std\n")]),
    "1.3.4-not-at-most-the-threshold": ("1.3.4", [
        (_OUTLIERS, "return data[~(z.abs() <= threshold)]")]),
}

test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS)


def test_1_3_4_every_seed_has_a_value_exactly_at_the_threshold(curriculum):
    """On any seed, one hidden data set ties: ``>`` and ``>=`` count differently there."""
    import torch

    scope: dict = {}
    exec(compile(curriculum.get("1.3.4").checks_source, "1.3.4.checks.py", "exec"), scope)
    for seed in range(40):
        ties = [(data, t) for data, t in scope["inputs_outliers"](np.random.default_rng(seed))
                if (((data - data.mean()) / torch.std(data)).abs() == t).any()]
        assert len(ties) == 1, seed
        assert all(float(z.max()) == ties[0][1] for z in scope["_z_every_way"](ties[0][0]))


def test_an_extreme_but_honest_normal_draw_is_not_refused():
    """1.1.4's torch.randn drills refused a 30-value sample whose std was under 0.5 — one
    honest draw in about 50,000. The check now uses the calibrated test the operand judges
    use (below 1e-9 for a true sample of any size), and still refuses scaled samples."""
    import torch

    from grader.checks.tensor import _check_normal

    x = torch.randn(30, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    narrow = (x - x.mean()) / x.std() * 0.49
    assert _check_normal(narrow) is None
    assert "far from N(0, 1)" in (_check_normal(narrow * 20 + 3) or "")
    assert "take both signs" in (_check_normal(x.abs() + 0.1) or "")
