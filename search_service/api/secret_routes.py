"""GET /webhook-secret and POST /webhook-secret/rotate: the calling user's signing secret for callbacks (served by
the start Lambda, the one that writes). The user is identified as GET /search identifies them: the Search-User
header."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header

from search_service.api.models import MAX_USER_LENGTH, ErrorBody, WebhookSecret, documented
from search_service.domain.callbacks import SigningSecrets
from search_service.observability import Telemetry

User = Annotated[
    str,
    Header(alias="Search-User", min_length=1, max_length=MAX_USER_LENGTH, description="The user whose secret it is"),
]
# A secret must not be kept by a cache or a proxy on the way.
NO_STORE = {"Cache-Control": "no-store"}


def secret_routes(secrets: SigningSecrets, telemetry: Telemetry) -> Router:
    router = Router()
    responses = {
        200: documented(WebhookSecret, "The secret that signs this user's callback events"),
        400: documented(ErrorBody, "The Search-User header is missing or invalid"),
        503: documented(ErrorBody, "The secret store is unavailable", "Retry-After"),
    }

    @router.get(
        "/webhook-secret",
        summary="Get the user's webhook signing secret",
        description="Made at the first request (or the first search with a callbackUrl). Verify each event's "
        "webhook-signature with it (docs/webhooks.md).",
        responses=responses,
        tags=["webhooks"],
    )
    def get_secret(user: User) -> Response[WebhookSecret]:
        secret = secrets.current(user)
        telemetry.logger.info("webhook secret read")  # never the secret, nor the user
        return Response(200, content_types.APPLICATION_JSON, WebhookSecret.of(secret, secret.created_at), NO_STORE)

    @router.post(
        "/webhook-secret/rotate",
        summary="Rotate the user's webhook signing secret",
        description="Makes a new secret. Events go on being signed with the previous one too (a second signature in "
        "webhook-signature) until previousValidUntil, so receivers can switch without losing an event.",
        responses=responses,
        tags=["webhooks"],
    )
    def rotate_secret(user: User) -> Response[WebhookSecret]:
        secret = secrets.rotate(user)
        telemetry.logger.info("webhook secret rotated")
        return Response(200, content_types.APPLICATION_JSON, WebhookSecret.of(secret, secret.created_at), NO_STORE)

    return router
