"""Search tokens: random, URL-safe, and bound to the user who started the search."""

from __future__ import annotations

import hashlib
import json
import re
import secrets

TOKEN_BYTES = 24  # 192 random bits
TOKEN_LENGTH = 32  # characters of URL-safe base64 for TOKEN_BYTES
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")


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
