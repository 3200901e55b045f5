"""SSRF: which callback URLs and addresses the service refuses, checked on the address it connects to. The resolver is
injected, so no test here resolves a name or leaves 127.0.0.1."""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from search_service.adapters.callback_http import CheckedUrls, SafeTransport, UrlPolicy
from search_service.domain.ports import DeliveryFailed, RefusedAddress

AWS = UrlPolicy()  # https only, no loopback
LOCAL = UrlPolicy(allow_http=True, allow_loopback=True)


def resolving(*addresses: str) -> Any:
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "the cloud metadata service"),
        ("fd00:ec2::254", "the cloud metadata service"),
        ("169.254.10.10", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("::ffff:10.0.0.1", "a private address"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "the cloud metadata service"),
    ],
)
def test_a_name_resolving_to_a_forbidden_address_is_refused_saying_which(address: str, why: str) -> None:
    shown = ipaddress.ip_address(address)  # as Python writes it: ::ffff:a00:1 for ::ffff:10.0.0.1
    with pytest.raises(RefusedAddress, match=re.escape(f"hooks.example.com ({shown}) is {why}")):
        CheckedUrls(AWS, resolving(address)).check("https://hooks.example.com/in")


def test_one_forbidden_address_among_public_ones_refuses_the_name() -> None:
    with pytest.raises(RefusedAddress, match=r"10\.0\.0\.1"):
        CheckedUrls(AWS, resolving("93.184.215.14", "10.0.0.1")).check("https://hooks.example.com/in")


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_a_public_address_is_allowed(address: str) -> None:
    CheckedUrls(AWS, resolving(address)).check("https://hooks.example.com/in?x=1")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/in", "it must start with https://"),
        ("https://user:secret@hooks.example.com/in", "it must not carry a user name or password"),
        ("https:///in", "it names no host"),
        ("https://hooks.example.com:99999/", "its port is not a number from 1 to 65535"),
        ("https://hooks.example.com/in#frag", "it must not have a #fragment"),
        ("https://hooks.example.com/" + "a" * 2100, "it is longer than 2048 characters"),
        ("https://127.0.0.1/in", "127.0.0.1 is a loopback address"),
        ("https://[::1]/in", "::1 is a loopback address"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is the cloud metadata service"),
    ],
)
def test_a_bad_url_is_refused_in_aws(url: str, why: str) -> None:
    with pytest.raises(RefusedAddress, match=f"^{why}$"):
        CheckedUrls(AWS, resolving("93.184.215.14")).check(url)


def test_the_local_stack_allows_http_and_loopback_and_nothing_else() -> None:
    CheckedUrls(LOCAL, resolving("127.0.0.1")).check("http://localhost:8000/in")
    with pytest.raises(RefusedAddress, match="a private address"):
        CheckedUrls(LOCAL, resolving("192.168.0.10")).check("http://printer.lan/in")
    with pytest.raises(RefusedAddress, match="the cloud metadata service"):
        CheckedUrls(LOCAL, resolving("169.254.169.254")).check("http://metadata/in")


def test_a_name_that_does_not_resolve_is_refused_at_post() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise DeliveryFailed(f"{host} does not resolve")

    with pytest.raises(RefusedAddress, match=r"nowhere\.invalid does not resolve"):
        CheckedUrls(AWS, nowhere).check("https://nowhere.invalid/in")


# --- delivery: the address connected to ----------------------------------------------------------------------


class _Seen:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []  # (path, Host, body)


@pytest.fixture
def receiver() -> Iterator[tuple[int, _Seen, dict[str, Any]]]:
    """A receiver on 127.0.0.1 whose answer a test sets (status, headers, body size)."""
    seen = _Seen()
    answer: dict[str, Any] = {"status": 200, "headers": {}, "body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.requests.append((self.path, self.headers.get("Host", ""), body))
            self.send_response(answer["status"])
            for name, value in answer["headers"].items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer["body"])))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client stopped reading at its cap and closed
                self.wfile.write(answer["body"])

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen, answer
    server.shutdown()
    server.server_close()


def test_delivery_connects_to_the_checked_address_and_sends_the_name_as_host(receiver: Any) -> None:
    port, seen, _ = receiver
    status = SafeTransport(LOCAL, resolving("127.0.0.1")).post(
        f"http://hooks.example.com:{port}/in?ref=7", b'{"a":1}', {"webhook-id": "msg_1"}
    )
    assert status == 200
    assert seen.requests == [("/in?ref=7", f"hooks.example.com:{port}", b'{"a":1}')]


def test_dns_rebinding_public_when_checked_private_when_delivered_is_refused(receiver: Any) -> None:
    # GIVEN a name that resolved to a public address when the search was started
    port, seen, _ = receiver
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    url = f"https://rebind.example.com:{port}/in"
    CheckedUrls(AWS, rebinding).check(url)
    # WHEN it resolves to a loopback address at delivery
    # THEN the delivery is refused before any connection: the receiver on 127.0.0.1 gets nothing
    with pytest.raises(RefusedAddress, match=r"rebind.example.com \(127.0.0.1\) is a loopback address"):
        SafeTransport(AWS, rebinding).post(url, b"{}", {})
    assert seen.requests == []


def test_a_redirect_is_not_followed(receiver: Any) -> None:
    port, seen, answer = receiver
    answer.update(status=307, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    status = SafeTransport(LOCAL, resolving("127.0.0.1")).post(f"http://127.0.0.1:{port}/in", b"{}", {})
    assert status == 307 and len(seen.requests) == 1


def test_the_answer_is_read_up_to_the_cap_only(receiver: Any) -> None:
    port, _, answer = receiver
    answer.update(body=b"x" * (4 * 1024 * 1024))
    transport = SafeTransport(LOCAL, resolving("127.0.0.1"), body_cap=1024)
    assert transport.post(f"http://127.0.0.1:{port}/in", b"{}", {}) == 200


def test_a_receiver_that_never_answers_is_a_failed_attempt_not_a_hang() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        transport = SafeTransport(LOCAL, resolving("127.0.0.1"), connect_s=1, read_s=0.2)
        with pytest.raises(DeliveryFailed, match=r"could not be reached \(timed out\)"):
            transport.post(f"http://127.0.0.1:{port}/in", b"{}", {})


def test_a_closed_port_is_a_failed_attempt() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryFailed, match="could not be reached"):
        SafeTransport(LOCAL, resolving("127.0.0.1")).post(f"http://127.0.0.1:{port}/in", b"{}", {})
