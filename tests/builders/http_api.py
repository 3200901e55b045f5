"""The search API over real HTTP on 127.0.0.1: POST /beta/search to the start Lambda, GET to the search
Lambda, each request turned into the API Gateway event AWS would send."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from search_service.adapters.local_context import LocalLambdaContext
from search_service.api.gateway import event_from_http, http_from_response
from tests.builders.stack import Stack


@contextmanager
def serve(stack: Stack) -> Iterator[str]:
    """Yields the API's base URL, e.g. http://127.0.0.1:41234/beta."""

    class Gateway(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway offers

        def do_POST(self) -> None:
            self._forward(stack.start)

        def do_GET(self) -> None:
            self._forward(stack.search)

        def _forward(self, handler) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            event = event_from_http(self.command, self.path, dict(self.headers), body)
            status, headers, payload = http_from_response(handler(event, LocalLambdaContext("api")))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/beta"
    finally:
        server.shutdown()
        server.server_close()
