"""Callbacks (webhooks): a search's events POSTed to the URL its client gave, signed per Standard Webhooks, through a
queue that retries with exponential backoff and full jitter a bounded number of times.

    the run (or the lost-search marking)  --Outbox.announce-->  delivery record (pending) + queue message
    the delivery function  --DeliverCallback-->  sign with the user's secret(s), POST, record the outcome;
                                                 on failure, the next attempt queued after a jittered delay

An event carries what happened and where to GET the results; never a token or the user (the delivery function has
neither). Its type is one of EVENT_TYPES: a new one is a name here and a builder of its data.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from search_service.domain.errors import CacheUnavailable, FieldProblem, InvalidRequest
from search_service.domain.fleet import SUPPLIERS_BY_CODE
from search_service.domain.models import (
    Callback,
    CallbackMessage,
    Delivery,
    Offer,
    SearchJob,
    SigningSecret,
    SupplierOutcome,
)
from search_service.domain.ports import (
    CallbackQueue,
    CallbackStore,
    CallbackTransport,
    Clock,
    DeliveryFailed,
    QueueUnavailable,
    RefusedAddress,
    Signer,
)

log = logging.getLogger(__name__)

SEARCH_COMPLETED = "search.completed"
SEARCH_FAILED = "search.failed"
SEARCH_CANCELLED = "search.cancelled"
SUPPLIER_ANSWERED = "supplier.answered"
# Every event a client may ask for; the API documents and accepts exactly these.
EVENT_TYPES: tuple[str, ...] = (SEARCH_COMPLETED, SEARCH_FAILED, SEARCH_CANCELLED, SUPPLIER_ANSWERED)
# The events that end a search: the `callback` object of GET follows the delivery of the one sent.
TERMINAL_EVENTS: tuple[str, ...] = (SEARCH_COMPLETED, SEARCH_FAILED, SEARCH_CANCELLED)
DEFAULT_EVENTS = TERMINAL_EVENTS
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and their spacing: attempt n+1 waits a random time in [1, min(cap, base * 2**(n-1))] seconds (full
    jitter, so that receivers coming back from an outage are not hit by every retry at once). With the defaults, 6
    attempts over at most 20+40+80+160+320 s, about 10 minutes. SQS delays a message by 900 s at most."""

    max_attempts: int = 6
    base_s: float = 20.0
    cap_s: float = 900.0

    def delay_s(self, attempts_done: int, rand: Callable[[], float] = random.random) -> int:
        ceiling = min(self.cap_s, 900.0, self.base_s * 2 ** (attempts_done - 1))
        return max(1, round(ceiling * rand()))


def owner_of(user: str) -> str:
    """Whose secret: a hash of the user, so that neither the bucket nor a queue message holds the user id."""
    return hashlib.sha256(f"webhook-secret|{user}".encode()).hexdigest()


def event_id(search_id: str, event_type: str, subject: str = "") -> str:
    """The webhook-id: the same for the same event of the same search, so a run delivered twice makes duplicates a
    receiver recognises (Standard Webhooks: deduplicate on webhook-id)."""
    return "msg_" + hashlib.sha256(f"{search_id}|{event_type}|{subject}".encode()).hexdigest()[:32]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_events(asked: Sequence[str] | None, has_url: bool) -> tuple[str, ...]:
    """The events asked for, in EVENT_TYPES' order; the default when none were named."""
    if asked is not None and not has_url:
        raise InvalidRequest([FieldProblem("callbackEvents", "callbackEvents needs a callbackUrl.", "required")])
    if asked is None:
        return DEFAULT_EVENTS
    unknown = sorted(set(asked) - set(EVENT_TYPES))
    if unknown or not asked:
        message = (
            f"Unknown callback event {', '.join(repr(name) for name in unknown)}." if unknown else "Name one event."
        )
        raise InvalidRequest(
            [
                FieldProblem(
                    "callbackEvents",
                    f"{message} The events are: {', '.join(EVENT_TYPES)}.",
                    "unknown_event",
                    {"accepted": list(EVENT_TYPES)},
                )
            ]
        )
    return tuple(name for name in EVENT_TYPES if name in asked)


# --- the signing secret --------------------------------------------------------------------------------------


class SigningSecrets:
    """A user's secret: made at the first need (GET /webhook-secret, or a search with a callbackUrl), rotated on
    request; after a rotation the previous one also signs for `grace_s`."""

    def __init__(self, store: CallbackStore, clock: Clock, grace_s: float) -> None:
        self._store = store
        self._clock = clock
        self._grace_s = grace_s

    def current(self, user: str) -> SigningSecret:
        """Made if the user has none: a conditional write that returns the secret already there otherwise, so that
        the start Lambda finds a missing one without the right to list the bucket."""
        made = SigningSecret(secret=new_secret(), created_at=self._clock.now())
        return self._store.create_secret(owner_of(user), made)

    def rotate(self, user: str) -> SigningSecret:
        owner = owner_of(user)
        now = self._clock.now()
        old = self.current(user)  # made now if there was none: rotating it away harms no receiver
        rotated = SigningSecret(
            secret=new_secret(),
            created_at=now,
            previous=old.secret,
            previous_until=now + timedelta(seconds=self._grace_s),
        )
        self._store.save_secret(owner, rotated)
        return rotated


