"""The local stand-in for the Cognito user pool of infrastructure/template.yaml: it issues access tokens shaped as
Cognito's (RS256, `kid`, `iss`, `client_id`, `token_use`, `sub`), publishes its public key as a JWKS, and verifies a
bearer token as the HTTP API's JWT authorizer does, so that the local HTTP API lets in what API Gateway would.

The signing key is made when the stack starts and lives only in memory: a token from one run is refused by the next.
The key, the tokens and joserfc are the local stack's alone: in AWS, Cognito signs and API Gateway verifies, and the
Lambdas only read the verified claims from the event."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "local-browser-client"  # the template's BrowserAppClient: the audience the authorizer accepts
TOKEN_LIFETIME_S = 3600  # the app client's AccessTokenValidity (60 minutes)
ALGORITHM = "RS256"  # what Cognito signs with, and the one algorithm the authorizer accepts here


@dataclass(frozen=True)
class Denied:
    """Why a request's token is refused: API Gateway's 401 carries it in www-authenticate (`description`; None when
    no token came at all)."""

    description: str | None

    @property
    def challenge(self) -> str:
        if self.description is None:
            return "Bearer"
        return f'Bearer scope="" error="invalid_token" error_description="{self.description}"'


class LocalIssuer:
    """`issuer`: the `iss` its tokens carry and the authorizer requires (the local HTTP API's own URL, where its JWKS
    is published). `now`: the stack's clock: tokens are issued and expire on it."""

    def __init__(self, issuer: str, now: Callable[[], datetime], client_id: str = CLIENT_ID) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._now = now
        self._key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": ALGORITHM})
        self._keys = KeySet([self._key])

    def jwks(self) -> dict[str, Any]:
        """The public half only, as Cognito publishes it at /.well-known/jwks.json."""
        return {"keys": [self._key.as_dict(private=False)]}

    def token(self, user: str, lifetime_s: int = TOKEN_LIFETIME_S, **claims: Any) -> str:
        """An access token for `user` (its subject), as the user pool gives a signed-in user. `claims` replace or add
        to the usual ones (a test's wrong issuer or audience)."""
        issued = int(self._now().timestamp())
        usual = {
            "sub": user,
            "iss": self.issuer,
            "client_id": self.client_id,
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": issued,
            "iat": issued,
            "exp": issued + lifetime_s,
            "jti": secrets.token_hex(16),
        }
        return self.sign({**usual, **claims})

    def sign(self, claims: dict[str, Any]) -> str:
        """Any claims, signed with the stack's key."""
        header = {"alg": ALGORITHM, "kid": self._key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self._key)

    def verify(self, authorization: str | None) -> dict[str, str] | Denied:
        """The claims of the request's bearer token, as strings (as API Gateway hands them to the Lambda), or why it
        is refused: the checks of the HTTP API's JWT authorizer, in its order (signature with a key of the JWKS by
        `kid`, then issuer, audience (`aud`, or `client_id` when there is no `aud`), expiry, not-before)."""
        if not authorization or not authorization.strip():
            return Denied(None)
        value = authorization.strip()
        if value[:7].lower() == "bearer ":  # the prefix is optional for API Gateway
            value = value[7:].strip()
        try:
            token = jwt.decode(value, self._keys, algorithms=[ALGORITHM])
        except (JoseError, ValueError):
            return Denied("the token could not be verified")
        claims = token.claims
        now = self._now().timestamp()
        if claims.get("iss") != self.issuer:
            return Denied("the token does not have a valid issuer")
        audience = claims.get("aud", claims.get("client_id"))
        audiences = audience if isinstance(audience, list) else [audience]
        if self.client_id not in audiences:
            return Denied("the token does not have a valid audience")  # AWS's own wording for this one
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
            return Denied("the token has expired")
        if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now:
            return Denied("the token is not valid yet")
        if not isinstance(claims.get("sub"), str):
            return Denied("the token has no subject")
        return {name: _as_string(value) for name, value in claims.items()}


def _as_string(value: Any) -> str:
    """API Gateway passes every claim to the Lambda as a string; a list as "[a b]"."""
    if isinstance(value, list):
        return "[" + " ".join(str(item) for item in value) + "]"
    return str(value)
