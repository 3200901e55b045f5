"""quote(): the deterministic rental prices of the simulated inventory."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from search_service.domain.cities import CITIES, City, CityCatalog, RentalLocation
from search_service.domain.fleet import CAR_CLASSES, CLASSES_BY_CODE, SUPPLIERS, SUPPLIERS_BY_CODE
from search_service.domain.models import Offer, SearchQuery
from search_service.domain.pricing import AIRPORT_FEE, SOLD_OUT_SHARE, TAX, quote
from search_service.providers.simulated import SimulatedSupplier

CATALOG = CityCatalog()
MONDAY = date(2026, 3, 2)  # an ordinary spring Monday: no weekend or holiday demand
PICKUPS = (MONDAY, date(2026, 7, 15), date(2026, 10, 6))


def _downtown(city: City) -> RentalLocation:
    return next(loc for loc in city.locations if loc.kind == "downtown")


def _airport(city: City) -> RentalLocation:
    return next(loc for loc in city.locations if loc.kind == "airport")


def _quote(
    city_id: str, location: RentalLocation | None, supplier: str, car_class: str, pickup: date, days: int
) -> Offer | None:
    city = CATALOG.get(city_id)
    return quote(
        city,
        location or _downtown(city),
        SUPPLIERS_BY_CODE[supplier],
        CLASSES_BY_CODE[car_class],
        pickup,
        pickup + timedelta(days=days),
    )


def _pairs(first: Offer | None, second: Offer | None) -> bool:
    return first is not None and second is not None


# --- Determinism and the offer's fields ---------------------------------------------------------------


def test_quote_same_inputs_twice_returns_identical_offers() -> None:
    # GIVEN every city, location, supplier and class for a few dates
    compared = 0
    for city in CITIES:
        for location in city.locations:
            for supplier in SUPPLIERS:
                for car_class in CAR_CLASSES[::4]:
                    pickup = PICKUPS[compared % len(PICKUPS)]
                    dropoff = pickup + timedelta(days=4)
                    # WHEN quoted twice
                    first = quote(city, location, supplier, car_class, pickup, dropoff)
                    second = quote(city, location, supplier, car_class, pickup, dropoff)
                    # THEN both answers are the same, offer id and price included
                    assert first == second
                    compared += first is not None
    assert compared > 1000


def test_quote_available_car_returns_offer_describing_the_rental() -> None:
    # GIVEN a midsize car from Hertz at JFK for three nights
    new_york = CATALOG.get("new-york-ny")
    jfk = _airport(new_york)
    offer = quote(
        new_york, jfk, SUPPLIERS_BY_CODE["hertz"], CLASSES_BY_CODE["midsize"], MONDAY, MONDAY + timedelta(days=3)
    )

    # THEN the offer says who, what, where and when
    assert offer is not None
    assert (offer.supplier, offer.supplier_name, offer.supplier_rating) == ("hertz", "Hertz", 4.0)
    assert (offer.car_class, offer.car_class_name, offer.seats, offer.bags) == ("midsize", "midsize", 5, 2)
    assert offer.example_model.removesuffix(" or similar") in CLASSES_BY_CODE["midsize"].models
    assert (offer.location.code, offer.location.name, offer.location.kind) == (
        "JFK",
        "John F. Kennedy International Airport",
        "airport",
    )
    assert (offer.pickup_date, offer.return_date, offer.days) == (MONDAY, MONDAY + timedelta(days=3), 3)
    assert offer.currency == "USD"
    assert offer.daily_rate > 0
    assert len(offer.offer_id) == 12


def test_quote_different_suppliers_same_car_returns_different_offer_ids() -> None:
    offers = [_quote("chicago-il", None, supplier.code, "compact", MONDAY, 3) for supplier in SUPPLIERS]
    ids = [offer.offer_id for offer in offers if offer is not None]
    assert len(ids) >= 5
    assert len(set(ids)) == len(ids)


def test_shared_airport_counter_quotes_one_price_whichever_city_was_searched() -> None:
    # GIVEN searches of Dallas, Fort Worth and Arlington, which all rent at the DFW counter
    hertz = SimulatedSupplier(SUPPLIERS_BY_CODE["hertz"], CATALOG, latency_scale=0)
    dfw_offers = []
    for city in ("Dallas, TX", "Fort Worth", "Arlington, TX"):
        query = SearchQuery(city_id=CATALOG.resolve(city).id, city=city, pickup_date=MONDAY,
                            return_date=MONDAY + timedelta(days=3))  # fmt: skip
        dfw_offers.append({o.offer_id: o for o in hertz.search(query, 10) if o.location.code == "DFW"})

    # THEN each DFW offer has one price, whichever city found it
    assert dfw_offers[0] and dfw_offers[0] == dfw_offers[1] == dfw_offers[2]


# --- How prices move --------------------------------------------------------------------------------


@pytest.mark.parametrize(("short_days", "long_days"), [(2, 7), (6, 28), (7, 28)])
def test_quote_longer_rental_same_car_costs_less_per_day(short_days: int, long_days: int) -> None:
    # GIVEN the same car at the same counter from the same pickup day, rented for a short and a long period
    compared = 0
    for city in CITIES[::3]:
        for location in city.locations:
            for supplier in SUPPLIERS:
                for car_class in CAR_CLASSES:
                    short = quote(city, location, supplier, car_class, MONDAY, MONDAY + timedelta(days=short_days))
                    long = quote(city, location, supplier, car_class, MONDAY, MONDAY + timedelta(days=long_days))
                    if not _pairs(short, long):
                        continue  # sold out
                    # THEN the longer rental's daily rate is lower
                    assert long.daily_rate < short.daily_rate, (city.id, location.code, supplier.code, car_class.code)
                    compared += 1
    assert compared > 500


def test_quote_airport_total_adds_airport_fee_that_downtown_total_does_not() -> None:
    # GIVEN the airport and downtown offers of the same supplier, class and dates
    compared = 0
    days = 3
    for city in CITIES:
        for supplier in SUPPLIERS:
            for car_class in CAR_CLASSES:
                airport = quote(city, _airport(city), supplier, car_class, MONDAY, MONDAY + timedelta(days=days))
                downtown = quote(city, _downtown(city), supplier, car_class, MONDAY, MONDAY + timedelta(days=days))
                if not _pairs(airport, downtown):
                    continue
                # THEN per dollar of rental, the airport charges AIRPORT_FEE more than downtown
                airport_markup = airport.total_price / (airport.daily_rate * days)
                downtown_markup = downtown.total_price / (downtown.daily_rate * days)
                assert airport_markup == pytest.approx(1 + AIRPORT_FEE + TAX, abs=1e-3)
                assert downtown_markup == pytest.approx(1 + TAX, abs=1e-3)
                assert airport_markup - downtown_markup == pytest.approx(AIRPORT_FEE, abs=1e-3)
                assert airport_markup > downtown_markup + 0.05  # a real surcharge, whatever the constant says
                compared += 1
    assert compared > 1000


@pytest.mark.parametrize("city_id", ["new-york-ny", "wichita-ks", "chicago-il", "honolulu-hi"])
@pytest.mark.parametrize("location_kind", ["airport", "downtown"])
def test_quote_luxury_costs_more_than_economy(city_id: str, location_kind: str) -> None:
    city = CATALOG.get(city_id)
    location = _airport(city) if location_kind == "airport" else _downtown(city)
    compared = 0
    for supplier in SUPPLIERS:
        for pickup in PICKUPS:
            economy = _quote(city_id, location, supplier.code, "economy", pickup, 3)
            luxury = _quote(city_id, location, supplier.code, "luxury", pickup, 3)
            if not _pairs(economy, luxury):
                continue
            assert luxury.daily_rate > economy.daily_rate
            assert luxury.total_price > economy.total_price
            compared += 1
    assert compared >= 10


def test_quote_new_york_costs_more_than_wichita_for_same_supplier_class_and_dates() -> None:
    new_york, wichita = CATALOG.get("new-york-ny"), CATALOG.get("wichita-ks")
    # GIVEN price levels far enough apart that the ±8% jitter cannot close the gap
    assert new_york.cost_index / wichita.cost_index > 1.08 / 0.92

    compared = 0
    for supplier in SUPPLIERS:
        for car_class in CAR_CLASSES:
            for pickup in PICKUPS:
                for pick in (_airport, _downtown):
                    in_new_york = _quote(new_york.id, pick(new_york), supplier.code, car_class.code, pickup, 3)
                    in_wichita = _quote(wichita.id, pick(wichita), supplier.code, car_class.code, pickup, 3)
                    if not _pairs(in_new_york, in_wichita):
                        continue
                    # THEN the same car costs more in New York
                    assert in_new_york.daily_rate > in_wichita.daily_rate
                    assert in_new_york.total_price > in_wichita.total_price
                    compared += 1
    assert compared > 300


def test_quote_july_costs_more_than_january_on_average() -> None:
    # Mondays away from the New Year holiday: only the month's demand differs (1.20 against 0.90)
    january, july = date(2026, 1, 12), date(2026, 7, 13)
    ratios = []
    for city in CITIES:
        for supplier in SUPPLIERS:
            winter = _quote(city.id, None, supplier.code, "standard", january, 3)
            summer = _quote(city.id, None, supplier.code, "standard", july, 3)
            if _pairs(winter, summer):
                assert summer.daily_rate > winter.daily_rate
                ratios.append(summer.daily_rate / winter.daily_rate)
    assert len(ratios) > 300
    assert sum(ratios) / len(ratios) == pytest.approx(1.20 / 0.90, rel=0.03)


def test_quote_christmas_pickup_costs_more_than_early_december() -> None:
    # Both Mondays in December; from the 18th the holiday surcharge applies
    early, holiday = date(2026, 12, 7), date(2026, 12, 21)
    compared = 0
    for city in CITIES:
        for supplier in SUPPLIERS:
            before = _quote(city.id, None, supplier.code, "suv", early, 3)
            during = _quote(city.id, None, supplier.code, "suv", holiday, 3)
            if _pairs(before, during):
                assert during.daily_rate > before.daily_rate
                compared += 1
    assert compared > 300


def test_quote_friday_pickup_costs_about_ten_percent_more_than_wednesday_on_average() -> None:
    # Same week, same month: only the weekend factor differs on average (jitter may flip single pairs)
    wednesday, friday = date(2026, 3, 4), date(2026, 3, 6)
    weekday_total = weekend_total = 0.0
    compared = 0
    for city in CITIES:
        for supplier in SUPPLIERS:
            for car_class in CAR_CLASSES:
                midweek = _quote(city.id, None, supplier.code, car_class.code, wednesday, 2)
                weekend = _quote(city.id, None, supplier.code, car_class.code, friday, 2)
                if _pairs(midweek, weekend):
                    weekday_total += midweek.daily_rate
                    weekend_total += weekend.daily_rate
                    compared += 1
    assert compared > 3000
    assert weekend_total / weekday_total == pytest.approx(1.10, rel=0.02)


# --- Sold out ---------------------------------------------------------------------------------------


def test_quote_many_combinations_sold_out_share_is_roughly_sold_out_share() -> None:
    # GIVEN every location, supplier and class of every city, for three different weeks
    quotes = sold_out = 0
    for city in CITIES:
        for location in city.locations:
            for supplier in SUPPLIERS:
                for car_class in CAR_CLASSES:
                    for pickup in PICKUPS:
                        quotes += 1
                        sold_out += (
                            quote(city, location, supplier, car_class, pickup, pickup + timedelta(days=3)) is None
                        )
    # THEN about SOLD_OUT_SHARE of them are sold out: some, but far from all
    assert quotes > 3000
    assert 0.03 <= sold_out / quotes <= 0.15
    assert sold_out / quotes == pytest.approx(SOLD_OUT_SHARE, abs=0.02)


def test_quote_car_sold_out_for_a_week_is_sold_out_every_pickup_day_of_that_week() -> None:
    # GIVEN a car that is sold out for a Monday pickup
    sold_out = [
        (city, location, supplier, car_class)
        for city in CITIES[:10]
        for location in city.locations
        for supplier in SUPPLIERS
        for car_class in CAR_CLASSES
        if quote(city, location, supplier, car_class, MONDAY, MONDAY + timedelta(days=3)) is None
    ]
    assert sold_out

    # THEN it is sold out for any pickup that ISO week, however long the rental
    for city, location, supplier, car_class in sold_out:
        for offset in range(7):
            pickup = MONDAY + timedelta(days=offset)
            for days in (1, 5, 14):
                assert quote(city, location, supplier, car_class, pickup, pickup + timedelta(days=days)) is None
