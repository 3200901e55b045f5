"""How the skill reaches the search API and S3: one kept-alive HTTP(S) connection per thread, with strict timeouts.

Built on http.client, which every Python HTTP library builds on: urllib3 would add 34 ms more and requests
73 ms, to every cold start, and the first turn of a conversation is a cold start more often than not.
http.client itself (with the email and ssl modules it loads) costs about 20 ms, so it is imported at the
first request rather than with the Lambda: a first turn that calls nothing ("help") does not pay for it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import http.client


class Unreachable(Exception):
    """No answer: refused, timed out, reset (twice), TLS failed, or not HTTP. The message names the error."""


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

    def request(self, method: str, target: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        """The status and body of the answer to one request; Unreachable when there is none."""
        import http.client

        # A kept-alive connection may have been closed by the server since the last turn: one fresh retry. Callers
        # only send requests that are safe to repeat (reads, writes of a whole object, POSTs with an Idempotency-Key).
        for attempt in (1, 2):
            try:
                connection = self._connection()
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self._drop()
                if attempt == 2:
                    raise Unreachable(f"connection lost: {type(error).__name__}") from error
            except (OSError, http.client.HTTPException) as error:  # refused, timed out, TLS, malformed
                self._drop()
                raise Unreachable(f"{method} failed: {type(error).__name__}") from error
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _connection(self) -> http.client.HTTPConnection:
        import http.client
        import socket
        import ssl

        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            if self._scheme == "https":
                connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._connect_timeout_s, context=ssl.create_default_context()
                )
            else:
                connection = http.client.HTTPConnection(self._host, self._port, timeout=self._connect_timeout_s)
            connection.connect()
            # Connecting may take up to the connect timeout; each read after that gets the read timeout.
            connection.sock.settimeout(max(self._read_timeout_s, 0.1))
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.connection = connection
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        self._local.connection = None
