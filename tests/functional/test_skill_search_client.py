"""The skill's search client against the real search API over HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date

import pytest
from skill.search_client import Rejected, SearchClient, SearchGone, SearchUnavailable, Started

from tests.builders.http_api import API_KEY, serve
from tests.builders.stack import Stack


@pytest.fixture
def client(stack: Stack) -> Iterator[SearchClient]:
    with serve(stack) as url:
        yield SearchClient(url, API_KEY)


def test_client_starts_a_search_and_reads_filtered_results(client: SearchClient, stack: Stack) -> None:
    started = client.start("NYC", date(2026, 11, 28), date(2026, 11, 30), "user-1", "turn-1")
    assert isinstance(started, Started)
    assert started.city == "New York, NY"
    stack.settle()

    results = client.results(started.token, "user-1", size="compact", supplier="enterprise", limit=2)
    assert results.status == "complete" and results.ready
    assert len(results.offers) == 2 <= results.offer_count
    best = results.offers[0]
    assert (best.supplier_name, best.car_class) == ("Enterprise", "compact")
    assert best.total_price <= results.offers[1].total_price
    assert best.example_model.endswith("or similar")


def test_client_retry_with_the_same_key_gets_the_same_token(client: SearchClient) -> None:
    first = client.start("Denver", date(2026, 12, 5), date(2026, 12, 7), "user-1", "turn-7")
    again = client.start("Denver", date(2026, 12, 5), date(2026, 12, 7), "user-1", "turn-7")
    assert isinstance(first, Started) and isinstance(again, Started)
    assert again.token == first.token


def test_client_rejected_trip_carries_the_api_problems(client: SearchClient) -> None:
    rejected = client.start("Portland", date(2026, 12, 5), date(2026, 12, 7), "user-1", "turn-1")
    assert isinstance(rejected, Rejected)
    problem = rejected.about("city")
    assert problem is not None and problem.details["candidates"] == ["Portland, OR", "Portland, ME"]


def test_client_unknown_token_is_search_gone(client: SearchClient) -> None:
    with pytest.raises(SearchGone, match="results answered 404"):
        client.results("A" * 32, "user-1")


def test_client_any_size_and_company_send_no_filter(client: SearchClient, stack: Stack) -> None:
    started = client.start("Denver", date(2026, 12, 5), date(2026, 12, 7), "user-1", "turn-1")
    stack.settle()
    assert client.results(started.token, "user-1", size="any", supplier="any").offer_count > 100


def test_client_with_the_api_down_raises_search_unavailable() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SearchClient(f"http://127.0.0.1:{port}/beta", connect_timeout_s=0.2)
    with pytest.raises(SearchUnavailable, match="POST failed: ConnectionRefusedError"):
        client.start("Denver", date(2026, 12, 5), date(2026, 12, 7), "user-1", "turn-1")


def test_client_with_the_api_too_slow_raises_search_unavailable() -> None:
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = SearchClient(f"http://127.0.0.1:{silent.getsockname()[1]}/beta", read_timeout_s=0.2)
        with pytest.raises(SearchUnavailable, match=r"TimeoutError|timeout"):
            client.results("A" * 32, "user-1")


def test_client_refuses_a_url_that_is_not_http() -> None:
    with pytest.raises(ValueError, match="SEARCH_API_URL"):
        SearchClient("ftp://example.invalid")
