"""OfferFilter: narrowing a search's offers to what the person asked for, cheapest first."""

from __future__ import annotations

from datetime import date

import pytest

from search_service.domain.errors import InvalidRequest
from search_service.domain.filters import MAX_UPGRADE, OfferFilter
from search_service.domain.fleet import CAR_CLASSES, CLASSES_BY_CODE, SUPPLIERS, SUPPLIERS_BY_CODE
from search_service.domain.models import Offer, RentalLocationInfo

CLASS_CODES = [car_class.code for car_class in CAR_CLASSES]
SUPPLIER_CODES = [supplier.code for supplier in SUPPLIERS]


def _offer(supplier: str, car_class: str, total: float, offer_id: str | None = None) -> Offer:
    company, size = SUPPLIERS_BY_CODE[supplier], CLASSES_BY_CODE[car_class]
    return Offer(
        offer_id=offer_id or f"{supplier}-{car_class}-{total}",
        supplier=company.code,
        supplier_name=company.name,
        supplier_rating=company.rating,
        car_class=size.code,
        car_class_name=size.name,
        example_model=f"{size.models[0]} or similar",
        seats=size.seats,
        bags=size.bags,
        location=RentalLocationInfo(code="ORD", name="O'Hare International Airport", kind="airport"),
        pickup_date=date(2026, 3, 2),
        return_date=date(2026, 3, 5),
        days=3,
        daily_rate=round(total / 3, 2),
        total_price=total,
    )


OFFERS = [
    _offer("hertz", "suv", 310.0),
    _offer("enterprise", "economy", 120.0),
    _offer("national", "compact", 150.0),  # rating 4.5
    _offer("thrifty", "compact", 99.0),  # rating 3.3
    _offer("sixt", "midsize", 180.0),  # rating 4.3
    _offer("avis", "standard", 200.0),
    _offer("budget", "luxury", 400.0),
    _offer("enterprise", "fullsize", 240.0),  # rating 4.4
]


def _keys(offers: list[Offer]) -> list[tuple[str, str]]:
    return [(offer.supplier, offer.car_class) for offer in offers]


# --- parse ------------------------------------------------------------------------------------------


def test_parse_nothing_asked_returns_filter_that_keeps_everything() -> None:
    offer_filter = OfferFilter.parse(None, None, None, None)

    assert offer_filter == OfferFilter(size=None, supplier=None, min_rating=None, upgrade=0)
    assert len(offer_filter.apply(OFFERS)) == len(OFFERS)


@pytest.mark.parametrize("value", ["any", "ANY", " Any ", "", "   "])
def test_parse_any_or_blank_returns_no_size_and_no_supplier(value: str) -> None:
    offer_filter = OfferFilter.parse(value, value, None, None)

    assert (offer_filter.size, offer_filter.supplier) == (None, None)


@pytest.mark.parametrize(("size", "code"), [("suv", "suv"), ("SUV", "suv"), (" Luxury ", "luxury")])
def test_parse_size_any_case_returns_class_code(size: str, code: str) -> None:
    assert OfferFilter.parse(size, None, None, None).size == code


def test_parse_size_every_class_code_returns_that_class() -> None:
    parsed = {code: OfferFilter.parse(code, None, None, None).size for code in CLASS_CODES}
    assert parsed == {code: code for code in CLASS_CODES}


@pytest.mark.parametrize(("supplier", "code"), [("hertz", "hertz"), ("HERTZ", "hertz"), (" sixt ", "sixt")])
def test_parse_supplier_by_code_or_name_any_case_returns_supplier_code(supplier: str, code: str) -> None:
    assert OfferFilter.parse(None, supplier, None, None).supplier == code


def test_parse_supplier_every_name_in_any_case_returns_its_code() -> None:
    said = {name: supplier.code for supplier in SUPPLIERS for name in (supplier.name, supplier.name.upper())}
    assert {name: OfferFilter.parse(None, name, None, None).supplier for name in said} == said


def test_parse_rating_and_upgrade_are_kept() -> None:
    offer_filter = OfferFilter.parse("compact", None, 4.2, 2)

    assert (offer_filter.min_rating, offer_filter.upgrade) == (4.2, 2)


def test_parse_upgrade_none_returns_zero_upgrade() -> None:
    assert OfferFilter.parse("compact", None, None, None).upgrade == 0


