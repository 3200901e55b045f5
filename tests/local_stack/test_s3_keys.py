"""The embedded S3's listings by prefix, read from its sorted keys (local_stack.s3_keys): the same answers as S3's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.s3 import EmbeddedS3, s3_client
from search_service.config import Settings

BUCKET = "listing-test"


@pytest.fixture(scope="module")
def listed() -> Iterator[Any]:
    embedded = EmbeddedS3()
    client = s3_client(embedded.start(), Settings())
    client.create_bucket(Bucket=BUCKET)
    for key in ("a/1", "a/2", "a/b/3", "ab/4", "b/5", "a/1"):  # a/1 twice: one object
        client.put_object(Bucket=BUCKET, Key=key, Body=b"{}")
    client.delete_object(Bucket=BUCKET, Key="a/2")
    try:
        yield client
    finally:
        embedded.stop()


def _listed(client: Any, prefix: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


@pytest.mark.parametrize(
    ("prefix", "keys"),
    [("a/", ["a/1", "a/b/3"]), ("a", ["a/1", "a/b/3", "ab/4"]), ("", ["a/1", "a/b/3", "ab/4", "b/5"]), ("c", [])],
)
def test_a_listing_by_prefix_has_exactly_the_keys_under_it_in_order(listed: Any, prefix: str, keys: list[str]) -> None:
    assert _listed(listed, prefix) == keys


def test_a_listing_by_prefix_pages_and_groups_by_delimiter_as_s3_does(listed: Any) -> None:
    grouped = listed.list_objects_v2(Bucket=BUCKET, Prefix="a/", Delimiter="/")
    assert [item["Key"] for item in grouped["Contents"]] == ["a/1"]
    assert grouped["CommonPrefixes"] == [{"Prefix": "a/b/"}]
    pages = listed.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="a", PaginationConfig={"PageSize": 1}
    )
    assert [item["Key"] for page in pages for item in page.get("Contents", [])] == ["a/1", "a/b/3", "ab/4"]
