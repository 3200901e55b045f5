"""Supplier providers with faults a test controls. They implement `ports.SupplierProvider`."""

from __future__ import annotations

import threading

from search_service.domain.cities import City
from search_service.domain.errors import SupplierError, SupplierTimeout
from search_service.domain.models import Offer, SearchQuery
from search_service.ports import SupplierProvider


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
