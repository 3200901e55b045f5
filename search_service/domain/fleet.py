"""The rental companies and car classes of the simulated inventory.

Companies and car models are real; ratings, price factors and latencies are the simulation's own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Supplier:
    code: str
    name: str
    rating: float  # stars out of 5
    price_factor: float
    latency_s: float  # typical time its API takes to answer a search, at SUPPLIER_LATENCY_SCALE=1
    min_tier: int  # present in cities of this tier or better (1 = the biggest markets only)
    downtown: bool  # has downtown branches besides the airport counters


SUPPLIERS: tuple[Supplier, ...] = (
    Supplier("enterprise", "Enterprise", 4.4, 1.00, 3.0, 3, True),
    Supplier("national", "National", 4.5, 1.08, 3.5, 3, False),
    Supplier("alamo", "Alamo", 4.2, 0.93, 2.5, 3, False),
    Supplier("hertz", "Hertz", 4.0, 1.06, 6.0, 3, True),
    Supplier("avis", "Avis", 4.1, 1.05, 5.0, 3, True),
    Supplier("budget", "Budget", 3.8, 0.92, 4.5, 3, True),
    Supplier("sixt", "Sixt", 4.3, 0.98, 8.0, 1, True),
    Supplier("dollar", "Dollar", 3.4, 0.85, 10.0, 2, False),
    Supplier("thrifty", "Thrifty", 3.3, 0.83, 11.0, 2, False),
)


@dataclass(frozen=True)
class CarClass:
    code: str
    name: str  # as spoken: "a compact car", "an SUV"
    daily_rate: float  # national average in USD before city, supplier and season
    seats: int
    bags: int
    models: tuple[str, ...]


# Ordered by price: "UpgradeClass=N" offers up to N classes further down this list.
CAR_CLASSES: tuple[CarClass, ...] = (
    CarClass("economy", "economy", 38.0, 4, 1, ("Mitsubishi Mirage", "Chevrolet Spark", "Kia Rio")),
    CarClass("compact", "compact", 41.0, 5, 2, ("Nissan Versa", "Kia Forte", "Hyundai Accent")),
    CarClass("midsize", "midsize", 45.0, 5, 2, ("Toyota Corolla", "Hyundai Elantra", "Nissan Sentra")),
    CarClass("standard", "standard", 49.0, 5, 3, ("Volkswagen Jetta", "Kia K5", "Subaru Impreza")),
    CarClass("fullsize", "full-size", 54.0, 5, 3, ("Toyota Camry", "Chevrolet Malibu", "Nissan Altima")),
    CarClass("suv", "SUV", 64.0, 5, 4, ("Toyota RAV4", "Ford Escape", "Nissan Rogue")),
    CarClass("minivan", "minivan", 76.0, 7, 5, ("Chrysler Pacifica", "Toyota Sienna", "Kia Carnival")),
    CarClass("premium", "premium", 82.0, 5, 3, ("Chrysler 300", "Nissan Maxima", "Acura TLX")),
    CarClass("luxury", "luxury", 98.0, 5, 3, ("Cadillac CT5", "BMW 5 Series", "Mercedes-Benz E-Class")),
)

SUPPLIERS_BY_CODE = {supplier.code: supplier for supplier in SUPPLIERS}
CLASSES_BY_CODE = {car_class.code: car_class for car_class in CAR_CLASSES}
CLASS_RANK = {car_class.code: rank for rank, car_class in enumerate(CAR_CLASSES)}


def suppliers_in(city_tier: int) -> tuple[Supplier, ...]:
    return tuple(supplier for supplier in SUPPLIERS if city_tier <= supplier.min_tier)
