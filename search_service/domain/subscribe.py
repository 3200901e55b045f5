"""Subscribing a WebSocket connection to a search (the WebSocket API's subscribe route): only the user's own search,
with the same SearchNotFound as a GET otherwise; the answer is the search as it stands. Apart from domain.push, which
the run imports: the run needs none of the reading below (GetResults), and its cold start does not pay for it."""

from __future__ import annotations

from dataclasses import dataclass

from search_service.domain.filters import OfferFilter
from search_service.domain.ports import Clock, Subscribers
from search_service.domain.push import SUBSCRIBED, message
from search_service.domain.results import FINAL, GetResults, ResultsView

EVERYTHING_ANSWERED = ("complete", "failed")
EVERYTHING = OfferFilter()


@dataclass(frozen=True)
class Subscription:
    """What a subscribe answers: the search as it stands (the events already past, as one snapshot)."""

    view: ResultsView

    def frame(self) -> bytes:
        """The `subscribed` frame: its `status` says when the search has ended already, and nothing more will come."""
        job, view = self.view.job, self.view
        answered = [
            {"supplier": state.supplier, "supplierName": state.name, "state": state.state, "error": state.error}
            for state in view.suppliers
            if state.state in EVERYTHING_ANSWERED
        ]
        data = {"searchId": job.search_id, "status": view.status, "answered": answered, "of": len(job.suppliers)}
        return message(SUBSCRIBED, data)


class Subscribe:
    """A subscribe on a connection: the search must be the user's own (the same SearchNotFound as a GET otherwise)."""

    def __init__(self, results: GetResults, subscribers: Subscribers, clock: Clock) -> None:
        self._results = results
        self._subscribers = subscribers
        self._clock = clock

    def __call__(self, connection_id: str, token: str, user: str) -> Subscription:
        """Raises what a read raises (SearchNotFound, SearchExpired, CacheUnavailable)."""
        view = self._results(token, user, EVERYTHING)  # checks the search is this user's before anything is written
        if view.status not in FINAL:
            self._subscribers.subscribe(view.job.search_id, connection_id, self._clock.now())
            view = self._results(token, user, EVERYTHING)  # read after the record: see the module's docstring
        return Subscription(view)
