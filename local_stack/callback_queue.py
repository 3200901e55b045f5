"""The callback queue (SQS, infrastructure/template.yaml's CallbackQueue) and its event source mapping, on the
stack's clock: each message waits its DelaySeconds, then reaches the delivery Lambda as an SQS event of one record.
A record the Lambda reports back (batchItemFailures, or a raise) is received again after the visibility timeout,
up to CALLBACK_MAX_RECEIVES times; then it would be in the dead-letter queue, here `dead_letters`.

The waits are the stack clock's times `delay_scale`: 1 waits as SQS does (a retry up to 15 minutes later), the
default of `make serve` a twentieth of it, and the tests 0, so that six attempts take no minutes of anyone's time.
What a client sees (the attempts, their outcomes, when the next one is due) is the same at any scale."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from local_stack.clock import StackClock
from search_service.adapters.local_context import LocalLambdaContext
from search_service.adapters.webhooks import message_body
from search_service.domain.models import CallbackMessage

log = logging.getLogger(__name__)

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
# The template's CallbackQueue (tests keep them equal): its visibility timeout and the receives before its DLQ.
CALLBACK_VISIBILITY_TIMEOUT_S = 90
CALLBACK_MAX_RECEIVES = 5
DELIVERY_TIMEOUT_S = 15.0  # the delivery Lambda's Timeout
# Its event source's MaximumConcurrency: so many deliveries at once, so a slow receiver or a burst of one search's
# supplier.answered events does not hold every other event back, as one delivery at a time did (about a second late).
DELIVERY_CONCURRENCY = 5


@dataclass(order=True)
class _Waiting:
    due: datetime
    number: int
    body: str = field(compare=False)
    message_id: str = field(compare=False)
    receive: int = field(compare=False, default=1)


class LocalCallbackQueue:
    """The CallbackQueue port for the local stack: `send` from the run Lambda (through the search runtime's pipe) or
    from the delivery Lambda itself (the next attempt)."""

    def __init__(
        self, consumer: LambdaHandler, clock: StackClock, delay_scale: float, region: str = "us-east-1"
    ) -> None:
        self._consumer = consumer
        self._clock = clock
        self._scale = delay_scale
        self._arn = f"arn:aws:sqs:{region}:000000000000:car-search-callbacks"
        self._region = region
        self._waiting: list[_Waiting] = []
        self._numbers = itertools.count()
        self._changed = threading.Condition()
        self._stopped = False
        self.dead_letters: list[str] = []
        self._worker = threading.Thread(target=self._work, name="callback-queue", daemon=True)
        self._worker.start()

    def send(self, message: CallbackMessage, delay_s: int) -> None:
        self.send_body(message_body(message), delay_s)

    def send_body(self, body: str, delay_s: int) -> None:
        self._push(body, str(uuid.uuid4()), delay_s, 1)

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        self._worker.join(DELIVERY_TIMEOUT_S + 5)

    def _push(self, body: str, message_id: str, delay_s: float, receive: int) -> None:
        due = self._clock.now() + timedelta(seconds=delay_s * self._scale)
        with self._changed:
            if self._stopped:
                return  # the stack is going away: the message goes with it
            heapq.heappush(self._waiting, _Waiting(due, next(self._numbers), body, message_id, receive))
            self._changed.notify_all()

    def _next(self) -> _Waiting | None:
        """The first message due, once it is; None when the queue stops."""
        with self._changed:
            while not self._stopped:
                if self._waiting:
                    left_s = (self._waiting[0].due - self._clock.now()).total_seconds()
                    if left_s <= 0:
                        return heapq.heappop(self._waiting)
                    self._changed.wait(left_s)
                else:
                    self._changed.wait()
            return None

    def _work(self) -> None:
        # Leaving the pool waits for the deliveries under way, as stop() expects.
        with ThreadPoolExecutor(DELIVERY_CONCURRENCY, thread_name_prefix="callback-delivery") as pool:
            while (waiting := self._next()) is not None:
                pool.submit(self._settle, waiting)

    def _settle(self, waiting: _Waiting) -> None:
        if not self._deliver(waiting):
            if waiting.receive >= CALLBACK_MAX_RECEIVES:
                log.error("callback record received %d times, now a dead letter", waiting.receive)
                self.dead_letters.append(waiting.body)
            else:
                self._push(waiting.body, waiting.message_id, CALLBACK_VISIBILITY_TIMEOUT_S, waiting.receive + 1)

    def _deliver(self, waiting: _Waiting) -> bool:
        """True when the Lambda is done with the record."""
        sent_ms = str(int(time.time() * 1000))
        record = {
            "messageId": waiting.message_id,
            "receiptHandle": f"local-{waiting.message_id}-{waiting.receive}",
            "body": waiting.body,
            "attributes": {
                "ApproximateReceiveCount": str(waiting.receive),
                "SentTimestamp": sent_ms,
                "SenderId": "AROALOCALLAMBDA:car-search-callbacks",
                "ApproximateFirstReceiveTimestamp": sent_ms,
            },
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(waiting.body.encode(), usedforsecurity=False).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._region,
        }
        try:
            context = LocalLambdaContext("callbacks", timeout_s=DELIVERY_TIMEOUT_S)
            answer = self._consumer({"Records": [record]}, context)
        except Exception:
            log.exception("the callback delivery Lambda failed (receive %d)", waiting.receive)
            return False
        failed = {item.get("itemIdentifier") for item in answer.get("batchItemFailures") or []}
        return waiting.message_id not in failed
