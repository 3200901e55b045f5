"""RunSearch on the fakes: which suppliers it asks, what it stores for each, and what it reports to the search Lambda.
(Duplicate deliveries, S3 failing mid-way and the fan-out are also run through the Lambdas in
tests/functional/test_async_search.py.)"""

from __future__ import annotations

import pytest

from search_service.domain.cities import City
from search_service.domain.errors import CacheUnavailable, SupplierError, SupplierTimeout
from search_service.domain.models import Offer, SearchQuery, SupplierOutcome
from search_service.domain.ports import SupplierProvider
from search_service.domain.run import RunSearch
from search_service.domain.start import Policy
from tests.builders.in_memory import InMemoryService, answering, in_memory_service
from tests.builders.waiting import wait_until
from tests.fakes.cache import InMemoryResultCache
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import BrokenSupplier, StuckSupplier


def _stored(service: InMemoryService, search: str, code: str) -> SupplierOutcome:
    return service.cache.load_outcomes(search, [code])[code]


def test_run_stores_every_suppliers_answer_and_reports_what_it_found(service: InMemoryService) -> None:
    started = service.start_search()
    [report] = service.launcher.deliver()

    search = started.job.search_id
    outcomes = service.cache.load_outcomes(search, started.job.suppliers)
    assert report.skipped is None
    assert report.completed == list(started.job.suppliers) and report.failed == []
    assert report.offers == sum(len(outcome.offers) for outcome in outcomes.values()) > 0
    assert {outcome.status for outcome in outcomes.values()} == {"complete"}
    assert {offer.supplier for outcome in outcomes.values() for offer in outcome.offers} == set(started.job.suppliers)


@pytest.mark.parametrize(
    ("error", "stored"),
    [
        (SupplierError("Hertz's system returned an error"), "Hertz's system returned an error"),
        (SupplierTimeout("Hertz did not answer within 5 s"), "did not answer within 5 s"),
        (RuntimeError("KeyError in the Hertz adapter"), "the search with this company failed"),
    ],
    ids=["supplier-error", "supplier-timeout", "bug-in-the-provider"],
)
def test_a_failing_supplier_is_stored_failed_and_the_others_answer(
    clock: FixedClock, error: Exception, stored: str
) -> None:
    service = in_memory_service(clock, answering(hertz=lambda inner: BrokenSupplier(inner, error)))
    started = service.start_search()
    [report] = service.launcher.deliver()

    assert report.failed == ["hertz"] and len(report.completed) == 8
    hertz = _stored(service, started.job.search_id, "hertz")
    assert (hertz.status, hertz.error, hertz.offers) == ("failed", stored, ())


def test_a_supplier_no_longer_searched_is_stored_failed(service: InMemoryService, clock: FixedClock) -> None:
    # GIVEN a search started while Hertz was searched, run by a search Lambda deployed without it
    started = service.start_search()
    providers = {code: p for code, p in answering().items() if code != "hertz"}
    report = RunSearch(service.cache, providers, clock, Policy(), 5.0)(started.job.search_id)

    assert report.failed == ["hertz"]
    assert _stored(service, started.job.search_id, "hertz").error == "hertz is no longer searched"


@pytest.mark.parametrize(("budget_s", "said"), [(1.25, "0.25 s"), (0.5, "0 s"), (None, "5 s")])
def test_a_suppliers_time_limit_keeps_a_second_of_the_lambdas_time_for_the_writes(
    clock: FixedClock, budget_s: float | None, said: str
) -> None:
    service = in_memory_service(clock, answering(hertz=lambda inner: BrokenSupplier(inner, SupplierTimeout("slow"))))
    started = service.start_search()
    service.run(started.job.search_id, time_budget_s=budget_s)
    assert _stored(service, started.job.search_id, "hertz").error == f"did not answer within {said}"


def test_a_supplier_stuck_past_its_time_limit_is_stored_failed_and_its_late_answer_still_counts(
    clock: FixedClock,
) -> None:
    providers = answering()
    hertz = providers["hertz"] = StuckSupplier(providers["hertz"])
    service = in_memory_service(clock, providers, supplier_timeout_s=0.05)
    search = service.start_search().job.search_id
    try:
        [report] = service.launcher.deliver()
        assert report.failed == ["hertz"]
        assert _stored(service, search, "hertz").error == "did not answer within 0.05 s"
    finally:
        # WHEN Hertz answers after all, the search having returned
        hertz.gate.set()
    assert wait_until(lambda: _stored(service, search, "hertz").status == "complete", 10)


