"""Handing a search to the search Lambda through the search queue (the template's Handover: queue): the start
Lambda sends one message, and the search Lambda's SQS event source pulls it when one of its MaximumConcurrency
executions is free. The message is the async invoke's event, so the search Lambda reads both alike."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from search_service.adapters.events import RunSearchEvent
from search_service.domain.errors import LaunchFailed


class SqsLauncher:
    def __init__(self, client: Any, queue_url: str) -> None:
        """`client`: botocore's SQS client, or anything with its `send_message` (the local stack's queue)."""
        self._sqs = client
        self._queue_url = queue_url

    def launch(self, search_id: str) -> None:
        body = RunSearchEvent(search_id=search_id).model_dump_json(by_alias=True)
        try:
            response = self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=body)
        except ClientError as error:
            raise LaunchFailed(f"send failed: {error.response.get('Error', {}).get('Code')}") from error
        except BotoCoreError as error:
            raise LaunchFailed(f"send failed: {type(error).__name__}") from error
        if not response.get("MessageId"):
            raise LaunchFailed("the queue answered without a message id")
