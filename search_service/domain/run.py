"""Running a search: ask every supplier at once and cache each answer the moment it arrives."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from search_service.domain.errors import SupplierError, SupplierTimeout
from search_service.domain.models import SearchQuery, SupplierOutcome
from search_service.domain.start import Policy
from search_service.ports import Clock, ResultCache, SupplierProvider

log = logging.getLogger(__name__)

WRITE_MARGIN_S = 1.0  # time kept back to record the suppliers that did not answer


@dataclass
class RunReport:
    search_id: str
    skipped: str | None = None  # why nothing ran: unknown, failed or expired search, or all done already
    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    offers: int = 0
    duration_s: float = 0.0
    supplier_latency_s: float = 0.0  # sum over suppliers: the time a one-by-one search would take


class RunSearch:
    def __init__(
        self,
        cache: ResultCache,
        providers: Mapping[str, SupplierProvider],
        clock: Clock,
        policy: Policy,
        supplier_timeout_s: float,
    ) -> None:
        self._cache = cache
        self._providers = providers
        self._clock = clock
        self._policy = policy
        self._supplier_timeout_s = supplier_timeout_s

    def __call__(self, search_id: str, time_budget_s: float | None = None) -> RunReport:
        """Runs the suppliers that have no answer yet, so a second delivery of the same event is harmless."""
        started = time.monotonic()
        report = RunReport(search_id)
        job = self._cache.load_job(search_id)
        if job is None or job.status == "failed":
            report.skipped = "unknown search" if job is None else "search already failed"
            return report
        if (self._clock.now() - job.created_at).total_seconds() > self._policy.result_max_age_s:
            report.skipped = "search expired"
            return report
        finished = self._cache.finished_suppliers(search_id)
        todo = [code for code in job.suppliers if code not in finished]
        if not todo:
            report.skipped = "every supplier has answered"
            return report
        timeout = self._supplier_timeout_s
        if time_budget_s is not None:
            timeout = max(0.0, min(timeout, time_budget_s - WRITE_MARGIN_S))
        pool = ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="supplier")
        futures: dict[Future[SupplierOutcome], str] = {
            pool.submit(self._ask, search_id, job.query, code, timeout): code for code in todo
        }
        try:
            wait(futures, timeout=timeout + WRITE_MARGIN_S / 2, return_when=FIRST_EXCEPTION)
        finally:
            # A supplier stuck past its timeout must not hold the Lambda: it is recorded as failed below.
            pool.shutdown(wait=False, cancel_futures=True)
        for future, code in futures.items():
            if future.done():
                outcome = future.result()  # raises what _ask raised: the cache is down, let Lambda retry
            else:
                outcome = self._failed(code, f"did not answer within {timeout:g} s", timeout)
                self._cache.save_outcome(search_id, outcome)
            report.supplier_latency_s += outcome.latency_s
            if outcome.status == "complete":
                report.completed.append(code)
                report.offers += len(outcome.offers)
            else:
                report.failed.append(code)
        report.duration_s = time.monotonic() - started
        return report

    def _ask(self, search_id: str, query: SearchQuery, code: str, timeout: float) -> SupplierOutcome:
        started = time.monotonic()
        provider = self._providers.get(code)
        try:
            if provider is None:
                raise SupplierError(f"{code} is no longer searched")
            offers = provider.search(query, timeout)
            outcome = SupplierOutcome(
                supplier=code,
                status="complete",
                offers=tuple(offers),
                latency_s=time.monotonic() - started,
                finished_at=self._clock.now(),
            )
        except SupplierTimeout:
            outcome = self._failed(code, f"did not answer within {timeout:g} s", time.monotonic() - started)
        except SupplierError as error:
            outcome = self._failed(code, str(error), time.monotonic() - started)
        except Exception:
            # A bug in one provider must not lose the other suppliers' offers.
            log.exception("supplier %s crashed", code)
            outcome = self._failed(code, "the search with this company failed", time.monotonic() - started)
        self._cache.save_outcome(search_id, outcome)
        return outcome

    def _failed(self, code: str, reason: str, latency_s: float) -> SupplierOutcome:
        return SupplierOutcome(
            supplier=code, status="failed", error=reason, latency_s=latency_s, finished_at=self._clock.now()
        )
