"""When each missing company is expected: the suppliers' latencies learned from the answers the searches store,
said in a pending or partial answer (per supplier, and as when to ask again)."""

from __future__ import annotations

import pytest

from search_service.domain.errors import SupplierTimeout
from search_service.domain.latency import SupplierLatencies, learn
from search_service.domain.results import ResultsView
from tests.builders.in_memory import InMemoryService, answering, in_memory_service
from tests.fakes.cache import InMemoryResultCache
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import BrokenSupplier


def _searching(view: ResultsView) -> dict[str, float | None]:
    return {s.supplier: s.expected_in_s for s in view.suppliers if s.state == "searching"}


def test_a_first_answer_is_the_estimate_and_later_ones_move_it_a_quarter_of_the_way() -> None:
    assert learn({}, {"hertz": 6.0}) == {"hertz": 6.0}
    assert learn({"hertz": 6.0, "avis": 5.0}, {"hertz": 10.0}) == {"hertz": 7.0, "avis": 5.0}


def test_a_searching_company_is_expected_its_usual_time_after_the_search_began(clock: FixedClock) -> None:
    # GIVEN Hertz usually answers in 6 s and Sixt in 8 s, Dollar was never seen, and a search in New York (all
    # nine companies) that nobody has answered 2 s after it began
    cache = InMemoryResultCache()
    cache.save_latencies({"hertz": 6.0, "sixt": 8.0})
    service = in_memory_service(clock, cache=cache)
    started = service.start_search()
    clock.advance(seconds=2)
    view = service.read(started)
    # THEN each says when it is expected, one never seen says nothing, and Retry-After is the first of them
    expected = _searching(view)
    assert (expected["hertz"], expected["sixt"], expected["dollar"]) == (4.0, 6.0, None)
    assert view.status == "pending" and view.retry_after_s(2) == 4
    # AND past its usual time a company is overdue, not expected in the past
    clock.advance(seconds=5)
    view = service.read(started)
    assert _searching(view)["hertz"] == 0.0 and _searching(view)["sixt"] == 1.0
    assert view.retry_after_s(2) == 1


def test_a_company_that_answered_says_when_and_is_not_expected(clock: FixedClock) -> None:
    cache = InMemoryResultCache()
    cache.save_latencies({"hertz": 6.0})
    service = in_memory_service(clock, cache=cache)
    started = service.start_search()
    service.launcher.deliver()
    hertz = next(s for s in service.read(started).suppliers if s.supplier == "hertz")
    assert (hertz.state, hertz.answered_at, hertz.expected_in_s) == ("complete", clock.now(), None)


def test_with_no_estimate_yet_the_answer_says_the_configured_retry_after(service: InMemoryService) -> None:
    started = service.start_search()  # not run: every supplier searching, none ever seen
    view = service.read(started)
    assert view.status == "pending" and set(_searching(view).values()) == {None}
    assert view.retry_after_s(2) == 2


def test_a_run_learns_from_the_suppliers_that_answered_not_from_failures(clock: FixedClock) -> None:
    service = in_memory_service(clock, answering(hertz=lambda inner: BrokenSupplier(inner, SupplierTimeout("slow"))))
    service.start_search()
    service.launcher.deliver()
    learned = service.cache.load_latencies()
    assert "hertz" not in learned and set(learned) == {"enterprise", "national", "alamo", "avis", "budget", "sixt",
                                                     "dollar", "thrifty"}  # fmt: skip


def test_the_estimates_outlive_the_instance_that_learned_them(clock: FixedClock) -> None:
    cache = InMemoryResultCache()
    first = in_memory_service(clock, cache=cache)
    first.start_search()
    first.launcher.deliver()
    # a reader built later (another Lambda instance) finds them in the store
    assert set(SupplierLatencies(cache).expected()) == set(cache.load_latencies()) != set()


def test_a_store_that_cannot_be_read_costs_the_estimate_not_the_answer(clock: FixedClock) -> None:
    cache = InMemoryResultCache()
    latencies = SupplierLatencies(cache, refresh_s=0)
    cache.save_latencies({"hertz": 6.0})
    assert latencies.expected() == {"hertz": 6.0}
    cache.down = True
    assert latencies.expected() == {"hertz": 6.0}  # the last estimates read
    latencies.record({"hertz": 9.0})  # logged, not raised
    cache.down = False
    assert cache.load_latencies() == {"hertz": 6.0}


@pytest.mark.parametrize("refresh_s", [30.0])
def test_a_reader_rereads_the_estimates_only_after_its_refresh_time(refresh_s: float) -> None:
    cache = InMemoryResultCache()
    now = [0.0]
    latencies = SupplierLatencies(cache, refresh_s=refresh_s, monotonic=lambda: now[0])
    cache.save_latencies({"hertz": 6.0})
    assert latencies.expected() == {"hertz": 6.0}
    cache.save_latencies({"hertz": 9.0})
    now[0] = refresh_s - 1
    assert latencies.expected() == {"hertz": 6.0}
    now[0] = refresh_s
    assert latencies.expected() == {"hertz": 9.0}