# --- when there is nothing to run --------------------------------------------------------------------


def test_unknown_search_is_skipped_and_stores_nothing(service: InMemoryService) -> None:
    report = service.run("0" * 64)
    assert report.skipped == "unknown search"
    assert service.cache.objects == {}


def test_search_marked_failed_is_skipped(service: InMemoryService) -> None:
    started = service.start_search()
    service.cache.mark_failed(started.job.search_id, "The search could not be run.")
    [report] = service.launcher.deliver()
    assert report.skipped == "search already failed"
    assert service.cache.finished_suppliers(started.job.search_id) == set()


@pytest.mark.parametrize(("later_s", "skipped"), [(120, None), (121, "search past its deadline")])
def test_search_delivered_after_its_deadline_is_skipped_and_its_failure_stands(
    service: InMemoryService, clock: FixedClock, later_s: int, skipped: str | None
) -> None:
    # GIVEN a search whose async event arrives late (Lambda retries it for up to 300 s)
    started = service.start_search()
    clock.advance(seconds=later_s)
    before = service.read(started).status
    [report] = service.launcher.deliver()
    # THEN past the deadline nothing runs, and what GETs said (every supplier failed) stays true
    assert report.skipped == skipped
    if skipped:
        assert before == service.read(started).status == "failed"
        assert service.cache.finished_suppliers(started.job.search_id) == set()


def test_second_delivery_asks_only_the_suppliers_without_an_answer(service: InMemoryService, clock: FixedClock) -> None:
    # GIVEN a search where Hertz answered (with nothing) and Avis failed, before the search Lambda crashed
    started = service.start_search()
    search = started.job.search_id
    answered = clock.now()
    service.cache.save_outcome(
        search, SupplierOutcome(supplier="hertz", status="complete", latency_s=1, finished_at=answered)
    )
    service.cache.save_outcome(
        search, SupplierOutcome(supplier="avis", status="failed", error="x", latency_s=1, finished_at=answered)
    )

    [report] = service.launcher.deliver()

    assert sorted(report.completed) == sorted(set(started.job.suppliers) - {"hertz", "avis"})
    assert _stored(service, search, "hertz").offers == ()
    assert service.run(search).skipped == "every supplier has answered"


# --- the cache fails ---------------------------------------------------------------------------------------


class _StoreGoesDownOnce:
    """Answers like the wrapped supplier; the first time it is asked, the results store goes down meanwhile."""

    def __init__(self, inner: SupplierProvider, cache: InMemoryResultCache) -> None:
        self.supplier = inner.supplier
        self._inner = inner
        self._cache: InMemoryResultCache | None = cache

    def serves(self, city: City) -> bool:
        return self._inner.serves(city)

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        cache, self._cache = self._cache, None
        if cache is not None:
            cache.down = True
        return self._inner.search(query, timeout_s)


def test_run_that_cannot_store_an_answer_raises_and_the_retry_finishes_the_search(clock: FixedClock) -> None:
    cache = InMemoryResultCache()
    service = in_memory_service(clock, answering(hertz=lambda inner: _StoreGoesDownOnce(inner, cache)), cache=cache)
    started = service.start_search()

    # WHEN the store goes down while the suppliers answer, THEN the run fails for Lambda to retry it
    with pytest.raises(CacheUnavailable):
        service.launcher.deliver()

    # ... and the retry, the store back, asks the suppliers still missing and ends with every answer stored
    cache.down = False
    report = service.run(started.job.search_id)
    assert "hertz" in report.completed and report.failed == []
    assert service.cache.finished_suppliers(started.job.search_id) == set(started.job.suppliers)


def test_a_run_that_starts_just_before_the_deadline_gives_its_suppliers_only_the_time_left(
    clock: FixedClock,
) -> None:
    service = in_memory_service(clock, answering(hertz=lambda inner: BrokenSupplier(inner, SupplierTimeout("slow"))))
    started = service.start_search()
    clock.advance(seconds=117.5)  # the deadline is 120 s after the start
    service.launcher.deliver()
    assert _stored(service, started.job.search_id, "hertz").error == "did not answer within 2.5 s"
