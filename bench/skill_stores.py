"""The skill's Lambda with the two ways of keeping a user's last trip that were not chosen, for bench/cold_start.py to
weigh against the one that was (lambda_function.py with skill.trip_store.S3Objects: SigV4 with the standard library).
docs/persistence.md has the figures.

BENCH_STORE picks the objects under the same adapter (skill.trip_store.S3PersistenceAdapter):
- `boto3`: (a) an S3 client of boto3, imported and created at the first call, not with the Lambda;
- `service`: (c) a record the search service would keep for the pseudonymous user, read and written over HTTP to it
  (BENCH_SERVICE_URL) as the skill's search client talks to it: what that costs the skill, not the service.
Importing this module builds the skill as lambda_function.py does, and exports `lambda_handler`.
"""

from __future__ import annotations

import gc

gc.disable()  # as lambda_function.py does around its imports, so that the figures compare

import os  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

from skill.builder import build_skill  # noqa: E402
from skill.config import SkillSettings  # noqa: E402
from skill.http_connection import KeptAliveConnection, Unreachable  # noqa: E402
from skill.search_client import SearchClient  # noqa: E402
from skill.sigv4 import lambda_credentials  # noqa: E402
from skill.trip_store import ObjectStore, S3PersistenceAdapter, StoreUnavailable  # noqa: E402


class Boto3Objects:
    """(a) boto3's S3 client, with the skill store's timeouts and no retries, made at the first call."""

    def __init__(self, bucket: str, region: str, endpoint_url: str | None) -> None:
        self._bucket, self._region, self._endpoint_url = bucket, region, endpoint_url
        self._client: Any = None

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            body: bytes = self._s3().get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404", "AccessDenied"):
                return None
            raise StoreUnavailable(str(error)) from error
        return body

    def put(self, key: str, body: bytes) -> None:
        self._s3().put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")

    def delete(self, key: str) -> None:
        self._s3().delete_object(Bucket=self._bucket, Key=key)

    def _s3(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(connect_timeout=0.5, read_timeout=1.0, retries={"total_max_attempts": 1})
            self._client = boto3.client("s3", region_name=self._region, endpoint_url=self._endpoint_url, config=config)
        return self._client


class ServiceRecords:
    """(c) GET and PUT of /users/<key> at the search API: a route it would need (the bench's stand-in for it takes
    requests unsigned)."""

    def __init__(self, url: str) -> None:
        address = urlsplit(url.rstrip("/"))
        self._http = KeptAliveConnection(address.scheme, address.hostname or "", address.port, 0.5, 1.0)
        self._path = address.path
        self._headers = {"Content-Type": "application/json"}

    def get(self, key: str) -> bytes | None:
        status, body = self._call("GET", key)
        return body if status == 200 else None

    def put(self, key: str, body: bytes) -> None:
        self._call("PUT", key, body)

    def delete(self, key: str) -> None:
        self._call("DELETE", key)

    def _call(self, method: str, key: str, body: bytes | None = None) -> tuple[int, bytes]:
        try:
            return self._http.request(method, f"{self._path}/users/{key.rsplit('/', 1)[-1]}", body, self._headers)
        except Unreachable as error:
            raise StoreUnavailable(str(error)) from error


settings = SkillSettings.from_env()
objects: ObjectStore
if os.environ.get("BENCH_STORE") == "service":
    objects = ServiceRecords(os.environ["BENCH_SERVICE_URL"])
else:
    objects = Boto3Objects(settings.results_bucket or "", settings.region, settings.s3_endpoint_url)
search = SearchClient(
    settings.search_api_url, lambda_credentials, settings.region, settings.connect_timeout_s, settings.read_timeout_s
)
store = S3PersistenceAdapter(objects, settings.trips_prefix)
lambda_handler = build_skill(search, settings, store=store).lambda_handler()

gc.enable()
gc.freeze()
