"""The results cache in memory, with the semantics of `S3ResultCache`: tests/contract holds both to the same suite.

Each record is kept as the JSON text the bucket would hold (search_service.adapters.stored, the same format and
version), under the adapter's names below its prefix, so what a test reads back has made the same round trip, and a
test can spoil a record as it could in the bucket:

    <search id>/job.json    <search id>/suppliers/<code>.json    <search id>/cancelled.json    idempotency/<key id>.json
    quotes/<supplier>/<city>/<pickup>_<return>.json    stats/supplier-latency.json
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from search_service.adapters.stored import (
    Stored,
    StoredCancel,
    StoredIdempotency,
    StoredJob,
    StoredLatencies,
    StoredOutcome,
    StoredQuote,
    Unreadable,
    dump,
    load,
)
from search_service.domain.errors import CacheUnavailable
from search_service.domain.models import IdempotencyRecord, SearchJob, SearchQuery, SupplierOutcome, SupplierQuote

S = TypeVar("S", bound=Stored)


class InMemoryResultCache:
    def __init__(self) -> None:
        self.objects: dict[str, str] = {}  # name -> JSON text, as in the bucket
        self.down = False  # while True, every call raises CacheUnavailable, as when S3 cannot be reached
        self._lock = threading.Lock()  # a search saves its suppliers' outcomes from several threads

    # --- jobs -------------------------------------------------------------------------------------

    def create_job(self, job: SearchJob) -> None:
        with self._store() as objects:
            name = _job(job.search_id)
            if name in objects:  # as S3ResultCache: the same job again is a retry, another one a collision
                if _load(objects, name, StoredJob).domain() != job:
                    raise CacheUnavailable("a different search with this id exists")
                return
            objects[name] = _dump(StoredJob.of(job))

    def load_job(self, search_id: str) -> SearchJob | None:
        with self._store() as objects:
            found = _load(objects, _job(search_id), StoredJob)
        return found.domain() if found else None

    def mark_failed(self, search_id: str, reason: str) -> SearchJob | None:
        with self._store() as objects:
            found = _load(objects, _job(search_id), StoredJob)
            if found is None:
                return None
            failed = replace(found.domain(), status="failed", failure=reason)
            objects[_job(search_id)] = _dump(StoredJob.of(failed))
            return failed

    # --- supplier outcomes ------------------------------------------------------------------------

    def save_outcome(self, search_id: str, outcome: SupplierOutcome) -> None:
        """A complete outcome replaces a failed one; a failed one never replaces anything."""
        with self._store() as objects:
            name = _outcome(search_id, outcome.supplier)
            if outcome.status == "complete" or name not in objects:
                objects[name] = _dump(StoredOutcome.of(outcome))

    def load_outcomes(self, search_id: str, suppliers: Iterable[str]) -> dict[str, SupplierOutcome]:
        with self._store() as objects:
            found = {code: _load(objects, _outcome(search_id, code), StoredOutcome) for code in suppliers}
        return {code: outcome.domain() for code, outcome in found.items() if outcome is not None}

    def finished_suppliers(self, search_id: str) -> set[str]:
        prefix = _outcome(search_id, "")[: -len(".json")]
        with self._store() as objects:
            return {name[len(prefix) : -len(".json")] for name in objects if name.startswith(prefix)}

    # --- cancels -----------------------------------------------------------------------------------

    def cancel(self, search_id: str, at: datetime) -> datetime:
        """Records that the search is cancelled, unless it already is; returns when it was (the first cancel's time)."""
        with self._store() as objects:
            found = _load(objects, _cancel(search_id), StoredCancel)
            if found is not None:
                return found.domain()
            objects[_cancel(search_id)] = _dump(StoredCancel.of(at))
            return at

    def cancelled_at(self, search_id: str) -> datetime | None:
        """When the search was cancelled; None while it is not."""
        with self._store() as objects:
            found = _load(objects, _cancel(search_id), StoredCancel)
        return found.domain() if found else None

    # --- idempotency keys -------------------------------------------------------------------------

    def claim_idempotency_key(self, key_id: str, record: IdempotencyRecord, max_age_s: int) -> IdempotencyRecord:
        """Store `record` unless a live one exists; return the one that holds the key now."""
        with self._store() as objects:
            try:
                found = _load(objects, _key(key_id), StoredIdempotency)
                holder = found.domain() if found else None
            except (
                CacheUnavailable
            ):  # an earlier version's, a later one's, or tampered with: taken over, as S3ResultCache
                holder = None
            if holder is not None and (record.created_at - holder.created_at).total_seconds() <= max_age_s:
                return holder
            objects[_key(key_id)] = _dump(StoredIdempotency.of(record))
            return record

    def record_launch(self, key_id: str, record: IdempotencyRecord) -> None:
        with self._store() as objects:
            objects[_key(key_id)] = _dump(StoredIdempotency.of(replace(record, launched=True)))

    def release_idempotency_key(self, key_id: str) -> None:
        with self._store() as objects:
            objects.pop(_key(key_id), None)

    # --- what searches share: suppliers' quotes and latencies ------------------------------------------

    def load_quote(self, supplier: str, query: SearchQuery) -> SupplierQuote | None:
        with self._store() as objects:
            found = _load(objects, _quote(supplier, query), StoredQuote)
        return found.domain() if found else None

    def save_quote(self, quote: SupplierQuote, query: SearchQuery) -> None:
        with self._store() as objects:
            objects[_quote(quote.supplier, query)] = _dump(StoredQuote.of(quote))

    def load_latencies(self) -> dict[str, float]:
        with self._store() as objects:
            found = _load(objects, LATENCIES, StoredLatencies)
        return found.domain() if found else {}

    def save_latencies(self, seconds: Mapping[str, float]) -> None:
        with self._store() as objects:
            objects[LATENCIES] = _dump(StoredLatencies.of(seconds))

    # --- the store --------------------------------------------------------------------------------

    @contextmanager
    def _store(self) -> Iterator[dict[str, str]]:
        with self._lock:
            if self.down:
                raise CacheUnavailable("the in-memory results store is down")
            yield self.objects


def _job(search_id: str) -> str:
    return f"{search_id}/job.json"


def _cancel(search_id: str) -> str:
    return f"{search_id}/cancelled.json"


def _outcome(search_id: str, supplier: str) -> str:
    return f"{search_id}/suppliers/{supplier}.json"


LATENCIES = "stats/supplier-latency.json"


def _quote(supplier: str, query: SearchQuery) -> str:
    return f"quotes/{supplier}/{query.city_id}/{query.pickup_date.isoformat()}_{query.return_date.isoformat()}.json"


def _key(key_id: str) -> str:
    return f"idempotency/{key_id}.json"


def _dump(stored: Stored) -> str:
    return dump(stored).decode()


def _load(objects: dict[str, str], name: str, kind: type[S]) -> S | None:
    text = objects.get(name)
    if text is None:
        return None
    try:
        return load(kind, text)
    except Unreadable as error:
        raise CacheUnavailable(f"unreadable cache object {name}: {error}") from error


if TYPE_CHECKING:
    from search_service.domain.ports import LatencyStore, QuoteCache, ResultCache

    _: ResultCache = InMemoryResultCache()
    _quotes: QuoteCache = InMemoryResultCache()
    _latencies: LatencyStore = InMemoryResultCache()
