"""The tests' one "today", wherever a clock runs instead of a FixedClock: the local stack and what is sent to it.

Two kinds of test, two rules:
- code handed its clock (a FixedClock, `now=`, `today=`) is pinned: literal dates consistent with the pin are
  fine, they never expire;
- the local stack runs on `stack_clock()`, and every date said or sent to it comes from `TODAY`/`MONDAY` here,
  never a literal. `CAR_SEARCH_TODAY=YYYY-MM-DD make test` moves both, so a literal date that slipped in fails
  at once instead of on the day it expires.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from local_stack.clock import StackClock, today_from_env

TODAY = today_from_env(os.environ) or datetime.now(UTC).date()
# The local stack's day in the tests: the first Monday on or after TODAY, so that "next weekend" or "tomorrow" reads
# the same on every day of the week, and a conversation's expected words need no calendar logic.
MONDAY = TODAY + timedelta(days=-TODAY.weekday() % 7)
# The device the tests' conversations come from: in New York, where the stack's 15:00 UTC start is 10:00 that day.
DEVICE_ZONE = ZoneInfo("America/New_York")


def stack_clock() -> StackClock:
    """Monday at 15:00 UTC, from now on (see local_stack.clock)."""
    return StackClock.on(MONDAY)


def day(days_after_monday: int) -> str:
    """MONDAY plus that many days, as the search API takes dates: YYYY-MM-DD."""
    return (MONDAY + timedelta(days=days_after_monday)).isoformat()


def week_of(day: date) -> str:
    """AMAZON.DATE's value for that day's week, e.g. 2026-W48 (ISO weeks)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def trip(user: str, city: str = "Boston") -> dict[str, str]:
    """A POST /search body for a trip from Friday to Monday of the week after MONDAY."""
    return {"city": city, "pickupDate": day(11), "returnDate": day(14), "user": user}
