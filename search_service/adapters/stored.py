"""The stored format: the JSON objects the results cache keeps, their names, their version, and how each reads into
the domain and back. S3ResultCache writes and reads them; so does the tests' in-memory cache.

Every object carries `formatVersion`, written on every PUT. An object without one was written before versions
were: it is version 1, the format of these names, which this code still writes. A version this code does not
know, a later release's, is refused as unreadable (CacheUnavailable), never guessed at. So a rename or a change of
meaning here goes with a new version, a reader for the one before, and a fixture of it in tests/stored/ (objects
live a day, the bucket's lifecycle rule; a rollback meets the newer ones).

The names are the ones the objects have had from the start, the domain's in camelCase, but they are this module's:
an object's are its model's fields below, a value's inside it (a query, an offer) are spelled out one by one. So a
name changed in the domain changes nothing in the bucket (tests/contract/test_stored_format.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, GetPydanticSchema, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs

from search_service.domain.models import (
    Callback,
    Delivery,
    DeliveryState,
    IdempotencyRecord,
    Offer,
    RentalLocationInfo,
    SearchJob,
    SearchQuery,
    SigningSecret,
    SupplierOutcome,
    SupplierQuote,
)

FORMAT_VERSION = 1
S = TypeVar("S", bound="Stored")


class Unreadable(ValueError):
    """Not an object of the kind asked for, in a version this code reads: cut short, tampered with, or a later
    release's."""


# --- the values inside an object ------------------------------------------------------------------------------
# Read and written by pydantic-core straight from and to the domain's dataclasses, with no model in between: a GET
# reads a search's offers by the hundred, and copying each from a model into its dataclass in Python doubled the time
# to read them (+0.8 ms for a 9-supplier search of 223 offers); read this way, it costs what reading the domain's
# pydantic models did.

_TEXT = cs.str_schema()
_INTEGER = cs.int_schema()
_NUMBER = cs.float_schema()
_DATE = cs.date_schema()


def _value(domain: type, **fields: tuple[str, CoreSchema] | tuple[str, CoreSchema, object]) -> CoreSchema:
    """How `domain`, a dataclass, is stored: each of its fields by the name it has in the object, its type, and the
    default taken when an object lacks it. Every field must be named, so a field the domain gains or renames cannot
    go unstored."""
    unmatched = {field.name for field in dataclasses.fields(domain)} ^ set(fields)
    if unmatched:
        raise TypeError(f"the stored format of {domain.__name__} does not match its fields: {sorted(unmatched)}")
    arguments = []
    for name, (stored, schema, *default) in fields.items():
        if default:
            schema = cs.with_default_schema(schema, default=default[0])
        arguments.append(cs.dataclass_field(name, schema, validation_alias=stored, serialization_alias=stored))
    args = cs.dataclass_args_schema(domain.__name__, arguments)
    return cs.dataclass_schema(domain, args, list(fields), frozen=True, slots="__slots__" in vars(domain))


def _stored_as(schema: CoreSchema) -> GetPydanticSchema:
    return GetPydanticSchema(lambda _type, _handler: schema)


_QUERY = _value(
    SearchQuery,
    city_id=("cityId", _TEXT),
    city=("city", _TEXT),
    pickup_date=("pickupDate", _DATE),
    return_date=("returnDate", _DATE),
)
_LOCATION = _value(
    RentalLocationInfo,
    code=("code", _TEXT),
    name=("name", _TEXT),
    kind=("kind", cs.literal_schema(["airport", "downtown"])),
)
_OFFER = _value(
    Offer,
    offer_id=("offerId", _TEXT),
    supplier=("supplier", _TEXT),
    supplier_name=("supplierName", _TEXT),
    supplier_rating=("supplierRating", _NUMBER),
    car_class=("carClass", _TEXT),
    car_class_name=("carClassName", _TEXT),
    example_model=("exampleModel", _TEXT),
    seats=("seats", _INTEGER),
    bags=("bags", _INTEGER),
    location=("location", _LOCATION),
    pickup_date=("pickupDate", _DATE),
    return_date=("returnDate", _DATE),
    days=("days", _INTEGER),
    daily_rate=("dailyRate", _NUMBER),
    total_price=("totalPrice", _NUMBER),
    currency=("currency", _TEXT, "USD"),
    quoted_at=("quotedAt", cs.nullable_schema(cs.datetime_schema()), None),
)
_CALLBACK = _value(
    Callback,
    url=("url", _TEXT),
    events=("events", cs.tuple_schema([_TEXT], variadic_item_index=0)),
    owner=("owner", _TEXT),
    poll=("poll", _TEXT),
)
StoredQuery = Annotated[SearchQuery, _stored_as(_QUERY)]
StoredCallback = Annotated[Callback, _stored_as(_CALLBACK)]
StoredOffer = Annotated[Offer, _stored_as(_OFFER)]


