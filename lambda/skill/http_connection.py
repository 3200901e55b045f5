"""How the skill reaches the search API and S3: one kept-alive HTTP(S) connection per thread, with strict timeouts.

Built on http.client, which every Python HTTP library builds on: urllib3 would add 34 ms more and requests
73 ms, to every cold start, and the first turn of a conversation is a cold start more often than not.
http.client itself (with the email and ssl modules it loads) costs about 20 ms, so it is imported at the
first request rather than with the Lambda: a first turn that calls nothing ("help") does not pay for it.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import http.client


class Unreachable(Exception):
    """No answer: refused, timed out, reset (twice), TLS failed, or not HTTP. The message names the error."""


class OutOfTime(Unreachable):
    """No answer within the time the caller had left, shorter than the timeouts: the caller ran out of time, the
    server may be fine."""


# Less than this left, a call is not worth making: a request and its answer take a round trip at the least.
MIN_CALL_S = 0.05


class KeptAliveConnection:
    def __init__(
        self, scheme: str, host: str, port: int | None, connect_timeout_s: float, read_timeout_s: float
    ) -> None:
        if scheme not in ("http", "https") or not host:
            raise ValueError(f"not an http(s) address: {scheme}://{host}")
        self._scheme = scheme
        self._host = host
        self._port = port
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._local = threading.local()  # one kept-alive connection per thread

    def request(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str], within_s: float | None = None
    ) -> tuple[int, bytes]:
        """The status and body of the answer to one request; Unreachable when there is none. `within_s`: the time
        the caller has left. Every wait (connect, send, each read, the retry) is clipped to it, and a wait cut short
        by it raises OutOfTime. A server that trickles its answer byte by byte could still overrun it by a read
        timeout; API Gateway and S3 send a small answer whole."""
        import http.client

        ends = None if within_s is None else time.monotonic() + within_s
        # A kept-alive connection may have been closed by the server since the last turn: one fresh retry. Callers
        # only send requests that are safe to repeat (reads, writes of a whole object, POSTs with an Idempotency-Key).
        for attempt in (1, 2):
            left = None if ends is None else ends - time.monotonic()
            if left is not None and left < MIN_CALL_S:
                raise OutOfTime(f"{method} not sent: {max(left, 0):.2f} s left")
            # Whether the wait under way was cut by the time left rather than by its own timeout: first the
            # connect (if the thread has no connection yet), then each read.
            clipped = left is not None and left < self._connect_timeout_s
            try:
                connection = self._connection(left)
                read_timeout = self._read_timeout_s
                if ends is not None:
                    left = ends - time.monotonic()
                    clipped = left < read_timeout
                    read_timeout = min(read_timeout, left)
                # Set on every request: a kept-alive socket keeps the timeout the last request clipped it to.
                connection.sock.settimeout(max(read_timeout, MIN_CALL_S))
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self._drop()
                if attempt == 2:
                    raise Unreachable(f"connection lost: {type(error).__name__}") from error
            except TimeoutError as error:
                self._drop()
                if clipped:
                    raise OutOfTime(f"{method} cut short: the time left ran out") from error
                raise Unreachable(f"{method} failed: {type(error).__name__}") from error
            except (OSError, http.client.HTTPException) as error:  # refused, TLS, malformed
                self._drop()
                raise Unreachable(f"{method} failed: {type(error).__name__}") from error
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _connection(self, left: float | None) -> http.client.HTTPConnection:
        """The thread's connection, made if need be within `left`."""
        import http.client
        import socket
        import ssl

        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        timeout = self._connect_timeout_s if left is None else min(self._connect_timeout_s, left)
        if self._scheme == "https":
            connection = http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        self._local.connection = connection  # dropped on failure, with whatever it opened
        connection.connect()  # within the connect timeout; request() sets each read's
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        self._local.connection = None
