"""CancelSearch and what a cancel does to a run and to reads, on the fakes."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from search_service.adapters.webhooks import render
from search_service.domain.callbacks import EVENT_TYPES, Outbox
from search_service.domain.cancel import CancelSearch
from search_service.domain.cities import City
from search_service.domain.errors import SearchExpired, SearchFinished, SearchNotFound
from search_service.domain.filters import OfferFilter
from search_service.domain.models import Callback, Offer, SearchJob, SearchQuery
from search_service.domain.ports import ResultCache, SupplierProvider
from search_service.domain.run import RunSearch
from search_service.domain.start import Policy
from search_service.domain.tokens import search_id
from tests.builders.in_memory import USER, InMemoryService, answering, in_memory_service
from tests.fakes.callbacks import InMemoryCallbackStore, ListQueue
from tests.fakes.clock import FixedClock


def _cancel(service: InMemoryService) -> CancelSearch:
    return CancelSearch(service.cache, service.clock, service.results)


def _stored_suppliers(service: InMemoryService, search: str) -> set[str]:
    return service.cache.finished_suppliers(search)


def test_a_cancel_before_the_run_leaves_every_company_unasked(service: InMemoryService) -> None:
    started = service.start_search()
    view = _cancel(service)(started.token, USER)

    assert view.status == "cancelled" and view.cancelled_at == service.clock.now()
    assert {state.state for state in view.suppliers} == {"cancelled"}
    [report] = service.launcher.deliver()
    assert report.skipped == "search cancelled" and report.was_cancelled
    assert report.cancelled == list(started.job.suppliers)
    assert _stored_suppliers(service, started.job.search_id) == set()


def test_a_second_cancel_keeps_the_first_ones_time(service: InMemoryService) -> None:
    started = service.start_search()
    first = _cancel(service)(started.token, USER)
    service.clock.advance(seconds=30)
    again = _cancel(service)(started.token, USER)
    assert again.cancelled_at == first.cancelled_at and again.status == "cancelled"


@pytest.mark.parametrize("ending", ["complete", "failed"])
def test_a_finished_search_cannot_be_cancelled(service: InMemoryService, ending: str) -> None:
    started = service.start_search()
    if ending == "complete":
        service.launcher.deliver()
    else:
        service.cache.mark_failed(started.job.search_id, "The search could not be run.")
    with pytest.raises(SearchFinished) as refused:
        _cancel(service)(started.token, USER)
    assert refused.value.status == ending
    assert service.cache.cancelled_at(started.job.search_id) is None
    assert service.read(started).status == ending


def test_another_users_token_and_an_old_search_are_refused_as_reads_are(service: InMemoryService) -> None:
    started = service.start_search()
    with pytest.raises(SearchNotFound):
        _cancel(service)(started.token, "someone-else")
    service.clock.advance(hours=1)
    with pytest.raises(SearchExpired):
        _cancel(service)(started.token, USER)
    assert service.cache.cancelled_at(started.job.search_id) is None


class CancellingSupplier:
    """Answers, but the search is cancelled while it does: its answer comes after the cancel."""

    def __init__(self, inner: SupplierProvider, cache: ResultCache, clock: FixedClock, token: list[str]) -> None:
        self.supplier = inner.supplier
        self._inner, self._cache, self._clock, self._token = inner, cache, clock, token

    def serves(self, city: City) -> bool:
        return self._inner.serves(city)

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        self._cache.cancel(search_id(self._token[0], USER), self._clock.now())
        self._clock.advance(seconds=1)  # the answer comes a second after the cancel
        return self._inner.search(query, timeout_s)


def _cancelling_run(clock: FixedClock, recheck_s: float) -> tuple[InMemoryService, RunSearch, list[str]]:
    """A service whose Hertz cancels the search while it answers, and a run that reads the cancel marker again at
    most every `recheck_s` before storing an answer."""
    token: list[str] = []
    service = in_memory_service(clock)
    cancelling = answering(hertz=lambda inner: CancellingSupplier(inner, service.cache, clock, token))
    return service, RunSearch(service.cache, cancelling, clock, Policy(), 5.0, cancel_recheck_s=recheck_s), token


def test_an_answer_that_comes_after_the_cancel_is_not_stored(clock: FixedClock) -> None:
    service, run, token = _cancelling_run(clock, recheck_s=0)  # the marker read before every answer stored
    started = service.start_search()
    token.append(started.token)
    report = run(started.job.search_id)

    stored = _stored_suppliers(service, started.job.search_id)
    assert "hertz" not in stored and "hertz" in report.cancelled and report.was_cancelled
    # Every company either answered before the cancel or is reported as not kept; none both
    assert stored | set(report.cancelled) == set(started.job.suppliers)
    assert not stored & set(report.cancelled)
    view = service.read(started, OfferFilter(supplier="hertz"))
    assert view.status == "cancelled" and [s.state for s in view.suppliers] == ["cancelled"]
    assert view.message == "The search was cancelled before any company answered."


def test_a_cancelled_search_past_its_deadline_still_reads_cancelled(service: InMemoryService) -> None:
    started = service.start_search()
    _cancel(service)(started.token, USER)
    service.clock.advance(seconds=Policy().search_deadline_s + 1)
    # The deadline would call a silent company failed; a cancelled one was not waited for, and says so
    view = service.read(started)
    assert view.status == "cancelled" and {state.state for state in view.suppliers} == {"cancelled"}


def test_an_answer_stored_just_after_the_cancel_is_not_shown(clock: FixedClock) -> None:
    # GIVEN a run that does not read the cancel marker again within the run, so that an answer that comes after the
    # cancel is stored
    service, run, token = _cancelling_run(clock, recheck_s=3600)
    started = service.start_search()
    token.append(started.token)
    run(started.job.search_id)
    assert "hertz" in _stored_suppliers(service, started.job.search_id)
    # THEN no read shows it: it came after the cancel
    view = service.read(started)
    hertz = next(state for state in view.suppliers if state.supplier == "hertz")
    assert view.status == "cancelled" and hertz.state == "cancelled"
    assert "hertz" not in {offer.supplier for offer in view.offers}


class _WithCallback:
    """The cache, its jobs read with a callback: the run's view of a search started with a callbackUrl."""

    def __init__(self, cache: ResultCache, callback: Callback) -> None:
        self._cache, self._callback = cache, callback

    def load_job(self, search: str) -> SearchJob | None:
        job = self._cache.load_job(search)
        return None if job is None else replace(job, callback=self._callback)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cache, name)