# --- the events ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackEvent:
    """What is POSTed: `type`, `timestamp` and `data`, the envelope Standard Webhooks recommends."""

    type: str
    timestamp: datetime
    data: Mapping[str, Any]


Render = Callable[[CallbackEvent], str]


def _offer(offer: Offer | None) -> dict[str, Any] | None:
    if offer is None:
        return None
    return {
        "offerId": offer.offer_id,
        "supplier": offer.supplier,
        "supplierName": offer.supplier_name,
        "carClass": offer.car_class,
        "exampleModel": offer.example_model,
        "location": {"code": offer.location.code, "name": offer.location.name},
        "dailyRate": offer.daily_rate,
        "totalPrice": offer.total_price,
        "currency": offer.currency,
    }


def _cheapest(outcomes: Sequence[SupplierOutcome]) -> Offer | None:
    offers = [offer for outcome in outcomes for offer in outcome.offers]
    return min(offers, key=lambda offer: (offer.total_price, offer.offer_id), default=None)


def _search(job: SearchJob, callback: Callback | None) -> dict[str, Any]:
    """`callback`: None for the same event pushed over the WebSocket (domain.push), whose client already holds the
    search's token, so no path to poll."""
    about = {
        "searchId": job.search_id,
        "city": job.query.city,
        "pickupDate": job.query.pickup_date.isoformat(),
        "returnDate": job.query.return_date.isoformat(),
    }
    if callback is not None:
        about["poll"] = callback.poll
    return about


def search_ended(
    job: SearchJob, callback: Callback | None, outcomes: Mapping[str, SupplierOutcome]
) -> tuple[str, dict[str, Any]]:
    """search.completed when a supplier answered with offers or none, search.failed when none could be reached."""
    answered = [outcomes[code] for code in job.suppliers if code in outcomes]
    complete = [outcome for outcome in answered if outcome.status == "complete"]
    failed = [code for code in job.suppliers if code not in {outcome.supplier for outcome in complete}]
    data = {
        **_search(job, callback),
        "status": "complete" if complete else "failed",
        "suppliers": {"total": len(job.suppliers), "complete": len(complete), "failed": len(failed)},
        "failedSuppliers": failed,
        "offerCount": sum(len(outcome.offers) for outcome in complete),
        "cheapest": _offer(_cheapest(complete)),
    }
    if not complete:
        data["reason"] = job.failure or "No rental company could be reached."
    return (SEARCH_COMPLETED if complete else SEARCH_FAILED), data


def search_cancelled(
    job: SearchJob, callback: Callback | None, outcomes: Mapping[str, SupplierOutcome], cancelled_at: datetime
) -> dict[str, Any]:
    """search.cancelled: what had answered by the cancel (DELETE /search); the companies not asked by then never are."""
    answered = [outcomes[code] for code in job.suppliers if code in outcomes]
    complete = [outcome for outcome in answered if outcome.status == "complete"]
    return {
        **_search(job, callback),
        "status": "cancelled",
        "cancelledAt": cancelled_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "suppliers": {
            "total": len(job.suppliers),
            "complete": len(complete),
            "failed": len(answered) - len(complete),
            "cancelled": len(job.suppliers) - len(answered),
        },
        "offerCount": sum(len(outcome.offers) for outcome in complete),
        "cheapest": _offer(_cheapest(complete)),
    }


def supplier_answered(
    job: SearchJob, callback: Callback | None, outcome: SupplierOutcome, answered: int
) -> dict[str, Any]:
    supplier = SUPPLIERS_BY_CODE.get(outcome.supplier)
    return {
        **_search(job, callback),
        "supplier": outcome.supplier,
        "supplierName": supplier.name if supplier else outcome.supplier,
        "state": outcome.status,
        "error": outcome.error,
        "offerCount": len(outcome.offers),
        "cheapest": _offer(_cheapest([outcome])),
        "answered": answered,
        "of": len(job.suppliers),
    }


