from __future__ import annotations

import time
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemSleeper:
    """Waits on the real time: between two reads of a long poll (search_service.domain.long_poll)."""

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
