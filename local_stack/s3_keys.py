"""The embedded S3's objects kept in key order, so that a listing by prefix reads only the keys under it.

moto keeps a bucket's objects in a dict and answers a listing by copying that dict and testing every key against the
prefix. Each search leaves about 20 objects, and the search Lambda lists a search's supplier answers on every run:
with 5,000 searches' objects (100,000) one listing took 70 ms of moto's time, and the embedded S3 answers one request
at a time, so under load the requests queued behind the listings ("can't reach" in the skill). Here a bucket's keys
are also kept sorted, and a listing reads the keys from the prefix's place in that order, as S3 itself does.

Used in the embedded S3's child process only (local_stack.s3), before any bucket exists: `install()`.
"""

from __future__ import annotations

import bisect
import functools
import inspect
from collections.abc import Iterator
from typing import Any

from moto.s3 import models
from moto.s3.utils import _VersionedKeyStore


class SortedKeys(_VersionedKeyStore):
    """moto's store of a bucket's objects (name -> versions), with the names also in a sorted list. moto changes the
    store through these methods only (moto 5: put, copy, delete, delete markers)."""

    def __init__(self) -> None:
        super().__init__()
        self._names: list[str] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self._add(key)
        super().__setitem__(key, value)

    def setlist(self, key: Any, list_: Any) -> None:
        self._add(key)
        super().setlist(key, list_)

    def pop(self, key: str) -> None:  # type: ignore[override]  # moto's signature: no default
        super().pop(key)
        self._remove(key)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._remove(key)

    def clear(self) -> None:
        super().clear()
        self._names.clear()

    def names_under(self, prefix: str) -> Iterator[str]:
        """The names that start with `prefix`, in order: from the prefix's place in the sorted names, until one
        does not start with it."""
        names = self._names
        at = bisect.bisect_left(names, prefix)
        while at < len(names) and names[at].startswith(prefix):  # no slice: it would copy the names after
            yield names[at]
            at += 1

    def items_under(self, prefix: str) -> list[tuple[str, Any]]:
        """What moto's `items()` gives (name and current version) for the names under `prefix` only."""
        return [(name, self[name]) for name in list(self.names_under(prefix))]

    def _add(self, key: str) -> None:
        if not dict.__contains__(self, key):
            bisect.insort(self._names, key)

    def _remove(self, key: str) -> None:
        at = bisect.bisect_left(self._names, key)
        if at < len(self._names) and self._names[at] == key:
            del self._names[at]


class _Under:
    """A bucket as moto's listing sees it: only the objects under `prefix`. moto still tests each key against the
    prefix, so the answer is the same; anything else is the bucket's own."""

    def __init__(self, bucket: Any, keys: SortedKeys, prefix: str) -> None:
        self._bucket = bucket
        self.keys = _KeysUnder(keys, prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bucket, name)


class _KeysUnder:
    def __init__(self, keys: SortedKeys, prefix: str) -> None:
        self._keys = keys
        self._prefix = prefix

    def items(self) -> list[tuple[str, Any]]:
        return self._keys.items_under(self._prefix)

    def __getattr__(self, name: str) -> Any:  # anything else moto might read: the whole store, as before
        return getattr(self._keys, name)


def install() -> None:
    """New buckets keep their keys sorted, and moto's listings with a prefix read only the keys under it."""
    original = models.S3Backend.list_objects
    if getattr(original, "reads_keys_under_prefix", False):
        return
    signature = inspect.signature(original)

    @functools.wraps(original)
    def list_objects(*args: Any, **kwargs: Any) -> Any:
        call = signature.bind(*args, **kwargs)
        bucket, prefix = call.arguments["bucket"], call.arguments["prefix"]
        if prefix and type(bucket) is models.FakeBucket and isinstance(bucket.keys, SortedKeys):
            call.arguments["bucket"] = _Under(bucket, bucket.keys, prefix)
        return original(*call.args, **call.kwargs)

    list_objects.reads_keys_under_prefix = True  # type: ignore[attr-defined]
    models._VersionedKeyStore = SortedKeys  # type: ignore[assignment,misc]  # FakeBucket() makes its store from this name
    models.S3Backend.list_objects = list_objects  # type: ignore[method-assign]