class Outbox:
    """Queues a search's events for delivery, each recorded pending first, so GET shows it from then on. Never raises:
    an event that cannot be queued is recorded failed, and the search itself is not held up by its callback."""

    def __init__(self, store: CallbackStore, queue: CallbackQueue, clock: Clock, render: Render) -> None:
        self._store = store
        self._queue = queue
        self._clock = clock
        self._render = render

    def search_ended(self, job: SearchJob, outcomes: Mapping[str, SupplierOutcome]) -> None:
        if job.callback is None:
            return
        kind, data = search_ended(job, job.callback, outcomes)
        self._announce(job, kind, data)

    def search_cancelled(self, job: SearchJob, outcomes: Mapping[str, SupplierOutcome], cancelled_at: datetime) -> None:
        """`outcomes`: the answers kept before the cancel."""
        if job.callback is None:
            return
        self._announce(job, SEARCH_CANCELLED, search_cancelled(job, job.callback, outcomes, cancelled_at))

    def supplier_answered(self, job: SearchJob, outcome: SupplierOutcome, answered: int) -> None:
        if job.callback is None or SUPPLIER_ANSWERED not in job.callback.events:
            return
        data = supplier_answered(job, job.callback, outcome, answered)
        self._announce(job, SUPPLIER_ANSWERED, data, outcome.supplier)

    def _announce(self, job: SearchJob, kind: str, data: Mapping[str, Any], subject: str = "") -> None:
        callback = job.callback
        assert callback is not None
        if kind not in callback.events:
            return
        now = self._clock.now()
        message = CallbackMessage(
            search_id=job.search_id,
            event_id=event_id(job.search_id, kind, subject),
            event_type=kind,
            url=callback.url,
            owner=callback.owner,
            body=self._render(CallbackEvent(kind, now, data)),
            attempt=1,
        )
        delivery = Delivery(event_id=message.event_id, event_type=kind, state="pending", created_at=now)
        try:
            self._store.save_delivery(job.search_id, delivery)
            self._queue.send(message, 0)
        except (CacheUnavailable, QueueUnavailable) as error:
            log.warning("callback event %s not queued: %s", kind, error)
            failed = replace(delivery, state="failed", last_error="the event could not be queued")
            with contextlib.suppress(CacheUnavailable):  # the log line above is all there is then
                self._store.save_delivery(job.search_id, failed)


# --- delivery ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempted:
    delivery: Delivery
    retry_in_s: int | None = None  # when the next attempt was queued


class DeliverCallback:
    """One attempt: sign with the owner's secret(s), POST, record the outcome, queue the next attempt if any is left.
    Raises CacheUnavailable or QueueUnavailable when it cannot record or requeue (the queue then redelivers it)."""

    def __init__(
        self,
        store: CallbackStore,
        queue: CallbackQueue,
        transport: CallbackTransport,
        signer: Signer,
        clock: Clock,
        wall_clock: Clock,
        policy: RetryPolicy,
        rand: Callable[[], float] = random.random,
    ) -> None:
        """`wall_clock`: the webhook-timestamp's; the receiver checks it against its own clock (5 minutes either way),
        so it is the real time even where the service's clock is moved (the local stack's CAR_SEARCH_TODAY)."""
        self._store = store
        self._queue = queue
        self._transport = transport
        self._signer = signer
        self._clock = clock
        self._wall_clock = wall_clock
        self._policy = policy
        self._rand = rand

    def __call__(self, message: CallbackMessage) -> Attempted:
        now = self._clock.now()
        previous = self._store.load_delivery(message.search_id, message.event_id)
        if previous is not None and previous.state != "pending":
            return Attempted(previous)  # a duplicate of a message already settled
        created = previous.created_at if previous is not None else now
        secret = self._store.load_secret(message.owner)
        status: int | None = None
        final = False
        if secret is None:
            error: str | None = "no signing secret"
            final = True
        else:
            headers = self._signer.sign(
                message.event_id, self._wall_clock.now(), message.body, secret.signing_keys(now)
            )
            try:
                status = self._transport.post(message.url, message.body.encode(), headers)
                error = None if 200 <= status < 300 else f"the receiver answered {status}"
            except RefusedAddress as refused:
                error, final = str(refused), True  # an address that is refused now will be refused again
            except DeliveryFailed as failed:
                error = str(failed)
        attempted = Delivery(
            event_id=message.event_id,
            event_type=message.event_type,
            state="delivered" if error is None else "pending",
            created_at=created,
            attempts=message.attempt,
            last_status=status,
            last_error=error,
            last_attempt_at=now,
        )
        retry_in: int | None = None
        if error is not None:
            if final or message.attempt >= self._policy.max_attempts:
                attempted = replace(attempted, state="failed")
            else:
                retry_in = self._policy.delay_s(message.attempt, self._rand)
                attempted = replace(attempted, next_attempt_at=now + timedelta(seconds=retry_in))
        self._store.save_delivery(message.search_id, attempted)
        if retry_in is not None:
            self._queue.send(replace(message, attempt=message.attempt + 1), retry_in)
        return Attempted(attempted, retry_in)
