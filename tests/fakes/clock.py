from __future__ import annotations

from datetime import datetime, timedelta


class FixedClock:
    """A clock that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)
