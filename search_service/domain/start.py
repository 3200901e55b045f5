"""Starting a search: validate, record it as pending, hand it to the search Lambda, return a token."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from search_service.domain.callbacks import SigningSecrets, check_events, owner_of
from search_service.domain.cities import AmbiguousCity, City, CityCatalog, UnknownCity
from search_service.domain.errors import (
    CacheUnavailable,
    FieldProblem,
    IdempotencyConflict,
    InvalidRequest,
    LaunchFailed,
)
from search_service.domain.models import Callback, IdempotencyRecord, SearchJob, SearchQuery
from search_service.domain.ports import (
    CallbackUrls,
    Clock,
    RefusedAddress,
    ResultCache,
    SearchLauncher,
    SupplierProvider,
)
from search_service.domain.tokens import idempotency_id, new_token, seal, search_id, unseal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    max_rental_days: int = 30
    max_days_ahead: int = 330  # rental companies open bookings about eleven months out
    result_max_age_s: int = 1800
    search_deadline_s: int = 120  # a supplier still silent this long after the start has failed


@dataclass(frozen=True)
class StartRequest:
    city: str
    pickup_date: date
    return_date: date
    user: str
    callback_url: str | None = None
    callback_events: Sequence[str] | None = None  # None: the default events
    poll: str = "/search"  # where the client GETs the results: the callback's events say it


@dataclass(frozen=True)
class CallbackSetup:
    """What a search with a callbackUrl needs at its start: the URL checked (SSRF), and the user's signing secret
    made if it has none yet, so that its first event can be signed."""

    urls: CallbackUrls
    secrets: SigningSecrets


@dataclass(frozen=True)
class Started:
    token: str
    job: SearchJob
    replayed: bool  # an earlier request with the same Idempotency-Key started this search
    expires_at: datetime


class StartSearch:
    def __init__(
        self,
        catalog: CityCatalog,
        providers: Mapping[str, SupplierProvider],
        cache: ResultCache,
        launcher: SearchLauncher,
        clock: Clock,
        policy: Policy,
        callbacks: CallbackSetup | None = None,
    ) -> None:
        self._catalog = catalog
        self._callbacks = callbacks
        self._providers = providers
        self._cache = cache
        self._launcher = launcher
        self._clock = clock
        self._policy = policy

    def __call__(self, request: StartRequest, idempotency_key: str | None = None) -> Started:
        city, query = self.validate(request)
        callback = self._callback(request)
        now = self._clock.now()
        token = new_token()
        job = SearchJob(
            search_id=search_id(token, request.user),
            query=query,
            suppliers=tuple(code for code, provider in self._providers.items() if provider.serves(city)),
            created_at=now,
            callback=callback,
        )
        # The job goes first so that whoever learns the token, this caller or a replay, finds it pending.
        # A job that then loses the idempotency race is never launched nor known to anyone; the
        # bucket's lifecycle rule removes it.
        self._cache.create_job(job)
        claim: IdempotencyRecord | None = None
        key_id = idempotency_id(idempotency_key, request.user) if idempotency_key is not None else ""
        if idempotency_key is not None:
            fingerprint = _fingerprint(query, callback)
            claim = IdempotencyRecord(
                sealed_token=seal(token, idempotency_key, request.user), request_fingerprint=fingerprint, created_at=now
            )
            holder = self._cache.claim_idempotency_key(key_id, claim, self._policy.result_max_age_s)
            if holder != claim:
                if holder.request_fingerprint != fingerprint:
                    raise IdempotencyConflict()
                return self._replay(job, holder, key_id, idempotency_key, request.user)
        try:
            self._launcher.launch(job.search_id)
        except LaunchFailed:
            try:
                self._cache.mark_failed(job.search_id, "The search could not be started.")
            finally:
                if claim is not None:  # so that the client's retry starts afresh
                    self._cache.release_idempotency_key(key_id)
            raise
        if claim is not None:
            self._record_launch(key_id, claim)
        return Started(token, job, False, self._expiry(now))

    def _replay(self, job: SearchJob, holder: IdempotencyRecord, key_id: str, key: str, user: str) -> Started:
        """The search an earlier request with this key started. If that request died between its claim and the
        launch (a Lambda timeout, a lost invoke), nothing runs it: it is launched now, as a run is idempotent."""
        token = unseal(holder.sealed_token, key, user)
        earlier = replace(job, search_id=search_id(token, user), created_at=holder.created_at)
        if not holder.launched:
            self._launcher.launch(earlier.search_id)  # LaunchFailed: the key stays claimed, the next retry tries again
            self._record_launch(key_id, holder)
        return Started(token, earlier, True, self._expiry(holder.created_at))

    def _record_launch(self, key_id: str, claim: IdempotencyRecord) -> None:
        try:
            self._cache.record_launch(key_id, claim)
        except CacheUnavailable as error:
            # The search runs; a replay would only launch it again, which a run shrugs off.
            log.warning("launch of an idempotent start not recorded: %s", error)

    def validate(self, request: StartRequest) -> tuple[City, SearchQuery]:
        problems: list[FieldProblem] = []
        if not request.user.strip():
            problems.append(FieldProblem("user", "user must name who is searching.", "required"))
        city = self._resolve_city(request.city, problems)
        # "Today" is the city's today: at 11 pm in Los Angeles it is already tomorrow in UTC.
        zone = ZoneInfo(city.timezone if city else "Pacific/Honolulu")  # unknown city: the latest "today"
        today = self._clock.now().astimezone(zone).date()
        pickup, dropoff = request.pickup_date, request.return_date
        if pickup < today:
            problems.append(
                FieldProblem(
                    "pickupDate",
                    f"{pickup.isoformat()} is in the past. The earliest pickup is today, {today.isoformat()}.",
                    "past_date",
                    {"earliest": today.isoformat()},
                )
            )
        elif pickup > today + timedelta(days=self._policy.max_days_ahead):
            latest = today + timedelta(days=self._policy.max_days_ahead)
            problems.append(
                FieldProblem(
                    "pickupDate",
                    f"{pickup.isoformat()} is too far ahead: rental companies take bookings up to "
                    f"{latest.isoformat()}.",
                    "too_far_ahead",
                    {"latest": latest.isoformat()},
                )
            )
        days = (dropoff - pickup).days
        if days <= 0:
            problems.append(
                FieldProblem(
                    "returnDate",
                    f"The return date must be after the pickup date, {pickup.isoformat()}.",
                    "return_before_pickup",
                )
            )
        elif days > self._policy.max_rental_days:
            latest_return = pickup + timedelta(days=self._policy.max_rental_days)
            problems.append(
                FieldProblem(
                    "returnDate",
                    f"A rental can last at most {self._policy.max_rental_days} days; this one lasts "
                    f"{days}. Choose a return date by {latest_return.isoformat()}.",
                    "too_long",
                    {"maxDays": self._policy.max_rental_days},
                )
            )
        if problems or city is None:
            raise InvalidRequest(problems)
        return city, SearchQuery(city_id=city.id, city=city.display, pickup_date=pickup, return_date=dropoff)

    def _callback(self, request: StartRequest) -> Callback | None:
        events = check_events(request.callback_events, request.callback_url is not None)
        if request.callback_url is None:
            return None
        if self._callbacks is None:
            raise InvalidRequest(
                [FieldProblem("callbackUrl", "This deployment sends no callbacks: poll instead.", "unsupported")]
            )
        try:
            self._callbacks.urls.check(request.callback_url)
        except RefusedAddress as refused:
            raise InvalidRequest(
                [FieldProblem("callbackUrl", f"The callbackUrl is refused: {refused}", "refused_url")]
            ) from None
        self._callbacks.secrets.current(request.user)  # made now if the user has none: the events will be signed
        return Callback(url=request.callback_url, events=events, owner=owner_of(request.user), poll=request.poll)

    def _resolve_city(self, text: str, problems: list[FieldProblem]) -> City | None:
        try:
            return self._catalog.resolve(text)
        except AmbiguousCity as error:
            names = [city.display for city in error.candidates]
            problems.append(
                FieldProblem(
                    "city",
                    f"More than one city called {error.candidates[0].name} has rental locations: "
                    f"{_either(names)}. Add the state, for example '{names[0]}'.",
                    "ambiguous_city",
                    {"candidates": names, "spoken": [f"{city.name}, {city.state_name}" for city in error.candidates]},
                )
            )
        except UnknownCity as error:
            served = sorted({city.display for city in self._catalog.cities})
            if error.suggestions:
                hint = f"Did you mean {_either([city.display for city in error.suggestions])}?"
            else:
                hint = f"Car Search serves {len(served)} US cities, such as New York, Chicago and Denver."
            problems.append(
                FieldProblem(
                    "city",
                    f"We have no rental locations in '{text}'. {hint}",
                    "unknown_city",
                    {
                        "suggestions": [city.display for city in error.suggestions],
                        "spoken": [f"{city.name}, {city.state_name}" for city in error.suggestions],
                        "served": served,
                    },
                )
            )
        return None

    def _expiry(self, created_at: datetime) -> datetime:
        return created_at + timedelta(seconds=self._policy.result_max_age_s)


def _fingerprint(query: SearchQuery, callback: Callback | None = None) -> str:
    trip = f"{query.city_id}|{query.pickup_date}|{query.return_date}"
    if callback is not None:  # appended only then: the records of searches without one keep their fingerprint
        trip += f"|{callback.url}|{','.join(callback.events)}"
    return hashlib.sha256(trip.encode()).hexdigest()


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
