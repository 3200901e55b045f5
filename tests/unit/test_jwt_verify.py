"""The WebSocket authorizer's RS256 verification (PyJWT's signature check, the claims on the service's clock) held to
the local issuer's, which joserfc does and which checks what the HTTP API's JWT authorizer checks: the same verdicts
for the same tokens."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from local_stack.jwt_issuer import Denied, LocalIssuer
from search_service.adapters.jwt_verify import KEYS_REREAD_S, JwtVerifier, Refused

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ISSUER = "http://127.0.0.1:3001"


@pytest.fixture(scope="module")
def issuer() -> LocalIssuer:
    return LocalIssuer(ISSUER, lambda: NOW)


def verifier(issuer: LocalIssuer, reads: list[str] | None = None, later_s: list[float] | None = None) -> JwtVerifier:
    """`later_s`: how far the verifier's clock has moved past NOW (its one item, moved by the test)."""

    def jwks(url: str) -> dict[str, Any]:
        if reads is not None:
            reads.append(url)
        return issuer.jwks()

    moved = later_s if later_s is not None else [0.0]
    return JwtVerifier(issuer.issuer, issuer.client_id, lambda: NOW.timestamp() + moved[0], jwks)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _tokens(issuer: LocalIssuer) -> dict[str, str]:
    good = issuer.token("alice")
    head, body, signature = good.split(".")
    other = LocalIssuer(ISSUER, lambda: NOW)
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    return {
        "good": good,
        "id token (aud)": issuer.token("alice", aud=issuer.client_id, client_id=None, token_use="id"),
        "expired": issuer.token("alice", lifetime_s=-1),
        "not yet valid": issuer.token("alice", nbf=int(NOW.timestamp()) + 60),
        "another issuer": issuer.token("alice", iss="https://elsewhere"),
        "another audience": issuer.token("alice", client_id="another"),
        "another key": other.token("alice"),
        "claims changed": ".".join([head, _b64(json.dumps({**claims, "sub": "mallory"}).encode()), signature]),
        "signature cut": ".".join([head, body, signature[:-8]]),
        "signature zero": ".".join([head, body, _b64(bytes(256))]),
        "signature one": ".".join([head, body, _b64((1).to_bytes(256, "big"))]),
        "alg none": ".".join([_b64(b'{"alg":"none","kid":"x"}'), body, ""]),
        "alg HS256": ".".join([_b64(json.dumps({"alg": "HS256", "kid": "k"}).encode()), body, signature]),
        "two parts": f"{head}.{body}",
        "not base64": "@@@.@@@.@@@",
    }


def test_the_same_verdicts_as_the_local_issuer(issuer: LocalIssuer) -> None:
    checked = verifier(issuer)
    for name, token in _tokens(issuer).items():
        expected = issuer.verify(f"Bearer {token}")
        try:
            claims: dict[str, Any] | None = checked.claims(token)
        except Refused:
            claims = None
        if isinstance(expected, Denied):
            assert claims is None, f"{name}: accepted, the JWT authorizer refuses it ({expected.description})"
        else:
            assert claims is not None and claims["sub"] == expected["sub"], name
    assert checked.claims(_tokens(issuer)["good"])["sub"] == "alice"


def test_the_keys_are_read_once_and_again_for_a_key_they_lack(issuer: LocalIssuer) -> None:
    reads: list[str] = []
    later_s = [0.0]
    checked = verifier(issuer, reads, later_s)
    for _ in range(3):
        checked.claims(issuer.token("alice"))
    assert reads == [f"{ISSUER}/.well-known/jwks.json"]
    stranger = LocalIssuer(ISSUER, lambda: NOW).token("alice")  # a kid of another key
    with pytest.raises(Refused):
        checked.claims(stranger)  # just read: not read again for it, so bad tokens cannot make it fetch the keys
    assert len(reads) == 1
    later_s[0] = KEYS_REREAD_S
    with pytest.raises(Refused):
        checked.claims(stranger)  # the pool may have rotated its keys since: read again, and still refused
    assert len(reads) == 2


def test_no_token_and_an_oversized_one_are_refused_before_any_key_is_read(issuer: LocalIssuer) -> None:
    reads: list[str] = []
    checked = verifier(issuer, reads)
    for token in (None, "", "a" * 10_000):
        with pytest.raises(Refused):
            checked.claims(token)
    assert reads == []
