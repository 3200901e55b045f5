"""Lambda's async invocation, played on background threads for the local stack and the tests.

Same contract as AWS: `launch` returns at once with the event queued; the target receives the event as JSON,
and a target that raises is tried again after a delay, once per entry of `retry_delays_s` (the function's
MaximumRetryAttempts). When every attempt raised, or the event waited longer than `max_event_age_s` for its
turn (MaximumEventAgeInSeconds), the event is given up, and `on_failure` gets the invocation record that
Lambda sends to the function's on-failure destination: the original event as `requestPayload`, why it was
given up as `requestContext.condition` (RetriesExhausted or EventAgeExceeded), and the last error.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from search_service.adapters.events import RunSearchEvent
from search_service.domain.errors import LaunchFailed

log = logging.getLogger(__name__)

Target = Callable[[dict[str, Any], Any], Any]
OnFailure = Callable[[dict[str, Any]], Any]
LOCAL_ACCOUNT = "000000000000"  # the account LocalLambdaContext's ARNs name


class ThreadLauncher:
    """`launch` only queues the event, as Lambda's Invoke(Event) does: up to `max_workers` threads run the queue
    (Lambda's concurrency for the function), started as needed and gone after `idle_timeout_s` without work.

    Not a ThreadPoolExecutor: its `submit` takes a lock shared by every executor in the process and holds it
    while it starts a thread, which waits for the GIL. Under load, with each search starting its own supplier
    threads, the start Lambda's 202 waited seconds behind other searches' thread starts."""

    def __init__(
        self,
        target: Target,
        retry_delays_s: Sequence[float] = (1.0,),
        max_workers: int = 32,
        *,
        on_failure: OnFailure | None = None,
        max_event_age_s: float | None = None,
        function_name: str = "car-search-search",
        region: str = "us-east-1",
        idle_timeout_s: float = 2.0,
    ) -> None:
        self._target = target
        self._retry_delays_s = tuple(retry_delays_s)
        self._max_workers = max_workers
        self._idle_timeout_s = idle_timeout_s
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)
        self._all_done = threading.Condition(self._lock)
        self._queue: deque[tuple[str, float]] = deque()  # (payload, when it was queued)
        self._workers: set[threading.Thread] = set()
        self._idle = 0  # workers waiting for an event
        self._pending = 0  # events queued or running
        self._started = 0
        self._stopped = threading.Event()
        self._on_failure = on_failure
        self._max_event_age_s = max_event_age_s
        self._function_arn = f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT}:function:{function_name}:$LATEST"
        self.failures = 0  # events given up: Lambda sends their records to the on-failure destination

    def launch(self, search_id: str) -> None:
        payload = RunSearchEvent(search_id=search_id).model_dump_json(by_alias=True)
        worker = None
        with self._lock:
            if self._stopped.is_set():
                raise LaunchFailed("the local async executor is stopped")
            self._queue.append((payload, time.monotonic()))
            self._pending += 1
            if len(self._queue) > self._idle and len(self._workers) < self._max_workers:
                self._started += 1
                worker = threading.Thread(target=self._work, name=f"async-invoke_{self._started}", daemon=True)
                self._workers.add(worker)
            else:
                self._work_ready.notify()
        if worker is not None:
            worker.start()

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """True when every launched event has been handled, its failure record included, for tests and
        benchmarks."""
        with self._lock:
            return self._all_done.wait_for(lambda: self._pending == 0, timeout_s)

    def shutdown(self) -> None:
        """Queued events are dropped and running ones are not retried: the stack is going away."""
        with self._lock:
            self._stopped.set()
            self._pending -= len(self._queue)
            self._queue.clear()
            self._work_ready.notify_all()
            if self._pending == 0:
                self._all_done.notify_all()

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                while not self._queue and not self._stopped.is_set():
                    self._idle += 1
                    woken = self._work_ready.wait(self._idle_timeout_s)
                    self._idle -= 1
                    if not woken and not self._queue:
                        self._workers.discard(me)  # idle too long: the next launch starts a worker again
                        return
                if self._stopped.is_set():
                    self._workers.discard(me)
                    return
                payload, queued_at = self._queue.popleft()
            try:
                self._deliver(payload, queued_at)
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._all_done.notify_all()

    def _deliver(self, payload: str, queued_at: float) -> None:
        attempts = 0
        error: Exception | None = None
        condition = "RetriesExhausted"
        for delay in (0.0, *self._retry_delays_s):
            if self._stopped.wait(delay):
                return
            if self._max_event_age_s is not None and time.monotonic() - queued_at > self._max_event_age_s:
                condition = "EventAgeExceeded"
                break
            attempts += 1
            try:
                self._target(json.loads(payload), None)
                return
            except Exception as failure:
                error = failure
                log.exception("async invocation failed (attempt %d)", attempts)
        if self._stopped.is_set():
            return  # the last attempt failed because the stack is going away: nothing to record
        with self._lock:
            self.failures += 1
        if self._on_failure is None:
            log.error("async invocation given up (%s) and no on-failure destination: %s", condition, payload)
            return
        record = invocation_record(json.loads(payload), condition, attempts, error, self._function_arn)
        try:
            self._on_failure(record)
        except Exception:
            log.exception("the on-failure destination did not take the record of %s", payload)


def invocation_record(
    event: dict[str, Any], condition: str, attempts: int, error: Exception | None, function_arn: str
) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination for an asynchronous invocation it gave up on
    (docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html). An event given up before
    any attempt (EventAgeExceeded) has no response to report."""
    now = datetime.now(UTC)
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
    }
    if attempts and error is not None:
        record["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
        record["responsePayload"] = {
            "errorMessage": str(error) or type(error).__name__,
            "errorType": type(error).__name__,
            "requestId": record["requestContext"]["requestId"],
            # A child process's exception (the local stack's search runtime) brings its own traceback.
            "stackTrace": getattr(error, "stack_trace", None) or traceback.format_tb(error.__traceback__),
        }
    return record
