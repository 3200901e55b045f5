"""The built-in inventory: each supplier answers like a real rental API, slowly and sometimes not at all."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from search_service.domain.cities import City, CityCatalog
from search_service.domain.errors import SupplierError, SupplierTimeout
from search_service.domain.fleet import CAR_CLASSES, SUPPLIERS, Supplier
from search_service.domain.models import Offer, SearchQuery
from search_service.domain.pricing import quote, unit

MAX_LATENCY_S = 12.0


class SimulatedSupplier:
    def __init__(
        self,
        supplier: Supplier,
        catalog: CityCatalog,
        latency_scale: float = 1.0,
        failure_rate: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.supplier = supplier
        self._catalog = catalog
        self._latency_scale = latency_scale
        self._failure_rate = failure_rate
        self._sleep = sleep

    def serves(self, city: City) -> bool:
        return city.tier <= self.supplier.min_tier

    def latency_s(self, query: SearchQuery) -> float:
        """Between 0.75x and 1.25x the supplier's typical time, varying by search, capped at 12 s, then scaled:
        the scale is the benchmarks' and tests' time factor, so suppliers keep their relative speeds."""
        spread = 0.75 + 0.5 * unit("latency", self.supplier.code, query.city_id, query.pickup_date, query.days)
        return min(self.supplier.latency_s * spread, MAX_LATENCY_S) * self._latency_scale

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        latency = self.latency_s(query)
        if latency > timeout_s:
            self._sleep(timeout_s)
            raise SupplierTimeout(f"{self.supplier.name} did not answer within {timeout_s:g} s")
        self._sleep(latency)
        if self._failure_rate and random.random() < self._failure_rate:  # faults are meant to be unpredictable
            raise SupplierError(f"{self.supplier.name}'s system returned an error")
        city = self._catalog.get(query.city_id)
        locations = [loc for loc in city.locations if loc.kind == "airport" or self.supplier.downtown]
        offers = (
            quote(
                self._catalog.home_of(location, city),
                location,
                self.supplier,
                car_class,
                query.pickup_date,
                query.return_date,
            )
            for location in locations
            for car_class in CAR_CLASSES
        )
        return [offer for offer in offers if offer is not None]


def simulated_providers(
    catalog: CityCatalog, latency_scale: float, failure_rate: float = 0.0
) -> dict[str, SimulatedSupplier]:
    return {supplier.code: SimulatedSupplier(supplier, catalog, latency_scale, failure_rate) for supplier in SUPPLIERS}
