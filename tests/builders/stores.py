"""The two results caches that tests/contract holds to one suite, each with what a test does to its store behind
the cache's back: the in-memory fake, and S3ResultCache on moto's S3."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import EndpointConnectionError

from search_service.adapters.s3_cache import S3ResultCache
from search_service.domain.ports import ResultCache
from tests.fakes.cache import InMemoryResultCache

BUCKET = "car-search-results"
PREFIX = "results/"


@dataclass
class Store:
    """A cache under test, and its store. Records are named as below the cache's prefix (the S3 key's tail)."""

    cache: ResultCache
    go_down: Callable[[], None]  # from now on the store cannot be reached
    put_raw: Callable[[str, str], None]  # writes text where the cache keeps the record `name`
    read_raw: Callable[[], dict[str, str]]  # every record the store holds: name -> text
    close: Callable[[], None] = lambda: None


def in_memory_store() -> Store:
    fake = InMemoryResultCache()
    return Store(fake, lambda: setattr(fake, "down", True), fake.objects.__setitem__, lambda: dict(fake.objects))


def s3_store(s3: Any) -> Store:
    """`s3`: a client of moto's S3 with the bucket (the `s3` fixture)."""
    cache = S3ResultCache(s3, BUCKET, PREFIX)

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com")

    def put_raw(name: str, text: str) -> None:
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}{name}", Body=text.encode())

    def read_raw() -> dict[str, str]:
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX).get("Contents", [])]
        return {key[len(PREFIX) :]: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode() for key in keys}

    return Store(
        cache, lambda: s3.meta.events.register("before-parameter-build.s3", unreachable), put_raw, read_raw, cache.close
    )
