"""A supplier provider that answers at once with a chosen number of offers, to size a search's results.

It implements ports.SupplierProvider. Real quotes vary only by location and car class (at most 27 per
supplier and trip), so the real quotes are repeated with distinct ids and prices up to the count asked.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from search_service.domain.cities import City, CityCatalog
from search_service.domain.fleet import CAR_CLASSES, SUPPLIERS_BY_CODE, Supplier
from search_service.domain.models import Offer, SearchQuery
from search_service.domain.pricing import quote

SUPPLIER_CODES = ("enterprise", "hertz", "avis", "budget")


class FixedOffers:
    """`count` deterministic offers for any city and trip, without delay."""

    def __init__(self, supplier: Supplier, count: int, catalog: CityCatalog) -> None:
        self.supplier = supplier
        self._count = count
        self._catalog = catalog

    def serves(self, city: City) -> bool:
        return True

    def search(self, query: SearchQuery, timeout_s: float) -> list[Offer]:
        city = self._catalog.get(query.city_id)
        quotes = [
            offer
            for location in city.locations
            for car_class in CAR_CLASSES
            if (offer := quote(city, location, self.supplier, car_class, query.pickup_date, query.return_date))
        ]
        return [
            replace(base, offer_id=f"{base.offer_id}-{i}", total_price=base.total_price + i / 100)
            for i, base in zip(range(self._count), itertools.cycle(quotes), strict=False)
        ]


def fixed_offer_providers(total: int, catalog: CityCatalog) -> dict[str, FixedOffers]:
    """`total` offers in all, split as evenly as possible across SUPPLIER_CODES."""
    share, extra = divmod(total, len(SUPPLIER_CODES))
    return {
        code: FixedOffers(SUPPLIERS_BY_CODE[code], share + (1 if i < extra else 0), catalog)
        for i, code in enumerate(SUPPLIER_CODES)
    }
