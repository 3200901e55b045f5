"""The whole POST -> async search -> GET flow, through API Gateway events, against moto S3."""

from __future__ import annotations

from tests.builders.stack import Stack


def test_start_then_get_answers_sorted_offers_for_the_trip(stack: Stack) -> None:
    # GIVEN a traveller starting a search for New York next weekend
    started = stack.start_search("New York", "2026-11-28", "2026-11-30")

    # THEN the start answers at once with a token and where to poll
    assert started.status == 202
    token = started.body["token"]
    assert len(token) == 32
    assert started.headers["location"] == started.body["poll"]
    assert started.headers["location"] == "/beta/search"  # no bearer values in URLs: see test_bearer_values
    assert started.headers["retry-after"] == "2"
    assert started.body["search"]["city"] == "New York, NY"
    assert started.body["search"]["days"] == 2
    assert {loc["code"] for loc in started.body["search"]["locations"]} == {"JFK", "LGA", "new-york-ny-dt"}

    # WHEN the search has run and the results are read
    stack.settle()
    results = stack.get(token)

    # THEN every supplier answered and the offers come cheapest first
    assert results.status == 200
    assert results.body["status"] == "complete"
    assert {s["state"] for s in results.body["suppliers"]} == {"complete"}
    prices = [offer["totalPrice"] for offer in results.body["offers"]]
    assert prices == sorted(prices)
    assert results.body["offerCount"] > 100
    assert len(results.body["offers"]) == 50  # the default Limit
    assert "retry-after" not in results.headers
