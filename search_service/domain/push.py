"""Live push over the WebSocket API: a signed-in client subscribes to its own search on its connection, and the run
sends it an event as each company answers and when the search ends (or was cancelled), the same events as the
callbacks' (domain.callbacks), without the path to poll: the client holds the search's token already.

The run reads the search's subscribers afresh before each event, after the answer is stored; a subscribe writes its
record before it reads the search. So an answer is either in what the subscribe answers or pushed after it (or
both: the client keeps one per company). A connection that has gone (GoneException) is forgotten at the first event
that finds it gone; the API's $disconnect forgets it too, and the bucket's lifecycle rule whatever both missed."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from search_service.domain.callbacks import (
    SEARCH_CANCELLED,
    SUPPLIER_ANSWERED,
    search_cancelled,
    search_ended,
    supplier_answered,
)
from search_service.domain.errors import CacheUnavailable
from search_service.domain.models import SearchJob, SupplierOutcome
from search_service.domain.ports import ConnectionGone, DeliveryFailed, PushChannel, Subscribers

log = logging.getLogger(__name__)

SUBSCRIBED = "subscribed"
ERROR = "error"


def message(kind: str, data: Mapping[str, Any]) -> bytes:
    """One frame on the wire: {"type": ..., "data": {...}} (docs/websocket.md)."""
    return json.dumps({"type": kind, "data": data}, separators=(",", ":")).encode()


class Push:
    """Sends a search's events to its subscribers. Never raises: a search is not held up by its listeners."""

    def __init__(self, subscribers: Subscribers, channel: PushChannel) -> None:
        self._subscribers = subscribers
        self._channel = channel

    def supplier_answered(self, job: SearchJob, outcome: SupplierOutcome, answered: int) -> None:
        self._send(job.search_id, message(SUPPLIER_ANSWERED, supplier_answered(job, None, outcome, answered)))

    def search_ended(self, job: SearchJob, outcomes: Mapping[str, SupplierOutcome]) -> None:
        kind, data = search_ended(job, None, outcomes)
        self._send(job.search_id, message(kind, data))

    def search_cancelled(self, job: SearchJob, outcomes: Mapping[str, SupplierOutcome], at: datetime) -> None:
        self._send(job.search_id, message(SEARCH_CANCELLED, search_cancelled(job, None, outcomes, at)))

    def _send(self, search_id: str, body: bytes) -> None:
        try:
            connections = self._subscribers.subscribers(search_id)
        except CacheUnavailable as error:
            log.warning("push: subscribers not read: %s", error)
            return
        for connection in connections:
            try:
                self._channel.post(connection, body)
            except ConnectionGone:
                self._forget(search_id, connection)
            except DeliveryFailed as error:
                log.warning("push: not sent: %s", error)

    def _forget(self, search_id: str, connection: str) -> None:
        try:
            self._subscribers.unsubscribe(search_id, connection)
        except CacheUnavailable as error:  # the lifecycle rule removes it in a day
            log.warning("push: a gone connection not forgotten: %s", error)
