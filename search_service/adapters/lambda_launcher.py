"""Starting the search Lambda asynchronously in AWS."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from search_service.adapters.events import RunSearchEvent
from search_service.domain.errors import LaunchFailed


class LambdaLauncher:
    def __init__(self, client: Any, function_name: str) -> None:
        self._lambda = client
        self._function_name = function_name

    def launch(self, search_id: str) -> None:
        payload = RunSearchEvent(search_id=search_id).model_dump_json(by_alias=True)
        try:
            response = self._lambda.invoke(
                FunctionName=self._function_name, InvocationType="Event", Payload=payload.encode()
            )
        except ClientError as error:
            raise LaunchFailed(f"invoke failed: {error.response.get('Error', {}).get('Code')}") from error
        except BotoCoreError as error:
            raise LaunchFailed(f"invoke failed: {type(error).__name__}") from error
        if response.get("StatusCode") != 202:
            raise LaunchFailed(f"invoke answered {response.get('StatusCode')}")
