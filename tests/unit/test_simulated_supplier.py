"""SimulatedSupplier: a rental company's search API, slow and sometimes failing, without ever really sleeping."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from search_service.domain.cities import CITIES, CityCatalog
from search_service.domain.errors import SupplierError, SupplierTimeout
from search_service.domain.fleet import CAR_CLASSES, SUPPLIERS, SUPPLIERS_BY_CODE
from search_service.domain.models import SearchQuery
from search_service.domain.pricing import quote
from search_service.providers.simulated import MAX_LATENCY_S, SimulatedSupplier, simulated_providers

CATALOG = CityCatalog()
PICKUP = date(2026, 3, 2)


class RecordingSleep:
    """Stands in for time.sleep: remembers how long the supplier asked to wait, and returns at once."""

    def __init__(self) -> None:
        self.durations: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.durations.append(seconds)


def _supplier(code: str, sleep: RecordingSleep | None = None, **options: float) -> SimulatedSupplier:
    return SimulatedSupplier(SUPPLIERS_BY_CODE[code], CATALOG, sleep=sleep or RecordingSleep(), **options)


def _query(city_id: str = "new-york-ny", pickup: date = PICKUP, days: int = 3) -> SearchQuery:
    city = CATALOG.get(city_id)
    return SearchQuery(city_id=city.id, city=city.display, pickup_date=pickup, return_date=pickup + timedelta(days))


def _many_queries() -> list[SearchQuery]:
    return [
        _query(city.id, PICKUP + timedelta(days=offset), days)
        for city in CITIES[::5]
        for offset in range(0, 60, 7)
        for days in (1, 3, 7)
    ]


# --- Where it has counters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("supplier", "city_id", "served"),
    [
        ("sixt", "new-york-ny", True),  # tier 1: every supplier
        ("sixt", "oklahoma-city-ok", False),  # premium-only suppliers stay in tier 1
        ("dollar", "oklahoma-city-ok", True),  # tier 2: all but premium-only
        ("thrifty", "wichita-ks", False),  # tier 3: the big networks only
        ("enterprise", "wichita-ks", True),
        ("national", "portland-me", True),
    ],
)
def test_serves_city_tier_decides_presence(supplier: str, city_id: str, served: bool) -> None:
    assert _supplier(supplier).serves(CATALOG.get(city_id)) is served


def test_serves_big_networks_serve_every_city() -> None:
    for code in ("enterprise", "national", "alamo", "hertz", "avis", "budget"):
        unserved = [city.id for city in CITIES if not _supplier(code).serves(city)]
        assert unserved == [], code


# --- How long it takes ------------------------------------------------------------------------------


def test_latency_s_same_query_returns_same_latency() -> None:
    supplier = _supplier("hertz")
    assert supplier.latency_s(_query()) == supplier.latency_s(_query())


@pytest.mark.parametrize("code", ["enterprise", "alamo", "hertz", "avis", "sixt"])
def test_latency_s_varies_between_three_quarters_and_five_quarters_of_typical(code: str) -> None:
    # GIVEN a supplier whose slowest answer stays under the cap
    supplier = _supplier(code)
    typical = supplier.supplier.latency_s

    latencies = {supplier.latency_s(query) for query in _many_queries()}

    # THEN every search takes 0.75x to 1.25x its typical time, and not always the same
    assert min(latencies) >= 0.75 * typical
    assert max(latencies) <= 1.25 * typical
    assert len(latencies) > 10


@pytest.mark.parametrize("code", ["dollar", "thrifty"])
def test_latency_s_slow_supplier_capped_at_max_latency(code: str) -> None:
    # GIVEN a supplier whose 1.25x typical time is over 12 s
    supplier = _supplier(code)
    assert 1.25 * supplier.supplier.latency_s > MAX_LATENCY_S

    latencies = [supplier.latency_s(query) for query in _many_queries()]

    # THEN no search takes longer than the cap, and some take exactly that long
    assert max(latencies) == MAX_LATENCY_S == 12.0
    assert min(latencies) < MAX_LATENCY_S


@pytest.mark.parametrize("scale", [0.0, 0.01, 0.25, 0.5])
def test_latency_s_scaled_by_latency_scale(scale: float) -> None:
    baseline = _supplier("hertz")
    scaled = _supplier("hertz", latency_scale=scale)
    for query in _many_queries():
        assert scaled.latency_s(query) == pytest.approx(scale * baseline.latency_s(query))


# --- Searching --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [supplier.code for supplier in SUPPLIERS])
def test_search_returns_offers_only_from_that_supplier_with_its_name_and_rating(code: str) -> None:
    supplier = SUPPLIERS_BY_CODE[code]

    offers = _supplier(code, latency_scale=0).search(_query("chicago-il"), timeout_s=5)

    assert offers
    assert {(offer.supplier, offer.supplier_name, offer.supplier_rating) for offer in offers} == {
        (supplier.code, supplier.name, supplier.rating)
    }


@pytest.mark.parametrize("days", [1, 3, 7, 30])
def test_search_offer_days_equal_rental_length(days: int) -> None:
    query = _query("denver-co", days=days)

    offers = _supplier("avis", latency_scale=0).search(query, timeout_s=5)

    assert offers
    assert {(offer.days, offer.pickup_date, offer.return_date) for offer in offers} == {
        (days, query.pickup_date, query.return_date)
    }


@pytest.mark.parametrize("code", [supplier.code for supplier in SUPPLIERS if not supplier.downtown])
def test_search_supplier_without_downtown_branches_returns_airport_offers_only(code: str) -> None:
    offers = _supplier(code, latency_scale=0).search(_query("new-york-ny"), timeout_s=5)

    assert offers
    assert {offer.location.kind for offer in offers} == {"airport"}
    assert {offer.location.code for offer in offers} == {"JFK", "LGA"}


@pytest.mark.parametrize("code", [supplier.code for supplier in SUPPLIERS if supplier.downtown])
def test_search_supplier_with_downtown_branches_returns_airport_and_downtown_offers(code: str) -> None:
    offers = _supplier(code, latency_scale=0).search(_query("new-york-ny"), timeout_s=5)

    assert {offer.location.code for offer in offers} == {"JFK", "LGA", "new-york-ny-dt"}


def test_search_returns_every_quote_that_is_not_sold_out() -> None:
    # GIVEN a supplier, city and dates; the pricing model's quotes for every location and class
    query = _query("chicago-il")
    city = CATALOG.get("chicago-il")
    supplier = SUPPLIERS_BY_CODE["budget"]
    quotes = [
        quote(city, location, supplier, car_class, query.pickup_date, query.return_date)
        for location in city.locations
        for car_class in CAR_CLASSES
    ]

    offers = _supplier("budget", latency_scale=0).search(query, timeout_s=5)

    # THEN the search answers exactly the quotes that are not sold out
    assert sorted(offer.offer_id for offer in offers) == sorted(q.offer_id for q in quotes if q is not None)


def test_search_within_timeout_sleeps_for_its_latency() -> None:
    sleep = RecordingSleep()
    supplier = _supplier("hertz", sleep)
    query = _query()

    supplier.search(query, timeout_s=15)

    assert sleep.durations == [supplier.latency_s(query)]
    assert 4.5 <= sleep.durations[0] <= 7.5  # Hertz's typical 6 s, ±25%


def test_search_latency_exactly_timeout_answers() -> None:
    sleep = RecordingSleep()
    supplier = _supplier("hertz", sleep)
    query = _query()
    latency = supplier.latency_s(query)

    offers = supplier.search(query, timeout_s=latency)

    assert offers
    assert sleep.durations == [latency]


def test_search_latency_over_timeout_raises_supplier_timeout_after_waiting_timeout() -> None:
    # GIVEN Thrifty, which takes 8 s or more, and a 5 s limit
    sleep = RecordingSleep()
    supplier = _supplier("thrifty", sleep)

    # WHEN searched
    with pytest.raises(SupplierTimeout, match=r"^Thrifty did not answer within 5 s$"):
        supplier.search(_query(), timeout_s=5)

    # THEN it waited the time limit, not its own latency
    assert sleep.durations == [5]


def test_search_latency_scaled_over_timeout_raises_supplier_timeout() -> None:
    sleep = RecordingSleep()
    supplier = _supplier("enterprise", sleep, latency_scale=10)

    with pytest.raises(SupplierTimeout, match=r"^Enterprise did not answer within 2\.5 s$"):
        supplier.search(_query(), timeout_s=2.5)

    assert sleep.durations == [2.5]


def test_search_failure_rate_one_raises_supplier_error_after_its_latency() -> None:
    sleep = RecordingSleep()
    supplier = _supplier("hertz", sleep, failure_rate=1.0)
    query = _query()

    with pytest.raises(SupplierError, match=r"^Hertz's system returned an error$") as raised:
        supplier.search(query, timeout_s=15)

    assert not isinstance(raised.value, SupplierTimeout)
    assert sleep.durations == [supplier.latency_s(query)]


def test_search_failure_rate_zero_never_fails() -> None:
    supplier = _supplier("avis", latency_scale=0, failure_rate=0.0)
    for query in _many_queries()[:30]:
        assert supplier.search(query, timeout_s=5)


def test_simulated_providers_one_per_supplier_keyed_by_code() -> None:
    providers = simulated_providers(CATALOG, latency_scale=0.5)

    assert list(providers) == [supplier.code for supplier in SUPPLIERS]
    assert all(provider.supplier.code == code for code, provider in providers.items())
    query = _query()
    assert providers["hertz"].latency_s(query) == pytest.approx(0.5 * _supplier("hertz").latency_s(query))
