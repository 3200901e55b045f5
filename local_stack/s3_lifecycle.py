"""The embedded S3 on the local stack's clock, expiring objects as the buckets' lifecycle rules say, as S3 does.

In AWS the results bucket's rule (infrastructure/template.yaml, `expire-results`) deletes everything under the results
prefix a day after it was written. Without it here, objects piled up for as long as the stack ran, and S3 slowed down.

S3 counts an object's expiry from its creation time: plus the rule's days, rounded up to the next midnight UTC; then
it removes the object (in AWS at some point after that time; here before the next request is answered). As every
expiry falls on a midnight, nothing new expires between two: the buckets are swept once per day of the clock, at the
first request of the day, reading only the keys under each rule's prefix (local_stack.s3_keys).

What time it is, for S3's own records (Last-Modified) too, is the stack's clock: a stack moved to another day
(CAR_SEARCH_TODAY) writes objects on that day and expires them by it. Used in the embedded S3's child process only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from moto.s3 import models

from local_stack.s3_keys import SortedKeys


def use_clock(now: Callable[[], datetime]) -> None:
    """moto's S3 reads the time from `now` (timezone-aware) rather than from the system clock."""
    models.utcnow = lambda: now().astimezone(UTC).replace(tzinfo=None)  # moto's times are naive UTC


def expires_at(created: datetime, days: int) -> datetime:
    """When S3 expires an object created at `created` (aware) under a rule of `days`: the next midnight UTC on or
    after the creation time plus the days."""
    end = (created + timedelta(days=days)).astimezone(UTC)
    midnight = datetime.combine(end.date(), time(0), UTC)
    return end if end == midnight else midnight + timedelta(days=1)


class Lifecycle:
    """Deletes what the buckets' enabled expiration rules say has expired, by the clock `now`: call `expire()` before
    each request."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._swept: date | None = None

    def expire(self) -> int:
        """How many objects were deleted: none unless this is the first call of the clock's day."""
        now = self._now()
        if now.date() == self._swept:
            return 0
        self._swept = now.date()
        expired = 0
        for backend in _backends():
            for bucket in list(backend.buckets.values()):
                for prefix, days in _expirations(bucket):
                    for name, key in _objects_under(bucket.keys, prefix):
                        created = key.last_modified.replace(tzinfo=UTC)
                        if isinstance(key, models.FakeKey) and expires_at(created, days) <= now:
                            backend.delete_object(bucket.name, name)
                            expired += 1
        return expired


def _backends() -> Iterator[Any]:
    for per_account in models.s3_backends.values():
        yield from per_account.values()


def _expirations(bucket: Any) -> Iterator[tuple[str, int]]:
    """(prefix, days) of each enabled rule that expires current objects after some days. A rule that filters on
    tags or sizes is left out: nothing is expired that S3 would keep."""
    for rule in bucket.rules:
        if rule.status != "Enabled" or rule.expiration_days is None:
            continue
        chosen = rule.filter
        if chosen is not None and (chosen.tag_key is not None or chosen.and_filter is not None):
            continue
        prefix = chosen.prefix if chosen is not None else rule.prefix
        yield prefix or "", int(rule.expiration_days)


def _objects_under(keys: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    if isinstance(keys, SortedKeys):
        return keys.items_under(prefix)
    return [(name, key) for name, key in keys.items() if name.startswith(prefix)]
