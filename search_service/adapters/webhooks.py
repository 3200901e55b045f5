"""The callbacks' edges: Standard Webhooks signatures (the `standardwebhooks` package, the one receivers verify with),
the SQS delivery queue, and the events' JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from search_service.adapters.events import CallbackRecord
from search_service.domain.callbacks import CallbackEvent
from search_service.domain.models import CallbackMessage
from search_service.domain.ports import QueueUnavailable

MAX_DELAY_S = 900  # SQS's DelaySeconds


class StandardWebhooksSigner:
    """webhook-signature holds one `v1,<base64 HMAC-SHA256>` per secret, space-separated, as the spec allows: during a
    rotation's grace period a receiver with either secret verifies the event."""

    def sign(self, message_id: str, timestamp: datetime, body: str, secrets: Sequence[str]) -> dict[str, str]:
        from standardwebhooks.webhooks import Webhook

        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets),
        }


def render(event: CallbackEvent) -> str:
    """The body POSTed: compact JSON, UTC timestamp with a Z."""
    stamp = event.timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"type": event.type, "timestamp": stamp, "data": event.data}, separators=(",", ":"))


def message_body(message: CallbackMessage) -> str:
    return CallbackRecord.of(message).model_dump_json(by_alias=True)


class SqsCallbackQueue:
    """The CallbackQueue port on SQS: each attempt a message, delayed by the backoff (DelaySeconds, at most 900 s)."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._url = queue_url

    def send(self, message: CallbackMessage, delay_s: int) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._sqs.send_message(
                QueueUrl=self._url, MessageBody=message_body(message), DelaySeconds=max(0, min(MAX_DELAY_S, delay_s))
            )
        except (ClientError, BotoCoreError) as error:
            raise QueueUnavailable(f"SQS: {type(error).__name__}") from error