@pytest.mark.parametrize("size", ["spaceship", "full sized", "van", "economy car"])
def test_parse_unknown_size_raises_invalid_request_for_car_size_listing_accepted(size: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        OfferFilter.parse(size, None, None, None)

    [problem] = raised.value.problems
    assert problem.field == "CarSize"
    assert problem.code == "unknown_value"
    assert problem.details["accepted"] == CLASS_CODES
    assert f"'{size}' is not a car size" in problem.message
    assert "economy, compact, midsize" in problem.message


@pytest.mark.parametrize("supplier", ["Zipcar", "enterprise rent a car", "hurtz"])
def test_parse_unknown_supplier_raises_invalid_request_for_supplier_listing_accepted(supplier: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        OfferFilter.parse(None, supplier, None, None)

    [problem] = raised.value.problems
    assert problem.field == "Supplier"
    assert problem.code == "unknown_value"
    assert problem.details["accepted"] == SUPPLIER_CODES
    assert f"'{supplier}' is not a rental company we search" in problem.message


def test_parse_unknown_size_and_supplier_raises_one_problem_each() -> None:
    with pytest.raises(InvalidRequest) as raised:
        OfferFilter.parse("spaceship", "Zipcar", None, None)

    problems = raised.value.problems
    assert [problem.field for problem in problems] == ["CarSize", "Supplier"]
    assert str(raised.value) == f"{problems[0].message}; {problems[1].message}"


# --- classes: the size and its upgrades ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "upgrade", "classes"),
    [
        (None, 0, None),
        (None, 3, None),  # an upgrade without a size changes nothing
        ("compact", 0, {"compact"}),
        ("compact", 2, {"compact", "midsize", "standard"}),
        ("premium", 1, {"premium", "luxury"}),
        ("premium", MAX_UPGRADE, {"premium", "luxury"}),  # no class above luxury
        ("luxury", 3, {"luxury"}),
        ("economy", MAX_UPGRADE, set(CLASS_CODES)),
    ],
)
def test_classes_size_and_upgrade_returns_size_and_classes_above(
    size: str | None, upgrade: int, classes: set[str] | None
) -> None:
    assert OfferFilter(size=size, upgrade=upgrade).classes() == classes


# --- apply ------------------------------------------------------------------------------------------


def test_apply_no_filter_returns_all_offers_cheapest_first() -> None:
    result = OfferFilter().apply(OFFERS)

    assert [offer.total_price for offer in result] == sorted(offer.total_price for offer in OFFERS)
    assert result[0].supplier == "thrifty"


def test_apply_same_price_returns_offers_ordered_by_supplier_then_offer_id() -> None:
    offers = [
        _offer("hertz", "compact", 150.0, "b"),
        _offer("avis", "compact", 150.0, "z"),
        _offer("hertz", "compact", 150.0, "a"),
        _offer("alamo", "compact", 151.0, "c"),
    ]

    result = OfferFilter().apply(offers)

    assert [(offer.supplier, offer.offer_id) for offer in result] == [
        ("avis", "z"),
        ("hertz", "a"),
        ("hertz", "b"),
        ("alamo", "c"),
    ]


def test_apply_size_returns_only_that_class() -> None:
    result = OfferFilter.parse("compact", None, None, None).apply(OFFERS)

    assert _keys(result) == [("thrifty", "compact"), ("national", "compact")]


def test_apply_size_with_upgrade_returns_that_class_and_the_next_ones() -> None:
    result = OfferFilter.parse("compact", None, None, 2).apply(OFFERS)

    assert _keys(result) == [
        ("thrifty", "compact"),
        ("national", "compact"),
        ("sixt", "midsize"),
        ("avis", "standard"),
    ]


@pytest.mark.parametrize("supplier", ["enterprise", "Enterprise", "ENTERPRISE"])
def test_apply_supplier_returns_only_that_supplier(supplier: str) -> None:
    result = OfferFilter.parse(None, supplier, None, None).apply(OFFERS)

    assert _keys(result) == [("enterprise", "economy"), ("enterprise", "fullsize")]


@pytest.mark.parametrize(
    ("min_rating", "suppliers"),
    [
        (4.4, {"enterprise", "national"}),  # inclusive: Enterprise's 4.4 is enough
        (4.41, {"national"}),
        (4.5, {"national"}),
        (4.6, set()),
        (0.0, {offer.supplier for offer in OFFERS}),
    ],
)
def test_apply_min_rating_returns_suppliers_rated_at_least_that(min_rating: float, suppliers: set[str]) -> None:
    result = OfferFilter.parse(None, None, min_rating, None).apply(OFFERS)

    assert {offer.supplier for offer in result} == suppliers


def test_apply_all_filters_returns_offers_matching_every_one() -> None:
    # GIVEN compact or one class up, from a supplier rated at least 4.3
    offer_filter = OfferFilter.parse("compact", None, 4.3, 1)

    # THEN Thrifty's cheaper compact (3.3 stars) is left out
    assert _keys(offer_filter.apply(OFFERS)) == [("national", "compact"), ("sixt", "midsize")]


def test_apply_nothing_matches_returns_empty_list() -> None:
    assert OfferFilter.parse("minivan", None, None, None).apply(OFFERS) == []
    assert OfferFilter().apply([]) == []


@pytest.mark.parametrize(
    ("spoken", "code"), [("full-size", "fullsize"), ("Full Size", "fullsize"), ("mid-size", "midsize")]
)
def test_parse_size_spelled_as_spoken_maps_to_the_class_code(spoken: str, code: str) -> None:
    assert OfferFilter.parse(spoken, None, None, None).size == code