# --- the objects, one a PUT ------------------------------------------------------------------------------------


class Stored(BaseModel):
    """One object as a PUT writes it whole; its fields in camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    format_version: int = 1  # an object without one was written before versions were: version 1


class StoredJob(Stored):
    """<search id>/job.json"""

    search_id: str
    query: StoredQuery
    suppliers: tuple[str, ...]
    created_at: datetime
    status: Literal["pending", "failed"] = "pending"
    failure: str | None = None
    # Added compatibly in version 1: absent (not null) when the search has no callback, so a job without one is the
    # object it always was, and a release before callbacks reads a job with one (pydantic ignores unknown fields).
    callback: StoredCallback | None = Field(None, exclude_if=lambda value: value is None)

    @classmethod
    def of(cls, job: SearchJob) -> StoredJob:
        return cls(
            format_version=FORMAT_VERSION,
            search_id=job.search_id,
            query=job.query,
            suppliers=job.suppliers,
            created_at=job.created_at,
            status=job.status,
            failure=job.failure,
            callback=job.callback,
        )

    def domain(self) -> SearchJob:
        return SearchJob(
            search_id=self.search_id,
            query=self.query,
            suppliers=self.suppliers,
            created_at=self.created_at,
            status=self.status,
            failure=self.failure,
            callback=self.callback,
        )


class StoredOutcome(Stored):
    """<search id>/suppliers/<code>.json"""

    supplier: str
    status: Literal["complete", "failed"]
    offers: tuple[StoredOffer, ...] = ()
    error: str | None = None
    latency_s: float
    finished_at: datetime

    @classmethod
    def of(cls, outcome: SupplierOutcome) -> StoredOutcome:
        return cls(
            format_version=FORMAT_VERSION,
            supplier=outcome.supplier,
            status=outcome.status,
            offers=outcome.offers,
            error=outcome.error,
            latency_s=outcome.latency_s,
            finished_at=outcome.finished_at,
        )

    def domain(self) -> SupplierOutcome:
        return SupplierOutcome(
            supplier=self.supplier,
            status=self.status,
            offers=self.offers,
            error=self.error,
            latency_s=self.latency_s,
            finished_at=self.finished_at,
        )


class StoredCancel(Stored):
    """<search id>/cancelled.json: the search was cancelled (DELETE /search), and when. Written once; its presence is
    the cancel. Added in version 1 as a new kind of object: no earlier release wrote or reads it."""

    cancelled_at: datetime

    @classmethod
    def of(cls, at: datetime) -> StoredCancel:
        return cls(format_version=FORMAT_VERSION, cancelled_at=at)

    def domain(self) -> datetime:
        return self.cancelled_at


class StoredSubscription(Stored):
    """<search id>/subscribers/<connection>.json and connections/<connection>/<search id>.json: a WebSocket connection
    listens to the search (domain.push). Added in version 1 as a new kind of object: no earlier release wrote or reads
    it. The user is not in it: the subscribe checked the search is theirs, and the connection id is the address."""

    search_id: str
    connection_id: str
    subscribed_at: datetime


class StoredIdempotency(Stored):
    """idempotency/<key id>.json"""

    sealed_token: str
    request_fingerprint: str
    created_at: datetime
    launched: bool = False

    @classmethod
    def of(cls, record: IdempotencyRecord) -> StoredIdempotency:
        return cls(
            format_version=FORMAT_VERSION,
            sealed_token=record.sealed_token,
            request_fingerprint=record.request_fingerprint,
            created_at=record.created_at,
            launched=record.launched,
        )

    def domain(self) -> IdempotencyRecord:
        return IdempotencyRecord(
            sealed_token=self.sealed_token,
            request_fingerprint=self.request_fingerprint,
            created_at=self.created_at,
            launched=self.launched,
        )


class StoredQuote(Stored):
    """quotes/<supplier>/<city>/<pickup>_<return>.json"""

    supplier: str
    offers: tuple[StoredOffer, ...]
    quoted_at: datetime

    @classmethod
    def of(cls, quote: SupplierQuote) -> StoredQuote:
        return cls(
            format_version=FORMAT_VERSION, supplier=quote.supplier, offers=quote.offers, quoted_at=quote.quoted_at
        )

    def domain(self) -> SupplierQuote:
        return SupplierQuote(supplier=self.supplier, offers=self.offers, quoted_at=self.quoted_at)


class StoredLatencies(Stored):
    """stats/supplier-latency.json: how long each supplier usually takes to answer, in seconds
    (search_service.domain.latency)."""

    seconds: dict[str, float]

    @classmethod
    def of(cls, seconds: Mapping[str, float]) -> StoredLatencies:
        return cls(format_version=FORMAT_VERSION, seconds=dict(seconds))

    def domain(self) -> dict[str, float]:
        return dict(self.seconds)


class StoredDelivery(Stored):
    """<search id>/callbacks/<event id>.json: how the delivery of one of the search's events stands."""

    event_id: str
    event_type: str
    state: DeliveryState
    created_at: datetime
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None

    @classmethod
    def of(cls, delivery: Delivery) -> StoredDelivery:
        return cls(format_version=FORMAT_VERSION, **{f.name: getattr(delivery, f.name) for f in _fields(Delivery)})

    def domain(self) -> Delivery:
        return Delivery(**{f.name: getattr(self, f.name) for f in _fields(Delivery)})


