"""The skill's search client against the real search API over HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from skill.search_client import NoTimeLeft, Rejected, SearchClient, SearchGone, SearchUnavailable, Started

from tests.builders.http_api import ROLE, serve
from tests.builders.stack import Stack
from tests.builders.waiting import PATIENCE_S


@pytest.fixture
def client(stack: Stack) -> Iterator[SearchClient]:
    with serve(stack) as url:
        yield SearchClient(url, ROLE)


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


def test_a_call_given_less_time_than_its_timeout_is_cut_at_the_time_left_and_says_so() -> None:
    # GIVEN an API that never answers, and a client that would wait 30 s for it
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = SearchClient(f"http://127.0.0.1:{silent.getsockname()[1]}/beta", read_timeout_s=30)
        # WHEN the turn has 0.2 s left: THEN the call ends with the time left, as "no time left", not as the API down
        with pytest.raises(NoTimeLeft):
            client.results("A" * 32, "user-1", within_s=0.2)
        with pytest.raises(NoTimeLeft):
            client.start("Denver", date(2026, 12, 5), date(2026, 12, 7), "user-1", "turn-1", within_s=0.2)


def test_a_call_with_no_time_left_is_not_sent() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        client = SearchClient(f"http://127.0.0.1:{listening.getsockname()[1]}/beta")
        with pytest.raises(NoTimeLeft, match="not sent"):
            client.results("A" * 32, "user-1", within_s=0.01)
        listening.settimeout(0)
        with pytest.raises(BlockingIOError):  # nobody connected
            listening.accept()


def test_a_dropped_kept_alive_connection_is_retried_within_the_time_left() -> None:
    # GIVEN an API that closes the first connection without answering, then answers on a new one
    requests: list[bytes] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def serve() -> None:
            for answer in (None, b'{"errors": []}'):
                connection, _ = server.accept()
                with connection:
                    requests.append(connection.recv(65536))
                    if answer is not None:
                        connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                                           b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))  # fmt: skip

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        client = SearchClient(f"http://127.0.0.1:{server.getsockname()[1]}/beta")
        # WHEN a read is made with time left: THEN it is sent again on a new connection, and its answer counts
        with pytest.raises(SearchGone):
            client.results("A" * 32, "user-1", within_s=PATIENCE_S)
        thread.join(PATIENCE_S)
    assert len(requests) == 2 and requests[0] == requests[1]


def test_client_clamps_the_limit_it_sends_to_what_the_api_accepts(client: SearchClient) -> None:
    # an offer index from tampered session attributes must not turn into a 400 and "can't reach the companies"
    started = client.start("Denver", date(2026, 12, 5), date(2026, 12, 7), "user-1", "turn-1")
    assert isinstance(started, Started)
    for limit in (10_005, 0, -3):
        assert client.results(started.token, "user-1", limit=limit).status in ("pending", "partial", "complete")


@contextmanager
def _gone_api(first_wait_s: float = 0.0) -> Iterator[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """An API on 127.0.0.1 that answers every GET 404 (after `first_wait_s` from the second one on) and records the
    path and headers of each: yields its base URL and the records."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[tuple[str, dict[str, str]]] = []

    class Api(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if seen and first_wait_s:
                threading.Event().wait(first_wait_s)
            seen.append((self.path, {name.lower(): value for name, value in self.headers.items()}))
            body = b'{"errors": []}'
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/beta", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_call_after_one_cut_short_gets_its_whole_read_timeout_again() -> None:
    # GIVEN an API that answers the first request at once and the second after 0.5 s, on one kept-alive connection
    with _gone_api(first_wait_s=0.5) as (url, answered):
        client = SearchClient(url, read_timeout_s=PATIENCE_S)
        with pytest.raises(SearchGone):  # a call in a turn with 0.2 s left
            client.results("A" * 32, "user-1", within_s=0.2)
        # WHEN the next call has no deadline: THEN the socket does not keep the 0.2 s it was clipped to
        with pytest.raises(SearchGone):
            client.results("A" * 32, "user-1")
        assert len(answered) == 2


def test_the_skill_sends_the_token_and_user_in_signed_headers_never_in_the_url() -> None:
    with _gone_api() as (url, seen), pytest.raises(SearchGone):
        SearchClient(url, ROLE).results("T" * 32, "amzn1.ask.account.ME", size="compact")
    [(path, headers)] = seen
    assert path == "/beta/search?Limit=5&CarSize=compact"
    assert (headers["search-token"], headers["search-user"]) == ("T" * 32, "amzn1.ask.account.ME")
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=local/")
    assert "/us-east-1/execute-api/aws4_request" in headers["authorization"]
    assert "search-token" in headers["authorization"]  # signed: a proxy cannot swap the token under the signature
