"""The WebSocket API's routes (docs/websocket.md): $connect (after the authorizer, search_service.entry.ws_authorizer,
let the connection in), `subscribe` ({"action": "subscribe", "token": <search token>}), any other message
($default), and $disconnect. The user is the authorizer's principal (the token's subject), which API Gateway hands
to every route of the connection. A subscribe's answer goes back on the connection as the route's response; the
events that follow are posted by the run (domain.push)."""

from __future__ import annotations

import json
from typing import Any

from search_service.config import Settings
from search_service.domain.errors import CacheUnavailable, SearchExpired, SearchNotFound
from search_service.domain.push import ERROR, message
from search_service.domain.subscribe import Subscribe
from search_service.entry.events import Kind, kind_of, refused
from search_service.observability import Handler, Telemetry
from search_service.wiring import Services, aws_services, long_lived

SERVES = "serves the WebSocket API's $connect, subscribe, $default and $disconnect routes"
SUBSCRIBE = "subscribe"
MAX_MESSAGE_BYTES = 4096
# The same words as GET /search's answers for the same cases (search_service.api.errors).
NOT_FOUND = "No search matches this token and user. Start a new search with POST /search."
EXPIRED = "These results are too old and prices may have changed. Start a new search with POST /search."
UNAVAILABLE = "The search could not be read just now. Subscribe again in a moment."
HOW = 'Send {"action": "subscribe", "token": "<the search token POST /search answered>"}.'


def build_handler(services: Services) -> Handler:
    from search_service.domain.results import GetResults

    telemetry = Telemetry()
    subscribers = services.subscribers
    if subscribers is None:
        raise ValueError("the WebSocket routes need the subscriptions' store (Services.subscribers)")
    subscribe = Subscribe(GetResults(services.cache, services.clock, services.settings.policy()), subscribers,
                          services.clock)  # fmt: skip

    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if kind_of(event) is not Kind.WEBSOCKET:
            raise refused(event, SERVES, telemetry)
        request = event["requestContext"]
        connection, route = request["connectionId"], request.get("routeKey")
        if route == "$connect":
            return {"statusCode": 200}
        if route == "$disconnect":
            subscribers.disconnect(connection)  # raises CacheUnavailable: logged; the lifecycle rule is the backstop
            return {"statusCode": 200}
        user = (request.get("authorizer") or {}).get("principalId")
        token = _token(event.get("body"))
        if route != SUBSCRIBE or token is None:
            return _reply(ERROR, {"message": HOW})
        if not isinstance(user, str) or not user:
            raise ValueError("no authorizer principal: the $connect route must have the authorizer")
        try:
            subscription = subscribe(connection, token, user)
        except SearchNotFound:
            return _reply(ERROR, {"message": NOT_FOUND, "token": token})
        except SearchExpired:
            return _reply(ERROR, {"message": EXPIRED, "token": token})
        except CacheUnavailable:
            return _reply(ERROR, {"message": UNAVAILABLE, "token": token})
        telemetry.correlate(subscription.view.job.search_id)
        telemetry.logger.info("subscribed", extra={"status": subscription.view.status})
        return {"statusCode": 200, "body": subscription.frame().decode()}

    return handler


def _token(body: Any) -> str | None:
    if not isinstance(body, str) or len(body) > MAX_MESSAGE_BYTES:
        return None
    try:
        sent = json.loads(body)
    except (ValueError, RecursionError):  # nesting deeper than the parser recurses, within the size limit
        return None
    token = sent.get("token") if isinstance(sent, dict) else None
    return token if isinstance(token, str) and token.strip() else None


def _reply(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "body": message(kind, data).decode()}


def _build() -> Handler:
    return build_handler(aws_services(Settings.from_env()))


lambda_handler = long_lived(_build)
