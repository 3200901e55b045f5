"""The WebSocket API's events as API Gateway sends them to the route function (and the local stack's stand-in does),
and a channel whose every connection has gone."""

from __future__ import annotations

import json
from typing import Any

from search_service.domain.ports import ConnectionGone


def websocket_event(
    route: str, connection: str, user: str | None, body: dict[str, Any] | str | None = None
) -> dict[str, Any]:
    kinds = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}
    context: dict[str, Any] = {"routeKey": route, "eventType": kinds.get(route, "MESSAGE"), "connectionId": connection,
                               "stage": "push", "apiId": "abc123", "requestTimeEpoch": 0}  # fmt: skip
    if user is not None:
        context["authorizer"] = {"principalId": user}
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


class GoneChannel:
    """API Gateway's answer to a post to a connection that has closed: GoneException, for every connection."""

    def __init__(self) -> None:
        self.tried: list[str] = []

    def post(self, connection_id: str, message: bytes) -> None:
        self.tried.append(connection_id)
        raise ConnectionGone(connection_id)
