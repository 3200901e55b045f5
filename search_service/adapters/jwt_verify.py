"""Verifying the user pool's JWTs in the WebSocket API's $connect authorizer, where API Gateway's JWT authorizer is
not available (WebSocket APIs take Lambda authorizers only).

RS256 with the standard library: a PKCS #1 v1.5 signature is checked by computing the whole encoded message that a
good signature must give (RFC 8017 8.2.2: EMSA-PKCS1-v1_5 encoding, then comparison) and comparing it, never by
parsing what the signature decodes to, which is where forgeries of v1.5 signatures come from. So the authorizer
ships no cryptography wheel (some 10 MB, and its import in every cold start) for one modular exponentiation. The
checks and their order are the HTTP API's JWT authorizer's (local_stack.jwt_issuer does the same with joserfc, and
tests hold the two to the same verdicts): signature by a key of the issuer's JWKS (by `kid`), issuer, audience
(`aud`, or an access token's `client_id`), expiry, not-before, and a subject."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ALGORITHM = "RS256"
# DER of DigestInfo { sha256, NULL } before the 32-byte digest (RFC 8017, 9.2 note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
JWKS_TIMEOUT_S = 3.0
MAX_TOKEN_LENGTH = 8192


class Refused(Exception):
    """Why a token is refused."""


@dataclass(frozen=True)
class RsaKey:
    n: int
    e: int

    def verifies(self, signed: bytes, signature: bytes) -> bool:
        size = (self.n.bit_length() + 7) // 8
        if len(signature) != size or size < 256:  # keys under 2048 bits are refused
            return False
        value = int.from_bytes(signature, "big")
        if value >= self.n:
            return False
        decoded = pow(value, self.e, self.n).to_bytes(size, "big")
        digest = SHA256_DIGEST_INFO + hashlib.sha256(signed).digest()
        expected = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
        return hmac.compare_digest(decoded, expected)


def fetch_jwks(url: str) -> dict[str, Any]:
    """The issuer's published keys (Cognito: https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json)."""
    with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_S) as answer:
        found: dict[str, Any] = json.loads(answer.read())
    return found


class JwtVerifier:
    """`issuer`: the `iss` tokens must carry, whose JWKS is at {issuer}/.well-known/jwks.json; `audience`: the app
    client id. `now`: seconds since the epoch. The keys are read at the first token and again, once, when a token
    names a key not among them (the pool rotated its keys)."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        now: Callable[[], float],
        jwks: Callable[[str], dict[str, Any]] = fetch_jwks,
    ) -> None:
        self._issuer = issuer.rstrip("/")
        self._audience = audience
        self._now = now
        self._jwks = jwks
        self._keys: dict[str, RsaKey] | None = None
        self._lock = threading.Lock()

    def claims(self, token: str | None) -> dict[str, Any]:
        """The verified token's claims. Raises Refused."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise Refused("no token" if not token else "the token is too long")
        parts = token.strip().split(".")
        if len(parts) != 3:
            raise Refused("the token could not be verified")
        try:
            header = json.loads(_unb64(parts[0]))
            claims = json.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except ValueError:
            raise Refused("the token could not be verified") from None
        if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != ALGORITHM:
            raise Refused("the token could not be verified")
        key = self._key(str(header.get("kid")))
        if key is None or not key.verifies(f"{parts[0]}.{parts[1]}".encode(), signature):
            raise Refused("the token could not be verified")
        now = self._now()
        if claims.get("iss") != self._issuer:
            raise Refused("the token does not have a valid issuer")
        audience = claims.get("aud", claims.get("client_id"))
        if self._audience not in (audience if isinstance(audience, list) else [audience]):
            raise Refused("the token does not have a valid audience")
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
            raise Refused("the token has expired")
        if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now:
            raise Refused("the token is not valid yet")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Refused("the token has no subject")
        return claims

    def _key(self, kid: str) -> RsaKey | None:
        with self._lock:
            if self._keys is None or kid not in self._keys:
                self._keys = _rsa_keys(self._jwks(f"{self._issuer}/.well-known/jwks.json"))
            return self._keys.get(kid)


def _rsa_keys(jwks: dict[str, Any]) -> dict[str, RsaKey]:
    keys = {}
    for key in jwks.get("keys") or []:
        if key.get("kty") == "RSA" and key.get("alg", ALGORITHM) == ALGORITHM and key.get("use", "sig") == "sig":
            n = int.from_bytes(_unb64(key["n"]), "big")
            e = int.from_bytes(_unb64(key["e"]), "big")
            keys[str(key.get("kid"))] = RsaKey(n, e)
    return keys


def _unb64(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("not base64url") from error
