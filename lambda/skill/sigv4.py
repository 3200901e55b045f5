"""AWS Signature Version 4 with the standard library, for the skill's few calls to S3 (skill.trip_store).

boto3 and an S3 client would add about 0.2 s to the cold start of the first turn of a session, to sign three
kinds of request for objects of a few hundred bytes; this is the algorithm of AWS's reference
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html) for those requests,
held to AWS's published test vectors and to moto's S3 by tests/skill/test_sigv4.py. docs/persistence.md has the
figures that chose it.

Used for S3 (skill.trip_store) and for the search API's AWS_IAM authorization (skill.search_client, service
"execute-api"). What it signs: any method, a path, query parameters, any headers, and the payload's SHA-256 (or S3's
UNSIGNED-PAYLOAD). The path is signed as S3 wants it: each character but the unreserved ones and "/" percent-encoded
once, with no normalization of "." or "//" segments (which other services do, and S3 does not).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class Credentials(NamedTuple):  # not a dataclass: see search_client.Problem
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None  # temporary credentials (a Lambda role's) come with one, which is signed


class Request(NamedTuple):
    method: str
    host: str  # as sent in the Host header, with the port when it is not the scheme's default
    path: str  # not encoded: "/bucket/results/trips/ab12.json"
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # those to sign besides Host, X-Amz-Date and X-Amz-Security-Token
    payload_sha256: str = EMPTY_SHA256


def lambda_credentials(env: Mapping[str, str] = os.environ) -> Credentials:
    """The function's role credentials, which Lambda's runtime puts in the environment. Read at each request, so
    that whoever replaces them (the local stack, a test) is heard."""
    return Credentials(env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", ""),
                       env.get("AWS_SESSION_TOKEN") or None)  # fmt: skip


def encoded_path(path: str) -> str:
    """The path as sent and as signed: S3 encodes each character once, "/" excepted."""
    return quote(path, safe="/")


def sign(request: Request, credentials: Credentials, region: str, service: str, now: datetime) -> dict[str, str]:
    """The headers to send with `request`: its own, plus Host, X-Amz-Date, X-Amz-Security-Token (with a session
    token) and Authorization."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = [*request.headers, ("Host", request.host), ("X-Amz-Date", stamp)]
    if credentials.session_token:
        headers.append(("X-Amz-Security-Token", credentials.session_token))
    names, canonical_headers = _canonical_headers(headers)
    canonical_request = "\n".join((
        request.method.upper(),
        encoded_path(request.path or "/"),
        _canonical_query(request.query),
        canonical_headers,
        names,
        request.payload_sha256,
    ))  # fmt: skip
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join((ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()))
    key = _hmac(f"AWS4{credentials.secret_access_key}".encode(), stamp[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    credential = f"{credentials.access_key_id}/{scope}"
    authorization = f"{ALGORITHM} Credential={credential}, SignedHeaders={names}, Signature={signature}"
    return {**dict(headers), "Authorization": authorization}


def _canonical_headers(headers: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """(signed header names, canonical headers): names lowercased and sorted, each value trimmed with its inner runs
    of spaces made one, and the values of a header given more than once joined by commas in the order given."""
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.strip().lower(), []).append(" ".join(str(value).split()))
    names = sorted(values)
    return ";".join(names), "".join(f"{name}:{','.join(values[name])}\n" for name in names)


def _canonical_query(query: Iterable[tuple[str, str]]) -> str:
    pairs = sorted((quote(name, safe=""), quote(value, safe="")) for name, value in query)  # "-_.~" stay as they are
    return "&".join(f"{name}={value}" for name, value in pairs)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()
