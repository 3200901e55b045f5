"""The callbacks' use cases on in-memory fakes: the backoff, the attempts and their records, the signatures."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from search_service.adapters.clock import SystemClock
from search_service.adapters.webhooks import StandardWebhooksSigner, render
from search_service.api.models import SearchCancelledEvent, SearchEndedEvent, SupplierAnsweredEvent
from search_service.domain.callbacks import (
    DeliverCallback,
    Outbox,
    RetryPolicy,
    SigningSecrets,
    event_id,
    owner_of,
)
from search_service.domain.models import Callback, CallbackMessage, SearchJob, SearchQuery, SupplierOutcome
from search_service.domain.ports import DeliveryFailed, RefusedAddress
from tests.fakes.callbacks import InMemoryCallbackStore, ListQueue, ScriptedTransport
from tests.fakes.clock import FixedClock

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
USER = "user-123"
QUERY = SearchQuery(
    city_id="denver-co", city="Denver, CO", pickup_date=date(2026, 12, 5), return_date=date(2026, 12, 7)
)
CALLBACK = Callback(
    url="https://hooks.example.com/in",
    events=("search.completed", "search.failed"),
    owner=owner_of(USER),
    poll="/beta/search",
)
JOB = SearchJob(search_id="s" * 64, query=QUERY, suppliers=("hertz", "avis"), created_at=NOW, callback=CALLBACK)


def _deliver(store: InMemoryCallbackStore, queue: ListQueue, transport: ScriptedTransport, clock: FixedClock,
             rand: float = 1.0) -> DeliverCallback:  # fmt: skip
    # The webhook-timestamp is the real time's: the receiver (verify, here) checks it against its own clock.
    return DeliverCallback(store, queue, transport, StandardWebhooksSigner(), clock, SystemClock(), RetryPolicy(),
                           rand=lambda: rand)  # fmt: skip


def _message(attempt: int = 1) -> CallbackMessage:
    return CallbackMessage(search_id=JOB.search_id, event_id=event_id(JOB.search_id, "search.completed"),
                           event_type="search.completed", url=CALLBACK.url, owner=CALLBACK.owner, body='{"x":1}',
                           attempt=attempt)  # fmt: skip


@pytest.mark.parametrize(("attempts_done", "ceiling"), [(1, 20), (2, 40), (3, 80), (4, 160), (5, 320), (7, 900)])
def test_the_backoff_is_exponential_with_full_jitter_capped_at_sqs_maximum(attempts_done: int, ceiling: int) -> None:
    policy = RetryPolicy()
    assert policy.delay_s(attempts_done, lambda: 1.0) == ceiling
    assert policy.delay_s(attempts_done, lambda: 0.5) == round(ceiling / 2)
    assert policy.delay_s(attempts_done, lambda: 0.0) == 1  # never 0: the receiver gets a moment


def test_the_default_attempts_span_about_ten_minutes_at_most() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts == 6
    assert sum(policy.delay_s(n, lambda: 1.0) for n in range(1, policy.max_attempts)) == 620


def test_a_failed_attempt_is_recorded_and_the_next_one_queued_with_its_delay() -> None:
    store, queue, clock = InMemoryCallbackStore(), ListQueue(), FixedClock(NOW)
    secret = SigningSecrets(store, clock, 3600).current(USER)
    transport = ScriptedTransport([500])
    done = _deliver(store, queue, transport, clock)(_message())
    assert done.retry_in_s == 20 and queue.sent == [(_message(2), 20)]
    recorded = store.load_delivery(JOB.search_id, _message().event_id)
    assert recorded is not None
    assert (recorded.state, recorded.attempts, recorded.last_status) == ("pending", 1, 500)
    assert recorded.next_attempt_at == NOW + timedelta(seconds=20)
    # and what was sent verifies with the user's secret
    _, body, headers = transport.posted[0]
    assert Webhook(secret.secret).verify(body, headers) == {"x": 1}


def test_the_last_attempt_failing_leaves_the_delivery_failed_and_nothing_queued() -> None:
    store, queue, clock = InMemoryCallbackStore(), ListQueue(), FixedClock(NOW)
    SigningSecrets(store, clock, 3600).current(USER)
    done = _deliver(store, queue, ScriptedTransport([DeliveryFailed("timed out")]), clock)(_message(6))
    assert (done.delivery.state, done.delivery.attempts, done.delivery.last_error) == ("failed", 6, "timed out")
    assert queue.sent == []


def test_a_refused_address_fails_at_once_without_retry() -> None:
    store, queue, clock = InMemoryCallbackStore(), ListQueue(), FixedClock(NOW)
    SigningSecrets(store, clock, 3600).current(USER)
    refused = RefusedAddress("hooks.example.com (10.0.0.1) is a private address")
    done = _deliver(store, queue, ScriptedTransport([refused]), clock)(_message())
    assert done.delivery.state == "failed" and done.delivery.last_error == str(refused) and queue.sent == []


def test_a_duplicate_of_a_settled_message_sends_nothing() -> None:
    store, queue, clock = InMemoryCallbackStore(), ListQueue(), FixedClock(NOW)
    SigningSecrets(store, clock, 3600).current(USER)
    transport = ScriptedTransport([200])
    deliver = _deliver(store, queue, transport, clock)
    assert deliver(_message()).delivery.state == "delivered"
    assert deliver(_message()).delivery.state == "delivered"
    assert len(transport.posted) == 1


def test_after_a_rotation_both_secrets_sign_until_the_grace_period_ends() -> None:
    store, queue, clock = InMemoryCallbackStore(), ListQueue(), FixedClock(NOW)
    secrets = SigningSecrets(store, clock, 3600)
    old = secrets.current(USER)
    new = secrets.rotate(USER)
    transport = ScriptedTransport([200])
    _deliver(store, queue, transport, clock)(_message())
    _, body, headers = transport.posted[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old.secret, new.secret):
        Webhook(secret).verify(body, headers)
    # an hour later, the new one alone
    clock.advance(seconds=3601)
    assert store.load_secret(CALLBACK.owner).signing_keys(clock.now()) == (new.secret,)  # type: ignore[union-attr]


def test_the_events_rendered_match_their_documented_schemas() -> None:
    store, queue, clock = InMemoryCallbackStore(), ListQueue(), FixedClock(NOW)
    asked = Callback(url=CALLBACK.url, events=("search.completed", "search.failed", "supplier.answered"),
                     owner=CALLBACK.owner, poll="/beta/search")  # fmt: skip
    job = SearchJob(search_id=JOB.search_id, query=QUERY, suppliers=("hertz", "avis"), created_at=NOW, callback=asked)
    outbox = Outbox(store, queue, clock, render)
    failed = SupplierOutcome(supplier="avis", status="failed", error="down", latency_s=1.0, finished_at=NOW)
    outbox.supplier_answered(job, failed, 1)
    outbox.search_ended(job, {"avis": failed})
    bodies = [json.loads(message.body) for message, _ in queue.sent]
    SupplierAnsweredEvent.model_validate(bodies[0])
    ended = SearchEndedEvent.model_validate(bodies[1])
    assert ended.type == "search.failed" and ended.data.suppliers.failed == 2 and ended.data.cheapest is None
    assert [d.state for d in store.load_deliveries(job.search_id)] == ["pending", "pending"]
    assert all(USER not in message.body for message, _ in queue.sent)


def test_a_cancel_renders_search_cancelled_with_what_had_answered_by_then() -> None:
    store, queue, clock = InMemoryCallbackStore(), ListQueue(), FixedClock(NOW)
    asked = Callback(url=CALLBACK.url, events=("search.cancelled",), owner=CALLBACK.owner, poll="/beta/search")
    job = SearchJob(search_id=JOB.search_id, query=QUERY, suppliers=("hertz", "avis", "enterprise"), created_at=NOW,
                    callback=asked)  # fmt: skip
    failed = SupplierOutcome(supplier="avis", status="failed", error="down", latency_s=1.0, finished_at=NOW)

    Outbox(store, queue, clock, render).search_cancelled(job, {"avis": failed}, NOW)

    ((message, delay),) = queue.sent
    event = SearchCancelledEvent.model_validate(json.loads(message.body))
    assert (message.event_type, delay, event.type) == ("search.cancelled", 0, "search.cancelled")
    counts = event.data.suppliers
    assert (counts.total, counts.complete, counts.failed, counts.cancelled) == (3, 0, 1, 2)
    assert event.data.cancelled_at == NOW and event.data.offer_count == 0
    assert [d.event_type for d in store.load_deliveries(job.search_id)] == ["search.cancelled"]
