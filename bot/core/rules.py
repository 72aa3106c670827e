"""The rules users rely on (docs/rules.md), as pure functions.

Kept free of the database and of platforms so each rule can be tested on its
own, including across daylight-saving transitions: every "which day is it"
question converts an aware UTC instant into the member's zone with
``zoneinfo`` and takes the *local date* — never "24 hours ago".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FREEZE_EVERY = 7
MAX_FREEZES = 2


class DayState(str, Enum):
    passed = "passed"
    missed = "missed"
    frozen = "frozen"
    open = "open"  # today, nothing passed yet, still time
    future = "future"
    before = "before"  # before the member's first pass
    paused = "paused"  # the cohort was paused: neither breaks nor extends a streak


def zone(name: str | None) -> ZoneInfo:
    """A ZoneInfo, or ValueError with a readable message for a bad name."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin or America/New_York"
        ) from None


def local_date(instant: datetime, tz: str | ZoneInfo) -> date:
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    return instant.astimezone(tzinfo).date()


def local_midnight_utc(day: date, tz: str | ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` starts in ``tz`` (23 or 25 h days included)."""
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    return datetime.combine(day, time(0), tzinfo).astimezone(UTC)


def local_at_utc(day: date, at: time, tz: str | ZoneInfo) -> datetime:
    """The UTC instant of local wall time ``at`` on ``day`` (a skipped time moves forward)."""
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    # fold=0: a wall time skipped by spring-forward lands after the gap; a repeated
    # one (fall-back) means its first occurrence.
    return datetime.combine(day, at, tzinfo).astimezone(UTC)


def parse_hhmm(text: str) -> time:
    try:
        hh, mm = text.strip().split(":")
        return time(int(hh), int(mm))
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a time of day like 09:00") from None


@dataclass
class StreakResult:
    """A member's streak as of ``today`` (their local date)."""

    current: int = 0
    freezes: int = 0
    best: int = 0
    today_passed: bool = False
    days: dict[date, DayState] = field(default_factory=dict)
    frozen_days: list[date] = field(default_factory=list)


def compute_streak(
    pass_days: Iterable[date], today: date, neutral: Iterable[date] = ()
) -> StreakResult:
    """Walk the local days from the first pass to ``today``.

    * a day with a pass extends the streak; every 7th streak day earns a freeze
      (at most 2 banked);
    * a past day without a pass uses a freeze if one is banked (the streak
      survives but does not grow), else the streak ends;
    * today without a pass is still open: the streak counts up to yesterday;
    * a ``neutral`` day (the cohort was paused) without a pass changes nothing.
    """
    passed = {d for d in pass_days if d <= today}
    paused = set(neutral)
    res = StreakResult()
    if not passed:
        return res
    streak = 0
    earned_count = 0  # streak days since the streak began, for earning freezes
    freezes = 0
    day = min(passed)
    while day <= today:
        if day in passed:
            streak += 1
            earned_count += 1
            if earned_count % FREEZE_EVERY == 0:
                freezes = min(MAX_FREEZES, freezes + 1)
            res.days[day] = DayState.passed
        elif day == today:
            res.days[day] = DayState.open
        elif day in paused:
            res.days[day] = DayState.paused
        elif streak > 0 and freezes > 0:
            freezes -= 1
            res.days[day] = DayState.frozen
            res.frozen_days.append(day)
        else:
            streak = 0
            earned_count = 0
            freezes = 0
            res.days[day] = DayState.missed
        res.best = max(res.best, streak)
        day += timedelta(days=1)
    res.current = streak
    res.freezes = freezes
    res.today_passed = today in passed
    return res


def pass_days_local(instants: Iterable[datetime], tz: str | ZoneInfo) -> set[date]:
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    return {i.astimezone(tzinfo).date() for i in instants}


def paused_dates(pauses: Iterable[tuple[date, date | None]], today: date) -> set[date]:
    """Whole days strictly inside each pause (an open pause runs through today)."""
    out: set[date] = set()
    for start, end in pauses:
        d = start + timedelta(days=1)
        stop = end if end is not None else today + timedelta(days=1)
        while d < stop:
            out.add(d)
            d += timedelta(days=1)
    return out


def speed_bonus(members: int, rank: int) -> int:
    """N − r for the r-th (0-based) passer inside the window; never negative."""
    return max(members - rank, 0)


def late_points(max_score: int) -> int:
    """A timed challenge passed after its window scores half (rounded down), no bonus."""
    return max_score // 2


def day_number(start: date, today: date, paused_days: int = 0) -> int:
    """Cohort day of ``today`` (day 1 = start date), pauses shifting the schedule."""
    return (today - start).days + 1 - paused_days


def date_of_day(start: date, n: int, paused_days: int = 0) -> date:
    return start + timedelta(days=n - 1 + paused_days)


def week_of_day(n: int) -> int:
    return max((n - 1) // 7 + 1, 1)
