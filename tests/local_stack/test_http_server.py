"""The local servers' HTTP handling (local_stack.http_server), over real sockets on 127.0.0.1: a client that stops
sending cannot hold a thread, and a malformed Content-Length gets a 400 with a JSON reason, not a traceback."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import pytest

from local_stack.http_server import JsonHandler, LocalServer
from tests.builders.waiting import PATIENCE_S

Connect = Callable[[], socket.socket]


class Echo(JsonHandler):
    """Answers a POST with the length of the body it read."""

    def do_POST(self) -> None:
        body = self.read_body()
        if body is not None:
            self.respond(200, {"length": len(body)})


class Impatient(Echo):
    # Short, so a test sees them pass: each test waits for what the server does, up to PATIENCE_S.
    read_timeout_s = 0.2
    idle_timeout_s = 0.5


def _serve(handler: type[JsonHandler]) -> Iterator[Connect]:
    server = LocalServer(handler)
    server.start()
    opened: list[socket.socket] = []

    def connect() -> socket.socket:
        client = socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE_S)
        opened.append(client)
        return client

    try:
        yield connect
    finally:
        for client in opened:
            client.close()
        server.stop()


@pytest.fixture
def impatient() -> Iterator[Connect]:
    yield from _serve(Impatient)


@pytest.fixture
def patient() -> Iterator[Connect]:
    yield from _serve(Echo)


def _post(headers: str, body: bytes = b"") -> bytes:
    return f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode() + body


def _answers(client: socket.socket) -> list[tuple[int, dict]]:
    """Every answer the server sends until it closes the connection."""
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    answers = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
        answers.append((int(lines[0].split()[1]), json.loads(rest[:length])))
        received = rest[length:]
    return answers


def test_a_body_that_stops_short_of_its_content_length_gets_a_408_and_the_connection_closes(
    impatient: Connect,
) -> None:
    # GIVEN a client that announces 100 bytes and sends 10
    client = impatient()
    client.sendall(_post("Content-Length: 100\r\n", b"x" * 10))
    # WHEN it sends nothing more, THEN the server answers 408 and closes the connection (recv sees its end)
    [(status, answer)] = _answers(client)
    assert status == 408 and "stopped coming" in answer["message"]


def test_headers_that_stop_coming_close_the_connection(impatient: Connect, capfd: pytest.CaptureFixture[str]) -> None:
    client = impatient()
    client.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Len")
    assert client.recv(65536) == b""  # closed without an answer: there is no request to answer
    assert "Traceback" not in capfd.readouterr().err


def test_an_idle_kept_alive_connection_is_closed(impatient: Connect) -> None:
    client = impatient()
    client.sendall(_post("Content-Length: 2\r\n", b"{}"))
    # One answer, then nothing is sent: the connection is closed once idle for idle_timeout_s.
    assert _answers(client) == [(200, {"length": 2})]


def test_a_kept_alive_connection_serves_requests_one_after_another(patient: Connect) -> None:
    client = patient()
    for body in (b"{}", b"[1, 2]"):
        client.sendall(_post(f"Content-Length: {len(body)}\r\n", body))
        head = client.recv(65536)
        assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(json.dumps({"length": len(body)}).encode())


@pytest.mark.parametrize(
    "headers",
    [
        "Content-Length: abc\r\n",
        "Content-Length: -5\r\n",
        "Content-Length: 1_0\r\n",
        "Content-Length: +10\r\n",
        "Content-Length: \r\n",
        "Content-Length: 10\r\nContent-Length: 12\r\n",
    ],
)
def test_a_content_length_that_is_not_one_whole_number_gets_a_400_without_a_traceback(
    patient: Connect, capfd: pytest.CaptureFixture[str], headers: str
) -> None:
    client = patient()
    client.sendall(_post(headers, b"x" * 12))
    [(status, answer)] = _answers(client)  # answered, then closed: the bytes after the headers mean nothing
    assert status == 400 and answer == {"message": "Content-Length must be one whole number of bytes"}
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_cut_short_by_the_client_gets_a_400(patient: Connect) -> None:
    client = patient()
    client.sendall(_post("Content-Length: 100\r\n", b"x" * 10))
    client.shutdown(socket.SHUT_WR)  # the client is done sending: the body will never be whole
    [(status, answer)] = _answers(client)
    assert status == 400 and "ended before" in answer["message"]


def test_the_same_content_length_twice_is_one_length(patient: Connect) -> None:
    client = patient()
    client.sendall(_post("Content-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n", b"{}"))
    assert _answers(client) == [(200, {"length": 2})]
