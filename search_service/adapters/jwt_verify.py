"""Verifying the user pool's JWTs in the WebSocket API's $connect authorizer, where API Gateway's JWT authorizer is
not available (WebSocket APIs take Lambda authorizers only).

The signature is PyJWT's to check (RS256 only, by a key of the issuer's JWKS named by `kid`, 2048 bits or more):
signature checks are where hand-written JWT code goes wrong, and a well-kept library is the place for them. The
claims are checked here, on the service's clock (the local stack's may be moved; PyJWT reads the system time), in
the HTTP API's JWT authorizer's order (local_stack.jwt_issuer does the same with joserfc, and tests hold the two to
the same verdicts): issuer, audience (`aud`, or an access token's `client_id`), expiry, not-before, and a subject.
PyJWT brings the `cryptography` wheel; only this authorizer (and the local stack) imports this module."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt

ALGORITHM = "RS256"
SIGNATURE_ONLY: jwt.types.Options = {
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
}
JWKS_TIMEOUT_S = 3.0
MAX_TOKEN_LENGTH = 8192
MIN_KEY_BITS = 2048
KEYS_REREAD_S = 60.0  # a token naming an unknown key re-reads the JWKS at most this often: not once per bad token


class Refused(Exception):
    """Why a token is refused."""


def fetch_jwks(url: str) -> dict[str, Any]:
    """The issuer's published keys (Cognito: https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json)."""
    with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_S) as answer:
        found: dict[str, Any] = json.loads(answer.read())
    return found


class JwtVerifier:
    """`issuer`: the `iss` tokens must carry, whose JWKS is at {issuer}/.well-known/jwks.json; `audience`: the app
    client id. `now`: seconds since the epoch. The keys are read at the first token and again when a token names a key
    not among them (the pool rotated its keys), at most once a KEYS_REREAD_S."""

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
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def claims(self, token: str | None) -> dict[str, Any]:
        """The verified token's claims. Raises Refused."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise Refused("no token" if not token else "the token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Refused("the token could not be verified") from None
        key = self._key(str(header.get("kid"))) if header.get("alg") == ALGORITHM else None
        if key is None:
            raise Refused("the token could not be verified")
        try:
            # The signature only: the claims are checked below, on this service's clock.
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], options=SIGNATURE_ONLY)
        except jwt.PyJWTError:
            raise Refused("the token could not be verified") from None
        if not isinstance(claims, dict):
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

    def _key(self, kid: str) -> jwt.PyJWK | None:
        with self._lock:
            now = self._now()
            if self._keys is None or (kid not in self._keys and now - self._read_at >= KEYS_REREAD_S):
                self._keys = _rsa_keys(self._jwks(f"{self._issuer}/.well-known/jwks.json"))
                self._read_at = now
            return self._keys.get(kid)


def _rsa_keys(jwks: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    keys = {}
    for found in jwks.get("keys") or []:
        if found.get("kty") != "RSA" or found.get("alg", ALGORITHM) != ALGORITHM or found.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(found, ALGORITHM)
        except jwt.PyJWTError:
            continue
        if key.key.key_size >= MIN_KEY_BITS:
            keys[str(found.get("kid"))] = key
    return keys
