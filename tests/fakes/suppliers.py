"""Supplier providers with faults a test controls. They implement `ports.SupplierProvider`."""

from __future__ import annotations

import threading
from dataclasses import replace

from search_service.domain.cities import City
from search_service.domain.errors import LaunchFailed, SupplierError, SupplierTimeout
from search_service.domain.models import Offer, SearchQuery
from search_service.domain.ports import SearchLauncher, SupplierProvider


class GatedSupplier:
    """Answers like the wrapped supplier, but only once the test opens the gate."""

    def __init__(self, inner: SupplierProvider) -> None:
        self.supplier = inner.supplier
        self._inner = inner
        self.gate = threading.Event()

    def serves(self, city: City) -> bool:
        return self._inner.serves(city)

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        if not self.gate.wait(timeout_s):
            raise SupplierTimeout(f"{self.supplier.name} did not answer within {timeout_s:g} s")
        return self._inner.search(query, timeout_s)


class BrokenSupplier:
    """Fails every search, with a supplier error or with a bug of its own."""

    def __init__(self, inner: SupplierProvider, error: Exception | None = None) -> None:
        self.supplier = inner.supplier
        self._inner = inner
        self._error = error or SupplierError(f"{inner.supplier.name}'s system returned an error")

    def serves(self, city: City) -> bool:
        return self._inner.serves(city)

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        raise self._error


class OnlyClassesSupplier:
    """A supplier whose fleet has only some car classes at this moment."""

    def __init__(self, inner: SupplierProvider, classes: set[str]) -> None:
        self.supplier = inner.supplier
        self._inner = inner
        self._classes = classes

    def serves(self, city: City) -> bool:
        return self._inner.serves(city)

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        return [offer for offer in self._inner.search(query, timeout_s) if offer.car_class in self._classes]


class DroppingLauncher:
    """Accepts every launch and runs nothing: an async event that Lambda lost."""

    def launch(self, search_id: str) -> None:
        return None


class FailingLauncher:
    """The async invoke fails, as when the search function is throttled, until the test repairs it."""

    def __init__(self, inner: SearchLauncher) -> None:
        self.broken = True
        self._inner = inner

    def launch(self, search_id: str) -> None:
        if self.broken:
            raise LaunchFailed("invoke failed: TooManyRequestsException")
        self._inner.launch(search_id)


class MeetingSupplier:
    """Answers only once every supplier of the search is asking at the same moment: a search that asks
    them one by one breaks the barrier, so this proves the fan-out without measuring time."""

    def __init__(self, inner: SupplierProvider, barrier: threading.Barrier) -> None:
        self.supplier = inner.supplier
        self._inner = inner
        self._barrier = barrier

    def serves(self, city: City) -> bool:
        return self._inner.serves(city)

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        try:
            self._barrier.wait(timeout_s)
        except threading.BrokenBarrierError:
            raise SupplierError(f"{self.supplier.name} was asked alone") from None
        return self._inner.search(query, timeout_s)


class StuckSupplier(GatedSupplier):
    """Ignores its time limit, as a call stuck in a socket read does, until the test opens the gate (30 s at most)."""

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        self.gate.wait(30)
        return self._inner.search(query, timeout_s)


class DiscountSupplier:
    """Answers like the wrapped supplier at a fraction of its prices: the cheapest company of the search."""

    def __init__(self, inner: SupplierProvider, factor: float = 0.5) -> None:
        self.supplier = inner.supplier
        self._inner = inner
        self._factor = factor

    def serves(self, city: City) -> bool:
        return self._inner.serves(city)

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        return [
            replace(
                offer,
                total_price=round(offer.total_price * self._factor, 2),
                daily_rate=round(offer.daily_rate * self._factor, 2),
            )
            for offer in self._inner.search(query, timeout_s)
        ]
