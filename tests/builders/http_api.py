"""The search API over real HTTP on 127.0.0.1, served by the local stack's gateway: POST /beta/search to
the start Lambda, GET to the results Lambda, each request turned into the API Gateway event AWS would send,
and its SigV4 signature checked as API Gateway's AWS_IAM authorization checks it: clients sign with ROLE."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from local_stack.iam_auth import local_role
from local_stack.search_api import STAGE, start_gateway
from tests.builders.stack import Stack

ROLE = local_role  # the credentials a client signs with: SearchClient(url, ROLE)


@contextmanager
def serve(stack: Stack) -> Iterator[str]:
    """Yields the API's base URL, e.g. http://127.0.0.1:41234/beta; clients sign with ROLE."""
    server = start_gateway(stack.start, stack.results, ROLE())
    try:
        yield f"http://127.0.0.1:{server.port}/{STAGE}"
    finally:
        server.stop()
