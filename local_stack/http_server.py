"""A threaded HTTP server on 127.0.0.1 that runs in the background and stops cleanly."""

from __future__ import annotations

import contextlib
import functools
import io
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The listen backlog. socketserver's default is 5: with more clients connecting at once than that (the load
# tests hold 200 conversations at a time, and every skill turn opens a connection), the kernel drops the
# extra connection attempts and the clients wait a second or more for their SYN to be retried. Linux caps
# this at net.core.somaxconn (4096 by default).
BACKLOG = 1024


class DropsConnectionsOnClose:
    """A socketserver mix-in: `drop_connections()` closes every connection still open, so a stopped server is
    gone for its clients too, and waits a moment for their handler threads to end. Without it, a kept-alive
    connection would still be served by its handler thread after `shutdown()` and `server_close()`, which
    only close the listening socket."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[Any] = set()
        self._handlers: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    # The super() calls below reach the server class this is mixed into, which mypy cannot see: hence their ignores.
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)  # type: ignore[misc]

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._handlers.add(threading.current_thread())
        try:
            super().process_request_thread(request, client_address)  # type: ignore[misc]
        finally:
            with self._connections_lock:
                self._handlers.discard(threading.current_thread())

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)  # type: ignore[misc]

    def drop_connections(self, wait_s: float = 1.0) -> None:
        """Closes the open connections, then waits up to `wait_s` for their handler threads: an idle one ends at
        once, one still working on a request ends when it has answered (to no one)."""
        with self._connections_lock:
            open_now = list(self._connections)
        for connection in open_now:
            with contextlib.suppress(OSError):  # closed meanwhile
                connection.shutdown(socket.SHUT_RDWR)  # the handler's next read sees the end and its thread ends
        deadline = time.monotonic() + wait_s
        with self._connections_lock:
            handlers = list(self._handlers)
        for handler in handlers:
            handler.join(max(0.0, deadline - time.monotonic()))


class _Server(DropsConnectionsOnClose, ThreadingHTTPServer):
    request_queue_size = BACKLOG
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away, or the server is stopping: nothing to report
        super().handle_error(request, client_address)


class LocalServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._server = _Server(("127.0.0.1", port), handler)
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)  # so that stop() is quick
        self._thread = threading.Thread(target=serve, name=handler.__name__, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stops listening and closes the connections still open: afterwards the port refuses connections."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()
        self._server.drop_connections()


class JsonHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as API Gateway and Alexa use, and no access log on stderr.

    Each connection holds a thread: once a request has begun, its bytes must keep coming (`read_timeout_s` for each
    read and each write), and a kept-alive connection with no request under way is closed after `idle_timeout_s`.
    Without them, a client that sent a Content-Length of 100 and 10 bytes held its thread forever.
    """

    protocol_version = "HTTP/1.1"
    max_body = 1 << 20
    read_timeout_s = 10.0  # Alexa and API Gateway send a request whole: a pause this long is a client gone silent
    idle_timeout_s = 60.0  # the skill's kept-alive connections reconnect once when they find one closed
    # Buffered, so the status line, headers and body leave in one write (http.server flushes after each
    # request): written apart, the body waited for the client's delayed ACK of the headers (Nagle), some
    # 40 ms on a kept-alive connection.
    wbufsize = 1 << 16

    def handle_expect_100(self) -> bool:
        answered = bool(super().handle_expect_100())
        self.wfile.flush()  # the client waits for the 100 Continue before it sends the body
        return answered

    def handle_one_request(self) -> None:
        if isinstance(self.rfile, io.BufferedReader):  # always, with StreamRequestHandler's default rbufsize
            self.connection.settimeout(self.idle_timeout_s)
            try:
                self.rfile.peek(1)  # the next request's first byte, or the end of the connection
            except TimeoutError:
                self.close_connection = True  # idle too long: closed, as servers close kept-alive connections
                return
        self.connection.settimeout(self.read_timeout_s)
        # A request line or headers that stop coming end in http.server's own TimeoutError handling: closed.
        super().handle_one_request()

    def read_body(self) -> bytes | None:
        """The request body, or None after answering the error: 400 for a Content-Length that is not one whole number
        or a body that ends short of it, 413 for one over `max_body`, 408 for one that stops coming."""
        lengths = {value.strip() for value in self.headers.get_all("Content-Length") or ()}
        if len(lengths) > 1 or not all(length.isascii() and length.isdigit() for length in lengths):
            self._refuse(400, "Content-Length must be one whole number of bytes")
            return None
        length = int(lengths.pop()) if lengths else 0
        if length > self.max_body:
            self._refuse(413, "Request Entity Too Large")
            return None
        try:
            body = self.rfile.read(length) if length > 0 else b""
        except TimeoutError:
            self._refuse(408, "Request Timeout: the body stopped coming")
            return None
        if len(body) < length:
            self._refuse(400, "the body ended before its Content-Length")
            return None
        return body

    def _refuse(self, status: int, message: str) -> None:
        """Answers the error and closes the connection: what is left of the request cannot be told from the next."""
        self.close_connection = True
        self.respond(status, {"message": message})

    def respond(self, status: int, body: bytes | dict | None, headers: dict[str, str] | None = None) -> None:
        import json

        payload = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status in (204, 304):  # no content, so no Content-Length (RFC 9110 8.6): the headers and nothing else
            self.end_headers()
            return
        if body is not None and not any(name.lower() == "content-type" for name in headers or {}):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has the headers a GET's would have, and no body
            self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return None
