"""The learning loop's pure rules, on their own: what counts for a streak,
rest days, freezes earned, review ratings, hint costs, improvements."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.core import rules
from bot.core.rules import DayState, ReviewRating

D1 = date(2026, 3, 2)


def days(*offsets: int) -> list[date]:
    return [D1 + timedelta(days=o) for o in offsets]


@pytest.mark.parametrize(("scheduled", "due", "before", "counts"), [
    (False, False, True, False),  # a re-submission of an old pass
    (True, False, True, True),  # that day's item, passed before
    (False, True, True, True),  # a due review
    (False, False, False, True),  # an item not passed before
])
def test_what_keeps_a_streak_alive(scheduled: bool, due: bool, before: bool,
                                   counts: bool) -> None:
    assert rules.counts_for_streak(passed=True, scheduled_today=scheduled, review_due=due,
                                   passed_before=before) is counts
    assert not rules.counts_for_streak(passed=False, scheduled_today=True, review_due=True,
                                       passed_before=False)


def test_rest_days_neither_break_nor_extend() -> None:
    rest = set(days(2, 3))
    res = rules.compute_streak(days(0, 1, 4), D1 + timedelta(days=4), rest=rest)
    assert res.current == 3
    assert res.days[D1 + timedelta(days=2)] is DayState.rest
    # a missed working day still breaks it
    res = rules.compute_streak(days(0, 1, 4), D1 + timedelta(days=4), rest=set(days(2)))
    assert res.current == 1


def test_rest_dates_follow_the_schedule() -> None:
    schedule = {1: ["a"], 2: [], 3: ["b"]}
    assert rules.rest_dates(D1, schedule, D1 + timedelta(days=4)) == set(days(1, 3, 4))


def test_freezes_earned_are_listed_once_each() -> None:
    res = rules.compute_streak(days(*range(0, 21)), D1 + timedelta(days=20))
    assert res.earned_days == days(6, 13)  # the third would exceed the bank of two
    assert res.freezes == rules.MAX_FREEZES
    res = rules.compute_streak(days(*range(0, 7), 8), D1 + timedelta(days=8))
    assert res.frozen_days == days(7) and res.current == 8 and res.freezes == 0


@pytest.mark.parametrize(("passed", "failures", "elapsed", "limit", "rating"), [
    (False, 1, None, None, ReviewRating.again),
    (True, 2, None, None, ReviewRating.hard),
    (True, 0, None, None, ReviewRating.good),
    (True, 0, 50 * 60, 60 * 60, ReviewRating.hard),  # most of the time limit: slow
    (True, 0, 20 * 60, 60 * 60, ReviewRating.good),
])
def test_review_rating_from_the_verdicts(passed: bool, failures: int, elapsed: float | None,
                                         limit: float | None, rating: ReviewRating) -> None:
    assert rules.review_rating(passed=passed, failures=failures, elapsed_s=elapsed,
                               limit_s=limit) is rating


def test_hint_costs_grow_with_the_level_and_are_capped() -> None:
    assert [rules.hint_cost(10, k) for k in (1, 2, 3)] == [1, 2, 3]
    assert rules.hint_cost(3, 1) == 1  # never free
    assert rules.hint_deduction(10, [1, 2, 3, 1, 2]) == 5  # at most half
    assert rules.hint_deduction(20, [2]) == 2


def test_improvement_and_clock_times() -> None:
    assert rules.clock_time(18 * 60 + 42) == "18:42"
    assert rules.clock_time(3723) == "1:02:03"
    change = rules.improvement(18 * 60 + 42, 11 * 60 + 5)
    assert change is not None and round(change) == -41
    assert rules.improvement(0, 120) is None  # nothing to compare with: no percentage
    assert rules.improvement(0.4, 120) is None  # shown as 0:00 too


def test_points_by_day_run_from_the_start_to_today() -> None:
    out = rules.cumulative_by_day({D1 + timedelta(days=2): 10, D1 + timedelta(days=3): 5},
                                  D1, D1 + timedelta(days=5))
    assert [v for _, v in out] == [0, 0, 10, 15, 15, 15]
    assert out[0][0] == D1 and out[-1][0] == D1 + timedelta(days=5)
