"""POST /search: the start Lambda's one route."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, APIGatewayProxyEventV2

from search_service.api.models import CallbackStatus, ErrorBody, StartAccepted, StartBody, documented, summarise
from search_service.domain.cities import CityCatalog
from search_service.domain.start import StartRequest, StartSearch
from search_service.observability import Telemetry

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Send the same key again (same user) to get the same token instead of a second search",
    ),
]


def start_routes(
    start: StartSearch, catalog: CityCatalog, max_age_s: int, retry_after_s: int, telemetry: Telemetry
) -> Router:
    router = Router()

    @router.post(
        "/search",
        summary="Start a car search",
        description="Validates the trip, starts the search in the background and answers at once with a token.",
        responses={
            202: documented(
                StartAccepted,
                "Search started (or replayed for the same Idempotency-Key)",
                "Location",
                "Retry-After",
                "Idempotent-Replayed",
            ),
            400: documented(ErrorBody, "A field is missing or invalid; each error says what to change"),
            413: documented(ErrorBody, "Body too large"),
            415: documented(ErrorBody, "The body is not sent as JSON (Content-Type: application/json)"),
            422: documented(ErrorBody, "Idempotency-Key reused for a different search"),
            503: documented(
                ErrorBody, "The search could not be started; retry after Retry-After seconds", "Retry-After"
            ),
        },
        tags=["search"],
    )
    def start_search(
        body: Annotated[StartBody, Body()], idempotency_key: IdempotencyKey = None
    ) -> Response[StartAccepted]:
        # Where to GET, without the token and the user: a Location header is logged and traced where a header
        # the client sends is not (search_routes.TOKEN_HEADER).
        poll = _path(router.current_event)
        request = StartRequest(
            city=body.city,
            pickup_date=body.pickup_date,
            return_date=body.return_date,
            user=body.user,
            callback_url=body.callback_url,
            callback_events=body.callback_events,
            poll=poll,
        )
        started = start(request, idempotency_key)
        telemetry.correlate(started.job.search_id)
        telemetry.logger.info(
            "search accepted",
            extra={
                "city": started.job.query.city_id,
                "days": started.job.query.days,
                "replayed": started.replayed,
                "callback": started.job.callback is not None,
            },
        )
        telemetry.metrics.add_metric(
            name="SearchReplayed" if started.replayed else "SearchStarted", unit=MetricUnit.Count, value=1
        )
        callback = started.job.callback
        accepted = StartAccepted(
            token=started.token,
            search=summarise(started.job, catalog, max_age_s),
            poll=poll,
            retry_after_seconds=retry_after_s,
            search_id=started.job.search_id,
            callback=CallbackStatus.of(callback) if callback is not None else None,
        )
        headers = {"Location": poll, "Retry-After": str(retry_after_s)}
        if started.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(202, content_types.APPLICATION_JSON, accepted, headers=headers)

    return router


def _path(event: object) -> str:
    """The path the client called: the REST API's with its stage (/beta/search), the HTTP API's as sent (its $default
    stage has none in the URL)."""
    if isinstance(event, APIGatewayProxyEvent):
        return event.request_context.path or event.path
    assert isinstance(event, APIGatewayProxyEventV2)  # the only other resolver the Lambdas build
    return event.raw_path
