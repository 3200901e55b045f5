"""The search API over real HTTP on 127.0.0.1, served by the local stack's gateway: POST /beta/search to
the start Lambda, GET to the results Lambda, each request turned into the API Gateway event AWS would send,
and its SigV4 signature checked as API Gateway's AWS_IAM authorization checks it: clients sign with ROLE."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from local_stack.gateway_spec import rest_api_spec
from local_stack.iam_auth import local_role
from local_stack.search_api import start_gateway
from tests.builders.signing import signed
from tests.builders.stack import USER, Stack
from tests.builders.waiting import PATIENCE_S

ROLE = local_role  # the credentials a client signs with: SearchClient(url, ROLE)


@contextmanager
def serve(stack: Stack) -> Iterator[str]:
    """Yields the API's base URL, e.g. http://127.0.0.1:41234/beta; clients sign with ROLE."""
    server = start_gateway(stack.start, stack.results, ROLE())
    try:
        yield f"http://127.0.0.1:{server.port}/{rest_api_spec().stage}"
    finally:
        server.stop()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: Any


class Client:
    """An HTTP client of the search API, as any client would be: signed requests, headers in, headers out."""

    def __init__(self, url: str, token: str, user: str = USER) -> None:
        self.url = url + "/search"
        self.token = token
        self.user = user

    def call(self, method: str, query: str = "", headers: dict[str, str] | None = None, bearer: bool = True) -> Answer:
        url = self.url + (f"?{query}" if query else "")
        sent = {"Search-Token": self.token, "Search-User": self.user} if bearer else {}
        sent.update(headers or {})
        request = urllib.request.Request(url, method=method, headers=signed(method, url, None, sent))
        try:
            with urllib.request.urlopen(request, timeout=PATIENCE_S) as response:
                return _answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return _answer(error.code, dict(error.headers), error.read())

    def get(self, query: str = "", **headers: str) -> Answer:
        return self.call("GET", query, {name.replace("_", "-"): value for name, value in headers.items()})

    def delete(self, query: str = "") -> Answer:
        return self.call("DELETE", query)


def _answer(status: int, headers: dict[str, str], raw: bytes) -> Answer:
    return Answer(status, {name.lower(): value for name, value in headers.items()}, json.loads(raw) if raw else None)
