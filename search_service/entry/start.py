"""The start Lambda: POST /search validates, records the search as pending, launches it, answers 202."""

from __future__ import annotations

from search_service.config import Settings
from search_service.domain.ports import SearchLauncher
from search_service.entry.http import http_handler
from search_service.observability import Handler, Telemetry
from search_service.wiring import Services, aws_services, long_lived, search_launcher, start_app

SERVES = "serves POST /search from API Gateway"


def build_handler(services: Services, launcher: SearchLauncher) -> Handler:
    telemetry = Telemetry()
    return http_handler(start_app(services, launcher, telemetry), SERVES, telemetry)


def _from_environment() -> Handler:
    import botocore.session

    settings = Settings.from_env()
    session = botocore.session.get_session()
    return build_handler(aws_services(settings, session=session), search_launcher(settings, session))


lambda_handler = long_lived(_from_environment)
