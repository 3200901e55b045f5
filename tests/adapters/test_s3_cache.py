"""What only the S3 cache does: where it keeps each record, how botocore's errors reach the domain, and what it does
when another request changes an object between its two calls. What every ResultCache promises, the fake included,
is in tests/contract/test_result_cache.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from search_service.adapters.s3_cache import S3ResultCache
from search_service.domain.errors import CacheUnavailable
from search_service.domain.models import IdempotencyRecord, SearchJob, SearchQuery, SupplierOutcome

NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
SEARCH = "a" * 64
BUCKET = "car-search-results"
KEY = "results/idempotency/k.json"


@pytest.fixture
def cache(s3: Any) -> S3ResultCache:
    return S3ResultCache(s3, BUCKET, "results/")


def _job() -> SearchJob:
    query = SearchQuery(
        city_id="denver-co", city="Denver, CO", pickup_date=date(2026, 12, 5), return_date=date(2026, 12, 7)
    )
    return SearchJob(search_id=SEARCH, query=query, suppliers=("hertz", "avis"), created_at=NOW)


def _claim(token: str, seconds_later: float = 0) -> IdempotencyRecord:
    return IdempotencyRecord(
        sealed_token=token * 32, request_fingerprint="f", created_at=NOW + timedelta(seconds=seconds_later)
    )


def _keys(s3: Any) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_records_are_stored_under_the_results_prefix_as_json(cache: S3ResultCache, s3: Any) -> None:
    cache.create_job(_job())
    cache.save_outcome(SEARCH, SupplierOutcome(supplier="hertz", status="complete", latency_s=1.0, finished_at=NOW))
    cache.claim_idempotency_key("k", _claim("t"), 1800)
    assert _keys(s3) == [f"results/{SEARCH}/job.json", f"results/{SEARCH}/suppliers/hertz.json", KEY]
    stored = s3.get_object(Bucket=BUCKET, Key=f"results/{SEARCH}/job.json")
    assert stored["ContentType"] == "application/json"
    assert b'"searchId":"' + SEARCH.encode() in stored["Body"].read()  # camelCase, as on the wire


def test_missing_bucket_is_cache_unavailable_not_a_crash(s3: Any) -> None:
    cache = S3ResultCache(s3, "no-such-bucket", "results/")
    with pytest.raises(CacheUnavailable, match="NoSuchBucket"):
        cache.create_job(_job())
    with pytest.raises(CacheUnavailable, match="NoSuchBucket"):
        cache.finished_suppliers(SEARCH)


def test_idempotency_key_released_between_the_claims_two_calls_is_claimed(cache: S3ResultCache, s3: Any) -> None:
    # GIVEN a live holder that another request releases just after our conditional PUT found it
    cache.claim_idempotency_key("k", _claim("t"), 1800)

    def released_meanwhile(params: dict[str, Any], **_: Any) -> None:
        if params["Key"] == KEY:
            s3.meta.events.unregister("before-parameter-build.s3.GetObject", released_meanwhile)
            s3.delete_object(Bucket=BUCKET, Key=KEY)

    s3.meta.events.register("before-parameter-build.s3.GetObject", released_meanwhile)

    # THEN the claim tries again and gets the key
    assert cache.claim_idempotency_key("k", _claim("u"), 1800) == _claim("u")


def test_expired_idempotency_key_taken_over_by_others_each_time_is_cache_unavailable(
    cache: S3ResultCache, s3: Any
) -> None:
    # GIVEN an expired holder, and another request changing the object before each of our takeovers
    cache.claim_idempotency_key("k", _claim("t"), 1800)

    def changed_meanwhile(params: dict[str, Any], **_: Any) -> None:
        if "IfMatch" in params:
            params["IfMatch"] = '"an-etag-of-someone-else"'

    s3.meta.events.register("before-parameter-build.s3.PutObject", changed_meanwhile)

    # THEN the claim gives up after a few tries, as a store that cannot serve the request now
    with pytest.raises(CacheUnavailable, match="claimed by concurrent requests"):
        cache.claim_idempotency_key("k", _claim("u", 1801), 1800)
