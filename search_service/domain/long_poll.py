"""Long polling (GET /search with `Prefer: wait=N`, RFC 7240): one request that answers when the results change
rather than a client asking again and again.

In AWS the results function can only re-read the cache, so the wait re-reads it every `interval_s`, sleeping in
between (a Sleeper: time.sleep in Lambda, a fake clock in the tests). The wait ends at the first read that differs
from what the client already has (`changed`), or when the time is up; it never spins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from search_service.domain.ports import Clock, Sleeper

T = TypeVar("T")

# Between two reads of the cache: half a second, the interval at which the skill polls on its last turn, so a long
# poll learns of an answer no later than a client polling as fast as that would, on average 0.25 s after it was
# written. Each read is a handful of S3 GETs (the job, the cancel marker, the suppliers that matter to the filters),
# a few milliseconds each: the function is asleep more than 90% of the wait. docs/deploy.md counts the requests.
INTERVAL_S = 0.5
MAX_WAIT_S = 20  # the longest wait granted; the results function's Timeout (25 s) keeps 5 s beyond it
SAFETY_S = 3.0  # kept back from the function's remaining time, for the last read and the answer


@dataclass(frozen=True)
class Waited(Generic[T]):
    value: T
    reads: int  # how many times the cache was read, the first included


class LongPoll:
    def __init__(self, clock: Clock, sleeper: Sleeper, interval_s: float = INTERVAL_S) -> None:
        if interval_s <= 0:
            raise ValueError("the interval between two reads must be positive")
        self._clock = clock
        self._sleeper = sleeper
        self._interval_s = interval_s

    def __call__(self, read: Callable[[], T], changed: Callable[[T, T], bool], wait_s: float) -> Waited[T]:
        """`read()`'s value as soon as `changed(first, value)` (`first`: the first value read; it may be the one), or
        the last one read once `wait_s` has passed. No wait (`wait_s` 0): one read."""
        deadline = self._clock.now().timestamp() + max(0.0, wait_s)
        first = value = read()
        reads = 1
        while not changed(first, value):
            left = deadline - self._clock.now().timestamp()
            if left <= 0:
                break
            self._sleeper.sleep(min(self._interval_s, left))
            value, reads = read(), reads + 1
        return Waited(value, reads)


def granted_wait(asked_s: int, max_wait_s: float, remaining_s: float | None) -> int:
    """The wait a `Prefer: wait=asked_s` gets: at most `max_wait_s`, and within the function's remaining time less
    SAFETY_S (None: no limit known). 0 when none can be granted."""
    granted = min(float(asked_s), max_wait_s)
    if remaining_s is not None:
        granted = min(granted, remaining_s - SAFETY_S)
    return max(0, int(granted))
