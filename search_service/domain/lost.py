"""A lost search: one whose run Lambda gave up on (its retries spent, or the event too old). It is marked failed, so
that the next GET says so at once rather than pending until its deadline, and a search with a callback says how it
ended as a run would have: the client waiting for the event would otherwise never hear of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from search_service.domain.models import SearchJob
from search_service.domain.ports import ResultCache

if TYPE_CHECKING:
    from search_service.domain.callbacks import Outbox


class MarkLost:
    def __init__(self, cache: ResultCache, reason: str, outbox: Outbox | None = None) -> None:
        self._cache = cache
        self._reason = reason
        self._outbox = outbox

    def __call__(self, search_id: str) -> SearchJob | None:
        """The job as marked; None when it is gone (expired). Raises CacheUnavailable, and the record is received
        again: marking twice and announcing twice are harmless (the event keeps its webhook-id, so a receiver that
        already has it drops the second)."""
        job = self._cache.mark_failed(search_id, self._reason)
        if job is None or job.callback is None or self._outbox is None:
            return job
        if self._cache.cancelled_at(search_id) is not None:
            return job  # the cancel announced search.cancelled, and a search ends once
        # search.completed if a company answered before the run was lost (GET says complete then too), else failed.
        self._outbox.search_ended(job, self._cache.load_outcomes(search_id, job.suppliers))
        return job
