"""GET /search: the status of a running search, its filtered offers, and every error a client can meet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from search_service.domain.cities import CityCatalog
from search_service.domain.fleet import SUPPLIERS_BY_CODE
from search_service.domain.tokens import new_token
from search_service.providers.simulated import simulated_providers
from tests.builders.stack import Stack, build_stack
from tests.builders.waiting import PATIENCE_S, wait_until
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import BrokenSupplier, DroppingLauncher, GatedSupplier, OnlyClassesSupplier


@pytest.fixture
def gated(s3: Any, clock: FixedClock) -> Iterator[tuple[Stack, dict[str, GatedSupplier]]]:
    suppliers = {code: GatedSupplier(p) for code, p in simulated_providers(CityCatalog(), 0).items()}
    stack = build_stack(s3, clock, providers=suppliers)
    yield stack, suppliers
    for supplier in suppliers.values():
        supplier.gate.set()
    stack.settle()


@pytest.fixture
def done(stack: Stack) -> tuple[Stack, str]:
    token = stack.start_search("New York", "2026-11-28", "2026-11-30").body["token"]
    stack.settle()
    return stack, token


# --- status while the suppliers answer -------------------------------------------------------------


def test_get_right_after_start_is_pending_with_retry_after(gated) -> None:
    stack, _ = gated
    token = stack.start_search().body["token"]
    result = stack.get(token)
    assert result.status == 202
    assert result.body["status"] == "pending"
    assert result.headers["retry-after"] == "2"
    assert result.body["offers"] == []
    assert result.body["message"].startswith("Still searching Enterprise, National")


def test_get_with_some_suppliers_in_is_partial_and_says_who_is_still_searching(gated) -> None:
    stack, suppliers = gated
    token = stack.start_search().body["token"]
    suppliers["enterprise"].gate.set()
    suppliers["alamo"].gate.set()

    def both_in() -> bool:  # "partial" alone comes with the first of the two answers
        states = {s["supplier"]: s["state"] for s in stack.get(token).body["suppliers"]}
        return states["enterprise"] == states["alamo"] == "complete"

    assert wait_until(both_in, PATIENCE_S)

    result = stack.get(token)
    assert result.status == 200
    assert result.headers["retry-after"] == "2"
    states = {s["supplier"]: s["state"] for s in result.body["suppliers"]}
    assert states["enterprise"] == states["alamo"] == "complete"
    assert states["hertz"] == "searching"
    assert {offer["supplier"] for offer in result.body["offers"]} == {"enterprise", "alamo"}
    assert "so far; still searching" in result.body["message"] and "Hertz" in result.body["message"]


def test_get_filtered_to_a_supplier_that_answered_is_complete_while_others_search(gated) -> None:
    stack, suppliers = gated
    token = stack.start_search().body["token"]
    suppliers["enterprise"].gate.set()
    assert wait_until(lambda: stack.get(token, Supplier="enterprise").status == 200, PATIENCE_S)

    result = stack.get(token, Supplier="Enterprise", CarSize="compact")
    assert result.body["status"] == "complete"
    assert "retry-after" not in result.headers
    assert [s["supplier"] for s in result.body["suppliers"]] == ["enterprise"]
    assert result.body["offers"]
    assert {(o["supplier"], o["carClass"]) for o in result.body["offers"]} == {("enterprise", "compact")}
    # ... while the same search, unfiltered, is still partial
    assert stack.get(token).body["status"] in ("pending", "partial")


def test_get_when_every_supplier_failed_says_the_search_failed(s3, clock) -> None:
    providers = {code: BrokenSupplier(p) for code, p in simulated_providers(CityCatalog(), 0).items()}
    stack = build_stack(s3, clock, providers=providers)
    token = stack.start_search().body["token"]
    stack.settle()
    result = stack.get(token)
    assert result.status == 200
    assert result.body["status"] == "failed"
    assert result.body["message"].startswith("The search failed")
    assert {s["error"] for s in result.body["suppliers"]} >= {"Hertz's system returned an error"}


def test_get_with_one_supplier_down_is_complete_and_reports_it(s3, clock) -> None:
    providers = dict(simulated_providers(CityCatalog(), 0))
    providers["hertz"] = BrokenSupplier(providers["hertz"], RuntimeError("bug in the Hertz adapter"))
    stack = build_stack(s3, clock, providers=providers)
    token = stack.start_search().body["token"]
    stack.settle()
    result = stack.get(token)
    assert result.body["status"] == "complete"
    hertz = next(s for s in result.body["suppliers"] if s["supplier"] == "hertz")
    assert hertz == {"supplier": "hertz", "name": "Hertz", "state": "failed",
                     "error": "the search with this company failed", "answeredAt": "2026-11-23T15:00:00Z",
                     "expectedInSeconds": None}  # fmt: skip
    assert "Hertz could not be reached" in result.body["message"]
    assert "hertz" not in {offer["supplier"] for offer in result.body["offers"]}


def test_get_filtered_to_a_supplier_that_failed_offers_what_the_others_have(s3, clock) -> None:
    providers = dict(simulated_providers(CityCatalog(), 0))
    providers["hertz"] = BrokenSupplier(providers["hertz"])
    stack = build_stack(s3, clock, providers=providers)
    token = stack.start_search().body["token"]
    stack.settle()
    result = stack.get(token, Supplier="hertz", CarSize="suv")
    assert result.body["status"] == "failed"
    assert result.body["suppliers"] == [{"supplier": "hertz", "name": "Hertz", "state": "failed",
                                         "error": "Hertz's system returned an error",
                                         "answeredAt": "2026-11-23T15:00:00Z", "expectedInSeconds": None}]  # fmt: skip
    alternatives = result.body["alternatives"]
    assert alternatives["sameSize"]["carClass"] == "suv" and alternatives["sameSize"]["supplier"] != "hertz"
    assert alternatives["sameSupplier"] is None
    assert alternatives["cheapest"]["supplier"] != "hertz"


def test_get_of_a_search_whose_event_was_lost_fails_after_the_deadline(s3, clock) -> None:
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token = stack.start_search().body["token"]
    assert stack.get(token).status == 202
    clock.advance(seconds=121)
    result = stack.get(token)
    assert result.status == 200
    assert result.body["status"] == "failed"
    assert {s["error"] for s in result.body["suppliers"]} == {"did not answer in time"}


# --- filters ------------------------------------------------------------------------------------------


def test_get_car_size_keeps_only_that_class(done) -> None:
    stack, token = done
    result = stack.get(token, CarSize="compact", Limit=500)
    assert result.body["filters"] == {"carSize": "compact", "supplier": None, "supplierRating": None, "upgradeClass": 0}
    assert {o["carClass"] for o in result.body["offers"]} == {"compact"}
    assert result.body["offerCount"] == len(result.body["offers"])


def test_get_upgrade_class_adds_the_classes_above(done) -> None:
    stack, token = done
    result = stack.get(token, CarSize="compact", UpgradeClass=2, Limit=500)
    assert {o["carClass"] for o in result.body["offers"]} == {"compact", "midsize", "standard"}


def test_get_supplier_rating_is_a_minimum(done) -> None:
    stack, token = done
    result = stack.get(token, SupplierRating=4.3, Limit=500)
    ratings = {o["supplier"]: o["supplierRating"] for o in result.body["offers"]}
    assert set(ratings) == {"enterprise", "national", "sixt"}
    assert min(ratings.values()) >= 4.3


def test_get_filters_combine_and_sort_by_total_price(done) -> None:
    stack, token = done
    result = stack.get(token, CarSize="suv", Supplier="hertz", SupplierRating=4)
    offers = result.body["offers"]
    assert offers and all(o["supplier"] == "hertz" and o["carClass"] == "suv" for o in offers)
    assert [o["totalPrice"] for o in offers] == sorted(o["totalPrice"] for o in offers)
    assert offers[0]["exampleModel"].endswith("or similar")


def test_get_limit_cuts_the_list_but_counts_every_match(done) -> None:
    stack, token = done
    result = stack.get(token, Limit=3)
    assert len(result.body["offers"]) == 3
    assert result.body["offerCount"] > 3


def test_get_any_size_is_no_filter(done) -> None:
    stack, token = done
    assert stack.get(token, CarSize="any").body["offerCount"] == stack.get(token).body["offerCount"]


@pytest.mark.parametrize(
    ("query", "field", "phrase"),
    [
        ({"CarSize": "spaceship"}, "CarSize", "Use one of: economy, compact, midsize"),
        ({"Supplier": "acme"}, "Supplier", "Use one of: enterprise, national"),
        ({"SupplierRating": "6"}, "SupplierRating", "SupplierRating must be at most 5"),
        ({"SupplierRating": "lots"}, "SupplierRating", "SupplierRating must be a number"),
        ({"UpgradeClass": "-1"}, "UpgradeClass", "UpgradeClass must be at least 0"),
        ({"Limit": "0"}, "Limit", "Limit must be at least 1"),
    ],
)
def test_get_unknown_filter_value_is_a_400_that_says_what_is_accepted(done, query, field, phrase) -> None:
    stack, token = done
    result = stack.get(token, **query)
    assert result.status == 400
    problem = next(p for p in result.body["errors"] if p["field"] == field)
    assert phrase in problem["message"]


def test_get_car_size_error_lists_every_accepted_value(done) -> None:
    stack, token = done
    problem = stack.get(token, CarSize="spaceship").body["errors"][0]
    assert problem["details"]["accepted"] == [
        "economy", "compact", "midsize", "standard", "fullsize", "suv", "minivan", "premium", "luxury",
    ]  # fmt: skip


def test_get_no_match_says_what_does_exist(s3, clock) -> None:
    providers = dict(simulated_providers(CityCatalog(), 0))
    providers["hertz"] = OnlyClassesSupplier(providers["hertz"], {"economy", "compact"})
    stack = build_stack(s3, clock, providers=providers)
    token = stack.start_search().body["token"]
    stack.settle()

    result = stack.get(token, Supplier="hertz", CarSize="suv")
    assert result.status == 200
    assert result.body["status"] == "complete"
    assert result.body["offers"] == []
    alternatives = result.body["alternatives"]
    assert alternatives["sameSize"]["carClass"] == "suv"
    assert alternatives["sameSize"]["supplier"] != "hertz"
    assert alternatives["sameSupplier"]["supplier"] == "hertz"
    assert alternatives["sameSupplier"]["carClass"] in {"economy", "compact"}
    assert alternatives["cheapest"]["totalPrice"] <= alternatives["sameSupplier"]["totalPrice"]


def test_get_supplier_without_a_counter_in_that_city_says_so(stack: Stack) -> None:
    token = stack.start_search("Wichita").body["token"]
    stack.settle()
    result = stack.get(token, Supplier="sixt")
    assert result.status == 200
    assert result.body["offers"] == []
    assert result.body["message"] == "Sixt has no rental counter in Wichita, KS."
    assert result.body["alternatives"]["cheapest"]["supplier"] != "sixt"


# --- tokens, users, expiry -----------------------------------------------------------------------------


def test_get_with_another_users_token_looks_exactly_like_an_unknown_token(done) -> None:
    stack, token = done
    other_user = stack.get(token, user="amzn1.ask.account.SOMEONEELSE")
    forged = stack.get(new_token())
    assert other_user.status == forged.status == 404
    assert other_user.body == forged.body
    assert "No search matches this token and user" in forged.body["message"]


def test_get_with_a_malformed_token_is_a_400(done) -> None:
    stack, _ = done
    result = stack.get("1700000000000")  # the design's timestamp tokens are not tokens here
    assert result.status == 400
    assert result.body["errors"][0]["field"] == "token"


def test_get_without_user_is_a_400(done) -> None:
    stack, token = done
    result = stack.get(token, user="")
    assert result.status == 400
    assert result.body["errors"][0]["field"] == "User"


def test_get_after_the_maximum_age_is_gone(done) -> None:
    stack, token = done
    stack.clock.advance(minutes=29)
    assert stack.get(token).status == 200
    stack.clock.advance(minutes=2)
    result = stack.get(token)
    assert result.status == 410
    assert "more than 30 minutes old" in result.body["message"]


def test_get_maximum_age_is_configurable(s3, clock) -> None:
    stack = build_stack(s3, clock, result_max_age_s=60)
    token = stack.start_search().body["token"]
    stack.settle()
    clock.advance(seconds=61)
    assert stack.get(token).status == 410


def test_results_name_the_suppliers_searched_for_the_city(stack: Stack) -> None:
    started = stack.start_search("Wichita")
    suppliers = started.body["search"]["suppliers"]
    assert "sixt" not in suppliers and "enterprise" in suppliers
    assert all(SUPPLIERS_BY_CODE[code].min_tier >= 3 for code in suppliers)
