"""The search's data: what was asked, what each supplier answered, and the offers.

Plain values: how they are stored is search_service.adapters.stored's business, how the API sends them is
search_service.api.models'. So a name changed here changes neither the objects in the bucket nor the public API.
Frozen because records are facts once written; keyword-only because many fields share a type and a place is easy
to mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchQuery:
    city_id: str
    city: str  # "New York, NY"
    pickup_date: date
    return_date: date

    @property
    def days(self) -> int:
        return (self.return_date - self.pickup_date).days


@dataclass(frozen=True, slots=True, kw_only=True)
class RentalLocationInfo:
    code: str
    name: str
    kind: Literal["airport", "downtown"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    offer_id: str
    supplier: str
    supplier_name: str
    supplier_rating: float
    car_class: str
    car_class_name: str
    example_model: str
    seats: int
    bags: int
    location: RentalLocationInfo
    pickup_date: date
    return_date: date
    days: int
    daily_rate: float
    total_price: float
    currency: str = "USD"
    # When the supplier gave this price: the search's own time, or earlier when the quote cache answered for it.
    quoted_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplierOutcome:
    """One supplier's answer to one search, written to the cache as soon as it arrives."""

    supplier: str
    status: Literal["complete", "failed"]
    offers: tuple[Offer, ...] = ()
    error: str | None = None
    latency_s: float
    finished_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplierQuote:
    """A supplier's offers for one trip (city and dates, never a user), kept for other searches of the same trip."""

    supplier: str
    offers: tuple[Offer, ...]
    quoted_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Callback:
    """Where a search's events go (search_service.domain.callbacks): the client's URL, the events it asked for, whose
    signing secret signs them (`owner`, a hash of the user: never the user) and the path to GET the results from."""

    url: str
    events: tuple[str, ...]
    owner: str
    poll: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchJob:
    """What the start step records before the search runs, so that a GET at once sees it pending."""

    search_id: str
    query: SearchQuery
    suppliers: tuple[str, ...]
    created_at: datetime
    status: Literal["pending", "failed"] = "pending"
    failure: str | None = None
    callback: Callback | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyRecord:
    """Which token a client's Idempotency-Key got, and for which request, so a replay gets the same one. The token
    is sealed (domain.tokens.seal): the bucket holds no usable token. `launched` is set once the search was handed
    to the search Lambda, so a replay of a start that died before that launches it."""

    sealed_token: str
    request_fingerprint: str
    created_at: datetime
    launched: bool = False


DeliveryState = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """How one event's delivery to a search's callback URL stands: written when it is queued, then after each
    attempt. `event_id` is the webhook-id, the same on every attempt, so that a receiver can drop a duplicate."""

    event_id: str
    event_type: str
    state: DeliveryState
    created_at: datetime
    attempts: int = 0
    last_status: int | None = None  # the receiver's last HTTP status; None when it could not be reached
    last_error: str | None = None  # why the last attempt failed
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None  # while pending after a failed attempt


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackMessage:
    """What the delivery queue carries: one attempt at delivering one event. The body is fixed when the event is
    made, so that every attempt sends the same bytes under the same webhook-id."""

    search_id: str
    event_id: str
    event_type: str
    url: str
    owner: str
    body: str
    attempt: int  # this message's attempt, from 1


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningSecret:
    """A user's webhook signing secret (whsec_ + base64), and after a rotation the one before it, still used to sign
    until `previous_until`, so that receivers can switch without losing an event."""

    secret: str
    created_at: datetime
    previous: str | None = None
    previous_until: datetime | None = None

    def signing_keys(self, now: datetime) -> tuple[str, ...]:
        if self.previous is not None and self.previous_until is not None and now < self.previous_until:
            return (self.secret, self.previous)
        return (self.secret,)
