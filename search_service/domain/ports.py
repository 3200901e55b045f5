"""The edges of the domain: what it needs from storage, suppliers, the async launcher and the clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from search_service.domain.cities import City
from search_service.domain.fleet import Supplier
from search_service.domain.models import (
    IdempotencyRecord,
    Offer,
    SearchJob,
    SearchQuery,
    SupplierOutcome,
    SupplierQuote,
)


class ResultCache(Protocol):
    """The results cache. Raises `CacheUnavailable` when the store cannot be used."""

    def create_job(self, job: SearchJob) -> None: ...

    def load_job(self, search_id: str) -> SearchJob | None: ...

    def mark_failed(self, search_id: str, reason: str) -> None: ...

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


class SearchStore(ResultCache, QuoteCache, LatencyStore, Protocol):
    """The one bucket behind all three: what the Lambdas are wired with."""


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
