"""Lambda's async invocation, played on a background executor for the local stack and the tests.

Same contract as AWS: `launch` returns at once with the event queued; the target receives the event
as JSON, and a target that raises is tried again after a delay, up to `retries` more times.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from search_service.domain.errors import LaunchFailed
from search_service.domain.models import RunSearchEvent

log = logging.getLogger(__name__)

Target = Callable[[dict[str, Any], Any], Any]


class ThreadLauncher:
    def __init__(self, target: Target, retry_delays_s: Sequence[float] = (1.0, 2.0), max_workers: int = 32) -> None:
        self._target = target
        self._retry_delays_s = tuple(retry_delays_s)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="async-invoke")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.failures = 0  # events that failed every attempt: Lambda would send them to the DLQ

    def launch(self, search_id: str) -> None:
        payload = RunSearchEvent(search_id=search_id).model_dump_json(by_alias=True)
        try:
            future = self._pool.submit(self._deliver, payload)
        except RuntimeError as error:  # the executor was shut down
            raise LaunchFailed("the local async executor is stopped") from error
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """True when every launched event has been handled, for tests and benchmarks."""
        with self._lock:
            pending = list(self._pending)
        _, not_done = wait(pending, timeout=timeout_s)
        return not not_done

    def shutdown(self) -> None:
        """Queued events are dropped and running ones are not retried: the stack is going away."""
        self._stopped.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _deliver(self, payload: str) -> None:
        for attempt, delay in enumerate((0.0, *self._retry_delays_s)):
            if self._stopped.wait(delay):
                return
            try:
                self._target(json.loads(payload), None)
                return
            except Exception:
                log.exception("async invocation failed (attempt %d)", attempt + 1)
        self.failures += 1

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)
