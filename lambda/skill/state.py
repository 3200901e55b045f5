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
    def load(cls, attributes: dict[str, Any]) -> Trip:
        raw = attributes.get(KEY) or {}
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in raw.items() if key in names})

    def save(self, attributes: dict[str, Any]) -> None:
        attributes[KEY] = {key: value for key, value in asdict(self).items() if value is not None}

    def forget_search(self) -> None:
        self.token = self.searched = self.alternative = None
        self.offer_index = 0
