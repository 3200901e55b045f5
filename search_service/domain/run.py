"""Running a search: ask every supplier at once and cache each answer the moment it arrives."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime

from search_service.domain.callbacks import Outbox
from search_service.domain.errors import CacheUnavailable, SupplierError, SupplierTimeout
from search_service.domain.latency import SupplierLatencies
from search_service.domain.models import Offer, SearchJob, SearchQuery, SupplierOutcome, SupplierQuote
from search_service.domain.ports import Clock, QuoteCache, ResultCache, SupplierProvider
from search_service.domain.push import Push
from search_service.domain.start import Policy

log = logging.getLogger(__name__)

WRITE_MARGIN_S = 1.0  # time kept back to record the suppliers that did not answer
SKIPPED_CANCELLED = "search cancelled"
# How often a run reads its search's cancel marker again, at most, before storing an answer: its suppliers' threads
# share each read. Reading before every answer doubled the S3 requests of a run (the local stack's load test failed on
# the embedded S3); an answer stored within this long after a cancel is not shown (GetResults: it came after it).
CANCEL_RECHECK_S = 0.5


@dataclass
class RunReport:
    search_id: str
    skipped: str | None = None  # why nothing ran: unknown, failed or late search, or all done already
    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # The search was cancelled (DELETE /search): these suppliers were not asked, or their answers were dropped. Where
    # a run ends cancelled, whatever must follow a cancel (a callback) hooks in: see `was_cancelled`.
    cancelled: list[str] = field(default_factory=list)
    offers: int = 0
    duration_s: float = 0.0
    supplier_latency_s: float = 0.0  # sum over suppliers: the time a one-by-one search would take
    quote_hits: int = 0  # suppliers answered from the quote cache
    quote_misses: int = 0  # suppliers asked, with the quote cache on

    @property
    def was_cancelled(self) -> bool:
        return bool(self.cancelled) or self.skipped == SKIPPED_CANCELLED


@dataclass(frozen=True)
class QuoteReuse:
    """The quote cache: a supplier's answer for the same city and dates is reused by any search for `max_age_s`
    (0: never). It holds suppliers' answers only, never a search, a token or a user."""

    quotes: QuoteCache
    max_age_s: float


