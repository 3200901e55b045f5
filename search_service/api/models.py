"""What crosses the wire. Field names are camelCase, as in the design's API."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from search_service.domain.cities import CityCatalog
from search_service.domain.models import Model, Offer, RentalLocationInfo, SearchJob

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
    state: Literal["searching", "complete", "failed"]
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
    status: Literal["pending", "partial", "complete", "failed"]
    message: str
    search: SearchSummary
    filters: AppliedFilters
    offer_count: int = Field(description="How many offers match; `offers` holds the first `Limit`")
    offers: list[Offer]
    suppliers: list[SupplierStatus]
    alternatives: Alternatives | None = Field(None, description="Set when nothing matches the filters")


class Problem(Model):
    field: str
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(Model):
    message: str
    errors: list[Problem] = Field(default_factory=list)


def summarise(job: SearchJob, catalog: CityCatalog, max_age_s: int) -> SearchSummary:
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
    "Idempotent-Replayed": {
        "description": "'true' when an earlier request with this Idempotency-Key started the search",
        "schema": {"type": "string"},
    },
}
