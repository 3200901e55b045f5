"""What the skill remembers between turns, in the session attributes: the trip and the token, never the
result lists (Alexa's 24 KB response limit includes the attributes)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from datetime import date
from enum import StrEnum
from typing import Any

KEY = "trip"


class Asked(StrEnum):
    """The point of the dialog: what the skill's last question was about, so that the next answer is read in it."""

    CITY = "city"
    WHICH_CITY = "which_city"  # "Portland, Oregon or Portland, Maine?": the state, or the first or second one
    PICKUP_DATE = "pickupDate"
    RETURN_DATE = "returnDate"  # also how long: a return date or a duration answers it
    CAR_SIZE = "carSize"
    COMPANY = "company"  # which company, after "yes" to the company question
    COMPANY_YES_NO = "company_yes_no"  # "Is there a specific company?": yes, no, or a company's name
    RESULTS = "results"  # the companies were still answering: "are my results ready?"
    OFFERS = "offers"  # an offer was said: next, previous, repeat, price, cheaper...
    ALTERNATIVE = "alternative"  # "Would you like that one?" after nothing matched
    RETRY = "retry"  # the search API could not be reached: "Shall I try again now?"
    RESUME = "resume"  # a trip kept from an earlier session (skill.last_trip): "Shall I carry on with your search?"

    @property
    def slot(self) -> str | None:
        """The FindCarIntent slot Alexa elicits at this point (Dialog.ElicitSlot), so that a bare answer fills it."""
        return {
            Asked.CITY: "city",
            Asked.WHICH_CITY: "state",
            Asked.PICKUP_DATE: "pickupDate",
            Asked.RETURN_DATE: "returnDate",
            Asked.CAR_SIZE: "carSize",
            Asked.COMPANY: "company",
            Asked.COMPANY_YES_NO: "company",
        }.get(self)


@dataclass
class Trip:
    city: str | None = None  # as the search API named it once a search started, else as said
    pickup_value: str | None = None  # the AMAZON.DATE value as Alexa sent it
    return_value: str | None = None
    duration_value: str | None = None
    size: str | None = None  # a car class code, or "any"
    company: str | None = None  # a supplier code, or "any"
    token: str | None = None
    searched: str | None = None  # "city|pickup|return" of the search the token belongs to
    asked: Asked | None = None
    choices: list[str] | None = None  # the cities the user is choosing between ("Portland, OR", "Portland, ME")
    offer_index: int = 0
    heard: str | None = None  # the offerId of the offer said last: "next" counts from it
    misses: int = 0  # answers in a row that did not fit: the second is not answered with the same words
    # The price of the offer said from partial results: when asked again, whether something cheaper came in.
    best_so_far: float | None = None
    alternative: dict[str, str] | None = None  # {"size": ..., "company": ...} offered after a no-match
    last_speech: str | None = None  # the last question or offer, for "repeat": never a help or error line
    last_reprompt: str | None = None

    @classmethod
    def load(cls, attributes: dict[str, Any] | None) -> Trip:
        """The trip `save()` wrote. Alexa sends back what the skill saved, but anything else found there (a trip
        that is not an object, a field of another type) is left out rather than trusted: that part of the dialog
        is asked again, where keeping it would fail the turn, and every turn after it, in the catch-all."""
        raw = attributes.get(KEY) if isinstance(attributes, dict) else None
        if not isinstance(raw, dict):
            return cls()
        kept = {f.name: raw[f.name] for f in fields(cls) if f.name in raw and _valid(f.name, raw[f.name])}
        if "asked" in kept:
            kept["asked"] = Asked(kept["asked"])
        return cls(**kept)

    def save(self, attributes: dict[str, Any]) -> None:
        attributes[KEY] = {key: value for key, value in asdict(self).items() if value is not None}

    def searched_dates(self) -> tuple[date, date] | None:
        """The pickup and return dates of the search the token belongs to."""
        parts = (self.searched or "").rsplit("|", 2)
        try:
            return (date.fromisoformat(parts[1]), date.fromisoformat(parts[2])) if len(parts) == 3 else None
        except ValueError:
            return None

    def clear(self) -> None:
        """Forgets everything: a new trip."""
        for name, value in asdict(Trip()).items():
            setattr(self, name, value)

    def forget_search(self) -> None:
        self.token = self.searched = self.alternative = self.best_so_far = self.heard = None
        self.offer_index = 0


def _valid(name: str, value: Any) -> bool:
    """Whether `value` is of the type `save()` writes for the field `name` (None is never saved)."""
    if name in ("offer_index", "misses"):
        return type(value) is int and value >= 0
    if name == "best_so_far":
        return type(value) in (int, float) and math.isfinite(value) and value >= 0
    if name == "asked":
        return isinstance(value, str) and value in Asked._value2member_map_
    if name == "choices":
        return isinstance(value, list) and 0 < len(value) <= 5 and all(map(_text, value))
    if name == "alternative":
        return isinstance(value, dict) and set(value) == {"size", "company"} and all(map(_text, value.values()))
    return _text(value)


def _text(value: Any) -> bool:
    """A string that is text: no lone surrogate, which JSON can carry ("\ud800") but UTF-8 cannot."""
    return isinstance(value, str) and not any("\ud800" <= char <= "\udfff" for char in value)
