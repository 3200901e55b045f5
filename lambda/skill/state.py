"""What the skill remembers between turns, in the session attributes: the trip and the token, never the
result lists (Alexa's 24 KB response limit includes the attributes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

KEY = "trip"


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
    asked: str | None = None  # what the last question was about: a slot name, "company_yes_no", "alternative"
    offer_index: int = 0
    alternative: dict[str, str] | None = None  # {"size": ..., "company": ...} offered after a no-match
    last_speech: str | None = None
    last_reprompt: str | None = None

    @classmethod
    def load(cls, attributes: dict[str, Any] | None) -> Trip:
        """The trip `save()` wrote. Alexa sends back what the skill saved, but anything else found there (a trip
        that is not an object, a field of another type) is left out rather than trusted: that part of the dialog
        is asked again, where keeping it would fail the turn, and every turn after it, in the catch-all."""
        raw = attributes.get(KEY) if isinstance(attributes, dict) else None
        if not isinstance(raw, dict):
            return cls()
        return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw and _valid(f.name, raw[f.name])})

    def save(self, attributes: dict[str, Any]) -> None:
        attributes[KEY] = {key: value for key, value in asdict(self).items() if value is not None}

    def forget_search(self) -> None:
        self.token = self.searched = self.alternative = None
        self.offer_index = 0


def _valid(name: str, value: Any) -> bool:
    """Whether `value` is of the type `save()` writes for the field `name` (None is never saved)."""
    if name == "offer_index":
        return type(value) is int and value >= 0
    if name == "alternative":
        return isinstance(value, dict) and set(value) == {"size", "company"} and all(map(_text, value.values()))
    return _text(value)


def _text(value: Any) -> bool:
    """A string that is text: no lone surrogate, which JSON can carry ("\ud800") but UTF-8 cannot."""
    return isinstance(value, str) and not any("\ud800" <= char <= "\udfff" for char in value)
