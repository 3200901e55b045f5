"""A lost search (its run Lambda gave up on it) is marked failed, and its callback hears how it ended."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from search_service.adapters.webhooks import render
from search_service.domain.callbacks import EVENT_TYPES, Outbox
from search_service.domain.lost import MarkLost
from search_service.domain.models import Callback, SearchJob, SupplierOutcome
from tests.builders.in_memory import in_memory_service
from tests.fakes.cache import InMemoryResultCache
from tests.fakes.callbacks import InMemoryCallbackStore, ListQueue
from tests.fakes.clock import FixedClock

REASON = "The search could not be run."
CALLBACK = Callback(url="https://hooks.example.com/in", events=EVENT_TYPES, owner="o", poll="/search")


def _lost_search(clock: FixedClock, callback: Callback | None = CALLBACK) -> tuple[InMemoryResultCache, SearchJob]:
    """A search that was started and never ran: its job pending, no company asked."""
    job = replace(in_memory_service(clock).start_search().job, callback=callback)
    cache = InMemoryResultCache()
    cache.create_job(job)
    return cache, job


def _events(queue: ListQueue) -> list[tuple[str, dict[str, Any]]]:
    return [(message.event_type, json.loads(message.body)["data"]) for message, _ in queue.sent]


def _mark_lost(cache: InMemoryResultCache, clock: FixedClock, queue: ListQueue) -> MarkLost:
    return MarkLost(cache, REASON, Outbox(InMemoryCallbackStore(), queue, clock, render))


def test_a_lost_search_is_marked_failed_and_its_callback_sends_search_failed_with_the_reason(clock: FixedClock) -> None:
    cache, job = _lost_search(clock)
    queue = ListQueue()
    marked = _mark_lost(cache, clock, queue)(job.search_id)
    assert marked is not None and (marked.status, marked.failure) == ("failed", REASON)
    assert cache.load_job(job.search_id) == marked
    ((kind, data),) = _events(queue)
    assert (kind, data["status"], data["reason"]) == ("search.failed", "failed", REASON)
    assert data["failedSuppliers"] == list(job.suppliers) and data["offerCount"] == 0


def test_a_search_lost_after_a_company_answered_sends_search_completed_as_get_says_complete(clock: FixedClock) -> None:
    cache, job = _lost_search(clock)
    first = job.suppliers[0]
    at = clock.now() + timedelta(seconds=2)
    answered = SupplierOutcome(supplier=first, status="complete", latency_s=2.0, finished_at=at)
    cache.save_outcome(job.search_id, answered)
    queue = ListQueue()
    _mark_lost(cache, clock, queue)(job.search_id)
    ((kind, data),) = _events(queue)
    assert (kind, data["suppliers"]["complete"]) == ("search.completed", 1)
    assert data["failedSuppliers"] == list(job.suppliers[1:])


def test_a_cancelled_search_that_is_then_lost_sends_nothing_more(clock: FixedClock) -> None:
    cache, job = _lost_search(clock)
    cache.cancel(job.search_id, clock.now())
    queue = ListQueue()
    assert _mark_lost(cache, clock, queue)(job.search_id) is not None
    assert queue.sent == []  # the cancel sent search.cancelled: a search ends once


def test_a_lost_search_without_a_callback_is_only_marked(clock: FixedClock) -> None:
    cache, job = _lost_search(clock, callback=None)
    queue = ListQueue()
    marked = _mark_lost(cache, clock, queue)(job.search_id)
    assert marked is not None and marked.status == "failed" and queue.sent == []


def test_an_expired_search_is_nothing_to_mark(clock: FixedClock) -> None:
    queue = ListQueue()
    assert _mark_lost(InMemoryResultCache(), clock, queue)("f" * 32) is None
    assert queue.sent == []
