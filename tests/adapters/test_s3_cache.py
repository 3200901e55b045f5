"""The S3 cache under moto: what is stored, and which write wins when two race."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from search_service.adapters.s3_cache import S3ResultCache
from search_service.domain.errors import CacheUnavailable
from search_service.domain.models import IdempotencyRecord, SearchJob, SearchQuery, SupplierOutcome

NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
SEARCH = "a" * 64


@pytest.fixture
def cache(s3: Any) -> S3ResultCache:
    return S3ResultCache(s3, "car-search-results", "results/")


def _job() -> SearchJob:
    query = SearchQuery(
        city_id="denver-co", city="Denver, CO", pickup_date=date(2026, 12, 5), return_date=date(2026, 12, 7)
    )
    return SearchJob(search_id=SEARCH, query=query, suppliers=("hertz", "avis"), created_at=NOW)


def _outcome(status: str, supplier: str = "hertz") -> SupplierOutcome:
    return SupplierOutcome(supplier=supplier, status=status, error=None if status == "complete" else "timed out",
                           latency_s=1.0, finished_at=NOW)  # fmt: skip


def test_job_is_stored_under_the_results_prefix_as_json(cache: S3ResultCache, s3: Any) -> None:
    cache.create_job(_job())
    stored = s3.get_object(Bucket="car-search-results", Key=f"results/{SEARCH}/job.json")
    assert stored["ContentType"] == "application/json"
    assert cache.load_job(SEARCH) == _job()


def test_job_cannot_be_created_twice(cache: S3ResultCache) -> None:
    cache.create_job(_job())
    with pytest.raises(Exception):  # noqa: B017 - a token collision must never overwrite a search
        cache.create_job(_job())


def test_mark_failed_keeps_the_query(cache: S3ResultCache) -> None:
    cache.create_job(_job())
    cache.mark_failed(SEARCH, "The search could not be started.")
    job = cache.load_job(SEARCH)
    assert job is not None and (job.status, job.failure) == ("failed", "The search could not be started.")
    assert job.query == _job().query


def test_failed_outcome_never_hides_a_complete_one(cache: S3ResultCache) -> None:
    cache.save_outcome(SEARCH, _outcome("complete"))
    cache.save_outcome(SEARCH, _outcome("failed"))
    assert cache.load_outcomes(SEARCH, ["hertz"])["hertz"].status == "complete"


def test_complete_outcome_replaces_a_failed_one(cache: S3ResultCache) -> None:
    cache.save_outcome(SEARCH, _outcome("failed"))
    cache.save_outcome(SEARCH, _outcome("complete"))
    assert cache.load_outcomes(SEARCH, ["hertz"])["hertz"].status == "complete"


def test_outcomes_of_suppliers_not_in_yet_are_absent(cache: S3ResultCache) -> None:
    cache.save_outcome(SEARCH, _outcome("complete", "avis"))
    assert set(cache.load_outcomes(SEARCH, ["hertz", "avis", "sixt"])) == {"avis"}
    assert cache.finished_suppliers(SEARCH) == {"avis"}


def test_idempotency_claim_first_wins_and_later_claims_get_the_holder(cache: S3ResultCache) -> None:
    first = IdempotencyRecord(token="t" * 32, request_fingerprint="f", created_at=NOW)
    second = IdempotencyRecord(token="u" * 32, request_fingerprint="f", created_at=NOW + timedelta(seconds=5))
    assert cache.claim_idempotency_key("k", first, 1800) == first
    assert cache.claim_idempotency_key("k", second, 1800) == first


def test_idempotency_claim_takes_over_an_expired_key(cache: S3ResultCache) -> None:
    old = IdempotencyRecord(token="t" * 32, request_fingerprint="f", created_at=NOW)
    new = IdempotencyRecord(token="u" * 32, request_fingerprint="f", created_at=NOW + timedelta(minutes=31))
    cache.claim_idempotency_key("k", old, 1800)
    assert cache.claim_idempotency_key("k", new, 1800) == new
    assert cache.claim_idempotency_key("k", old, 1800) == new


def test_released_idempotency_key_can_be_claimed_again(cache: S3ResultCache) -> None:
    first = IdempotencyRecord(token="t" * 32, request_fingerprint="f", created_at=NOW)
    second = IdempotencyRecord(token="u" * 32, request_fingerprint="f", created_at=NOW)
    cache.claim_idempotency_key("k", first, 1800)
    cache.release_idempotency_key("k")
    assert cache.claim_idempotency_key("k", second, 1800) == second


def test_missing_bucket_is_cache_unavailable_not_a_crash(s3: Any) -> None:
    cache = S3ResultCache(s3, "no-such-bucket", "results/")
    with pytest.raises(CacheUnavailable, match="NoSuchBucket"):
        cache.create_job(_job())
    with pytest.raises(CacheUnavailable):
        cache.finished_suppliers(SEARCH)


def test_unreadable_object_is_reported_not_parsed(cache: S3ResultCache, s3: Any) -> None:
    s3.put_object(Bucket="car-search-results", Key=f"results/{SEARCH}/job.json", Body=b'{"half": ')
    with pytest.raises(CacheUnavailable, match="unreadable cache object"):
        cache.load_job(SEARCH)
