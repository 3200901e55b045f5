"""The local stack's one clock. The skill, both search Lambdas, the search runtime's child process and `make
chat`'s NLU all read the time from it, so that they agree on what day it is.

It is the wall clock, moved: `now()` runs at the real pace from the moment the stack chose. `CAR_SEARCH_TODAY=
YYYY-MM-DD` moves it to that day (a workshop can demo a given date, and the tests prove they hold no date that
will one day be in the past); unset, it is the real time. Only the local stack and the tests read the variable:
a deployed Lambda has the system clock and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

TODAY_VARIABLE = "CAR_SEARCH_TODAY"
# A moved clock starts at 15:00 UTC: 10:00 in New York and 05:00 in Honolulu, the same date everywhere in the US
# and in UTC, and for the next nine hours. A test run computes its dates from that day and never crosses a midnight.
MOVED_CLOCK_STARTS_AT = time(15, 0)


@dataclass(frozen=True)
class StackClock:
    offset: timedelta = timedelta(0)  # added to the wall clock

    def now(self) -> datetime:
        """Timezone-aware UTC, like the search service's `Clock` port."""
        return datetime.now(UTC) + self.offset

    @classmethod
    def on(cls, day: date, at: time = MOVED_CLOCK_STARTS_AT) -> StackClock:
        """A clock that reads `day` at `at` (UTC) now, and runs on from there."""
        return cls(datetime.combine(day, at, UTC) - datetime.now(UTC))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StackClock:
        """Moved to CAR_SEARCH_TODAY when it is set; the real time otherwise."""
        day = today_from_env(env)
        return cls() if day is None else cls.on(day)


def today_from_env(env: Mapping[str, str]) -> date | None:
    """CAR_SEARCH_TODAY as a date, None when unset or blank. A value that is not a date is refused with a message
    that says what to write: a stack that silently ran on the real date would hide the mistake."""
    value = (env.get(TODAY_VARIABLE) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{TODAY_VARIABLE}={value!r} is not a date: write it as YYYY-MM-DD, e.g. 2027-01-15") from None


REAL_TIME = StackClock()
