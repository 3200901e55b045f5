"""Reading a search: what the suppliers that matter to this request have answered so far, filtered."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from search_service.domain.errors import SearchExpired, SearchNotFound
from search_service.domain.filters import OfferFilter
from search_service.domain.fleet import SUPPLIERS_BY_CODE
from search_service.domain.latency import SupplierLatencies
from search_service.domain.models import Delivery, Offer, SearchJob, SupplierOutcome
from search_service.domain.ports import CallbackStore, Clock, ResultCache
from search_service.domain.start import Policy
from search_service.domain.tokens import search_id

# "cancelled": DELETE /search stopped it (domain.cancel); what had answered by then stands, nothing more comes.
Status = Literal["pending", "partial", "complete", "failed", "cancelled"]
FINAL: frozenset[Status] = frozenset({"complete", "failed", "cancelled"})  # a later read gives the same answer


@dataclass(frozen=True)
class SupplierState:
    supplier: str
    name: str
    state: Literal["searching", "complete", "failed", "cancelled"]  # cancelled: not asked, or its answer dropped
    error: str | None = None
    answered_at: datetime | None = None  # when its answer was stored
    expected_in_s: float | None = None  # while searching: when it usually answers, from now (0: overdue)


@dataclass(frozen=True)
class Alternatives:
    """When nothing matches, what does exist: the asked size from another company, the asked company's
    cheapest car of another size, and the cheapest car of all."""

    same_size: Offer | None = None
    same_supplier: Offer | None = None
    cheapest: Offer | None = None


@dataclass(frozen=True)
class ResultsView:
    status: Status
    job: SearchJob
    offers: list[Offer]  # every match, cheapest first
    suppliers: list[SupplierState]  # the suppliers this request depends on
    message: str
    alternatives: Alternatives | None = None
    deliveries: tuple[Delivery, ...] = ()  # of the search's callback events, oldest first
    cancelled_at: datetime | None = None

    def retry_after_s(self, default_s: int) -> int:
        """When to ask again: when the first company still searching usually answers, at least a second later;
        `default_s` when none of them is known yet."""
        expected = [s.expected_in_s for s in self.suppliers if s.state == "searching" and s.expected_in_s is not None]
        if not expected:
            return default_s
        return max(1, math.ceil(min(expected)))


class GetResults:
    def __init__(
        self,
        cache: ResultCache,
        clock: Clock,
        policy: Policy,
        latencies: SupplierLatencies | None = None,
        callbacks: CallbackStore | None = None,
    ) -> None:
        """`callbacks`: where the deliveries of the searches' callback events are recorded."""
        self._cache = cache
        self._callbacks = callbacks
        self._clock = clock
        self._policy = policy
        self._latencies = latencies

    def __call__(self, token: str, user: str, offer_filter: OfferFilter) -> ResultsView:
        job = self._cache.load_job(search_id(token, user))
        if job is None:
            raise SearchNotFound()
        age_s = (self._clock.now() - job.created_at).total_seconds()
        if age_s > self._policy.result_max_age_s:
            raise SearchExpired(self._policy.result_max_age_s)
        wanted = list(job.suppliers)
        if offer_filter.supplier is not None:
            wanted = [code for code in wanted if code == offer_filter.supplier]
        # A company with no counter in the city has nothing to wait for, but what is said instead comes from the
        # others: the request then depends on them, and is complete with its alternatives once they have answered.
        no_counter = offer_filter.supplier is not None and not wanted
        if no_counter:
            wanted = list(job.suppliers)
        cancelled_at = self._cache.cancelled_at(job.search_id)
        outcomes = answered_before(self._cache.load_outcomes(job.search_id, wanted), cancelled_at)
        # Past the deadline, after the search was marked failed, or once it was cancelled, silence is an answer.
        given_up = job.status == "failed" or age_s > self._policy.search_deadline_s or cancelled_at is not None
        usual = self._latencies.expected() if self._latencies is not None and not given_up else {}
        states = [self._state(code, outcomes.get(code), job, cancelled_at, given_up, usual, age_s) for code in wanted]
        offers = offer_filter.apply(o for outcome in outcomes.values() for o in outcome.offers)
        any_complete = any(outcome.status == "complete" for outcome in outcomes.values())
        status: Status = "cancelled" if cancelled_at is not None else _status(states, any_complete)
        alternatives = None
        # A company that failed to answer has nothing to match, but the others may have what was asked for.
        company_failed = offer_filter.supplier is not None and status == "failed" and job.status != "failed"
        if (
            not offers
            and (status in ("complete", "partial", "cancelled") or company_failed)
            and (offer_filter.size or offer_filter.supplier)
        ):
            alternatives = self._alternatives(job, offer_filter, outcomes, cancelled_at)
        if no_counter and offer_filter.supplier is not None:
            message = f"{SUPPLIERS_BY_CODE[offer_filter.supplier].name} has no rental counter in {job.query.city}."
        else:
            message = _message(status, states, offers, job)
        deliveries: tuple[Delivery, ...] = ()
        if job.callback is not None and self._callbacks is not None:
            deliveries = tuple(self._callbacks.load_deliveries(job.search_id))
        return ResultsView(status, job, offers, states, message, alternatives, deliveries, cancelled_at)

    def _state(
        self,
        code: str,
        outcome: SupplierOutcome | None,
        job: SearchJob,
        cancelled_at: datetime | None,
        given_up: bool,
        usual: Mapping[str, float],
        age_s: float,
    ) -> SupplierState:
        name = SUPPLIERS_BY_CODE[code].name if code in SUPPLIERS_BY_CODE else code
        if outcome is not None:
            return SupplierState(code, name, outcome.status, outcome.error, answered_at=outcome.finished_at)
        if cancelled_at is not None:
            return SupplierState(code, name, "cancelled", "the search was cancelled before this company answered")
        if given_up:
            return SupplierState(code, name, "failed", job.failure or "did not answer in time")
        expected = round(max(0.0, usual[code] - age_s), 1) if code in usual else None
        return SupplierState(code, name, "searching", expected_in_s=expected)

    def _alternatives(
        self,
        job: SearchJob,
        offer_filter: OfferFilter,
        loaded: Mapping[str, SupplierOutcome],
        cancelled_at: datetime | None,
    ) -> Alternatives:
        others = self._cache.load_outcomes(job.search_id, [code for code in job.suppliers if code not in loaded])
        others = answered_before(others, cancelled_at)
        offers = [offer for outcome in (*loaded.values(), *others.values()) for offer in outcome.offers]

        def cheapest(wanted: OfferFilter) -> Offer | None:
            return next(iter(wanted.apply(offers)), None)

        by_size = OfferFilter(size=offer_filter.size, min_rating=offer_filter.min_rating, upgrade=offer_filter.upgrade)
        return Alternatives(
            same_size=cheapest(by_size) if offer_filter.size and offer_filter.supplier else None,
            same_supplier=cheapest(OfferFilter(supplier=offer_filter.supplier)) if offer_filter.supplier else None,
            cheapest=cheapest(OfferFilter(min_rating=offer_filter.min_rating)),
        )


