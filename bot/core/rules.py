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
#: Share of an exercise's points each hint level costs its first pass (level 1,
#: 2, 3: concept, API, near-solution shape), and the most hints may cost in all.
HINT_COST_SHARE = (0.1, 0.2, 0.3)
HINT_COST_CAP = 0.5
HINT_LEVELS = len(HINT_COST_SHARE)
#: A pass whose time is above this share of a timed challenge's limit was slow.
SLOW_SHARE = 0.75


class DayState(str, Enum):
    passed = "passed"
    missed = "missed"
    frozen = "frozen"
    open = "open"  # today, nothing passed yet, still time
    future = "future"
    before = "before"  # before the member's first pass
    paused = "paused"  # the cohort was paused: neither breaks nor extends a streak
    rest = "rest"  # nothing was scheduled that day: neither breaks nor extends a streak


#: How far from today a cohort's start, or a challenge window, may be set: further
#: is a typo (9999-12-31, 0001-01-01), and dates near the ends of the calendar
#: overflow the day arithmetic every post and streak does.
MAX_SCHEDULE_AHEAD = timedelta(days=366)


def _unknown_zone(name: object) -> ValueError:
    return ValueError(f"unknown time zone {str(name)[:60]!r}; use an IANA name like "
                      "Europe/Berlin or America/New_York")