class RunSearch:
    def __init__(
        self,
        cache: ResultCache,
        providers: Mapping[str, SupplierProvider],
        clock: Clock,
        policy: Policy,
        supplier_timeout_s: float,
        latencies: SupplierLatencies | None = None,
        reuse: QuoteReuse | None = None,
        cancel_recheck_s: float = CANCEL_RECHECK_S,
        outbox: Outbox | None = None,
        push: Push | None = None,
    ) -> None:
        """`outbox`: where the events of searches with a callback go (none: no callbacks). `push`: where they go for the
        search's WebSocket subscribers (none: no WebSocket API)."""
        self._cache = cache
        self._providers = providers
        self._clock = clock
        self._policy = policy
        self._supplier_timeout_s = supplier_timeout_s
        self._latencies = latencies
        self._reuse = reuse if reuse is not None and reuse.max_age_s > 0 else None
        self._cancel_recheck_s = cancel_recheck_s
        self._outbox = outbox
        self._push = push

    def __call__(self, search_id: str, time_budget_s: float | None = None) -> RunReport:
        """Runs the suppliers that have no answer yet, so a second delivery of the same event is harmless."""
        started = time.monotonic()
        report = RunReport(search_id)
        job = self._cache.load_job(search_id)
        if job is None or job.status == "failed":
            report.skipped = "unknown search" if job is None else "search already failed"
            return report
        before_deadline_s = self._policy.search_deadline_s - (self._clock.now() - job.created_at).total_seconds()
        if before_deadline_s < 0:
            # Lambda may deliver the event up to 300 s late; past the deadline, GETs have already said the silent
            # suppliers failed, and a late run must not turn that answer into another one.
            report.skipped = "search past its deadline"
            return report
        finished = self._cache.finished_suppliers(search_id)
        todo = [code for code in job.suppliers if code not in finished]
        if not todo:
            report.skipped = "every supplier has answered"
            return report
        stopped = _Cancellation(self._cache, search_id, self._cancel_recheck_s)
        if stopped(fresh=True):  # cancelled before its event came (or between two deliveries): no company is asked
            report.skipped = SKIPPED_CANCELLED
            report.cancelled = todo
            self._pushed_cancel(job)
            return report
        timeout = min(self._supplier_timeout_s, before_deadline_s)  # nor may a late run's answers land after it
        if time_budget_s is not None:
            timeout = max(0.0, min(timeout, time_budget_s - WRITE_MARGIN_S))
        pool = ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="supplier")
        answered = itertools.count(len(job.suppliers) - len(todo) + 1)  # itertools.count: thread-safe in CPython
        futures: dict[Future[tuple[SupplierOutcome, bool] | None], str] = {
            pool.submit(self._ask, job, code, timeout, stopped, answered): code for code in todo
        }
        try:
            wait(futures, timeout=timeout + WRITE_MARGIN_S / 2, return_when=FIRST_EXCEPTION)
        finally:
            # A supplier stuck past its timeout must not hold the Lambda: it is recorded as failed below.
            pool.shutdown(wait=False, cancel_futures=True)
        learned: dict[str, float] = {}
        for future, code in futures.items():
            reused = False
            if future.done():
                asked = future.result()  # raises what _ask raised: the cache is down, let Lambda retry
                if asked is None:
                    report.cancelled.append(code)
                    continue
                outcome, reused = asked
            elif stopped():
                report.cancelled.append(code)
                continue
            else:
                outcome = self._failed(code, f"did not answer within {timeout:g} s", timeout)
                self._cache.save_outcome(search_id, outcome)
                self._answered(job, outcome, answered)
            if self._reuse is not None:
                report.quote_hits += reused
                report.quote_misses += not reused
            if outcome.status == "complete" and not reused:
                learned[code] = outcome.latency_s
            report.supplier_latency_s += outcome.latency_s
            if outcome.status == "complete":
                report.completed.append(code)
                report.offers += len(outcome.offers)
            else:
                report.failed.append(code)
        if self._latencies is not None:
            self._latencies.record(learned)
        # A cancelled search's event is the cancel's (domain.cancel): it is sent when DELETE is answered.
        if self._outbox is not None and job.callback is not None and not report.was_cancelled:
            self._outbox.search_ended(job, self._cache.load_outcomes(search_id, job.suppliers))
        if self._push is not None:
            if report.was_cancelled:
                self._pushed_cancel(job)
            else:
                self._push.search_ended(job, self._cache.load_outcomes(search_id, job.suppliers))
        report.duration_s = time.monotonic() - started
        return report

    def _answered(self, job: SearchJob, outcome: SupplierOutcome, answered: itertools.count[int]) -> None:
        number = next(answered)
        if self._outbox is not None and job.callback is not None:
            self._outbox.supplier_answered(job, outcome, number)
        if self._push is not None:
            self._push.supplier_answered(job, outcome, number)

    def _pushed_cancel(self, job: SearchJob) -> None:
        """The subscribers learn of a cancel from the run: the DELETE's function does not post to connections."""
        if self._push is None:
            return
        from search_service.domain.results import answered_before  # reading's module: cancels only, not every start

        at = self._cache.cancelled_at(job.search_id)
        if at is not None:
            kept = answered_before(self._cache.load_outcomes(job.search_id, job.suppliers), at)
            self._push.search_cancelled(job, kept, at)

    def _ask(
        self,
        job: SearchJob,
        code: str,
        timeout: float,
        stopped: Callable[[], bool],
        answered: itertools.count[int],
    ) -> tuple[SupplierOutcome, bool] | None:
        """The supplier's outcome, saved (and announced, when the client asked), and whether it came from the quote
        cache; None when the search was cancelled before the supplier was asked or before its answer was stored (then
        it is neither stored nor announced)."""
        asked = self._outcome(job, code, timeout, stopped)
        if asked is not None:
            self._answered(job, asked[0], answered)
        return asked

    def _outcome(
        self, job: SearchJob, code: str, timeout: float, stopped: Callable[[], bool]
    ) -> tuple[SupplierOutcome, bool] | None:
        search_id, query = job.search_id, job.query
        if stopped():
            return None
        started = time.monotonic()
        quote = self._reused(code, query)
        if quote is not None:
            outcome = SupplierOutcome(supplier=code, status="complete", offers=quote.offers,
                                      latency_s=time.monotonic() - started, finished_at=self._clock.now())  # fmt: skip
            if stopped():
                return None
            self._cache.save_outcome(search_id, outcome)
            return outcome, True
        provider = self._providers.get(code)
        try:
            if provider is None:
                raise SupplierError(f"{code} is no longer searched")
            offers = provider.search(query, timeout)
            now = self._clock.now()
            outcome = SupplierOutcome(
                supplier=code,
                status="complete",
                offers=tuple(_quoted(offer, now) for offer in offers),
                latency_s=time.monotonic() - started,
                finished_at=now,
            )
            self._keep(SupplierQuote(supplier=code, offers=outcome.offers, quoted_at=now), query)
        except SupplierTimeout:
            outcome = self._failed(code, f"did not answer within {timeout:g} s", time.monotonic() - started)
        except SupplierError as error:
            outcome = self._failed(code, str(error), time.monotonic() - started)
        except Exception:
            # A bug in one provider must not lose the other suppliers' offers.
            log.exception("supplier %s crashed", code)
            outcome = self._failed(code, "the search with this company failed", time.monotonic() - started)
        if stopped():
            return None
        self._cache.save_outcome(search_id, outcome)
        return outcome, False

    def _reused(self, code: str, query: SearchQuery) -> SupplierQuote | None:
        if self._reuse is None:
            return None
        try:
            quote = self._reuse.quotes.load_quote(code, query)
        except CacheUnavailable as error:  # the supplier is asked instead
            log.warning("quote of %s not read: %s", code, error)
            return None
        if quote is None or (self._clock.now() - quote.quoted_at).total_seconds() > self._reuse.max_age_s:
            return None
        return quote

    def _keep(self, quote: SupplierQuote, query: SearchQuery) -> None:
        if self._reuse is None:
            return
        try:
            self._reuse.quotes.save_quote(quote, query)
        except CacheUnavailable as error:  # this search has its answer; only the next one misses it
            log.warning("quote of %s not kept: %s", quote.supplier, error)

    def _failed(self, code: str, reason: str, latency_s: float) -> SupplierOutcome:
        return SupplierOutcome(
            supplier=code, status="failed", error=reason, latency_s=latency_s, finished_at=self._clock.now()
        )


class _Cancellation:
    """Whether a run's search has been cancelled. One per run, shared by its suppliers' threads: the marker is read
    at most every `recheck_s` (unless `fresh` is asked for), and once seen never again, as a cancel is never undone."""

    def __init__(self, cache: ResultCache, search_id: str, recheck_s: float) -> None:
        self._cache = cache
        self._search_id = search_id
        self._recheck_s = recheck_s
        self._seen = False
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self, fresh: bool = False) -> bool:
        with self._lock:  # one read for the threads that ask at once
            if self._seen:
                return True
            now = time.monotonic()
            if fresh or self._read_at is None or now - self._read_at >= self._recheck_s:
                self._seen = self._cache.cancelled_at(self._search_id) is not None
                self._read_at = now
            return self._seen


def _quoted(offer: Offer, at: datetime) -> Offer:
    return offer if offer.quoted_at is not None else replace(offer, quoted_at=at)
