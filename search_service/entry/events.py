"""What kind of event reached a function. Each function serves one kind and refuses the others, rather than guess:
another function's event here means the template wires a Handler or an event source to the wrong function."""

from __future__ import annotations

from enum import Enum
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from search_service.observability import Telemetry


class Kind(Enum):
    API_REQUEST = "an API Gateway request"  # the REST API's, payload format 1.0 (the skill's, SigV4)
    HTTP_API_REQUEST = "an HTTP API request"  # the HTTP API's, payload format 2.0 (browsers', with a JWT)
    SQS_BATCH = "an SQS batch"
    WEBSOCKET = "a WebSocket API event"  # $connect, a message, $disconnect (search_service.entry.websocket)
    OTHER = "an event"  # the async run's, or one no function here serves


class WrongEvent(Exception):
    """Raised, not answered, so that nothing is lost quietly: API Gateway answers 502, an SQS batch goes back to its
    queue (and on to its dead-letter queue), an async event is retried and then recorded as lost."""


def kind_of(event: Any) -> Kind:
    if isinstance(event, dict) and "httpMethod" in event and "requestContext" in event:
        return Kind.API_REQUEST
    if (
        isinstance(event, dict)
        and event.get("version") == "2.0"
        and isinstance(event.get("requestContext"), dict)
        and "http" in event["requestContext"]
    ):
        return Kind.HTTP_API_REQUEST
    context = event.get("requestContext") if isinstance(event, dict) else None
    if isinstance(context, dict) and "connectionId" in context and "eventType" in context:
        return Kind.WEBSOCKET
    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        return Kind.SQS_BATCH
    return Kind.OTHER


def refused(event: Any, serves: str, telemetry: Telemetry) -> WrongEvent:
    """The error to raise for an event this function does not serve, logged and counted (EventRejected)."""
    found = kind_of(event)
    if found is Kind.API_REQUEST:
        what = f"{found.value} ({event.get('httpMethod')} {event.get('resource') or event.get('path')})"
    elif found is Kind.HTTP_API_REQUEST:
        what = f"{found.value} ({event.get('routeKey')})"
    elif found is Kind.WEBSOCKET:
        what = f"{found.value} ({event['requestContext'].get('routeKey')})"
    elif found is Kind.SQS_BATCH:
        what = f"{found.value} of {len(event['Records'])} records"
    else:
        what = f"an event with keys {sorted(event)[:10]}" if isinstance(event, dict) else f"a {type(event).__name__}"
    message = f"This function {serves}; it got {what}. Check its Handler and Events in infrastructure/template.yaml."
    telemetry.logger.error("wrong event", extra={"serves": serves, "got": what})
    telemetry.metrics.add_metric(name="EventRejected", unit=MetricUnit.Count, value=1)
    return WrongEvent(message)
