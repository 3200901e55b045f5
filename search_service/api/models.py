"""What crosses the wire. Field names are camelCase, as in the design's API.

These are the public API's own models, not the domain's: a name changed in the domain changes nothing here nor in
docs/openapi.json (tests/test_openapi.py), and the response copies each domain value into its model."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from search_service.domain import models as domain
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


class StartAccepted(Model):
    token: str = Field(description="Pass it with the same User to GET /search")
    status: Literal["pending"] = "pending"
    search: SearchSummary
    poll: str = Field(
        description="The URL to GET for the results (same as the Location header), with the token in the "
        "Search-Token header and the user in Search-User"
    )
    retry_after_seconds: int


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
