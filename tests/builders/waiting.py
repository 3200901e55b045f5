"""Waiting for what a background thread or process does, without a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable

# How long a test waits at most for what comes in milliseconds on an idle machine (a search ending, a thread
# starting): room for a machine busy with other work, and a test that passes never waits it.
PATIENCE_S = 60.0


def wait_until(condition: Callable[[], bool], timeout_s: float, interval_s: float = 0.02) -> bool:
    """True as soon as `condition()` is; False once `timeout_s` has passed without it."""
    deadline = time.monotonic() + timeout_s
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval_s)
