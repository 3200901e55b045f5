"""Every error the API can answer, mapped from its exception once, with a message a person can act on."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.metrics import MetricUnit

from search_service.api.models import ErrorBody, Problem
from search_service.domain.errors import (
    CacheUnavailable,
    IdempotencyConflict,
    InvalidRequest,
    LaunchFailed,
    SearchExpired,
    SearchFinished,
    SearchNotFound,
)
from search_service.observability import Telemetry

MAX_BODY_BYTES = 16 * 1024
START_FIELDS = "city, pickupDate, returnDate and user"
NOT_JSON = "The request body must be JSON, sent with Content-Type: application/json."
RETRY_AFTER_UNAVAILABLE_S = 5


def error_response(
    status: HTTPStatus, message: str, problems: list[Problem] | None = None, headers: dict[str, str] | None = None
) -> Response[Any]:  # an ErrorBody as JSON, by alias: Powertools' encoder would dump the model by field name
    body = ErrorBody(message=message, errors=problems or []).model_dump(mode="json", by_alias=True)
    return Response(status.value, content_types.APPLICATION_JSON, body, headers=headers)


def too_large(event: dict[str, Any], telemetry: Telemetry) -> dict[str, Any] | None:
    """API Gateway takes bodies up to 10 MB; ours are a few hundred bytes, so refuse big ones unread."""
    size = len((event.get("body") or "").encode())
    if size <= MAX_BODY_BYTES:
        return None
    message = f"The request body is {size} bytes; the limit is {MAX_BODY_BYTES}."
    telemetry.metrics.add_metric(name="RequestRejected", unit=MetricUnit.Count, value=1)
    return {
        "statusCode": 413,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": ErrorBody(message=message).model_dump_json(by_alias=True),
        "isBase64Encoded": False,
    }


def register_error_handlers(app: ApiGatewayResolver, telemetry: Telemetry) -> None:
    metrics = telemetry.metrics

    @app.exception_handler(RequestValidationError)
    def invalid_shape(error: RequestValidationError) -> Response[ErrorBody]:
        problems = [_problem(item) for item in error.errors()]
        metrics.add_metric(name="RequestRejected", unit=MetricUnit.Count, value=1)
        return error_response(HTTPStatus.BAD_REQUEST, _summary(problems), problems)

    # Powertools reads a body by its Content-Type: one it cannot read gets its own 415 without a message, and
    # multipart/form-data without a boundary escapes as a ValueError (a 502 from API Gateway). Both get a 415
    # that says what to send; any other ValueError stays a bug and is raised again.
    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_content_type(_: RequestUnsupportedContentType) -> Response[ErrorBody]:
        metrics.add_metric(name="RequestRejected", unit=MetricUnit.Count, value=1)
        return error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, NOT_JSON)

    @app.exception_handler(ValueError)
    def unreadable_multipart(error: ValueError) -> Response[ErrorBody]:
        content_type = (app.current_event.headers.get("content-type") or "").strip().lower()
        if not content_type.startswith("multipart/"):
            raise error
        metrics.add_metric(name="RequestRejected", unit=MetricUnit.Count, value=1)
        return error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, NOT_JSON)

    # json.loads gives up on JSON nested deeper than Python's recursion limit (a thousand levels fit in 2 KB) with
    # a RecursionError, not the JSONDecodeError Powertools answers with a 400. Any other RecursionError is a bug.
    @app.exception_handler(RecursionError)
    def nested_too_deeply(error: RecursionError) -> Response[ErrorBody]:
        if "JSON" not in str(error):
            raise error
        problem = Problem(
            field="body", code="json_invalid", message="The request body is not valid JSON: it nests too deeply."
        )
        metrics.add_metric(name="RequestRejected", unit=MetricUnit.Count, value=1)
        return error_response(HTTPStatus.BAD_REQUEST, problem.message, [problem])

    @app.exception_handler(InvalidRequest)
    def invalid_values(error: InvalidRequest) -> Response[ErrorBody]:
        problems = [Problem(field=p.field, code=p.code, message=p.message, details=p.details) for p in error.problems]
        metrics.add_metric(name="RequestRejected", unit=MetricUnit.Count, value=1)
        return error_response(HTTPStatus.BAD_REQUEST, _summary(problems), problems)

    @app.exception_handler(SearchNotFound)
    def not_found(_: SearchNotFound) -> Response[ErrorBody]:
        metrics.add_metric(name="SearchNotFound", unit=MetricUnit.Count, value=1)
        return error_response(
            HTTPStatus.NOT_FOUND,
            "No search matches this token and user. Start a new search with POST /search.",
        )

    @app.exception_handler(SearchExpired)
    def expired(error: SearchExpired) -> Response[ErrorBody]:
        minutes = round(error.max_age_s / 60)
        metrics.add_metric(name="SearchExpired", unit=MetricUnit.Count, value=1)
        return error_response(
            HTTPStatus.GONE,
            f"These results are more than {minutes} minutes old and prices may have changed. "
            "Start a new search with POST /search.",
        )

    @app.exception_handler(IdempotencyConflict)
    def conflict(_: IdempotencyConflict) -> Response[ErrorBody]:
        metrics.add_metric(name="RequestRejected", unit=MetricUnit.Count, value=1)
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "This Idempotency-Key was already used for a different search. Use a new key for a new search.",
            [Problem(field="Idempotency-Key", code="reused_key", message="Already used for another search.")],
        )

    @app.exception_handler(SearchFinished)
    def finished(error: SearchFinished) -> Response[ErrorBody]:
        metrics.add_metric(name="RequestRejected", unit=MetricUnit.Count, value=1)
        return error_response(
            HTTPStatus.CONFLICT,
            f"The search is already {error.status}: there is nothing left to cancel. Its results can still be read "
            "with GET /search.",
            [Problem(field="status", code=f"already_{error.status}", message=f"The search is {error.status}.")],
        )

    @app.exception_handler(LaunchFailed)
    def not_started(error: LaunchFailed) -> Response[ErrorBody]:
        return _unavailable(telemetry, error, "SearchFailed", "The search could not be started.")

    @app.exception_handler(CacheUnavailable)
    def store_down(error: CacheUnavailable) -> Response[ErrorBody]:
        return _unavailable(
            telemetry, error, "StoreUnavailable", "The search service cannot reach its results store right now."
        )


def _unavailable(telemetry: Telemetry, error: Exception, metric: str, message: str) -> Response[ErrorBody]:
    """Something behind the API failed: the client may retry, the operator gets a log line and a metric."""
    telemetry.logger.error(message, extra={"reason": str(error)})
    telemetry.metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    return error_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        f"{message} Please try again in a few seconds.",
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)},
    )


def _summary(problems: list[Problem]) -> str:
    if len(problems) == 1:
        return problems[0].message
    return f"The request has {len(problems)} problems: " + " ".join(p.message for p in problems)


def _problem(item: dict[str, Any]) -> Problem:
    """Turns one pydantic error into a sentence about the public field name."""
    loc = [str(part) for part in item.get("loc", ())]
    where = loc[0] if loc else ""
    field = loc[1] if len(loc) > 1 and where in ("query", "header", "body") else (where or "request")
    if where == "header":
        field = "-".join(word.capitalize() for word in field.split("-"))  # Powertools lowercases header names
    if where == "body" and len(loc) > 1 and loc[1].isdigit():
        field = "body"  # a JSON decode error carries the character position here
    kind = str(item.get("type", ""))
    ctx = item.get("ctx") or {}
    messages = {
        "missing": f"{field} is required.",
        "json_invalid": "The request body is not valid JSON.",
        "model_attributes_type": f"The request body must be a JSON object with {START_FIELDS}.",
        "dict_type": f"The request body must be a JSON object with {START_FIELDS}.",
        "extra_forbidden": f"{field} is not a field of this request; the fields are {START_FIELDS}"
        ", and optionally callbackUrl and callbackEvents.",
        "string_type": f"{field} must be text.",
        "string_too_short": f"{field} must not be empty.",
        "string_too_long": f"{field} must be at most {ctx.get('max_length')} characters.",
        "string_pattern_mismatch": f"{field} is not in the expected form.",
        "int_parsing": f"{field} must be a whole number.",
        "float_parsing": f"{field} must be a number.",
        "greater_than_equal": f"{field} must be at least {ctx.get('ge')}.",
        "less_than_equal": f"{field} must be at most {ctx.get('le')}.",
        "value_error": f"{field} {ctx.get('error', 'is not valid')}.",
    }
    if field == "body" and kind == "missing":
        messages["missing"] = f"A JSON body with {START_FIELDS} is required."
    message = messages.get(kind, f"{field}: {item.get('msg', 'is not valid')}.")
    return Problem(field=field, code=kind or "invalid", message=message)