def test_a_run_cancelled_mid_way_announces_the_answers_it_kept_and_no_end(clock: FixedClock) -> None:
    # GIVEN a search with a callback for every event, whose Hertz cancels it while answering
    token: list[str] = []
    service = in_memory_service(clock)
    cancelling = answering(hertz=lambda inner: CancellingSupplier(inner, service.cache, clock, token))
    callback = Callback(url="https://hooks.example.com/in", events=EVENT_TYPES, owner="o", poll="/beta/search")
    queue = ListQueue()
    outbox = Outbox(InMemoryCallbackStore(), queue, clock, render)
    run = RunSearch(_WithCallback(service.cache, callback), cancelling, clock, Policy(), 5.0, cancel_recheck_s=0,
                    outbox=outbox)  # fmt: skip
    started = service.start_search()
    token.append(started.token)
    # WHEN it runs
    report = run(started.job.search_id)
    # THEN each answer kept is announced, Hertz's (after the cancel) is not, and the search's end is not: the cancel
    # says it (search.cancelled, sent by DELETE)
    assert report.was_cancelled and "hertz" in report.cancelled
    sent = [(message.event_type, json.loads(message.body)["data"]) for message, _ in queue.sent]
    assert {kind for kind, _ in sent} == {"supplier.answered"}
    assert sorted(data["supplier"] for _, data in sent) == sorted(
        service.cache.finished_suppliers(started.job.search_id)
    )
