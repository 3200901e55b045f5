"""The search queue and the search Lambda's SQS event source mapping, for the local stack's Handover: queue.

What SQS and Lambda's event source do in AWS, on the stack's clock:
- `send_message(QueueUrl=..., MessageBody=...)` is SQS's, so the start Lambda hands searches over with the same
  `SqsLauncher` as in AWS; the message is stamped `SentTimestamp` on the stack's clock.
- At most `max_concurrency` messages are being handled at once (the mapping's ScalingConfig.MaximumConcurrency);
  the others wait in the queue, in order, for a free consumer. Each is delivered alone (BatchSize 1) as the SQS
  event Lambda sends, and a message the function reports back (batchItemFailures) or whose invocation raised is
  visible again after `redelivery_s` (AWS: the queue's visibility timeout), up to `max_receives` receives; then the
  redrive policy moves it to `dead_letter` (AWS: the lost-search queue), as it is.
- Consumers are threads started as messages arrive and gone after `idle_timeout_s` without any: a stopped stack
  leaves none behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

Consumer = Callable[[dict[str, Any], Any], Any]
LOCAL_ACCOUNT = "000000000000"


def sqs_record(message_id: str, body: str, receive: int, sent: datetime, queue_arn: str, sender: str) -> dict[str, Any]:
    """One message as Lambda's SQS event source puts it in the function's event (`Records`)."""
    sent_ms = str(int(sent.timestamp() * 1000))
    return {
        "messageId": message_id,
        "receiptHandle": f"local-{message_id}-{receive}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive),
            "SentTimestamp": sent_ms,
            "SenderId": sender,
            "ApproximateFirstReceiveTimestamp": sent_ms,
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


@dataclass
class _Message:
    message_id: str
    body: str
    sent: datetime
    receives: int = 0
    visible_at: float = 0.0  # time.monotonic(): when a receive may take it


class LocalSearchQueue:
    def __init__(
        self,
        consumer: Consumer,
        now: Callable[[], datetime],
        max_concurrency: int,
        redelivery_s: float,
        max_receives: int,
        dead_letter: Callable[[dict[str, Any]], Any],
        *,
        name: str = "car-search-searches",
        region: str = "us-east-1",
        idle_timeout_s: float = 2.0,
    ) -> None:
        if max_concurrency < 1 or max_receives < 1:
            raise ValueError("max_concurrency and max_receives must be at least 1")
        self._consumer = consumer
        self._now = now
        self._max_concurrency = max_concurrency
        self._redelivery_s = redelivery_s
        self._max_receives = max_receives
        self._dead_letter = dead_letter
        self._idle_timeout_s = idle_timeout_s
        self.arn = f"arn:aws:sqs:{region}:{LOCAL_ACCOUNT}:{name}"
        self.url = f"https://sqs.{region}.amazonaws.com/{LOCAL_ACCOUNT}/{name}"
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._messages: deque[_Message] = deque()
        self._consumers: set[threading.Thread] = set()
        self._started = 0
        self._stopped = False
        self.busy = 0  # messages being handled now
        self.max_busy = 0  # the most at once, for tests: never above max_concurrency
        self.received = 0  # receives, redeliveries included
        self.failures = 0  # messages moved to the dead-letter queue

    @property
    def max_concurrency(self) -> int:
        return self._max_concurrency

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, str]:
        """SQS's SendMessage, as botocore's client takes it."""
        if QueueUrl != self.url:
            raise ValueError(f"no such queue: {QueueUrl}")
        message = _Message(str(uuid.uuid4()), MessageBody, self._now())
        with self._lock:
            if self._stopped:
                raise RuntimeError("the local search queue is stopped")
            self._messages.append(message)
            self._start_consumer()
            self._changed.notify_all()
        return {"MessageId": message.message_id}

    @property
    def waiting(self) -> int:
        """Messages in the queue, not being handled."""
        with self._lock:
            return len(self._messages)

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """True when every message sent has been handled or dead-lettered."""
        with self._lock:
            return self._changed.wait_for(lambda: not self._messages and self.busy == 0, timeout_s)

    def shutdown(self) -> None:
        """Messages still in the queue are dropped: the stack is going away."""
        with self._lock:
            self._stopped = True
            self._messages.clear()
            self._changed.notify_all()

    def _start_consumer(self) -> None:
        """Called with the lock held: one more consumer while messages outnumber the idle ones."""
        idle = len(self._consumers) - self.busy
        if len(self._messages) > idle and len(self._consumers) < self._max_concurrency:
            self._started += 1
            consumer = threading.Thread(target=self._consume, name=f"sqs-poller_{self._started}", daemon=True)
            self._consumers.add(consumer)
            consumer.start()

    def _receive(self) -> _Message | None:
        """The first visible message, marked in flight; None when this consumer should go (idle, or stopped)."""
        me = threading.current_thread()
        idle_since = time.monotonic()
        with self._lock:
            while not self._stopped:
                now = time.monotonic()
                visible = next((m for m in self._messages if m.visible_at <= now), None)
                if visible is not None:
                    self._messages.remove(visible)
                    visible.receives += 1
                    self.busy += 1
                    self.received += 1
                    self.max_busy = max(self.max_busy, self.busy)
                    return visible
                if now - idle_since >= self._idle_timeout_s and not self._messages:
                    break
                next_visible = min((m.visible_at for m in self._messages), default=now + self._idle_timeout_s)
                self._changed.wait(max(0.001, min(next_visible - now, self._idle_timeout_s)))
            self._consumers.discard(me)
            return None

    def _consume(self) -> None:
        while (message := self._receive()) is not None:
            done = self._deliver(message)
            spent = not done and message.receives >= self._max_receives
            if spent:  # before the message counts as handled, so that wait_idle waits for the marking too
                self._dead_lettered(message)
            with self._lock:
                self.busy -= 1
                self.failures += spent
                if not done and not spent and not self._stopped:
                    message.visible_at = time.monotonic() + self._redelivery_s
                    self._messages.append(message)
                self._changed.notify_all()

    def _deliver(self, message: _Message) -> bool:
        """True when the function took the message (SQS deletes it), False when it is to be received again."""
        record = sqs_record(message.message_id, message.body, message.receives, message.sent, self.arn,
                            "AROALOCALLAMBDA:car-search-start")  # fmt: skip
        try:
            answer = self._consumer({"Records": [record]}, None)
        except Exception:
            log.exception("the search Lambda failed on a queued search (receive %d)", message.receives)
            return False
        failed = {item.get("itemIdentifier") for item in (answer or {}).get("batchItemFailures") or []}
        return message.message_id not in failed

    def _dead_lettered(self, message: _Message) -> None:
        log.error("search message received %d times, moved to the dead-letter queue", message.receives)
        try:
            self._dead_letter(json.loads(message.body))
        except Exception:
            log.exception("the dead-letter queue did not take a search message")
