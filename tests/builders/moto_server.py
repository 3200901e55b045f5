"""moto's S3 as a server on 127.0.0.1 (the local stack's EmbeddedS3), for what reaches S3 without botocore: the
skill's own S3 client (skill.trip_store.S3Objects) cannot be caught by moto's in-process mock_aws."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from local_stack.s3 import EmbeddedS3, s3_client
from search_service.config import Settings

BUCKET = "car-search-results"


@dataclass(frozen=True)
class MotoS3:
    server: EmbeddedS3  # its outage() and failing(S3Fault) make S3 fail
    url: str
    client: Any  # boto3, to look at the bucket behind the skill's back
    bucket: str = BUCKET


@contextmanager
def moto_s3_server() -> Iterator[MotoS3]:
    server = EmbeddedS3()
    try:
        url = server.start()
        client = s3_client(url, Settings())
        client.create_bucket(Bucket=BUCKET)
        yield MotoS3(server, url, client)
    finally:
        server.stop()
