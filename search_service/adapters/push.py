"""The WebSocket API's adapters: the subscriptions in the results bucket (S3Subscribers) and API Gateway's management
API (ManagementApiChannel), which posts to a connection.

Subscriptions in S3 rather than DynamoDB: they are written once per subscribe and read once per event by the run,
by prefix (the search's subscribers) in the bucket every function here already uses, and they expire with the
search by its lifecycle rule, a day later. A table would add a resource, its IAM and a second store to the local
stack for no query S3 cannot answer: nothing here needs a secondary index or an update in place. Each subscription is
written under both its search and its connection, so $disconnect finds a connection's searches by listing its own
prefix. Connection ids are percent-encoded in the keys: API Gateway's are base64 and may hold a '/'."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from botocore.exceptions import BotoCoreError, ClientError

from search_service.adapters.s3_cache import JSON, _code, _describe
from search_service.adapters.stored import FORMAT_VERSION, StoredSubscription, dump
from search_service.domain.errors import CacheUnavailable
from search_service.domain.ports import ConnectionGone, DeliveryFailed

log = logging.getLogger(__name__)

GONE = {"GoneException", "410"}


class S3Subscribers:
    def __init__(self, client: Any, bucket: str, prefix: str = "results/") -> None:
        self._s3 = client
        self._bucket = bucket
        self._prefix = prefix

    def subscribe(self, search_id: str, connection_id: str, at: datetime) -> None:
        stored = StoredSubscription(
            format_version=FORMAT_VERSION, search_id=search_id, connection_id=connection_id, subscribed_at=at
        )
        # By connection first: a connection that disconnects between the two PUTs leaves no subscriber unfound.
        for key in (self._by_connection(connection_id, search_id), self._by_search(search_id, connection_id)):
            self._call("put_object", Key=key, Body=dump(stored), ContentType=JSON)

    def subscribers(self, search_id: str) -> list[str]:
        return self._names(f"{self._prefix}{search_id}/subscribers/")

    def unsubscribe(self, search_id: str, connection_id: str) -> None:
        self._call("delete_object", Key=self._by_search(search_id, connection_id))
        self._call("delete_object", Key=self._by_connection(connection_id, search_id))

    def disconnect(self, connection_id: str) -> None:
        for search_id in self._names(f"{self._prefix}connections/{_encoded(connection_id)}/"):
            self.unsubscribe(search_id, connection_id)

    def _by_search(self, search_id: str, connection_id: str) -> str:
        return f"{self._prefix}{search_id}/subscribers/{_encoded(connection_id)}.json"

    def _by_connection(self, connection_id: str, search_id: str) -> str:
        return f"{self._prefix}connections/{_encoded(connection_id)}/{search_id}.json"

    def _names(self, prefix: str) -> list[str]:
        """The names under `prefix`, decoded, without .json."""
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as error:
            raise CacheUnavailable(_describe(error)) from error
        return [unquote(key[len(prefix) :].removesuffix(".json")) for key in keys]

    def _call(self, operation: str, **arguments: Any) -> None:
        try:
            getattr(self._s3, operation)(Bucket=self._bucket, **arguments)
        except (ClientError, BotoCoreError) as error:
            raise CacheUnavailable(_describe(error)) from error


def _encoded(connection_id: str) -> str:
    return quote(connection_id, safe="")


class ManagementApiChannel:
    """post_to_connection on the WebSocket API's stage (its https://{api}.execute-api.{region}.amazonaws.com/{stage}
    URL; the local stack's stand-in at http://127.0.0.1:{port}). The client is made at the first post: a run with no
    subscriber never loads the management API's service model (see docs/websocket.md for the import times)."""

    def __init__(self, client: Callable[[], Any]) -> None:
        self._make = client
        self._client: Any = None

    def post(self, connection_id: str, message: bytes) -> None:
        if self._client is None:
            self._client = self._make()
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=message)
        except ClientError as error:
            if _code(error) in GONE or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 410:
                raise ConnectionGone(connection_id) from error
            raise DeliveryFailed(f"API Gateway answered {_code(error)}") from error
        except BotoCoreError as error:
            raise DeliveryFailed(f"API Gateway could not be reached ({type(error).__name__})") from error
