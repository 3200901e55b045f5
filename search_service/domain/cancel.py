"""Cancelling a search (DELETE /search): the run asks no company it has not asked yet and stores no answer that
comes after, and every read says `cancelled`, with what had answered by then.

The cancel is a marker of its own beside the job (ResultCache.cancel), written once: the job record stays the start
step's, so the function that cancels may write the marker and nothing else of a search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from search_service.domain.errors import SearchFinished
from search_service.domain.filters import OfferFilter
from search_service.domain.ports import Clock, ResultCache
from search_service.domain.results import GetResults, ResultsView, answered_before

if TYPE_CHECKING:
    from search_service.domain.callbacks import Outbox

EVERYTHING = OfferFilter()


class CancelSearch:
    def __init__(self, cache: ResultCache, clock: Clock, results: GetResults, outbox: Outbox | None = None) -> None:
        """`outbox`: where a search with a callback says it was cancelled (search.cancelled): here, as the run may have
        ended before the cancel and will not run again."""
        self._cache = cache
        self._clock = clock
        self._results = results
        self._outbox = outbox

    def __call__(self, token: str, user: str) -> ResultsView:
        """The search as it stands once cancelled, unfiltered. Raises what a read raises for an unknown, another
        user's or an expired search, and SearchFinished when it ended before: a client that cancels to stop the work
        learns that there was none left, and that the results it may still read are complete (or failed)."""
        view = self._results(token, user, EVERYTHING)
        if view.status == "cancelled":
            return view  # cancelled already: a second DELETE is answered as the first, and moves nothing
        if view.status in ("complete", "failed"):
            raise SearchFinished(view.status)
        job, now = view.job, self._clock.now()
        at = self._cache.cancel(job.search_id, now)
        if self._outbox is not None and job.callback is not None and at == now:
            # Only the DELETE that wrote the marker announces it: of two at once, the other one's cancel was this one.
            kept = answered_before(self._cache.load_outcomes(job.search_id, job.suppliers), at)
            self._outbox.search_cancelled(job, kept, at)
        return self._results(token, user, EVERYTHING)