class StoredSecret(Stored):
    """webhook-secrets/<owner>.json, outside the results prefix (a secret outlives the day a result lives): a user's
    signing secret, and the previous one until its grace period ends."""

    secret: str
    created_at: datetime
    previous: str | None = None
    previous_until: datetime | None = None

    @classmethod
    def of(cls, secret: SigningSecret) -> StoredSecret:
        return cls(format_version=FORMAT_VERSION, **{f.name: getattr(secret, f.name) for f in _fields(SigningSecret)})

    def domain(self) -> SigningSecret:
        return SigningSecret(**{f.name: getattr(self, f.name) for f in _fields(SigningSecret)})


def _fields(domain: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(domain)


def dump(stored: Stored) -> bytes:
    return stored.model_dump_json(by_alias=True).encode()


def load(kind: type[S], body: bytes | str) -> S:
    """The object in `body`; `Unreadable` when it is not a `kind` in a version this code reads."""
    try:
        stored = kind.model_validate_json(body)
    except ValidationError as error:
        version = _version(body)
        if version not in (None, FORMAT_VERSION):
            raise Unreadable(_unknown(version)) from error
        raise Unreadable(f"not a {kind.__name__} ({error.error_count()} problems)") from error
    if stored.format_version != FORMAT_VERSION:
        raise Unreadable(_unknown(stored.format_version))
    return stored


def _version(body: bytes | str) -> Any:
    """The version an object that did not validate says it has, to tell a later release's object from a spoiled
    one; None when it says none."""
    try:
        found = json.loads(body)
    except ValueError:
        return None
    return found.get("formatVersion") if isinstance(found, dict) else None


def _unknown(version: object) -> str:
    return f"format version {version!r}, and this release reads version {FORMAT_VERSION}"
