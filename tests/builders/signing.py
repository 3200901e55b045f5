"""Requests to the local stack's search API signed as the skill signs them (SigV4 for execute-api, the stack's role),
for tests that speak HTTP to it without the skill's client."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from skill.sigv4 import Credentials, Request, sign

from local_stack.iam_auth import local_role

REGION = "us-east-1"


def signed(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    credentials: Credentials | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """`headers` with SigV4's for a request to `url` (scheme, host[:port], path and query as sent)."""
    parts = urlsplit(url)
    request = Request(method, parts.netloc, unquote(parts.path), tuple(parse_qsl(parts.query, keep_blank_values=True)),
                      tuple((headers or {}).items()), hashlib.sha256(body or b"").hexdigest())  # fmt: skip
    return sign(request, credentials or local_role(), REGION, "execute-api", now or datetime.now(UTC))


class SigV4Auth:
    """requests' auth hook (an AuthBase by duck typing): signs each prepared request, for schemathesis' calls."""

    def __call__(self, prepared: Any) -> Any:
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        own = {name: value for name, value in prepared.headers.items() if name.lower() in ("content-type",)}
        prepared.headers.update(signed(prepared.method, prepared.url, body, own))
        return prepared
