"""The results cache in S3: the one module that knows where and how a search is stored.

    <prefix><search id>/job.json                 written by the start step: the query, pending or failed
    <prefix><search id>/suppliers/<code>.json    one per supplier, written the moment it answers
    <prefix>idempotency/<key id>.json            which token an Idempotency-Key got (sealed), and if it launched
    <prefix>quotes/<supplier>/<city>/<pickup>_<return>.json
                                                 a supplier's answer for a trip, for any search (the quote cache)
    <prefix>stats/supplier-latency.json          how long each supplier takes to answer

Every object is written whole by one PUT, so a reader never sees half of one. The bucket's lifecycle
rule on <prefix> deletes everything a day later; `created_at` makes results count as gone sooner.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ValidationError

from search_service.domain.errors import CacheUnavailable
from search_service.domain.models import (
    IdempotencyRecord,
    SearchJob,
    SearchQuery,
    SupplierLatencyRecord,
    SupplierOutcome,
    SupplierQuote,
)

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
JSON = "application/json"
_LOST_RACE = {"PreconditionFailed", "ConditionalRequestConflict"}
_MISSING = {"NoSuchKey", "404"}


class S3ResultCache:
    def __init__(self, client: Any, bucket: str, prefix: str = "results/", read_threads: int = 10) -> None:
        self._s3 = client
        self._bucket = bucket
        self._prefix = prefix
        self._readers = ThreadPoolExecutor(max_workers=read_threads, thread_name_prefix="cache-read")

    def close(self) -> None:
        """Stops the reader threads: a Lambda never needs this, the local stack does when it stops."""
        self._readers.shutdown(wait=True, cancel_futures=True)

    # --- jobs -------------------------------------------------------------------------------------

    def create_job(self, job: SearchJob) -> None:
        try:
            self._put(self._job_key(job.search_id), job, IfNoneMatch="*")
        except _LostRace:
            # botocore retries a PUT whose answer was lost; the retry then finds the object our first attempt
            # wrote. That one is ours if it is this very job; anything else is a collision, never overwritten.
            if self.load_job(job.search_id) != job:
                raise CacheUnavailable("a different search with this id exists") from None

    def load_job(self, search_id: str) -> SearchJob | None:
        found = self._get(self._job_key(search_id), SearchJob)
        return found[0] if found else None

    def mark_failed(self, search_id: str, reason: str) -> None:
        job = self.load_job(search_id)
        if job is not None:
            self._put(self._job_key(search_id), job.model_copy(update={"status": "failed", "failure": reason}))

    # --- supplier outcomes ------------------------------------------------------------------------

    def save_outcome(self, search_id: str, outcome: SupplierOutcome) -> None:
        key = self._outcome_key(search_id, outcome.supplier)
        if outcome.status == "complete":
            self._put(key, outcome)
            return
        try:
            # A failure, e.g. from a slow duplicate delivery, must never hide offers already stored.
            self._put(key, outcome, IfNoneMatch="*")
        except _LostRace:
            log.info("kept the stored outcome of %s", outcome.supplier)

    def load_outcomes(self, search_id: str, suppliers: Iterable[str]) -> dict[str, SupplierOutcome]:
        keys = {code: self._outcome_key(search_id, code) for code in suppliers}
        if len(keys) <= 1:
            found = {code: self._get(key, SupplierOutcome) for code, key in keys.items()}
        else:
            futures = {code: self._readers.submit(self._get, key, SupplierOutcome) for code, key in keys.items()}
            found = {code: future.result() for code, future in futures.items()}
        return {code: item[0] for code, item in found.items() if item is not None}

    def finished_suppliers(self, search_id: str) -> set[str]:
        prefix = f"{self._prefix}{search_id}/suppliers/"
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as error:
            raise CacheUnavailable(_describe(error)) from error
        return {key[len(prefix) : -len(".json")] for key in keys}

    # --- idempotency keys -------------------------------------------------------------------------

    def claim_idempotency_key(self, key_id: str, record: IdempotencyRecord, max_age_s: int) -> IdempotencyRecord:
        key = f"{self._prefix}idempotency/{key_id}.json"
        for _ in range(3):
            try:
                self._put(key, record, IfNoneMatch="*")
                return record
            except _LostRace:
                pass
            holder: IdempotencyRecord | None = None
            try:
                found = self._get(key, IdempotencyRecord)
                if found is None:
                    continue  # released between our two calls: claim it again
                holder, etag = found
            except _Unreadable as error:
                etag = error.etag  # written by an earlier version, or tampered with: no replay can use it, taken over
            if holder is not None and (record.created_at - holder.created_at).total_seconds() <= max_age_s:
                return holder
            try:
                # The earlier search has expired (or its record is unreadable): take the key over, unless someone else
                # just did.
                self._put(key, record, IfMatch=etag)
                return record
            except _LostRace:
                continue
        raise CacheUnavailable("the idempotency key is being claimed by concurrent requests")

    def record_launch(self, key_id: str, record: IdempotencyRecord) -> None:
        self._put(f"{self._prefix}idempotency/{key_id}.json", record.model_copy(update={"launched": True}))

    def release_idempotency_key(self, key_id: str) -> None:
        try:
            self._s3.delete_object(Bucket=self._bucket, Key=f"{self._prefix}idempotency/{key_id}.json")
        except (ClientError, BotoCoreError) as error:
            raise CacheUnavailable(_describe(error)) from error

    # --- what searches share: suppliers' quotes and latencies ------------------------------------------

    def load_quote(self, supplier: str, query: SearchQuery) -> SupplierQuote | None:
        found = self._get(self._quote_key(supplier, query), SupplierQuote)
        return found[0] if found else None

    def save_quote(self, quote: SupplierQuote, query: SearchQuery) -> None:
        self._put(self._quote_key(quote.supplier, query), quote)

    def load_latencies(self) -> dict[str, float]:
        found = self._get(f"{self._prefix}stats/supplier-latency.json", SupplierLatencyRecord)
        return dict(found[0].seconds) if found else {}

    def save_latencies(self, seconds: Mapping[str, float]) -> None:
        self._put(f"{self._prefix}stats/supplier-latency.json", SupplierLatencyRecord(seconds=dict(seconds)))

    # --- S3 ---------------------------------------------------------------------------------------

    def _job_key(self, search_id: str) -> str:
        return f"{self._prefix}{search_id}/job.json"

    def _outcome_key(self, search_id: str, supplier: str) -> str:
        return f"{self._prefix}{search_id}/suppliers/{supplier}.json"

    def _quote_key(self, supplier: str, query: SearchQuery) -> str:
        trip = f"{query.pickup_date.isoformat()}_{query.return_date.isoformat()}"
        return f"{self._prefix}quotes/{supplier}/{query.city_id}/{trip}.json"

    def _put(self, key: str, model: BaseModel, **conditions: str) -> None:
        body = model.model_dump_json(by_alias=True).encode()
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=JSON, **conditions)
        except ClientError as error:
            if _code(error) in _LOST_RACE:
                raise _LostRace() from error
            raise CacheUnavailable(_describe(error)) from error
        except BotoCoreError as error:
            raise CacheUnavailable(_describe(error)) from error

    def _get(self, key: str, model: type[M]) -> tuple[M, str] | None:
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
            return model.model_validate_json(body), response["ETag"]
        except (ValidationError, json.JSONDecodeError) as error:
            # Objects are written whole, so this is a bug or tampering, not a torn read.
            raise _Unreadable(f"unreadable cache object {key}", response["ETag"]) from error


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
