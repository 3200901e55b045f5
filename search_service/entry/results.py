"""The results function: GET /search, read from the results cache while a person waits for the answer.

A function of its own, outside the run function's reserved concurrency: a burst of 12-second search runs can no
longer take every execution and leave the GETs throttled (issue 17, item 3)."""

from __future__ import annotations

from search_service.config import Settings
from search_service.domain.ports import CallbackQueue
from search_service.entry.http import http_handler
from search_service.observability import Handler, Telemetry
from search_service.wiring import Services, aws_services, callback_queue, long_lived, search_app

SERVES = "serves GET /search and DELETE /search from API Gateway"


def build_handler(services: Services, callbacks: CallbackQueue | None = None) -> Handler:
    """`callbacks`: where a cancel's search.cancelled event goes, for the searches that asked for callbacks."""
    telemetry = Telemetry()
    return http_handler(search_app(services, telemetry, callbacks), SERVES, telemetry)


def _build() -> Handler:
    settings = Settings.from_env()
    return build_handler(aws_services(settings), callback_queue(settings))


lambda_handler = long_lived(_build)