def answered_before(
    outcomes: Mapping[str, SupplierOutcome], cancelled_at: datetime | None
) -> dict[str, SupplierOutcome]:
    """The answers that came before the cancel, if any: a run re-reads the cancel marker only now and then
    (run.CANCEL_RECHECK_S), so an answer may be stored just after it, and it does not count."""
    return {code: o for code, o in outcomes.items() if cancelled_at is None or o.finished_at <= cancelled_at}


def _status(states: list[SupplierState], any_complete: bool) -> Status:
    searching = any(state.state == "searching" for state in states)
    if not states:
        return "complete"
    if searching:
        return "partial" if any_complete else "pending"
    return "complete" if any_complete else "failed"


def _message(status: Status, states: list[SupplierState], offers: list[Offer], job: SearchJob) -> str:
    searching = [state.name for state in states if state.state == "searching"]
    failed = [state.name for state in states if state.state == "failed"]
    if status == "pending":
        return f"Still searching {_join(searching)}."
    if status == "cancelled":
        if not states:
            return "The search was cancelled."
        if not any(state.state == "complete" for state in states):
            return "The search was cancelled before any company answered."
        found = f"{len(offers)} matching offer{'s' if len(offers) != 1 else ''} in {job.query.city}"
        stopped = [state.name for state in states if state.state == "cancelled"]
        return f"The search was cancelled: {found}." + (f" Not waited for: {_join(stopped)}." if stopped else "")
    if status == "failed":
        return f"The search failed: {_join(failed)} could not be reached. Start a new search to try again."
    found = f"{len(offers)} matching offer{'s' if len(offers) != 1 else ''} in {job.query.city}"
    if status == "partial":
        return f"{found} so far; still searching {_join(searching)}."
    missing = f" {_join(failed)} could not be reached." if failed else ""
    return f"{found}.{missing}"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
