"""The start Lambda: POST /search validates, records the search as pending, launches it, answers 202."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from search_service.api.errors import too_large
from search_service.config import Settings
from search_service.domain.ports import SearchLauncher
from search_service.observability import Telemetry
from search_service.wiring import Services, aws_services, boto3_client, long_lived, start_app

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def build_handler(services: Services, launcher: SearchLauncher) -> Handler:
    telemetry = Telemetry()
    app = start_app(services, launcher, telemetry)

    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return too_large(event, telemetry) or app.resolve(event, context)

    return handler


def _from_environment() -> Handler:
    import botocore.session

    from search_service.adapters.lambda_launcher import LambdaLauncher

    settings = Settings.from_env()
    session = botocore.session.get_session()
    launcher = LambdaLauncher(boto3_client("lambda", settings, session=session), settings.search_function_name)
    return build_handler(aws_services(settings, session=session), launcher)


lambda_handler = long_lived(_from_environment)
