"""The results cache in S3: the one module that knows where and how a search is stored.

    <prefix><search id>/job.json                 written by the start step: the query, pending or failed
    <prefix><search id>/suppliers/<code>.json    one per supplier, written the moment it answers
    <prefix><search id>/cancelled.json           written once by DELETE /search: the search is cancelled, since when
    <prefix>idempotency/<key id>.json            which token an Idempotency-Key got (sealed), and if it launched
    <prefix>quotes/<supplier>/<city>/<pickup>_<return>.json
                                                 a supplier's answer for a trip, for any search (the quote cache)
    <prefix>stats/supplier-latency.json          how long each supplier takes to answer
    <prefix><search id>/callbacks/<event id>.json   how the delivery of each of the search's events stands
    <prefix><search id>/subscribers/<connection>.json   a WebSocket connection listening to the search, and
    <prefix>connections/<connection>/<search id>.json   the same by connection, for $disconnect (adapters.push)
    <secrets prefix><owner>.json                 a user's webhook signing secret: outside <prefix>, so not expired

Every object is written whole by one PUT, so a reader never sees half of one, in the versioned format of
search_service.adapters.stored. The bucket's lifecycle rule on <prefix> deletes everything a day later; `created_at`
makes results count as gone sooner.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from search_service.adapters.stored import (
    Stored,
    StoredCancel,
    StoredDelivery,
    StoredIdempotency,
    StoredJob,
    StoredLatencies,
    StoredOutcome,
    StoredQuote,
    StoredSecret,
    Unreadable,
    dump,
    load,
)
from search_service.domain.errors import CacheUnavailable
from search_service.domain.models import (
    Delivery,
    IdempotencyRecord,
    SearchJob,
    SearchQuery,
    SigningSecret,
    SupplierOutcome,
    SupplierQuote,
)

log = logging.getLogger(__name__)

S = TypeVar("S", bound=Stored)
JSON = "application/json"
_LOST_RACE = {"PreconditionFailed", "ConditionalRequestConflict"}
_MISSING = {"NoSuchKey", "404"}


class S3ResultCache:
    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "results/",
        read_threads: int = 10,
        secrets_prefix: str = "webhook-secrets/",
    ) -> None:
        self._s3 = client
        self._bucket = bucket
        self._prefix = prefix
        self._secrets_prefix = secrets_prefix
        self._readers = ThreadPoolExecutor(max_workers=read_threads, thread_name_prefix="cache-read")

    def close(self) -> None:
        """Stops the reader threads: a Lambda never needs this, the local stack does when it stops."""
        self._readers.shutdown(wait=True, cancel_futures=True)

    # --- jobs -------------------------------------------------------------------------------------

    def create_job(self, job: SearchJob) -> None:
        try:
            self._put(self._job_key(job.search_id), StoredJob.of(job), IfNoneMatch="*")
        except _LostRace:
            # botocore retries a PUT whose answer was lost; the retry then finds the object our first attempt
            # wrote. That one is ours if it is this very job; anything else is a collision, never overwritten.
            if self.load_job(job.search_id) != job:
                raise CacheUnavailable("a different search with this id exists") from None

    def load_job(self, search_id: str) -> SearchJob | None:
        found = self._get(self._job_key(search_id), StoredJob)
        return found[0].domain() if found else None

    def mark_failed(self, search_id: str, reason: str) -> SearchJob | None:
        job = self.load_job(search_id)
        if job is None:
            return None
        failed = replace(job, status="failed", failure=reason)
        self._put(self._job_key(search_id), StoredJob.of(failed))
        return failed

    # --- supplier outcomes ------------------------------------------------------------------------

    def save_outcome(self, search_id: str, outcome: SupplierOutcome) -> None:
        key = self._outcome_key(search_id, outcome.supplier)
        if outcome.status == "complete":
            self._put(key, StoredOutcome.of(outcome))
            return
        try:
            # A failure, e.g. from a slow duplicate delivery, must never hide offers already stored.
            self._put(key, StoredOutcome.of(outcome), IfNoneMatch="*")
        except _LostRace:
            log.info("kept the stored outcome of %s", outcome.supplier)

    def load_outcomes(self, search_id: str, suppliers: Iterable[str]) -> dict[str, SupplierOutcome]:
        keys = {code: self._outcome_key(search_id, code) for code in suppliers}
        if len(keys) <= 1:
            found = {code: self._get(key, StoredOutcome) for code, key in keys.items()}
        else:
            futures = {code: self._readers.submit(self._get, key, StoredOutcome) for code, key in keys.items()}
            found = {code: future.result() for code, future in futures.items()}
        return {code: item[0].domain() for code, item in found.items() if item is not None}

    def finished_suppliers(self, search_id: str) -> set[str]:
        prefix = f"{self._prefix}{search_id}/suppliers/"
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as error:
            raise CacheUnavailable(_describe(error)) from error
        return {key[len(prefix) : -len(".json")] for key in keys}

    # --- cancels -----------------------------------------------------------------------------------

    def cancel(self, search_id: str, at: datetime) -> datetime:
        try:
            # Written once: a second cancel, or a retry of this PUT, keeps the first one's time.
            self._put(self._cancel_key(search_id), StoredCancel.of(at), IfNoneMatch="*")
            return at
        except _LostRace:
            held = self.cancelled_at(search_id)
            return held if held is not None else at

    def cancelled_at(self, search_id: str) -> datetime | None:
        found = self._get(self._cancel_key(search_id), StoredCancel)
        return found[0].domain() if found else None

    # --- idempotency keys -------------------------------------------------------------------------

    def claim_idempotency_key(self, key_id: str, record: IdempotencyRecord, max_age_s: int) -> IdempotencyRecord:
        key = self._idempotency_key(key_id)
        stored = StoredIdempotency.of(record)
        for _ in range(3):
            try:
                self._put(key, stored, IfNoneMatch="*")
                return record
            except _LostRace:
                pass
            holder: IdempotencyRecord | None = None
            try:
                found = self._get(key, StoredIdempotency)
                if found is None:
                    continue  # released between our two calls: claim it again
                holder, etag = found[0].domain(), found[1]
            except _Unreadable as error:
                # Written by an earlier version, a later one, or tampered with: no replay can use it, taken over.
                etag = error.etag
            if holder is not None and (record.created_at - holder.created_at).total_seconds() <= max_age_s:
                return holder
            try:
                # The earlier search has expired (or its record is unreadable): take the key over, unless someone else
                # just did.
                self._put(key, stored, IfMatch=etag)
                return record
            except _LostRace:
                continue
        raise CacheUnavailable("the idempotency key is being claimed by concurrent requests")

    def record_launch(self, key_id: str, record: IdempotencyRecord) -> None:
        self._put(self._idempotency_key(key_id), StoredIdempotency.of(replace(record, launched=True)))

    def release_idempotency_key(self, key_id: str) -> None:
        try:
            self._s3.delete_object(Bucket=self._bucket, Key=self._idempotency_key(key_id))
        except (ClientError, BotoCoreError) as error:
            raise CacheUnavailable(_describe(error)) from error

    # --- what searches share: suppliers' quotes and latencies ------------------------------------------

    def load_quote(self, supplier: str, query: SearchQuery) -> SupplierQuote | None:
        found = self._get(self._quote_key(supplier, query), StoredQuote)
        return found[0].domain() if found else None

    def save_quote(self, quote: SupplierQuote, query: SearchQuery) -> None:
        self._put(self._quote_key(quote.supplier, query), StoredQuote.of(quote))

    def load_latencies(self) -> dict[str, float]:
        found = self._get(f"{self._prefix}stats/supplier-latency.json", StoredLatencies)
        return found[0].domain() if found else {}

    def save_latencies(self, seconds: Mapping[str, float]) -> None:
        self._put(f"{self._prefix}stats/supplier-latency.json", StoredLatencies.of(seconds))

    # --- callbacks: deliveries and signing secrets -----------------------------------------------------

    def save_delivery(self, search_id: str, delivery: Delivery) -> None:
        self._put(self._delivery_key(search_id, delivery.event_id), StoredDelivery.of(delivery))

    def load_delivery(self, search_id: str, event_id: str) -> Delivery | None:
        found = self._get(self._delivery_key(search_id, event_id), StoredDelivery)
        return found[0].domain() if found else None

    def load_deliveries(self, search_id: str) -> list[Delivery]:
        prefix = f"{self._prefix}{search_id}/callbacks/"
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as error:
            raise CacheUnavailable(_describe(error)) from error
        found = list(self._readers.map(lambda key: self._get(key, StoredDelivery), keys))
        return sorted((item[0].domain() for item in found if item), key=lambda d: (d.created_at, d.event_id))

    def load_secret(self, owner: str) -> SigningSecret | None:
        found = self._get(self._secret_key(owner), StoredSecret)
        return found[0].domain() if found else None

    def create_secret(self, owner: str, secret: SigningSecret) -> SigningSecret:
        try:
            self._put(self._secret_key(owner), StoredSecret.of(secret), IfNoneMatch="*")
            return secret
        except _LostRace:
            held = self.load_secret(owner)
            if held is None:
                raise CacheUnavailable("the signing secret is being written by concurrent requests") from None
            return held

    def save_secret(self, owner: str, secret: SigningSecret) -> None:
        self._put(self._secret_key(owner), StoredSecret.of(secret))

    # --- S3 ---------------------------------------------------------------------------------------

    def _delivery_key(self, search_id: str, event_id: str) -> str:
        return f"{self._prefix}{search_id}/callbacks/{event_id}.json"

    def _secret_key(self, owner: str) -> str:
        return f"{self._secrets_prefix}{owner}.json"

    def _job_key(self, search_id: str) -> str:
        return f"{self._prefix}{search_id}/job.json"

    def _cancel_key(self, search_id: str) -> str:
        return f"{self._prefix}{search_id}/cancelled.json"

    def _outcome_key(self, search_id: str, supplier: str) -> str:
        return f"{self._prefix}{search_id}/suppliers/{supplier}.json"

    def _idempotency_key(self, key_id: str) -> str:
        return f"{self._prefix}idempotency/{key_id}.json"

    def _quote_key(self, supplier: str, query: SearchQuery) -> str:
        trip = f"{query.pickup_date.isoformat()}_{query.return_date.isoformat()}"
        return f"{self._prefix}quotes/{supplier}/{query.city_id}/{trip}.json"

    def _put(self, key: str, stored: Stored, **conditions: str) -> None:
        body = dump(stored)
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=JSON, **conditions)
        except ClientError as error:
            if _code(error) in _LOST_RACE:
                raise _LostRace() from error
            raise CacheUnavailable(_describe(error)) from error
        except BotoCoreError as error:
            raise CacheUnavailable(_describe(error)) from error

    def _get(self, key: str, kind: type[S]) -> tuple[S, str] | None:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
            body = response["Body"].read()
        except ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise CacheUnavailable(_describe(error)) from error
        except BotoCoreError as error:
            raise CacheUnavailable(_describe(error)) from error
        try:
            return load(kind, body), response["ETag"]
        except Unreadable as error:
            # Objects are written whole, so this is a bug, tampering or another release's format, not a torn read.
            raise _Unreadable(f"unreadable cache object {key}: {error}", response["ETag"]) from error


class _Unreadable(CacheUnavailable):
    def __init__(self, message: str, etag: str) -> None:
        super().__init__(message)
        self.etag = etag


class _LostRace(Exception):
    """A conditional write found the object already there, or changed."""


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        return f"S3 answered {_code(error)}"
    return f"S3 could not be reached ({type(error).__name__})"
