"""Time sources. The core never calls ``datetime.now`` itself so tests and the
console can move time (``/dojo clock``) and watch schedules unfold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still unless set or advanced (tests, scripted replays)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class OffsetClock:
    """Real time shifted by an offset: interactive console time keeps flowing
    after ``/dojo clock`` moves it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, when: datetime) -> None:
        self.offset = when.astimezone(UTC) - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self.offset += delta
