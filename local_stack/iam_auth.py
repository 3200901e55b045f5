"""API Gateway's AWS_IAM authorization, as the local gateway checks it: a SigV4 signature for service execute-api made
with the stack's one pair of credentials (what the skill's role is in AWS), within SigV4's 15 minutes.

The signature is computed again with skill.sigv4 (held to AWS's test vectors by tests/skill/test_sigv4.py) from what
arrived: the method, the path and query as sent, the headers the request says it signed, and its body's SHA-256. The
answers are API Gateway's own: 403 with its messages, before any Lambda runs. A tool that signs for AWS signs for this
too: `curl --aws-sigv4 "aws:amz:us-east-1:execute-api" --user local:local ...` (the README).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from local_stack import skill_importable
from local_stack.s3 import LOCAL_CREDENTIALS

skill_importable()
from skill.sigv4 import ALGORITHM, Credentials, Request, sign  # noqa: E402

MAX_SKEW = timedelta(minutes=15)
SERVICE = "execute-api"
_AUTHORIZATION = re.compile(
    rf"^{ALGORITHM} Credential=(?P<key>[^/,\s]+)/(?P<date>\d{{8}})/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<names>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
# The headers sign() adds itself from the request and the credentials.
_ADDED_BY_SIGN = {"host", "x-amz-date", "x-amz-security-token"}

MISSING = "Missing Authentication Token"
INVALID_KEY = "The security token included in the request is invalid."
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key "
    "and signing method. Consult the service documentation for details."
)


class Headers(Protocol):
    """Looked up by name in any case: http.server's message."""

    def get(self, name: str) -> str | None: ...


def local_role() -> Credentials:
    """The skill's role in the local stack: what it signs the search API's requests with and the embedded S3's."""
    return Credentials(LOCAL_CREDENTIALS["aws_access_key_id"], LOCAL_CREDENTIALS["aws_secret_access_key"])


def refusal(
    method: str,
    target: str,
    headers: Headers,
    body: bytes,
    credentials: Credentials,
    now: datetime | None = None,
) -> str | None:
    """Why API Gateway would refuse this request with a 403, or None when its signature is good. `target`: the
    request line's path and query."""
    header = headers.get("Authorization")
    if not header:
        return MISSING
    found = _AUTHORIZATION.match(" ".join(header.split()))
    if found is None:
        return f"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' ({ALGORITHM})."
    if found["service"] != SERVICE:
        return f"Credential should be scoped to correct service: '{SERVICE}'."
    if not hmac.compare_digest(found["key"], credentials.access_key_id) or headers.get("X-Amz-Security-Token"):
        return INVALID_KEY
    stamp = headers.get("X-Amz-Date") or ""
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    if abs((now or datetime.now(UTC)) - signed_at) > MAX_SKEW or stamp[:8] != found["date"]:
        return f"Signature expired: {stamp} is now earlier or later than 15 minutes from the server's time."
    names = found["names"].split(";")
    if "host" not in names or any(headers.get(name) is None for name in names):
        return MISMATCH
    url = urlsplit(target)
    request = Request(
        method,
        headers.get("Host") or "",
        unquote(url.path),
        tuple(parse_qsl(url.query, keep_blank_values=True)),
        tuple((name, headers.get(name) or "") for name in names if name not in _ADDED_BY_SIGN),
        hashlib.sha256(body).hexdigest(),
    )
    expected = sign(request, credentials, found["region"], SERVICE, signed_at)["Authorization"]
    if not hmac.compare_digest(expected.encode(), f"{ALGORITHM} {_parts(header)}".encode()):
        return MISMATCH
    return None


def _parts(header: str) -> str:
    """The Authorization header as sign() writes it: ", " between its three parts."""
    rest = " ".join(header.split()).removeprefix(ALGORITHM).strip()
    return ", ".join(part.strip() for part in rest.split(","))
