"""What crosses the wire. Field names are camelCase, as in the design's API.

These are the public API's own models, not the domain's: a name changed in the domain changes nothing here nor in
docs/openapi.json (tests/test_openapi.py), and the response copies each domain value into its model."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from search_service.domain import models as domain
from search_service.domain.callbacks import DEFAULT_EVENTS, EVENT_TYPES, TERMINAL_EVENTS
from search_service.domain.cities import CityCatalog

if TYPE_CHECKING:  # the route modules import Powertools' event handler; the models alone do not need it
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

MAX_USER_LENGTH = 512
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> object:
    """Only 'YYYY-MM-DD': pydantic alone would also take numbers as Unix timestamps."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a real date") from None
    raise ValueError("must be a date in the form YYYY-MM-DD, like 2026-11-28")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# Checked by the use case, whose 400 lists the accepted names (domain.callbacks.EVENT_TYPES); documented as an enum.
EventType = Annotated[str, WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)})]


class Model(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


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
    quoted_at: datetime | None = None

    @classmethod
    def of(cls, offer: domain.Offer) -> Offer:
        where = offer.location
        return cls(
            offer_id=offer.offer_id,
            supplier=offer.supplier,
            supplier_name=offer.supplier_name,
            supplier_rating=offer.supplier_rating,
            car_class=offer.car_class,
            car_class_name=offer.car_class_name,
            example_model=offer.example_model,
            seats=offer.seats,
            bags=offer.bags,
            location=RentalLocationInfo(code=where.code, name=where.name, kind=where.kind),
            pickup_date=offer.pickup_date,
            return_date=offer.return_date,
            days=offer.days,
            daily_rate=offer.daily_rate,
            total_price=offer.total_price,
            currency=offer.currency,
            quoted_at=offer.quoted_at,
        )


class StartBody(Model):
    model_config = ConfigDict(extra="forbid")

    city: str = Field(min_length=1, max_length=100, examples=["New York"])
    pickup_date: IsoDate = Field(examples=["2026-11-28"])
    return_date: IsoDate = Field(examples=["2026-11-30"])
    user: str = Field(min_length=1, max_length=MAX_USER_LENGTH, description="Who searches; results are theirs only")
    callback_url: str | None = Field(
        None,
        min_length=1,
        max_length=2048,
        examples=["https://example.com/hooks/car-search"],
        description="Where to POST the search's events (docs/webhooks.md), signed per Standard Webhooks with the "
        "user's secret (GET /webhook-secret). https, to a public address; no redirect is followed.",
    )
    callback_events: list[EventType] | None = Field(
        None,
        min_length=1,
        max_length=len(EVENT_TYPES),
        description=f"Which events to send (needs callbackUrl). Default: {', '.join(DEFAULT_EVENTS)}.",
    )


class SearchSummary(Model):
    city: str
    city_id: str
    pickup_date: date
    return_date: date
    days: int
    locations: list[RentalLocationInfo]
    suppliers: list[str]
    created_at: datetime
    expires_at: datetime


class CallbackDelivery(Model):
    """How one event's delivery stands."""

    event_id: str = Field(description="The webhook-id header it is sent with, the same on every attempt")
    type: str = Field(json_schema_extra={"enum": list(EVENT_TYPES)})
    state: Literal["pending", "delivered", "failed"]
    attempts: int = Field(description="Attempts made so far")
    last_status_code: int | None = Field(None, description="The receiver's HTTP status at the last attempt")
    last_error: str | None = Field(None, description="Why the last attempt failed")
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = Field(None, description="While pending after a failed attempt")

    @classmethod
    def of(cls, delivery: domain.Delivery) -> CallbackDelivery:
        return cls(
            event_id=delivery.event_id,
            type=delivery.event_type,
            state=delivery.state,
            attempts=delivery.attempts,
            last_status_code=delivery.last_status,
            last_error=delivery.last_error,
            last_attempt_at=delivery.last_attempt_at,
            next_attempt_at=delivery.next_attempt_at,
        )


class CallbackStatus(Model):
    """A search's callback: where its events go, and how their delivery stands. `state` and the fields beside it
    follow the event that ends the search (search.completed or search.failed): `waiting` until it is sent."""

    url: str
    events: list[str]
    state: Literal["waiting", "pending", "delivered", "failed"]
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    deliveries: list[CallbackDelivery] = Field(default_factory=list, description="Every event sent, oldest first")

    @classmethod
    def of(cls, callback: domain.Callback, deliveries: tuple[domain.Delivery, ...] = ()) -> CallbackStatus:
        final = next((d for d in reversed(deliveries) if d.event_type in TERMINAL_EVENTS), None)
        return cls(
            url=callback.url,
            events=list(callback.events),
            state=final.state if final else "waiting",
            attempts=final.attempts if final else 0,
            last_status_code=final.last_status if final else None,
            last_error=final.last_error if final else None,
            deliveries=[CallbackDelivery.of(delivery) for delivery in deliveries],
        )


class StartAccepted(Model):
    token: str = Field(description="Pass it with the same User to GET /search")
    status: Literal["pending"] = "pending"
    search: SearchSummary
    poll: str = Field(
        description="The URL to GET for the results (same as the Location header), with the token in the "
        "Search-Token header and the user in Search-User"
    )
    retry_after_seconds: int
    search_id: str = Field(description="The search's id: the searchId of its callback events")
    callback: CallbackStatus | None = Field(None, description="Set when the search has a callbackUrl")


class SupplierStatus(Model):
    supplier: str
    name: str
    state: Literal["searching", "complete", "failed", "cancelled"] = Field(
        description="cancelled: the search was cancelled before this company answered (not asked, or its answer "
        "dropped)"
    )
    error: str | None = None
    answered_at: datetime | None = Field(None, description="When its answer was stored")
    expected_in_seconds: float | None = Field(
        None, description="While searching: in how many seconds it usually answers, from its recent searches"
    )


class AppliedFilters(Model):
    car_size: str | None = None
    supplier: str | None = None
    supplier_rating: float | None = None
    upgrade_class: int = 0


class Alternatives(Model):
    same_size: Offer | None = None
    same_supplier: Offer | None = None
    cheapest: Offer | None = None


class SearchResults(Model):
    status: Literal["pending", "partial", "complete", "failed", "cancelled"]
    message: str
    search: SearchSummary
    filters: AppliedFilters
    offer_count: int = Field(description="How many offers match; `offers` holds the first `Limit`")
    offers: list[Offer]
    suppliers: list[SupplierStatus]
    alternatives: Alternatives | None = Field(None, description="Set when nothing matches the filters")
    callback: CallbackStatus | None = Field(None, description="Set when the search has a callbackUrl")
    cancelled_at: datetime | None = Field(None, description="When the search was cancelled (DELETE /search)")


class Problem(Model):
    field: str
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(Model):
    message: str
    errors: list[Problem] = Field(default_factory=list)


def summarise(job: domain.SearchJob, catalog: CityCatalog, max_age_s: int) -> SearchSummary:
    city = catalog.get(job.query.city_id)
    return SearchSummary(
        city=job.query.city,
        city_id=job.query.city_id,
        pickup_date=job.query.pickup_date,
        return_date=job.query.return_date,
        days=job.query.days,
        locations=[RentalLocationInfo(code=loc.code, name=loc.name, kind=loc.kind) for loc in city.locations],
        suppliers=list(job.suppliers),
        created_at=job.created_at,
        expires_at=job.created_at + timedelta(seconds=max_age_s),
    )


def documented(model: type[Model], description: str, *headers: str) -> OpenAPIResponse:
    """An OpenAPI response entry for a JSON body of this model, with the headers it sets."""
    entry: OpenAPIResponse = {"description": description, "content": {"application/json": {"model": model}}}
    if headers:
        entry["headers"] = {name: RESPONSE_HEADERS[name] for name in headers}
    return entry


RESPONSE_HEADERS: dict[str, OpenAPIResponseHeader] = {
    "Location": {"description": "Where to GET the results", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before asking again", "schema": {"type": "integer"}},
    "ETag": {
        "description": "Names these results (weak: the suppliers' expectedInSeconds countdown is left out); send it "
        "back in If-None-Match",
        "schema": {"type": "string"},
    },
    "Preference-Applied": {
        "description": "RFC 7240: `wait=N` when Prefer: wait was honoured, N the seconds granted",
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "'true' when an earlier request with this Idempotency-Key started the search",
        "schema": {"type": "string"},
    },
}


class WebhookSecret(Model):
    secret: str = Field(description="whsec_ and the base64 key: what Standard Webhooks libraries verify with")
    created_at: datetime
    previous_valid_until: datetime | None = Field(
        None, description="After a rotation: until when events are also signed with the previous secret"
    )

    @classmethod
    def of(cls, secret: domain.SigningSecret, now: datetime) -> WebhookSecret:
        until = secret.previous_until if secret.previous_until is not None and secret.previous_until > now else None
        return cls(secret=secret.secret, created_at=secret.created_at, previous_valid_until=until)


# --- the callbacks' events (docs/webhooks.md; `webhooks` in docs/openapi.json) ---------------------------------


class EventOffer(Model):
    offer_id: str
    supplier: str
    supplier_name: str
    car_class: str
    example_model: str
    location: dict[str, str] = Field(description="code and name")
    daily_rate: float
    total_price: float
    currency: str


class EventSearch(Model):
    search_id: str = Field(description="As in the 202 of POST /search")
    city: str
    pickup_date: date
    return_date: date
    poll: str = Field(description="Where to GET the results, with the Search-Token and Search-User headers")


class SupplierCounts(Model):
    total: int
    complete: int
    failed: int


class SearchEndedData(EventSearch):
    status: Literal["complete", "failed"]
    suppliers: SupplierCounts
    failed_suppliers: list[str]
    offer_count: int
    cheapest: EventOffer | None
    reason: str | None = Field(None, description="search.failed: why")


class CancelledCounts(SupplierCounts):
    cancelled: int = Field(description="Suppliers that had not answered by the cancel: never asked, or not heard")


class SearchCancelledData(EventSearch):
    status: Literal["cancelled"]
    cancelled_at: datetime
    suppliers: CancelledCounts
    offer_count: int = Field(description="Offers that had arrived by the cancel; GET /search still serves them")
    cheapest: EventOffer | None


class SupplierAnsweredData(EventSearch):
    supplier: str
    supplier_name: str
    state: Literal["complete", "failed"]
    error: str | None
    offer_count: int
    cheapest: EventOffer | None
    answered: int = Field(description="Suppliers answered so far, this one included")
    of: int = Field(description="Suppliers asked")


class SearchEndedEvent(Model):
    type: Literal["search.completed", "search.failed"]
    timestamp: datetime
    data: SearchEndedData


class SearchCancelledEvent(Model):
    type: Literal["search.cancelled"]
    timestamp: datetime
    data: SearchCancelledData


class SupplierAnsweredEvent(Model):
    type: Literal["supplier.answered"]
    timestamp: datetime
    data: SupplierAnsweredData
