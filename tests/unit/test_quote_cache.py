"""The quote cache shared across users: a supplier's answer for the same city and dates serves every search for a
while, with its age on every offer; it holds suppliers' answers, never a search, a token or a user."""

from __future__ import annotations

from datetime import date

from search_service.domain.models import Offer
from search_service.domain.results import ResultsView
from tests.builders.in_memory import USER, answering, in_memory_service
from tests.fakes.cache import InMemoryResultCache
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import BrokenSupplier

OTHER_USER = "amzn1.ask.account.OTHERUSER"


def _offers(view: ResultsView) -> list[Offer]:
    assert view.status == "complete"
    return view.offers


def test_a_second_search_of_the_same_trip_gets_the_first_ones_prices_with_their_age(clock: FixedClock) -> None:
    cache = InMemoryResultCache()
    first = in_memory_service(clock, cache=cache, quote_cache_s=600)
    one = first.start_search()
    [report] = first.launcher.deliver()
    quoted = clock.now()
    assert (report.quote_hits, report.quote_misses) == (0, 9)
    # WHEN another user searches the same trip four minutes later, while every supplier is down
    clock.advance(minutes=4)
    broken = {code: BrokenSupplier for code in answering()}
    second = in_memory_service(clock, answering(**broken), cache=cache, quote_cache_s=600)
    two = second.start_search(user=OTHER_USER)
    [report] = second.launcher.deliver()
    # THEN every supplier answered from the cache, with the prices of four minutes ago, said as such
    assert (report.quote_hits, report.quote_misses, report.failed) == (9, 0, [])
    offers = _offers(second.read(two, user=OTHER_USER))
    assert [o.total_price for o in offers] == [o.total_price for o in _offers(first.read(one))]
    assert {o.quoted_at for o in offers} == {quoted}
    # AND the first user's search is still the first user's alone: the cache holds no token and no user
    assert not [name for name in cache.objects if name.startswith("quotes/") and USER in cache.objects[name]]


def test_a_quote_older_than_the_cache_time_is_asked_for_again(clock: FixedClock) -> None:
    cache = InMemoryResultCache()
    service = in_memory_service(clock, cache=cache, quote_cache_s=600)
    service.start_search()
    service.launcher.deliver()
    clock.advance(seconds=601)
    again = service.start_search(user=OTHER_USER)
    [report] = service.launcher.deliver()
    assert (report.quote_hits, report.quote_misses) == (0, 9)
    assert {o.quoted_at for o in _offers(service.read(again, user=OTHER_USER))} == {clock.now()}


def test_other_dates_or_cities_are_not_served_from_the_cache(clock: FixedClock) -> None:
    service = in_memory_service(clock, quote_cache_s=600)
    service.start_search()
    service.launcher.deliver()
    service.start_search(pickup=date(2026, 11, 28), dropoff=date(2026, 12, 1))
    service.start_search(city="Boston")
    reports = service.launcher.deliver()
    assert [report.quote_hits for report in reports] == [0, 0]


def test_zero_turns_the_cache_off(clock: FixedClock) -> None:
    service = in_memory_service(clock, quote_cache_s=0)
    service.start_search()
    service.launcher.deliver()
    service.start_search(user=OTHER_USER)
    [report] = service.launcher.deliver()
    assert (report.quote_hits, report.quote_misses) == (0, 0)  # off: neither counted
    assert not [name for name in service.cache.objects if name.startswith("quotes/")]


def test_a_failed_answer_is_not_kept_and_the_next_search_asks_that_supplier(clock: FixedClock) -> None:
    cache = InMemoryResultCache()
    broken = in_memory_service(clock, answering(hertz=BrokenSupplier), cache=cache, quote_cache_s=600)
    broken.start_search()
    broken.launcher.deliver()
    service = in_memory_service(clock, cache=cache, quote_cache_s=600)
    service.start_search(user=OTHER_USER)
    [report] = service.launcher.deliver()
    assert (report.quote_hits, report.quote_misses, report.failed) == (8, 1, [])


def test_a_cache_that_cannot_be_read_means_asking_the_suppliers(clock: FixedClock) -> None:
    class QuotesDown(InMemoryResultCache):
        def load_quote(self, supplier, query):  # type: ignore[no-untyped-def]
            from search_service.domain.errors import CacheUnavailable

            raise CacheUnavailable("S3 answered SlowDown")

    service = in_memory_service(clock, cache=QuotesDown(), quote_cache_s=600)
    started = service.start_search()
    [report] = service.launcher.deliver()
    assert (report.quote_hits, report.quote_misses, report.failed) == (0, 9, [])
    assert _offers(service.read(started))
