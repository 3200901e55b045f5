"""What every `ObjectStore` promises the trip store (skill.trip_store), run against the in-memory fake and against
`S3Objects`, the skill's signed HTTP client, on moto's S3 server: so the fake that the conversation tests rely on
cannot drift from S3, and the client's requests are ones S3 understands."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import pytest
from skill.sigv4 import Credentials
from skill.trip_store import ObjectStore, S3Objects, StoreUnavailable

from tests.builders.moto_server import MotoS3
from tests.fakes.objects import InMemoryObjects


@dataclass
class Store:
    objects: ObjectStore
    down: Callable[[], AbstractContextManager[None]]  # S3 cannot be reached while the block runs
    prefix: str  # each test's own keys: the S3 server is the module's


@pytest.fixture(params=["in_memory", "s3"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    prefix = f"results/trips/{uuid.uuid4().hex[:8]}-"
    if request.param == "in_memory":
        fake = InMemoryObjects()

        @contextmanager
        def down() -> Iterator[None]:
            fake.down = True
            try:
                yield
            finally:
                fake.down = False

        yield Store(fake, down, prefix)
        return
    moto: MotoS3 = request.getfixturevalue("moto_s3")
    objects = S3Objects(moto.bucket, "us-east-1", lambda: Credentials("local", "local"), moto.url)
    yield Store(objects, moto.server.outage, prefix)


def test_a_key_never_written_is_none(store: Store) -> None:
    assert store.objects.get(store.prefix + "nothing.json") is None


def test_what_is_put_is_got_whole_and_a_second_put_replaces_it(store: Store) -> None:
    key = store.prefix + "record.json"
    store.objects.put(key, b'{"first": true}')
    assert store.objects.get(key) == b'{"first": true}'
    store.objects.put(key, b'{"second": true}')
    assert store.objects.get(key) == b'{"second": true}'


@pytest.mark.parametrize(
    "name", ["a b.json", "plus+equals=.json", "dollar$file.text", "caf\u00e9.json", "~tilde_-.json"]
)
def test_keys_with_characters_that_need_encoding_are_stored_under_their_own_name(store: Store, name: str) -> None:
    store.objects.put(store.prefix + name, name.encode())
    assert store.objects.get(store.prefix + name) == name.encode()


def test_delete_removes_and_deleting_a_missing_key_is_no_error(store: Store) -> None:
    key = store.prefix + "gone.json"
    store.objects.put(key, b"{}")
    store.objects.delete(key)
    assert store.objects.get(key) is None
    store.objects.delete(key)


def test_an_unreachable_store_raises_store_unavailable_for_every_call(store: Store) -> None:
    key = store.prefix + "kept.json"
    store.objects.put(key, b"{}")
    with store.down():
        for call in (lambda: store.objects.get(key), lambda: store.objects.put(key, b"{}"),
                     lambda: store.objects.delete(key)):  # fmt: skip
            with pytest.raises(StoreUnavailable):
                call()
    assert store.objects.get(key) == b"{}"  # and it is back afterwards, with what it held
