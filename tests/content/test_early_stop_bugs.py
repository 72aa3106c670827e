"""The scripted early-stopping curves (``curriculum.judges.data.stopping_curve``) and the
slips a verdict names from where a run stopped on them (``early_stop_bug``)."""

from __future__ import annotations

import numpy as np

from curriculum.judges.data import EARLY_STOP_BUGS, early_stop, early_stop_bug, stopping_curve


def test_every_curve_tells_a_strict_rule_from_one_that_counts_a_tie() -> None:
    for seed in range(200):
        for patience in (2, 3, 4):
            curve = stopping_curve(np.random.default_rng(seed), patience)
            right = early_stop(curve, patience)[0]
            loose = early_stop(curve, patience, strict=False)[0]
            assert right is not None and (loose is None or loose > right), (seed, patience)


def test_the_slip_named_is_the_one_that_stops_there() -> None:
    # best at index 3, a tie right after it: a tie counted as an improvement and one epoch
    # of patience too many both stop at index 7 — the verdict names both
    curve = [1.0, 0.9, 0.8, 0.7, 0.7, 0.75, 0.76, 0.77, 0.78, 0.79]
    assert early_stop(curve, 3)[0] == 6  # ties are no improvement: 4, 5, 6 → stop
    assert early_stop_bug(curve, 3, 8) == "strict_or_late"
    late = [1.0, 0.9, 0.8, 0.7, 0.75, 0.7, 0.76, 0.77, 0.78, 0.79]  # the tie one later
    assert early_stop(late, 3)[0] == 6
    assert early_stop_bug(late, 3, 8) == "late"  # `>` for `>=`: one epoch more
    assert early_stop_bug(late, 3, 9) == "strict"
    # patience 2 with the tie right after the best: both slips stop one epoch late
    tie_first = [1.0, 0.8, 0.7, 0.7, 0.75, 0.76, 0.77]
    assert early_stop_bug(tie_first, 2, early_stop(tie_first, 2)[0] + 2) == "strict_or_late"
    for bug in ("reset", "strict", "late", "strict_or_late"):
        assert "{what}" in EARLY_STOP_BUGS[bug] or bug == "late"
