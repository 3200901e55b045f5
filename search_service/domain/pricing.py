"""Deterministic rental prices: the same city, dates, class and supplier always cost the same.

The shape follows how rental prices really move: city price level, the company's positioning,
weekend and seasonal demand, cheaper weekly and monthly rates, and an airport concession fee.
"""

from __future__ import annotations

import hashlib
from datetime import date

from search_service.domain.cities import City, RentalLocation
from search_service.domain.fleet import CarClass, Supplier
from search_service.domain.models import Offer, RentalLocationInfo

AIRPORT_FEE = 0.111  # concession recovery fee most US airports charge on rentals
TAX = 0.08
SOLD_OUT_SHARE = 0.08
MONTH_DEMAND = (0.90, 0.92, 1.00, 1.00, 1.05, 1.15, 1.20, 1.15, 1.00, 0.98, 0.95, 1.10)


def unit(*parts: object) -> float:
    """A stable number in [0, 1) for these parts: the simulation's only source of variety."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _demand(pickup: date) -> float:
    factor = MONTH_DEMAND[pickup.month - 1]
    if pickup.weekday() in (4, 5):  # Friday and Saturday pickups are weekend trips
        factor *= 1.10
    if (pickup.month == 12 and pickup.day >= 18) or (pickup.month == 1 and pickup.day <= 3):
        factor *= 1.20
    return factor


def _length_discount(days: int) -> float:
    if days >= 28:
        return 0.72
    if days >= 7:
        return 0.85
    if days >= 3:
        return 0.95
    return 1.0


def quote(
    city: City, location: RentalLocation, supplier: Supplier, car_class: CarClass, pickup: date, dropoff: date
) -> Offer | None:
    """The supplier's offer for this class at this location, or None when it is sold out."""
    week = pickup.isocalendar()[:2]
    if unit("sold-out", location.code, supplier.code, car_class.code, week) < SOLD_OUT_SHARE:
        return None
    days = (dropoff - pickup).days
    jitter = 0.92 + 0.16 * unit("price", city.id, location.code, supplier.code, car_class.code, pickup, days)
    daily = (
        car_class.daily_rate
        * city.cost_index
        * supplier.price_factor
        * _demand(pickup)
        * _length_discount(days)
        * jitter
    )
    daily = round(daily, 2)
    fees = AIRPORT_FEE if location.kind == "airport" else 0.0
    total = round(daily * days * (1 + fees + TAX), 2)
    model = car_class.models[int(unit("model", supplier.code, car_class.code, location.code) * len(car_class.models))]
    offer_key = f"{location.code}|{supplier.code}|{car_class.code}|{pickup}|{dropoff}"
    return Offer(
        offer_id=hashlib.blake2b(offer_key.encode(), digest_size=6).hexdigest(),
        supplier=supplier.code,
        supplier_name=supplier.name,
        supplier_rating=supplier.rating,
        car_class=car_class.code,
        car_class_name=car_class.name,
        example_model=f"{model} or similar",
        seats=car_class.seats,
        bags=car_class.bags,
        location=RentalLocationInfo(code=location.code, name=location.name, kind=location.kind),
        pickup_date=pickup,
        return_date=dropoff,
        days=days,
        daily_rate=daily,
        total_price=total,
    )
