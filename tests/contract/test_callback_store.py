"""The callbacks' records in the real S3 adapter (moto) and the in-memory fake the use cases are tested on: the same
answers; a job's callback added to the stored format compatibly (absent when none)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from search_service.adapters.s3_cache import S3ResultCache
from search_service.adapters.stored import StoredJob, dump, load
from search_service.domain.models import Callback, Delivery, SearchJob, SearchQuery, SigningSecret
from tests.fakes.callbacks import InMemoryCallbackStore

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SEARCH = "a" * 64
QUERY = SearchQuery(
    city_id="denver-co", city="Denver, CO", pickup_date=date(2026, 12, 5), return_date=date(2026, 12, 7)
)
CALLBACK = Callback(url="https://example.com/in", events=("search.completed",), owner="o" * 64, poll="/beta/search")
JOB = SearchJob(search_id=SEARCH, query=QUERY, suppliers=("hertz",), created_at=NOW, callback=CALLBACK)


@pytest.fixture(params=["s3", "memory"])
def store(request: Any, s3: Any) -> Any:
    if request.param == "s3":
        return S3ResultCache(s3, "car-search-results")
    return InMemoryCallbackStore()


def test_deliveries_are_kept_per_event_and_read_back_oldest_first(store: Any) -> None:
    first = Delivery(event_id="msg_b", event_type="supplier.answered", state="delivered", created_at=NOW, attempts=1,
                     last_status=204, last_attempt_at=NOW)  # fmt: skip
    second = Delivery(event_id="msg_a", event_type="search.completed", state="pending", created_at=NOW
                      + timedelta(seconds=3), attempts=1, last_status=500, last_error="the receiver answered 500",
                      next_attempt_at=NOW + timedelta(seconds=20))  # fmt: skip
    assert store.load_delivery(SEARCH, "msg_a") is None and store.load_deliveries(SEARCH) == []
    store.save_delivery(SEARCH, second)
    store.save_delivery(SEARCH, first)
    assert store.load_deliveries(SEARCH) == [first, second]
    settled = replace(second, state="delivered", attempts=2, last_status=200, last_error=None, next_attempt_at=None)
    store.save_delivery(SEARCH, settled)
    assert store.load_delivery(SEARCH, "msg_a") == settled
    assert store.load_deliveries("b" * 64) == []


def test_a_secret_is_created_once_then_replaced_only_by_a_rotation(store: Any) -> None:
    first = SigningSecret(secret="whsec_AAAA", created_at=NOW)
    assert store.load_secret("o") is None
    assert store.create_secret("o", first) == first
    assert store.create_secret("o", SigningSecret(secret="whsec_BBBB", created_at=NOW)) == first  # lost the race
    rotated = SigningSecret(secret="whsec_CCCC", created_at=NOW, previous="whsec_AAAA", previous_until=NOW)
    store.save_secret("o", rotated)
    assert store.load_secret("o") == rotated


def test_a_secret_is_kept_outside_the_results_prefix_so_the_lifecycle_rule_leaves_it(s3: Any) -> None:
    S3ResultCache(s3, "car-search-results").create_secret("o", SigningSecret(secret="whsec_AAAA", created_at=NOW))
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="car-search-results")["Contents"]]
    assert keys == ["webhook-secrets/o.json"]


def test_a_job_without_a_callback_is_the_object_it_always_was_and_one_with_it_round_trips() -> None:
    plain = json.loads(dump(StoredJob.of(replace(JOB, callback=None))))
    assert "callback" not in plain
    stored = dump(StoredJob.of(JOB))
    assert json.loads(stored)["callback"] == {
        "url": "https://example.com/in",
        "events": ["search.completed"],
        "owner": "o" * 64,
        "poll": "/beta/search",
    }
    assert load(StoredJob, stored).domain() == JOB
