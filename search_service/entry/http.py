"""What the HTTP functions (the start and results Lambdas) do with an invocation before their routes: refuse any
event but API Gateway's, and a body too large to read, then let the app's route answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search_service.api.errors import too_large
from search_service.entry.events import Kind, kind_of, refused
from search_service.observability import Handler, Telemetry

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


def http_handler(app: APIGatewayRestResolver, serves: str, telemetry: Telemetry) -> Handler:
    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if kind_of(event) is not Kind.API_REQUEST:
            raise refused(event, serves, telemetry)
        return too_large(event, telemetry) or app.resolve(event, context)

    return handler
