"""The search's data: what was asked, what each supplier answered, and the offers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """camelCase on the wire, snake_case in Python; frozen because records are facts once written."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class SearchQuery(Model):
    city_id: str
    city: str  # "New York, NY"
    pickup_date: date
    return_date: date

    @property
    def days(self) -> int:
        return (self.return_date - self.pickup_date).days


class RentalLocationInfo(Model):
    code: str
    name: str
    kind: Literal["airport", "downtown"]


class Offer(Model):
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


class SupplierOutcome(Model):
    """One supplier's answer to one search, written to the cache as soon as it arrives."""

    supplier: str
    status: Literal["complete", "failed"]
    offers: tuple[Offer, ...] = ()
    error: str | None = None
    latency_s: float
    finished_at: datetime


class SupplierQuote(Model):
    """A supplier's offers for one trip (city and dates, never a user), kept for other searches of the same trip."""

    supplier: str
    offers: tuple[Offer, ...]
    quoted_at: datetime


class SupplierLatencyRecord(Model):
    """How long each supplier usually takes to answer, in seconds (search_service.domain.latency)."""

    seconds: dict[str, float]


class SearchJob(Model):
    """What the start step records before the search runs, so that a GET at once sees it pending."""

    search_id: str
    query: SearchQuery
    suppliers: tuple[str, ...]
    created_at: datetime
    status: Literal["pending", "failed"] = "pending"
    failure: str | None = None


class IdempotencyRecord(Model):
    """Which token a client's Idempotency-Key got, and for which request, so a replay gets the same one. The token
    is sealed (domain.tokens.seal): the bucket holds no usable token. `launched` is set once the search was handed
    to the search Lambda, so a replay of a start that died before that launches it."""

    sealed_token: str
    request_fingerprint: str
    created_at: datetime
    launched: bool = False


class RunSearchEvent(Model):
    """The async event from the start Lambda to the search Lambda. The search id is the correlation id
    that joins one search's logs across both Lambdas; the query itself is read from the job record."""

    action: Literal["run-search"] = "run-search"
    search_id: str


class InvocationContext(Model):
    condition: str  # RetriesExhausted or EventAgeExceeded
    approximate_invoke_count: int = 0


class LostSearchRecord(Model):
    """What Lambda sends to the search Lambda's on-failure destination when an async search event was
    never processed: the original event (`requestPayload`) and why it was given up (`requestContext`)."""

    request_context: InvocationContext
    request_payload: RunSearchEvent
