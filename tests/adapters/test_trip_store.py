"""The store of users' last trips (skill.trip_store) on moto's S3 server, through the skill's own signed client: where
a record goes and under what name, what it holds, how long it counts, and what a record it cannot read or an S3
that fails does to it. The record's content is skill.last_trip's, tested through conversations
(tests/skill/test_returning_user.py)."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from skill.sigv4 import Credentials
from skill.trip_store import S3Objects, S3PersistenceAdapter, StoreUnavailable

from local_stack.s3 import S3Fault
from tests.builders import alexa
from tests.builders.moto_server import MotoS3
from tests.fakes.clock import FixedClock

NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
PREFIX = "results/trips/"
TRIP = {"trip": {"city": "Denver, CO", "token": "t" * 32, "searched": "Denver, CO|2026-11-28|2026-11-30"}}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def store(moto_s3: MotoS3, clock: FixedClock) -> S3PersistenceAdapter:
    objects = S3Objects(moto_s3.bucket, "us-east-1", lambda: Credentials("local", "local"), moto_s3.url)
    return S3PersistenceAdapter(objects, PREFIX, clock.now)


@pytest.fixture
def user() -> str:
    return f"amzn1.ask.account.{uuid.uuid4().hex.upper()}"  # the S3 server is the module's: a user per test


def envelope(user_id: str | None) -> RequestEnvelope:
    raw = alexa.launch(user_id=user_id or "")
    if user_id is None:
        del raw["context"]["System"]["user"], raw["session"]["user"]
    parsed = DefaultSerializer().deserialize(json.dumps(raw), RequestEnvelope)
    assert isinstance(parsed, RequestEnvelope)
    return parsed


def key_of(user_id: str) -> str:
    return PREFIX + hashlib.sha256(f"car-search-trip|{user_id}".encode()).hexdigest() + ".json"


def stored(moto_s3: MotoS3, user_id: str) -> Any:
    return json.loads(moto_s3.client.get_object(Bucket=moto_s3.bucket, Key=key_of(user_id))["Body"].read())


def test_what_is_saved_is_loaded_for_the_same_user(store: S3PersistenceAdapter, user: str) -> None:
    store.save_attributes(envelope(user), TRIP)
    assert store.get_attributes(envelope(user)) == TRIP


def test_a_user_with_nothing_saved_has_no_attributes(store: S3PersistenceAdapter, user: str) -> None:
    assert store.get_attributes(envelope(user)) == {}


def test_the_record_is_named_by_a_hash_of_the_user_id_and_holds_no_id(
    store: S3PersistenceAdapter, moto_s3: MotoS3, user: str
) -> None:
    store.save_attributes(envelope(user), TRIP)
    keys = [item["Key"] for item in moto_s3.client.list_objects_v2(Bucket=moto_s3.bucket)["Contents"]]
    assert key_of(user) in keys and not [key for key in keys if user in key]
    record = stored(moto_s3, user)
    assert record == {"version": 1, "savedAt": "2026-11-23T15:00:00Z", "attributes": TRIP}
    assert user not in json.dumps(record) and alexa.DEVICE_ID not in json.dumps(record)


def test_another_users_record_is_not_theirs(store: S3PersistenceAdapter, user: str) -> None:
    store.save_attributes(envelope(user), TRIP)
    assert store.get_attributes(envelope(user + "X")) == {}


def test_a_record_counts_for_a_day_as_the_buckets_lifecycle_rule_keeps_it(
    store: S3PersistenceAdapter, clock: FixedClock, user: str
) -> None:
    store.save_attributes(envelope(user), TRIP)
    clock.advance(hours=24)
    assert store.get_attributes(envelope(user)) == TRIP
    clock.advance(seconds=1)
    assert store.get_attributes(envelope(user)) == {}


def test_a_save_overwrites_and_a_delete_removes(store: S3PersistenceAdapter, moto_s3: MotoS3, user: str) -> None:
    store.save_attributes(envelope(user), TRIP)
    store.save_attributes(envelope(user), {"trip": {"city": "Boston, MA"}})
    assert store.get_attributes(envelope(user)) == {"trip": {"city": "Boston, MA"}}
    store.delete_attributes(envelope(user))
    assert store.get_attributes(envelope(user)) == {}
    store.delete_attributes(envelope(user))  # nothing left to delete: no error


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"version": 2, "savedAt": "2026-11-23T15:00:00Z", "attributes": {}}',
     b'{"version": 1, "attributes": {}}', b'{"version": 1, "savedAt": "2026-11-23T15:00:00", "attributes": {}}',
     b'{"version": 1, "savedAt": 1795446000, "attributes": {}}',
     b'{"version": 1, "savedAt": "2026-11-23T15:00:00Z", "attributes": [1]}',
     b'{"version": 1, "savedAt": "2026-11-23T15:00:00Z", "attributes": {"pad": "' + b"x" * 20_000 + b'"}}'],
    ids=["not-json", "a-list", "another-version", "no-date", "a-date-without-zone", "a-number-for-a-date",
         "attributes-not-an-object", "too-big"],
)  # fmt: skip
def test_a_record_that_cannot_be_read_counts_as_none_and_is_logged(
    store: S3PersistenceAdapter, moto_s3: MotoS3, user: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    moto_s3.client.put_object(Bucket=moto_s3.bucket, Key=key_of(user), Body=body)
    with caplog.at_level(logging.WARNING, logger="skill.trip_store"):
        assert store.get_attributes(envelope(user)) == {}
    assert [record.message for record in caplog.records] == ["ignored a kept record that cannot be read"]


def test_a_request_without_a_user_id_has_no_record_and_writes_none(
    store: S3PersistenceAdapter, moto_s3: MotoS3
) -> None:
    before = moto_s3.client.list_objects_v2(Bucket=moto_s3.bucket).get("KeyCount", 0)
    store.save_attributes(envelope(None), TRIP)
    assert store.get_attributes(envelope(None)) == {}
    assert moto_s3.client.list_objects_v2(Bucket=moto_s3.bucket).get("KeyCount", 0) == before


def test_access_denied_on_a_read_is_no_record(store: S3PersistenceAdapter, moto_s3: MotoS3, user: str) -> None:
    # The skill's role has no s3:ListBucket, so S3 answers a missing key with 403 AccessDenied, not 404.
    store.save_attributes(envelope(user), TRIP)
    with moto_s3.server.failing(S3Fault(403, "AccessDenied", "Access Denied", method="GET")):
        assert store.get_attributes(envelope(user)) == {}


@pytest.mark.parametrize("fault", [S3Fault(503, "SlowDown"), S3Fault(500), S3Fault(403, "AccessDenied", method="PUT")])
def test_s3_errors_raise_store_unavailable(
    store: S3PersistenceAdapter, moto_s3: MotoS3, user: str, fault: S3Fault
) -> None:
    calls = {"get": lambda: store.get_attributes(envelope(user)),
             "save": lambda: store.save_attributes(envelope(user), TRIP),
             "delete": lambda: store.delete_attributes(envelope(user))}  # fmt: skip
    with moto_s3.server.failing(fault):
        failed = []
        for name, call in calls.items():
            try:
                call()
            except StoreUnavailable:
                failed.append(name)
    assert failed == (["get", "save", "delete"] if fault.method is None else ["save"])


def test_s3_out_of_reach_raises_store_unavailable(store: S3PersistenceAdapter, moto_s3: MotoS3, user: str) -> None:
    with moto_s3.server.outage(), pytest.raises(StoreUnavailable, match="ConnectionRefusedError"):
        store.get_attributes(envelope(user))
    assert store.get_attributes(envelope(user)) == {}  # back, at once
