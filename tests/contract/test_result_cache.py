"""What every `ResultCache` promises, run against the in-memory fake and against `S3ResultCache` on moto, so the
fake that the use cases' unit tests rely on cannot drift from the adapter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
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

NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
SEARCH = "a" * 64
OTHER_SEARCH = "b" * 64
MAX_AGE_S = 1800


def _job(search: str = SEARCH) -> SearchJob:
    query = SearchQuery(
        city_id="denver-co", city="Denver, CO", pickup_date=date(2026, 12, 5), return_date=date(2026, 12, 7)
    )
    return SearchJob(search_id=search, query=query, suppliers=("hertz", "avis"), created_at=NOW)


def _offer(supplier: str) -> Offer:
    return Offer(
        offer_id=f"{supplier}-den-compact",
        supplier=supplier,
        supplier_name=supplier.title(),
        supplier_rating=4.1,
        car_class="compact",
        car_class_name="Compact",
        example_model="Nissan Versa or similar",
        seats=5,
        bags=2,
        location=RentalLocationInfo(code="DEN", name="Denver International Airport", kind="airport"),
        pickup_date=date(2026, 12, 5),
        return_date=date(2026, 12, 7),
        days=2,
        daily_rate=41.5,
        total_price=83.0,
    )


def _complete(supplier: str = "hertz", offers: int = 1) -> SupplierOutcome:
    return SupplierOutcome(
        supplier=supplier, status="complete", offers=(_offer(supplier),) * offers, latency_s=1.0, finished_at=NOW
    )


def _failed(supplier: str = "hertz", error: str = "timed out") -> SupplierOutcome:
    return SupplierOutcome(supplier=supplier, status="failed", error=error, latency_s=1.0, finished_at=NOW)


def _claim(token: str, seconds_later: float = 0, fingerprint: str = "f") -> IdempotencyRecord:
    return IdempotencyRecord(
        sealed_token=token * 32, request_fingerprint=fingerprint, created_at=NOW + timedelta(seconds=seconds_later)
    )


# --- jobs ---------------------------------------------------------------------------------------------


def test_created_job_loads_back_equal(cache: ResultCache) -> None:
    cache.create_job(_job())
    loaded = cache.load_job(SEARCH)
    assert loaded == _job()
    assert loaded is not None and loaded.created_at.utcoffset() == timedelta(0)


def test_unknown_job_loads_as_none(cache: ResultCache) -> None:
    cache.create_job(_job(OTHER_SEARCH))
    assert cache.load_job(SEARCH) is None


def test_job_cannot_be_created_twice_and_the_first_stays(cache: ResultCache) -> None:
    cache.create_job(_job())
    with pytest.raises(CacheUnavailable):  # a token collision must never overwrite a search
        cache.create_job(replace(_job(), suppliers=("sixt",)))
    assert cache.load_job(SEARCH) == _job()


def test_creating_the_same_job_again_is_a_retry_that_succeeds(cache: ResultCache) -> None:
    # GIVEN the first PUT was written but its answer lost: botocore sends it again, and S3 answers 412
    cache.create_job(_job())
    cache.create_job(_job())  # THEN no error: the job there is this one
    assert cache.load_job(SEARCH) == _job()


def test_mark_failed_keeps_the_query_and_gives_the_reason(cache: ResultCache) -> None:
    cache.create_job(_job())
    marked = cache.mark_failed(SEARCH, "The search could not be started.")
    assert marked == replace(_job(), status="failed", failure="The search could not be started.")
    assert cache.load_job(SEARCH) == marked


def test_mark_failed_again_gives_the_latest_reason(cache: ResultCache) -> None:
    cache.create_job(_job())
    cache.mark_failed(SEARCH, "The search could not be started.")
    cache.mark_failed(SEARCH, "The search could not be run.")
    job = cache.load_job(SEARCH)
    assert job is not None and (job.status, job.failure) == ("failed", "The search could not be run.")


def test_mark_failed_of_an_unknown_search_creates_nothing(cache: ResultCache) -> None:
    assert cache.mark_failed(SEARCH, "The search could not be run.") is None
    assert cache.load_job(SEARCH) is None


# --- supplier outcomes --------------------------------------------------------------------------------


def test_saved_outcomes_load_back_equal_and_count_as_finished(cache: ResultCache) -> None:
    cache.save_outcome(SEARCH, _complete("hertz", offers=3))
    cache.save_outcome(SEARCH, _failed("avis"))
    assert cache.load_outcomes(SEARCH, ["hertz", "avis"]) == {"hertz": _complete("hertz", 3), "avis": _failed("avis")}
    assert cache.load_outcomes(SEARCH, ["avis"]) == {"avis": _failed("avis")}
    assert cache.finished_suppliers(SEARCH) == {"hertz", "avis"}


def test_outcomes_of_suppliers_not_in_yet_are_absent(cache: ResultCache) -> None:
    cache.save_outcome(SEARCH, _complete("avis"))
    assert set(cache.load_outcomes(SEARCH, ["hertz", "avis", "sixt"])) == {"avis"}
    assert cache.load_outcomes(SEARCH, ["hertz"]) == {}
    assert cache.load_outcomes(SEARCH, []) == {}
    assert cache.finished_suppliers(SEARCH) == {"avis"}


def test_outcomes_belong_to_their_search(cache: ResultCache) -> None:
    cache.save_outcome(OTHER_SEARCH, _complete("hertz"))
    assert cache.load_outcomes(SEARCH, ["hertz", "avis"]) == {}
    assert cache.finished_suppliers(SEARCH) == set()


def test_failed_outcome_never_hides_a_complete_one(cache: ResultCache) -> None:
    cache.save_outcome(SEARCH, _complete())
    cache.save_outcome(SEARCH, _failed())
    assert cache.load_outcomes(SEARCH, ["hertz"])["hertz"] == _complete()


def test_failed_outcome_never_replaces_an_earlier_failure(cache: ResultCache) -> None:
    cache.save_outcome(SEARCH, _failed(error="Hertz's system returned an error"))
    cache.save_outcome(SEARCH, _failed(error="did not answer within 15 s"))
    assert cache.load_outcomes(SEARCH, ["hertz"])["hertz"].error == "Hertz's system returned an error"


def test_complete_outcome_replaces_a_failed_one(cache: ResultCache) -> None:
    cache.save_outcome(SEARCH, _failed())
    cache.save_outcome(SEARCH, _complete())
    assert cache.load_outcomes(SEARCH, ["hertz"])["hertz"] == _complete()


def test_complete_outcome_replaces_an_earlier_complete_one(cache: ResultCache) -> None:
    cache.save_outcome(SEARCH, _complete(offers=1))
    cache.save_outcome(SEARCH, _complete(offers=2))
    assert len(cache.load_outcomes(SEARCH, ["hertz"])["hertz"].offers) == 2
    assert cache.finished_suppliers(SEARCH) == {"hertz"}


# --- idempotency keys ---------------------------------------------------------------------------------


def test_idempotency_claim_first_wins_and_later_claims_get_the_holder(cache: ResultCache) -> None:
    assert cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S) == _claim("t")
    assert cache.claim_idempotency_key("k", _claim("u", 5, "g"), MAX_AGE_S) == _claim("t")


def test_idempotency_key_is_still_held_at_exactly_the_maximum_age(cache: ResultCache) -> None:
    cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S)
    assert cache.claim_idempotency_key("k", _claim("u", MAX_AGE_S), MAX_AGE_S) == _claim("t")


def test_idempotency_claim_takes_over_an_expired_key(cache: ResultCache) -> None:
    cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S)
    assert cache.claim_idempotency_key("k", _claim("u", MAX_AGE_S + 1), MAX_AGE_S) == _claim("u", MAX_AGE_S + 1)
    # ... and the earlier claimant, coming back, gets the new holder
    assert cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S) == _claim("u", MAX_AGE_S + 1)


def test_idempotency_max_age_is_the_callers(cache: ResultCache) -> None:
    cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S)
    assert cache.claim_idempotency_key("k", _claim("u", 61), 60) == _claim("u", 61)


def test_idempotency_keys_are_independent(cache: ResultCache) -> None:
    cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S)
    assert cache.claim_idempotency_key("other", _claim("u"), MAX_AGE_S) == _claim("u")


def test_released_idempotency_key_can_be_claimed_again(cache: ResultCache) -> None:
    cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S)
    cache.release_idempotency_key("k")
    assert cache.claim_idempotency_key("k", _claim("u"), MAX_AGE_S) == _claim("u")


def test_a_launch_recorded_is_what_the_next_claim_finds(cache: ResultCache) -> None:
    cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S)
    assert not cache.claim_idempotency_key("k", _claim("u", 5), MAX_AGE_S).launched
    cache.record_launch("k", _claim("t"))
    assert cache.claim_idempotency_key("k", _claim("u", 5), MAX_AGE_S) == replace(_claim("t"), launched=True)


def test_releasing_an_unclaimed_idempotency_key_is_harmless(cache: ResultCache) -> None:
    cache.release_idempotency_key("k")
    assert cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S) == _claim("t")


# --- the store is down, or holds what it cannot read ---------------------------------------------------

CALLS: dict[str, Callable[[ResultCache], object]] = {
    "create_job": lambda cache: cache.create_job(_job(OTHER_SEARCH)),
    "load_job": lambda cache: cache.load_job(SEARCH),
    "mark_failed": lambda cache: cache.mark_failed(SEARCH, "The search could not be run."),
    "save_complete": lambda cache: cache.save_outcome(SEARCH, _complete("avis")),
    "save_failed": lambda cache: cache.save_outcome(SEARCH, _failed("avis")),
    "load_one_outcome": lambda cache: cache.load_outcomes(SEARCH, ["hertz"]),
    "load_outcomes": lambda cache: cache.load_outcomes(SEARCH, ["hertz", "avis"]),
    "finished_suppliers": lambda cache: cache.finished_suppliers(SEARCH),
    "claim": lambda cache: cache.claim_idempotency_key("k", _claim("u"), MAX_AGE_S),
    "release": lambda cache: cache.release_idempotency_key("k"),
    "record_launch": lambda cache: cache.record_launch("k", _claim("t")),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_every_call_to_a_store_that_is_down_raises_cache_unavailable(
    store: Store, call: Callable[[ResultCache], object]
) -> None:
    # GIVEN a store holding a search, its outcome and a claimed key, which then cannot be reached
    store.cache.create_job(_job())
    store.cache.save_outcome(SEARCH, _complete())
    store.cache.claim_idempotency_key("k", _claim("t"), MAX_AGE_S)
    store.go_down()
    with pytest.raises(CacheUnavailable):
        call(store.cache)


UNREADABLE = {"cut short": '{"searchId": "aaa", ', "another shape": '{"hello": "world"}'}
READS: dict[str, tuple[str, Callable[[ResultCache], object]]] = {
    "load_job": (f"{SEARCH}/job.json", lambda cache: cache.load_job(SEARCH)),
    "mark_failed": (f"{SEARCH}/job.json", lambda cache: cache.mark_failed(SEARCH, "The search could not be run.")),
    "load_one_outcome": (f"{SEARCH}/suppliers/hertz.json", lambda cache: cache.load_outcomes(SEARCH, ["hertz"])),
    "load_outcomes": (f"{SEARCH}/suppliers/hertz.json", lambda cache: cache.load_outcomes(SEARCH, ["hertz", "avis"])),
}


@pytest.mark.parametrize("text", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_idempotency_record_is_taken_over(store: Store, text: str) -> None:
    # An earlier version's record (it held the raw token), or a tampered one: no replay could use it.
    store.put_raw("idempotency/k.json", text)
    assert store.cache.claim_idempotency_key("k", _claim("u"), MAX_AGE_S) == _claim("u")


@pytest.mark.parametrize("text", UNREADABLE.values(), ids=UNREADABLE.keys())
@pytest.mark.parametrize(("name", "call"), READS.values(), ids=READS.keys())
def test_unreadable_record_is_cache_unavailable_not_parsed(
    store: Store, name: str, call: Callable[[ResultCache], object], text: str
) -> None:
    store.put_raw(name, text)
    with pytest.raises(CacheUnavailable, match="unreadable cache object"):
        call(store.cache)


# --- what searches share: the quote cache and the suppliers' latencies -----------------------------------------


def _shared(store: Store) -> SearchStore:
    return cast(SearchStore, store.cache)  # both stores implement the three ports: see tests/fakes/cache.py


def test_a_kept_quote_loads_back_equal_for_the_same_supplier_and_trip_only(store: Store) -> None:
    shared = _shared(store)
    query = _job().query
    quote = SupplierQuote(supplier="hertz", offers=(_offer("hertz"),), quoted_at=NOW)
    shared.save_quote(quote, query)
    assert shared.load_quote("hertz", query) == quote
    assert shared.load_quote("avis", query) is None
    later = replace(query, return_date=query.return_date + timedelta(days=1))
    assert shared.load_quote("hertz", later) is None


def test_latencies_load_back_equal_and_none_kept_is_empty(store: Store) -> None:
    shared = _shared(store)
    assert shared.load_latencies() == {}
    shared.save_latencies({"hertz": 6.25, "avis": 5.0})
    assert shared.load_latencies() == {"hertz": 6.25, "avis": 5.0}


def test_quotes_and_latencies_of_a_store_that_is_down_raise_cache_unavailable(store: Store) -> None:
    shared = _shared(store)
    store.go_down()
    with pytest.raises(CacheUnavailable):
        shared.load_quote("hertz", _job().query)
    with pytest.raises(CacheUnavailable):
        shared.load_latencies()


# --- cancels ----------------------------------------------------------------------------------------------------


def test_a_search_is_not_cancelled_until_it_is(cache: ResultCache) -> None:
    cache.create_job(_job())
    assert cache.cancelled_at(SEARCH) is None


def test_the_first_cancel_holds_and_its_time_is_kept(cache: ResultCache) -> None:
    cache.create_job(_job())
    assert cache.cancel(SEARCH, NOW) == NOW
    later = NOW + timedelta(seconds=30)
    assert cache.cancel(SEARCH, later) == NOW  # a second cancel changes nothing, and says when the first was
    assert cache.cancelled_at(SEARCH) == NOW
    assert cache.cancelled_at(OTHER_SEARCH) is None


def test_a_cancel_leaves_the_job_and_the_answers_as_they_were(cache: ResultCache) -> None:
    cache.create_job(_job())
    cache.save_outcome(SEARCH, SupplierOutcome(supplier="hertz", status="complete", offers=(_offer("hertz"),),
                                               latency_s=1.0, finished_at=NOW))  # fmt: skip
    cache.cancel(SEARCH, NOW)
    assert cache.load_job(SEARCH) == _job()
    assert set(cache.load_outcomes(SEARCH, ["hertz", "avis"])) == {"hertz"}
    assert cache.finished_suppliers(SEARCH) == {"hertz"}  # the marker is not an answer
