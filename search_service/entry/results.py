"""The results function: GET /search, read from the results cache while a person waits for the answer.

A function of its own, outside the run function's reserved concurrency: a burst of 12-second search runs can no
longer take every execution and leave the GETs throttled (issue 17, item 3)."""

from __future__ import annotations

from search_service.config import Settings
from search_service.entry.http import http_handler
from search_service.observability import Handler, Telemetry
from search_service.wiring import Services, aws_services, long_lived, search_app

SERVES = "serves GET /search from API Gateway"


def build_handler(services: Services) -> Handler:
    telemetry = Telemetry()
    return http_handler(search_app(services, telemetry), SERVES, telemetry)


lambda_handler = long_lived(lambda: build_handler(aws_services(Settings.from_env())))
