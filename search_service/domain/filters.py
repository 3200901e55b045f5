"""Narrowing a search's offers to what the person asked for, cheapest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from search_service.domain.errors import FieldProblem, InvalidRequest
from search_service.domain.fleet import CAR_CLASSES, CLASS_RANK, SUPPLIERS, SUPPLIERS_BY_CODE
from search_service.domain.models import Offer

ANY = "any"
MAX_UPGRADE = len(CAR_CLASSES) - 1


@dataclass(frozen=True)
class OfferFilter:
    size: str | None = None  # a car class code
    supplier: str | None = None  # a supplier code
    min_rating: float | None = None
    upgrade: int = 0  # also offer up to this many classes above `size`

    @classmethod
    def parse(
        cls, size: str | None, supplier: str | None, min_rating: float | None, upgrade: int | None
    ) -> OfferFilter:
        """Checks the public filter values; names the parameter and lists what it accepts."""
        problems: list[FieldProblem] = []
        size_code = _choice(size)
        if size_code is not None:
            size_code = size_code.replace("-", "").replace(" ", "")  # "full-size", "mid size"
        if size_code is not None and size_code not in CLASS_RANK:
            accepted = [car_class.code for car_class in CAR_CLASSES]
            problems.append(
                FieldProblem(
                    "CarSize",
                    f"'{size}' is not a car size. Use one of: {', '.join(accepted)} (or leave it out).",
                    "unknown_value",
                    {"accepted": accepted},
                )
            )
        supplier_code = _choice(supplier)
        if supplier_code is not None:
            by_name = {s.name.lower(): s.code for s in SUPPLIERS}
            supplier_code = by_name.get(supplier_code, supplier_code)
            if supplier_code not in SUPPLIERS_BY_CODE:
                accepted = [s.code for s in SUPPLIERS]
                problems.append(
                    FieldProblem(
                        "Supplier",
                        f"'{supplier}' is not a rental company we search. Use one of: "
                        f"{', '.join(accepted)} (or leave it out).",
                        "unknown_value",
                        {"accepted": accepted},
                    )
                )
        if problems:
            raise InvalidRequest(problems)
        return cls(size_code, supplier_code, min_rating, upgrade or 0)

    def classes(self) -> set[str] | None:
        if self.size is None:
            return None
        first = CLASS_RANK[self.size]
        return {car_class.code for car_class in CAR_CLASSES[first : first + 1 + self.upgrade]}

    def matches(self, offer: Offer) -> bool:
        classes = self.classes()
        return (
            (classes is None or offer.car_class in classes)
            and (self.supplier is None or offer.supplier == self.supplier)
            and (self.min_rating is None or offer.supplier_rating >= self.min_rating)
        )

    def apply(self, offers: Iterable[Offer]) -> list[Offer]:
        return sorted(
            (offer for offer in offers if self.matches(offer)),
            key=lambda offer: (offer.total_price, offer.supplier, offer.offer_id),
        )


def _choice(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    return None if value in ("", ANY) else value
