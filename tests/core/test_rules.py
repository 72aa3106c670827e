"""The rules of docs/rules.md as pure functions: streaks, freezes, DST, bonus, late."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core import rules
from bot.core.rules import DayState, compute_streak

D0 = date(2026, 3, 1)


def days(*offsets: int) -> list[date]:
    return [D0 + timedelta(days=o) for o in offsets]


def test_streak_counts_consecutive_days_up_to_today() -> None:
    r = compute_streak(days(0, 1, 2), D0 + timedelta(days=2))
    assert (r.current, r.today_passed) == (3, True)


def test_today_still_open_counts_up_to_yesterday() -> None:
    r = compute_streak(days(0, 1, 2), D0 + timedelta(days=3))
    assert r.current == 3 and not r.today_passed
    assert r.days[D0 + timedelta(days=3)] is DayState.open


def test_missed_day_without_freeze_breaks_the_streak() -> None:
    r = compute_streak(days(0, 1, 3), D0 + timedelta(days=3))
    assert r.current == 1 and r.best == 2
    assert r.days[D0 + timedelta(days=2)] is DayState.missed


def test_freeze_earned_after_seven_days_covers_one_missed_day() -> None:
    # days 0..6 passed (7 → one freeze), day 7 missed, day 8 passed
    r = compute_streak(days(*range(7), 8), D0 + timedelta(days=8))
    assert r.days[D0 + timedelta(days=7)] is DayState.frozen
    assert r.current == 8  # frozen day keeps the streak but does not add to it
    assert r.freezes == 0


def test_at_most_two_freezes_are_banked() -> None:
    r = compute_streak(days(*range(28)), D0 + timedelta(days=27))
    assert r.current == 28 and r.freezes == 2


def test_two_banked_freezes_cover_two_days_then_the_third_breaks() -> None:
    passed = list(range(21))  # 21 days: 3 earned, 2 banked
    r = compute_streak(days(*passed, 23), D0 + timedelta(days=23))
    assert r.current == 22 and r.freezes == 0
    assert r.frozen_days == days(21, 22)
    r2 = compute_streak(days(*passed, 24), D0 + timedelta(days=24))
    assert r2.current == 1 and r2.days[D0 + timedelta(days=23)] is DayState.missed


def test_a_gap_longer_than_the_bank_breaks_the_streak_and_spends_no_freeze() -> None:
    # days 0..6 passed (one freeze), days 7 and 8 missed, day 9 passed: one
    # freeze cannot save two missed days, so it is not spent on day 7
    r = compute_streak(days(*range(7), 9), D0 + timedelta(days=9))
    assert r.current == 1 and r.best == 7
    assert r.frozen_days == [] and r.freezes == 1
    assert r.days[D0 + timedelta(days=7)] is DayState.missed
    assert r.days[D0 + timedelta(days=8)] is DayState.missed
    # the same gap with today still open: broken already, freeze kept
    r = compute_streak(days(*range(7)), D0 + timedelta(days=9))
    assert (r.current, r.freezes, r.frozen_days) == (0, 1, [])
    # two banked freezes and three missed days: none spent either
    r = compute_streak(days(*range(21), 24), D0 + timedelta(days=24))
    assert (r.current, r.freezes, r.frozen_days) == (1, 2, [])
    # a neutral (paused) day inside the gap does not count as missed
    r = compute_streak(days(*range(7), 10), D0 + timedelta(days=10),
                       neutral={D0 + timedelta(days=8)}, rest={D0 + timedelta(days=9)})
    assert r.current == 8 and r.frozen_days == days(7) and r.freezes == 0


def test_freeze_is_used_on_an_unpassed_yesterday_but_not_on_open_today() -> None:
    r = compute_streak(days(*range(7)), D0 + timedelta(days=7))
    assert r.current == 7 and r.freezes == 1  # today open: nothing used yet
    r = compute_streak(days(*range(7)), D0 + timedelta(days=8))
    assert r.current == 7 and r.freezes == 0 and r.frozen_days == days(7)


def test_no_passes_no_streak() -> None:
    assert compute_streak([], D0).current == 0


# ---- time zones and daylight saving -------------------------------------------------

def test_local_day_follows_member_zone() -> None:
    instant = datetime(2026, 3, 10, 3, 30, tzinfo=UTC)
    assert rules.local_date(instant, "Europe/Berlin") == date(2026, 3, 10)
    assert rules.local_date(instant, "America/Los_Angeles") == date(2026, 3, 9)


def test_streak_across_spring_forward_us() -> None:
    """2026-03-08: New York skips 02:00-03:00. Passes at 23:30 local each night
    (04:30 UTC before, 03:30 UTC after) must be one per local day."""
    ny = rules.zone("America/New_York")
    instants = [datetime(2026, 3, d, 23, 30, tzinfo=ny).astimezone(UTC) for d in (6, 7, 8, 9)]
    local_days = rules.pass_days_local(instants, ny)
    assert sorted(local_days) == [date(2026, 3, d) for d in (6, 7, 8, 9)]
    assert compute_streak(local_days, date(2026, 3, 9)).current == 4
    # counting in UTC "24h ago" would have merged or split days: 23:30 EST = 04:30 UTC next day
    assert rules.local_date(instants[0], "UTC") == date(2026, 3, 7)


def test_streak_across_fall_back_europe() -> None:
    """2026-10-25 is a 25-hour day in Berlin; 00:30 local passes every day."""
    be = rules.zone("Europe/Berlin")
    instants = [datetime(2026, 10, d, 0, 30, tzinfo=be).astimezone(UTC) for d in (24, 25, 26)]
    assert sorted(rules.pass_days_local(instants, be)) == [date(2026, 10, d) for d in (24, 25, 26)]


def test_local_midnight_on_dst_days() -> None:
    start = rules.local_midnight_utc(date(2026, 3, 29), "Europe/Berlin")
    end = rules.local_midnight_utc(date(2026, 3, 30), "Europe/Berlin")
    assert end - start == timedelta(hours=23)
    start = rules.local_midnight_utc(date(2026, 10, 25), "Europe/Berlin")
    end = rules.local_midnight_utc(date(2026, 10, 26), "Europe/Berlin")
    assert end - start == timedelta(hours=25)


def test_post_time_keeps_local_wall_clock_across_dst() -> None:
    before = rules.local_at_utc(date(2026, 3, 28), time(9), "Europe/Berlin")
    after = rules.local_at_utc(date(2026, 3, 30), time(9), "Europe/Berlin")
    assert before.hour == 8 and after.hour == 7  # 09:00 CET, then 09:00 CEST
    gap = rules.local_at_utc(date(2026, 3, 29), time(2, 30), "Europe/Berlin")
    assert gap.astimezone(rules.zone("Europe/Berlin")).hour == 3  # skipped time moves on


def test_bad_zone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        rules.zone("Mars/Olympus")


# ---- points ---------------------------------------------------------------------------

def test_speed_bonus_is_n_minus_rank() -> None:
    assert [rules.speed_bonus(5, r) for r in range(7)] == [5, 4, 3, 2, 1, 0, 0]


def test_late_pass_scores_half() -> None:
    assert rules.late_points(30) == 15 and rules.late_points(25) == 12


def test_day_numbers_and_pauses() -> None:
    assert rules.day_number(D0, D0) == 1
    assert rules.day_number(D0, D0 + timedelta(days=9), paused_days=3) == 7
    assert rules.date_of_day(D0, 7, paused_days=3) == D0 + timedelta(days=9)
    assert rules.week_of_day(7) == 1 and rules.week_of_day(8) == 2


def test_paused_days_neither_break_nor_extend_a_streak() -> None:
    neutral = rules.paused_dates([(D0 + timedelta(days=2), D0 + timedelta(days=6))],
                                 D0 + timedelta(days=10))
    assert sorted(neutral) == days(3, 4, 5)
    r = compute_streak(days(0, 1, 2, 6), D0 + timedelta(days=6), neutral)
    assert r.current == 4 and r.freezes == 0
    assert r.days[D0 + timedelta(days=4)] is DayState.paused
    open_pause = rules.paused_dates([(D0, None)], D0 + timedelta(days=2))
    assert sorted(open_pause) == days(1, 2)


def test_frozen_days_of_the_current_streak_only() -> None:
    # day 7 frozen inside a streak that broke on days 10-11 and began again on 12
    r = compute_streak(days(*range(7), 8, 9, 12), D0 + timedelta(days=12))
    assert r.frozen_days == days(7) and r.current == 1
    assert r.frozen_in_current == []
    # the streak that holds it is still going
    r = compute_streak(days(*range(7), 8, 9), D0 + timedelta(days=9))
    assert r.frozen_in_current == days(7) and r.current == 9
    # a streak that ended with nothing since: no current streak, no frozen days
    assert compute_streak(days(*range(7), 8), D0 + timedelta(days=12)).frozen_in_current == []
