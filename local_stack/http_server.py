"""A threaded HTTP server on 127.0.0.1 that runs in the background and stops cleanly."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=handler.__name__, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()


class JsonHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as API Gateway and Alexa use, and no access log on stderr."""

    protocol_version = "HTTP/1.1"
    max_body = 1 << 20

    def read_body(self) -> bytes | None:
        """The request body, or None after answering 413 for one over `max_body`."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.max_body:
            self.respond(413, {"message": "Request Entity Too Large"})
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def respond(self, status: int, body: bytes | dict | None, headers: dict[str, str] | None = None) -> None:
        import json

        payload = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None and not any(name.lower() == "content-type" for name in headers or {}):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return None
