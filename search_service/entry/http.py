"""What the HTTP functions (the start and results Lambdas) do with an invocation before their routes: refuse any
event but API Gateway's, and a body too large to read, then let the app's route answer. Both APIs reach the same
routes: the REST API's events (the skill's) through the REST resolver, the HTTP API's (browsers') through the HTTP
one, with the signed-in user bound first (search_service.api.signed_in)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search_service.api.errors import too_large
from search_service.entry.events import Kind, kind_of, refused
from search_service.observability import Handler, Telemetry

if TYPE_CHECKING:
    from search_service.wiring import Apps


def http_handler(apps: Apps, serves: str, telemetry: Telemetry) -> Handler:
    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        kind = kind_of(event)
        if kind is Kind.API_REQUEST:
            return too_large(event, telemetry) or apps.rest.resolve(event, context)
        if kind is Kind.HTTP_API_REQUEST:
            return too_large(event, telemetry) or _signed_in(apps, event, context)
        raise refused(event, serves, telemetry)

    return handler


def _signed_in(apps: Apps, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from search_service.api.signed_in import Refused, as_signed_in

    try:
        bound = as_signed_in(event)
    except Refused as refusal:
        return refusal.response
    return apps.http.resolve(bound, context)
