"""The three use cases wired to the fakes, as search_service.wiring wires them to AWS: no moto, no Powertools, no
threads but the suppliers'."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from search_service.domain.cities import CityCatalog
from search_service.domain.filters import OfferFilter
from search_service.domain.latency import SupplierLatencies
from search_service.domain.ports import SupplierProvider
from search_service.domain.results import GetResults, ResultsView
from search_service.domain.run import QuoteReuse, RunReport, RunSearch
from search_service.domain.start import Policy, Started, StartRequest, StartSearch
from search_service.providers.simulated import simulated_providers
from tests.fakes.cache import InMemoryResultCache
from tests.fakes.clock import FixedClock
from tests.fakes.launcher import InMemoryLauncher

USER = "amzn1.ask.account.TESTUSER"
CATALOG = CityCatalog()  # immutable: built once for every test


@dataclass
class InMemoryService:
    cache: InMemoryResultCache
    launcher: InMemoryLauncher[RunReport]
    clock: FixedClock
    start: StartSearch
    run: RunSearch
    results: GetResults

    def start_search(
        self,
        city: str = "New York",
        pickup: date = date(2026, 11, 28),
        dropoff: date = date(2026, 11, 30),
        user: str = USER,
        key: str | None = None,
    ) -> Started:
        return self.start(StartRequest(city, pickup, dropoff, user), key)

    def read(self, started: Started, offer_filter: OfferFilter | None = None, user: str = USER) -> ResultsView:
        return self.results(started.token, user, offer_filter or OfferFilter())


def in_memory_service(
    clock: FixedClock,
    providers: Mapping[str, SupplierProvider] | None = None,
    policy: Policy | None = None,
    supplier_timeout_s: float = 5.0,
    cache: InMemoryResultCache | None = None,
    quote_cache_s: float = 0.0,
) -> InMemoryService:
    """Suppliers answer at once unless `providers` says otherwise; the policy is the deployed default; the suppliers'
    latencies are learned as deployed; the quote cache is off unless `quote_cache_s` turns it on."""
    policy = policy or Policy()
    providers = simulated_providers(CATALOG, 0) if providers is None else providers
    cache = InMemoryResultCache() if cache is None else cache
    run = RunSearch(cache, providers, clock, policy, supplier_timeout_s, SupplierLatencies(cache),
                    QuoteReuse(cache, quote_cache_s))  # fmt: skip
    launcher = InMemoryLauncher(run)
    start = StartSearch(CATALOG, providers, cache, launcher, clock, policy)
    results = GetResults(cache, clock, policy, SupplierLatencies(cache))
    return InMemoryService(cache, launcher, clock, start, run, results)


def answering(**wrapped: Callable[[SupplierProvider], SupplierProvider]) -> dict[str, SupplierProvider]:
    """The simulated suppliers, answering at once, some wrapped in a fake: `answering(hertz=BrokenSupplier)`."""
    providers: dict[str, SupplierProvider] = dict(simulated_providers(CATALOG, 0))
    for code, fake in wrapped.items():
        providers[code] = fake(providers[code])
    return providers
