"""Search tokens: random, URL-safe, and bound to the user who started the search."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets

TOKEN_BYTES = 24  # 192 random bits
TOKEN_LENGTH = 32  # characters of URL-safe base64 for TOKEN_BYTES
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
NONCE_BYTES = 16


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def search_id(token: str, user: str) -> str:
    """The cache key and log correlation id of a search.

    Hashing the token with the user means the bucket never holds a usable token, and another user's
    token simply names a search that does not exist: "not yours" and "unknown" cannot be told apart.
    """
    return hashlib.sha256(f"search|{token}|{user}".encode()).hexdigest()


def idempotency_id(key: str, user: str) -> str:
    """Where a user's Idempotency-Key is recorded. The pair is encoded as JSON, not joined with a separator: user
    "victim|x" with key "k" and user "victim" with key "x|k" must not name the same record."""
    return hashlib.sha256(json.dumps(["idempotency", user, key]).encode()).hexdigest()


def is_well_formed(token: str) -> bool:
    return TOKEN_PATTERN.fullmatch(token) is not None


def seal(token: str, key: str, user: str) -> str:
    """The token as an idempotency record keeps it: encrypted under the Idempotency-Key and the user, which the
    bucket never holds, so only a request that presents both (a replay) can read it back. A one-time pad from
    HMAC-SHA256 over a fresh nonce: the same key sealing two tokens (a released key claimed again) reveals neither."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    raw = base64.urlsafe_b64decode(token)
    return base64.urlsafe_b64encode(nonce + _xor(raw, _pad(key, user, nonce, len(raw)))).decode()


def unseal(sealed: str, key: str, user: str) -> str:
    data = base64.urlsafe_b64decode(sealed)
    nonce, body = data[:NONCE_BYTES], data[NONCE_BYTES:]
    return base64.urlsafe_b64encode(_xor(body, _pad(key, user, nonce, len(body)))).decode()


def _pad(key: str, user: str, nonce: bytes, length: int) -> bytes:
    secret = hashlib.sha256(json.dumps(["seal", user, key]).encode()).digest()  # not the record's id: another tag
    return hmac.new(secret, nonce, hashlib.sha256).digest()[:length]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))
