"""The local stack on free ports, suppliers answering at once: started once per module, stopped after it."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.stack import LocalStack, StackOptions


@pytest.fixture(scope="module")
def local_stack() -> Iterator[LocalStack]:
    before = {thread.ident for thread in threading.enumerate()}
    stack = LocalStack(StackOptions(skill_port=0, api_port=0, latency_scale=0, async_retry_delays_s=(0.1,)))
    stack.start()
    yield stack
    stack.stop()
    leaked = [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert not leaked, f"the local stack left threads behind: {leaked}"


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None
