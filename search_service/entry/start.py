"""The start Lambda: POST /search validates, records the search as pending, launches it, answers 202."""

from __future__ import annotations

from search_service.config import Settings
from search_service.domain.ports import SearchLauncher
from search_service.entry.http import http_handler
from search_service.observability import Handler, Telemetry
from search_service.wiring import Services, aws_services, boto3_client, long_lived, start_app

SERVES = "serves POST /search from API Gateway"


def build_handler(services: Services, launcher: SearchLauncher) -> Handler:
    telemetry = Telemetry()
    return http_handler(start_app(services, launcher, telemetry), SERVES, telemetry)


def _from_environment() -> Handler:
    import botocore.session

    from search_service.adapters.lambda_launcher import LambdaLauncher

    settings = Settings.from_env()
    session = botocore.session.get_session()
    launcher = LambdaLauncher(boto3_client("lambda", settings, session=session), settings.search_function_name)
    return build_handler(aws_services(settings, session=session), launcher)


lambda_handler = long_lived(_from_environment)