def zone(name: str | None) -> ZoneInfo:
    """A ZoneInfo, or ValueError with a readable message for a bad name."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):  # OSError: a name too long
        pass
    canonical = _zones_by_lower().get(str(name).strip().lower()) if name else None
    if canonical is None:
        raise _unknown_zone(name)
    return ZoneInfo(canonical)


def zone_name(name: str) -> str:
    """The IANA name ``name`` stands for, spelled as the database has it
    (``utc`` → ``UTC``, ``europe/berlin`` → ``Europe/Berlin``), or ValueError."""
    text = (name or "").strip()
    if text in _zones_by_lower().values():
        return text
    canonical = _zones_by_lower().get(text.lower())
    if canonical is None:
        zone(text)  # a name zoneinfo knows but does not list (e.g. an alias): keep it
        return text
    return canonical


_ZONES: dict[str, str] = {}


def _zones_by_lower() -> dict[str, str]:
    if not _ZONES:
        from zoneinfo import available_timezones

        _ZONES.update({z.lower(): z for z in available_timezones()})
        _ZONES.setdefault("utc", "UTC")
    return _ZONES


def check_near(when: date, today: date, what: str) -> None:
    """Refuse a date more than :data:`MAX_SCHEDULE_AHEAD` from ``today``."""
    if abs((when - today).days) > MAX_SCHEDULE_AHEAD.days:
        raise ValueError(f"{what} {when.isoformat()} is more than a year from today "
                         f"({today.isoformat()})")


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
    earned_days: list[date] = field(default_factory=list)  # a freeze was banked that day

    @property
    def frozen_in_current(self) -> list[date]:
        """The frozen days of the current streak (not of one that has ended)."""
        if not self.current:
            return []
        broke = max((d for d, s in self.days.items() if s is DayState.missed), default=None)
        return [d for d in self.frozen_days if broke is None or d > broke]


def compute_streak(
    pass_days: Iterable[date], today: date, neutral: Iterable[date] = (),
    rest: Iterable[date] = (),
) -> StreakResult:
    """Walk the local days from the first pass to ``today``.

    * a day with a pass extends the streak; every 7th streak day earns a freeze
      (at most 2 banked; ``earned_days`` lists the days one was banked);
    * a past day without a pass uses a freeze if the banked freezes cover every
      missed day of its gap (the streak survives but does not grow); a gap
      longer than the bank ends the streak and spends no freeze (they stay
      banked);
    * today without a pass is still open: the streak counts up to yesterday;
    * a ``neutral`` day (the cohort was paused) or a ``rest`` day (nothing was
      scheduled) without a pass changes nothing.

    ``pass_days`` are the days with a pass that counts (something new or due
    that day, :func:`counts_for_streak`).
    """
    passed = {d for d in pass_days if d <= today}
    paused = set(neutral)
    resting = set(rest)
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
            if earned_count % FREEZE_EVERY == 0 and freezes < MAX_FREEZES:
                freezes += 1
                res.earned_days.append(day)
            res.days[day] = DayState.passed
        elif day == today:
            res.days[day] = DayState.open
        elif day in paused:
            res.days[day] = DayState.paused
        elif day in resting:
            res.days[day] = DayState.rest
        elif streak > 0 and freezes >= _missed_run(day, today, passed, paused, resting):
            # the banked freezes cover every missed day of this gap
            freezes -= 1
            res.days[day] = DayState.frozen
            res.frozen_days.append(day)
        else:
            # the gap is longer than the bank: the streak ends and no freeze is
            # spent on a day it could not save (they stay banked)
            streak = 0
            earned_count = 0
            res.days[day] = DayState.missed
        res.best = max(res.best, streak)
        day += timedelta(days=1)
    res.current = streak
    res.freezes = freezes
    res.today_passed = today in passed
    return res


def _missed_run(day: date, today: date, passed: set[date], paused: set[date],
                resting: set[date]) -> int:
    """The missed days of the gap that starts at ``day``: past days without a
    pass up to the next pass (or today, still open), neutral days not counted."""
    count = 0
    while day < today and day not in passed:
        if day not in paused and day not in resting:
            count += 1
        day += timedelta(days=1)
    return count


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


def rest_dates(start: date, schedule: dict[int, list[str]], today: date,
               paused_days: int = 0, since: date | None = None) -> set[date]:
    """Cohort days up to ``today`` with nothing scheduled: like a pause, they
    neither break nor extend a streak (nothing new could be passed on them
    unless a review was due or an item was still open). The days before the
    start (from ``since``, the first pass) have nothing scheduled either: a pass
    of something new then counts like one on any rest day, and the days up to
    the start do not end the streak it began."""
    out: set[date] = set()
    d = since
    while d is not None and d < start and d <= today:
        out.add(d)
        d += timedelta(days=1)
    last = day_number(start, today, paused_days)
    for n in range(1, last + 1):
        if not schedule.get(n):
            out.add(date_of_day(start, n, paused_days))
    return out


def counts_for_streak(*, passed: bool, scheduled_today: bool, review_due: bool,
                      passed_before: bool) -> bool:
    """Honest streaks: a pass keeps the streak alive only when it is something
    new or due that day — that day's item, a due review, or an item not passed
    before. A re-submission of an old pass does not."""
    return passed and (scheduled_today or review_due or not passed_before)


class ReviewRating(str, Enum):
    """How well an exercise was recalled, from the verdicts of one day's attempts
    (mapped onto FSRS's Again / Hard / Good)."""

    again = "again"  # failed (no pass yet that day)
    hard = "hard"  # passed after failures, or slowly
    good = "good"  # passed on the first try


def review_rating(*, passed: bool, failures: int, elapsed_s: float | None = None,
                  limit_s: float | None = None) -> ReviewRating:
    """The day's rating: a fail is ``again``; a pass after failed attempts, or a
    timed pass that took most of its time limit, is ``hard``; a first-try pass
    is ``good``."""
    if not passed:
        return ReviewRating.again
    if failures > 0:
        return ReviewRating.hard
    if elapsed_s is not None and limit_s and elapsed_s > SLOW_SHARE * limit_s:
        return ReviewRating.hard
    return ReviewRating.good


def hint_cost(max_score: int, level: int) -> int:
    """Points hint ``level`` (1-based) takes off the exercise's first pass (at
    least 1 point)."""
    share = HINT_COST_SHARE[min(max(level, 1), HINT_LEVELS) - 1]
    return max(1, round(max_score * share))


def hint_deduction(max_score: int, costs: Iterable[int]) -> int:
    """What all the hints used on an exercise take off, capped at half its points."""
    return min(sum(costs), int(max_score * HINT_COST_CAP))


def improvement(previous_s: float, latest_s: float) -> float | None:
    """Relative change from the previous time to the latest, in percent
    (negative: faster). 18:42 → 11:05 is −41 %. None when the previous time
    is (shown as) 0:00: no change in percent can be stated from nothing."""
    if round(previous_s) <= 0:
        return None
    return (latest_s - previous_s) / previous_s * 100


def time_change(previous_s: float, latest_s: float) -> str:
    """``18:42 → 11:05, −41 %``; no percentage from a previous time of 0:00 (chat and
    the dashboard say it alike)."""
    text = f"{clock_time(previous_s)} → {clock_time(latest_s)}"
    change = improvement(previous_s, latest_s)
    return text if change is None else f"{text}, {change:+.0f} %".replace("-", "−")


def clock_time(seconds: float) -> str:
    """``11:05`` (minutes:seconds), or ``1:02:03`` past an hour."""
    total = max(round(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def cumulative_by_day(gained: dict[date, int], start: date, today: date) -> list[tuple[date, int]]:
    """Running total of points on every day from ``start`` (or the first gain,
    if earlier) to ``today``: a chart of it shows flat days as flat, not skipped."""
    first = min([start, *gained])
    last = max([today, *gained])
    out, total, day = [], 0, first
    while day <= last:
        total += gained.get(day, 0)
        out.append((day, total))
        day += timedelta(days=1)
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
