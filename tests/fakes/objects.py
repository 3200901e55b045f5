"""An in-memory `ObjectStore` (skill.trip_store), for conversations that keep a trip between sessions without S3;
tests/contract/test_object_store.py holds it to `S3Objects` on moto."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skill.trip_store import StoreUnavailable

if TYPE_CHECKING:
    from skill.trip_store import ObjectStore


class InMemoryObjects:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.down = False  # every call fails, as when S3 cannot be reached
        self.calls: list[tuple[str, str]] = []  # (method, key), in order

    def get(self, key: str) -> bytes | None:
        self._call("GET", key)
        return self.objects.get(key)

    def put(self, key: str, body: bytes) -> None:
        self._call("PUT", key)
        self.objects[key] = body

    def delete(self, key: str) -> None:
        self._call("DELETE", key)
        self.objects.pop(key, None)

    def _call(self, method: str, key: str) -> None:
        self.calls.append((method, key))
        if self.down:
            raise StoreUnavailable(f"{method} failed: ConnectionRefusedError")


if TYPE_CHECKING:
    _port: ObjectStore = InMemoryObjects()
