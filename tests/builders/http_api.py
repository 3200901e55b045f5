"""The search API over real HTTP on 127.0.0.1, served by the local stack's gateway: POST /beta/search to
the start Lambda, GET to the results Lambda, each request turned into the API Gateway event AWS would send,
and the API key checked as API Gateway checks it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from local_stack.search_api import STAGE, start_gateway
from tests.builders.stack import Stack

API_KEY = "test-api-key"


@contextmanager
def serve(stack: Stack) -> Iterator[str]:
    """Yields the API's base URL, e.g. http://127.0.0.1:41234/beta; clients send API_KEY."""
    server = start_gateway(stack.start, stack.results, API_KEY)
    try:
        yield f"http://127.0.0.1:{server.port}/{STAGE}"
    finally:
        server.stop()
