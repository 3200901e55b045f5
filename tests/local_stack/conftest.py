"""Helpers for the local stack's tests; the `local_stack` fixture is in tests/conftest.py."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.builders.signing import signed


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, sign: bool = False
) -> tuple[int, Any]:
    """`sign`: with SigV4 by the stack's role, as the skill signs its requests to the search API."""
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    if sign:
        headers = signed(method, url, data, headers)
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None
