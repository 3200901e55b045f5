"""The WebSocket API's $connect authorizer (a Lambda REQUEST authorizer: WebSocket APIs take no JWT authorizer):
verifies the user pool's token, sent as the `token` query parameter, as the HTTP API's JWT authorizer verifies its
Authorization header, and lets the connection in with the token's subject as its principal.

Why the query string: a browser's WebSocket cannot set an Authorization header, and the other way in, the
Sec-WebSocket-Protocol header, would make the token a subprotocol the $connect route must echo back, spreading it
to every proxy that logs handshakes and to the route's responses. The URL is not a page's, so it stays out of history
and Referer; the API's access log format names no query string (a template test keeps it so); the token is the 60
minute access token, checked once, at connect. A missing token never reaches this function: the identity source
makes API Gateway answer 401 itself. A token refused here gets 403."""

from __future__ import annotations

import time
from typing import Any

from search_service.adapters.jwt_verify import JwtVerifier, Refused
from search_service.config import Settings
from search_service.observability import Handler, Telemetry
from search_service.wiring import long_lived

TOKEN_PARAMETER = "token"


def build_handler(verifier: JwtVerifier) -> Handler:
    telemetry = Telemetry()

    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        token = (event.get("queryStringParameters") or {}).get(TOKEN_PARAMETER)
        arn = event.get("methodArn", "")
        if not token:
            raise Exception("Unauthorized")  # API Gateway's own 401, as when the identity source is missing
        try:
            claims = verifier.claims(token)
        except Refused as refusal:
            telemetry.logger.info("connection refused", extra={"reason": str(refusal)})
            return _policy("anonymous", "Deny", arn)
        return {**_policy(claims["sub"], "Allow", arn), "context": {"tokenUse": str(claims.get("token_use", ""))}}

    return handler


def _policy(principal: str, effect: str, arn: str) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": arn}
    return {"principalId": principal, "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}


def _build() -> Handler:
    settings = Settings.from_env()
    if settings.jwt_issuer and settings.jwt_audience:
        return build_handler(JwtVerifier(settings.jwt_issuer, settings.jwt_audience, time.time))

    def misconfigured(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # Raised at each connect (API Gateway answers 500), not at import: the module is imported where it is not
        # deployed too (the local stack builds its handler with its own issuer).
        raise ValueError("the WebSocket authorizer needs JWT_ISSUER and JWT_AUDIENCE (the user pool and its client)")

    return misconfigured


lambda_handler = long_lived(_build)
