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
class SearchJob:
    """What the start step records before the search runs, so that a GET at once sees it pending."""

    search_id: str
    query: SearchQuery
    suppliers: tuple[str, ...]
    created_at: datetime
    status: Literal["pending", "failed"] = "pending"
    failure: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyRecord:
    """Which token a client's Idempotency-Key got, and for which request, so a replay gets the same one. The token
    is sealed (domain.tokens.seal): the bucket holds no usable token. `launched` is set once the search was handed
    to the search Lambda, so a replay of a start that died before that launches it."""

    sealed_token: str
    request_fingerprint: str
    created_at: datetime
    launched: bool = False
