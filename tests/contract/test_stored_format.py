"""The stored format, held to both caches: objects written before the format had versions (tests/stored/v1/, as the
code of a43dd64 wrote them) still read; what is written today is the same object with its version; a later
version is refused, never guessed at."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from search_service.domain.errors import CacheUnavailable
from search_service.domain.models import (
    IdempotencyRecord,
    Offer,
    RentalLocationInfo,
    SearchJob,
    SearchQuery,
    SupplierOutcome,
    SupplierQuote,
)
from search_service.domain.ports import ResultCache, SearchStore
from tests.builders.stores import Store

V1 = Path(__file__).resolve().parents[1] / "stored" / "v1"
NOW = datetime(2026, 11, 23, 15, 0, 0, 125000, tzinfo=UTC)
QUOTED = datetime(2026, 11, 23, 14, 55, tzinfo=UTC)
SEARCH = "a" * 64
MAX_AGE_S = 1800
REASON = "The search could not be run."

# What the fixtures hold, written out here rather than read from them, so that a name read into the wrong field fails.
QUERY = SearchQuery(
    city_id="denver-co", city="Denver, CO", pickup_date=date(2026, 12, 5), return_date=date(2026, 12, 7)
)
DEN = RentalLocationInfo(code="DEN", name="Denver International Airport", kind="airport")
TRIP = {"pickup_date": QUERY.pickup_date, "return_date": QUERY.return_date, "days": 2, "location": DEN}
HERTZ = {"supplier": "hertz", "supplier_name": "Hertz", "supplier_rating": 4.0}
OFFERS = (
    Offer(offer_id="4f66bc0c94c1", **HERTZ, car_class="economy", car_class_name="economy",
          example_model="Kia Rio or similar", seats=4, bags=1, **TRIP, daily_rate=49.53, total_price=117.98,
          quoted_at=NOW),
    Offer(offer_id="6bd7fc14e17a", **HERTZ, car_class="compact", car_class_name="compact",
          example_model="Hyundai Accent or similar", seats=5, bags=2, **TRIP, daily_rate=60.85, total_price=144.94,
          quoted_at=QUOTED),
)  # fmt: skip
JOB = SearchJob(search_id=SEARCH, query=QUERY, suppliers=("hertz", "avis"), created_at=NOW)
COMPLETE = SupplierOutcome(supplier="hertz", status="complete", offers=OFFERS, latency_s=6.25, finished_at=NOW)
FAILED = SupplierOutcome(
    supplier="avis", status="failed", error="did not answer within 15 s", latency_s=15.0, finished_at=NOW
)
CLAIM = IdempotencyRecord(sealed_token="c2VhbGVk" * 8, request_fingerprint="f" * 64, created_at=NOW)
QUOTE = SupplierQuote(supplier="hertz", offers=OFFERS, quoted_at=QUOTED)
LATENCIES = {"hertz": 6.25, "avis": 5.0}


def _shared(cache: ResultCache) -> SearchStore:
    return cast(SearchStore, cache)  # both caches implement the three ports: see tests/fakes/cache.py


def _launched(cache: ResultCache) -> None:
    cache.claim_idempotency_key("k", CLAIM, MAX_AGE_S)
    cache.record_launch("k", CLAIM)


@dataclass(frozen=True)
class Kind:
    fixture: str  # in tests/stored/v1/
    name: str  # where the cache keeps it, below its prefix
    expected: object  # what it reads as
    read: Callable[[ResultCache], object]
    write: Callable[[ResultCache], object]  # writes what `expected` says through the cache


def _claimed_by_another(cache: ResultCache) -> IdempotencyRecord:
    later = IdempotencyRecord(sealed_token="x", request_fingerprint="g", created_at=NOW + timedelta(seconds=5))
    return cache.claim_idempotency_key("k", later, MAX_AGE_S)  # the live holder, when it reads


KINDS = {
    "job": Kind("job.json", f"{SEARCH}/job.json", JOB, lambda c: c.load_job(SEARCH), lambda c: c.create_job(JOB)),
    "failed job": Kind(
        "job-failed.json",
        f"{SEARCH}/job.json",
        replace(JOB, status="failed", failure=REASON),
        lambda c: c.load_job(SEARCH),
        lambda c: (c.create_job(JOB), c.mark_failed(SEARCH, REASON)),
    ),
    "complete outcome": Kind(
        "outcome-complete.json",
        f"{SEARCH}/suppliers/hertz.json",
        COMPLETE,
        lambda c: c.load_outcomes(SEARCH, ["hertz"]).get("hertz"),
        lambda c: c.save_outcome(SEARCH, COMPLETE),
    ),
    "failed outcome": Kind(
        "outcome-failed.json",
        f"{SEARCH}/suppliers/avis.json",
        FAILED,
        lambda c: c.load_outcomes(SEARCH, ["avis", "hertz"]).get("avis"),
        lambda c: c.save_outcome(SEARCH, FAILED),
    ),
    "idempotency record": Kind(
        "idempotency.json", "idempotency/k.json", replace(CLAIM, launched=True), _claimed_by_another, _launched
    ),
    "quote": Kind(
        "quote.json",
        "quotes/hertz/denver-co/2026-12-05_2026-12-07.json",
        QUOTE,
        lambda c: _shared(c).load_quote("hertz", QUERY),
        lambda c: _shared(c).save_quote(QUOTE, QUERY),
    ),
    "latencies": Kind(
        "supplier-latency.json",
        "stats/supplier-latency.json",
        LATENCIES,
        lambda c: _shared(c).load_latencies(),
        lambda c: _shared(c).save_latencies(LATENCIES),
    ),
}
READ_ONLY = {name: kind for name, kind in KINDS.items() if name != "idempotency record"}


def _fixture(kind: Kind) -> dict[str, object]:
    found: dict[str, object] = json.loads((V1 / kind.fixture).read_text())
    return found


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())
def test_object_written_before_the_format_had_versions_reads_as_version_1(store: Store, kind: Kind) -> None:
    # GIVEN an object as the bucket holds it since before versions: no formatVersion
    text = (V1 / kind.fixture).read_text()
    assert "formatVersion" not in text
    store.put_raw(kind.name, text)
    # THEN it reads as what it was written from
    assert kind.read(store.cache) == kind.expected


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())
def test_object_is_written_as_version_1_with_its_version(store: Store, kind: Kind) -> None:
    kind.write(store.cache)
    written = json.loads(store.read_raw()[kind.name])
    # The same names and values as the objects in the bucket, and the version: a name changed without a new
    # version fails here.
    assert written == {"formatVersion": 1, **_fixture(kind)}


LATER = {
    "same shape": lambda fixture: {**fixture, "formatVersion": 2},
    "new shape": lambda fixture: {"formatVersion": 2, "record": fixture},
}


@pytest.mark.parametrize("later", LATER.values(), ids=LATER.keys())
@pytest.mark.parametrize("kind", READ_ONLY.values(), ids=READ_ONLY.keys())
def test_object_of_a_later_format_version_is_refused_as_unreadable(
    store: Store, kind: Kind, later: Callable[[dict[str, object]], dict[str, object]]
) -> None:
    # GIVEN an object a later release wrote, met by this one (a rollback, or two releases live at once)
    store.put_raw(kind.name, json.dumps(later(_fixture(kind))))
    # THEN it is refused, saying why, rather than read as something it may not mean
    with pytest.raises(CacheUnavailable, match=r"unreadable cache object \S+: format version 2, and this release"):
        kind.read(store.cache)


def test_idempotency_record_of_a_later_format_version_is_taken_over(store: Store) -> None:
    # As any record it cannot read: no replay can use it, so a claim takes the key (at worst a second search).
    store.put_raw("idempotency/k.json", json.dumps({**_fixture(KINDS["idempotency record"]), "formatVersion": 2}))
    claim = IdempotencyRecord(sealed_token="x", request_fingerprint="g", created_at=NOW)
    assert store.cache.claim_idempotency_key("k", claim, MAX_AGE_S) == claim


# --- the cancel marker: a kind of object added in version 1, which no release before it wrote ----------------------


def test_the_cancel_marker_is_written_with_its_version_and_reads_back(store: Store) -> None:
    assert store.cache.cancel(SEARCH, NOW) == NOW
    written = json.loads(store.read_raw()[f"{SEARCH}/cancelled.json"])
    assert written == {"formatVersion": 1, "cancelledAt": "2026-11-23T15:00:00.125000Z"}
    assert store.cache.cancelled_at(SEARCH) == NOW


def test_a_cancel_marker_of_a_later_format_version_is_refused_as_unreadable(store: Store) -> None:
    store.put_raw(f"{SEARCH}/cancelled.json", json.dumps({"formatVersion": 2, "cancelledAt": "2026-11-23T15:00:00Z"}))
    with pytest.raises(CacheUnavailable, match="format version 2, and this release"):
        store.cache.cancelled_at(SEARCH)
