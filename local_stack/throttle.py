"""API Gateway's throttling, as the local gateway can enforce it: a token bucket per method, filled at the method
setting's rate up to its burst, one token a request; a request that finds the bucket empty gets 429 at once.

Off unless asked for (SEARCH_API_THROTTLES=on when the stack starts): the tests start many searches
within a second on purpose (load, spikes, concurrency), and POST /search's 3.5 a second with a burst of 8 would turn
them into 429s that depend on how fast this machine is. `make serve` with it on shows what a client of the deployed API
meets. The time is the monotonic clock's, or the one a test hands in, so no test waits for tokens to come back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from local_stack.gateway_spec import RestApiSpec, Throttle

VARIABLE = "SEARCH_API_THROTTLES"
TOO_MANY_REQUESTS = {"message": "Too Many Requests"}


def wanted(env: Mapping[str, str]) -> bool:
    value = env.get(VARIABLE, "").strip().lower()
    if value not in ("", "on", "off"):
        raise ValueError(f"{VARIABLE}: on or off, not {value!r}")
    return value == "on"


class TokenBucket:
    def __init__(self, limit: Throttle, now: Callable[[], float] = time.monotonic) -> None:
        self._rate = limit.rate_per_s
        self._burst = float(limit.burst)
        self._now = now
        self._tokens = self._burst  # a method starts with its whole burst, as a quiet stage has it
        self._at = now()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """One token for a request: False when there is none left (the request gets the 429)."""
        with self._lock:
            at = self._now()
            self._tokens = min(self._burst, self._tokens + (at - self._at) * self._rate)
            self._at = at
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


class Throttles:
    """One bucket per (METHOD, path), each with its most specific method setting's limits."""

    def __init__(self, limits: Mapping[tuple[str, str], Throttle | None], now: Callable[[], float] = time.monotonic):
        self._buckets = {route: TokenBucket(limit, now) for route, limit in limits.items() if limit is not None}

    @classmethod
    def of(cls, spec: RestApiSpec, now: Callable[[], float] = time.monotonic) -> Throttles:
        return cls({route: spec.throttle(*route) for route in spec.routes}, now)

    def admit(self, method: str, path: str) -> bool:
        bucket = self._buckets.get((method, path))
        return bucket is None or bucket.take()
