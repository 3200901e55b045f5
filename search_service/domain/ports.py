"""The edges of the domain: what it needs from storage, suppliers, the async launcher and the clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from search_service.domain.cities import City
from search_service.domain.fleet import Supplier
from search_service.domain.models import (
    CallbackMessage,
    Delivery,
    IdempotencyRecord,
    Offer,
    SearchJob,
    SearchQuery,
    SigningSecret,
    SupplierOutcome,
    SupplierQuote,
)


class ResultCache(Protocol):
    """The results cache. Raises `CacheUnavailable` when the store cannot be used."""

    def create_job(self, job: SearchJob) -> None: ...

    def load_job(self, search_id: str) -> SearchJob | None: ...

    def mark_failed(self, search_id: str, reason: str) -> SearchJob | None:
        """The job as marked failed; None when there is no such job."""
        ...

    def save_outcome(self, search_id: str, outcome: SupplierOutcome) -> None:
        """A complete outcome replaces a failed one; a failed one never replaces anything."""
        ...

    def load_outcomes(self, search_id: str, suppliers: Iterable[str]) -> Mapping[str, SupplierOutcome]: ...

    def finished_suppliers(self, search_id: str) -> set[str]: ...

    def cancel(self, search_id: str, at: datetime) -> datetime:
        """Records that the search is cancelled, unless it already is; returns when it was (the first cancel's time)."""
        ...

    def cancelled_at(self, search_id: str) -> datetime | None:
        """When the search was cancelled; None while it is not."""
        ...

    def claim_idempotency_key(self, key_id: str, record: IdempotencyRecord, max_age_s: int) -> IdempotencyRecord:
        """Store `record` unless a live one exists; return the one that holds the key now."""
        ...

    def release_idempotency_key(self, key_id: str) -> None: ...

    def record_launch(self, key_id: str, record: IdempotencyRecord) -> None:
        """Marks the key's search launched (`record`, held by the key, with launched set)."""
        ...


class LatencyStore(Protocol):
    """Where the searches keep how long each supplier takes. Raises `CacheUnavailable`."""

    def load_latencies(self) -> dict[str, float]: ...

    def save_latencies(self, seconds: Mapping[str, float]) -> None: ...


class QuoteCache(Protocol):
    """Suppliers' answers kept for other searches of the same trip. Raises `CacheUnavailable`."""

    def load_quote(self, supplier: str, query: SearchQuery) -> SupplierQuote | None: ...

    def save_quote(self, quote: SupplierQuote, query: SearchQuery) -> None: ...


class SupplierProvider(Protocol):
    """One rental company's search API. Raises `SupplierError` or `SupplierTimeout`."""

    supplier: Supplier

    def serves(self, city: City) -> bool: ...

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]: ...


class SearchLauncher(Protocol):
    """Hands a search to the search Lambda without waiting for it. Raises `LaunchFailed`."""

    def launch(self, search_id: str) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC."""
        ...


class Sleeper(Protocol):
    """Waits between two reads of a long poll: time.sleep in Lambda, a fake that moves the fake clock in tests."""

    def sleep(self, seconds: float) -> None: ...


# --- callbacks (search_service.domain.callbacks) ---------------------------------------------------------------


class QueueUnavailable(Exception):
    """The delivery queue could not take a message."""


class DeliveryFailed(Exception):
    """The receiver could not be reached, or took too long: worth another attempt."""


class RefusedAddress(DeliveryFailed):
    """The URL, or the address its host resolves to, is one the service must not call (SSRF): never retried."""


class CallbackStore(Protocol):
    """The deliveries' records and the users' signing secrets. Raises `CacheUnavailable`."""

    def save_delivery(self, search_id: str, delivery: Delivery) -> None: ...

    def load_delivery(self, search_id: str, event_id: str) -> Delivery | None: ...

    def load_deliveries(self, search_id: str) -> list[Delivery]: ...

    def load_secret(self, owner: str) -> SigningSecret | None: ...

    def create_secret(self, owner: str, secret: SigningSecret) -> SigningSecret:
        """Stores `secret` unless the owner has one; returns the one the owner has now."""
        ...

    def save_secret(self, owner: str, secret: SigningSecret) -> None: ...


class CallbackQueue(Protocol):
    """Where the delivery attempts wait their turn. Raises `QueueUnavailable`."""

    def send(self, message: CallbackMessage, delay_s: int) -> None: ...


class CallbackUrls(Protocol):
    """Checks a callback URL when a search is started. Raises `RefusedAddress` saying why it is refused."""

    def check(self, url: str) -> None: ...


class CallbackTransport(Protocol):
    """POSTs to a callback URL; returns the HTTP status. Raises `RefusedAddress` or `DeliveryFailed`."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int: ...


class Signer(Protocol):
    """The Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) for a body, signed with each of
    `secrets`."""

    def sign(self, message_id: str, timestamp: datetime, body: str, secrets: Sequence[str]) -> dict[str, str]: ...


class SearchStore(ResultCache, QuoteCache, LatencyStore, CallbackStore, Protocol):
    """The one bucket behind them all: what the Lambdas are wired with."""


# --- push over the WebSocket API (search_service.domain.push) ----------------------------------------------------


class ConnectionGone(Exception):
    """The WebSocket client is no longer connected (API Gateway's GoneException, 410)."""


class Subscribers(Protocol):
    """Which WebSocket connections listen to which search. Raises `CacheUnavailable`."""

    def subscribe(self, search_id: str, connection_id: str, at: datetime) -> None: ...

    def subscribers(self, search_id: str) -> list[str]:
        """The connection ids subscribed to the search, read afresh."""
        ...

    def unsubscribe(self, search_id: str, connection_id: str) -> None: ...

    def disconnect(self, connection_id: str) -> None:
        """Forgets every subscription of the connection."""
        ...


class PushChannel(Protocol):
    """Sends one message to a WebSocket connection. Raises `ConnectionGone`, or `DeliveryFailed` when API Gateway
    cannot be reached."""

    def post(self, connection_id: str, message: bytes) -> None: ...
