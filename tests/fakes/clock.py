from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING


class FixedClock:
    """A clock that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


class FakeSleeper:
    """Sleeps by moving a FixedClock: a long poll's wait runs in no real time. `on_sleep` runs after each sleep, so a
    test can make something happen at a given point of the wait (a supplier answers, the search is cancelled)."""

    def __init__(self, clock: FixedClock, on_sleep: Callable[[float], None] | None = None) -> None:
        self._clock = clock
        self._on_sleep = on_sleep
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._clock.advance(seconds=seconds)
        if self._on_sleep is not None:
            self._on_sleep(sum(self.slept))


class TickingSleeper(FakeSleeper):
    """For a stack on a FixedClock served over HTTP: sleeps a moment for real, so that the other threads (a supplier
    answering, a cancel) run, and moves the clock by the whole time asked, so a long poll's wait ends on the clock."""

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, 0.01))
        super().sleep(seconds)


if TYPE_CHECKING:
    from search_service.domain.ports import Clock, Sleeper

    _clock: Clock = FixedClock(datetime.now())
    _sleeper: Sleeper = FakeSleeper(FixedClock(datetime.now()))
