"""Everything the skill says, by key, in `strings/<locale>.json`; handlers use keys only.

Each file maps a key to a list of variants, plain text with `{named}` placeholders:

    "ASK_DATE": ["When do you need the car in {city}?", "And when do you need the car in {city}?"]

`en-US.json` has every key. The other locales' files hold only what they say differently ("hire a car",
"favourite") and replace a key's whole list; a locale without a file, or an unknown one, speaks en-US.
Every variant of a key takes the same placeholders, so one set of values works whichever is picked.

    strings = Strings("en-GB")
    strings.say("ASK_DATE", city="Boston")             # a variant at random
    strings.say("ASK_DATE", rng=Random(1), city="Boston")  # the same one every time, for tests

The text is plain: no SSML and no escaping. `speech.ssml()` adds both. Files are read the first time a
locale is used, once per process.

What each placeholder takes (the spoken forms come from `speech`):

    {car}, {other_car}         with_article(car_phrase(name)): "a compact car", "an SUV"
                               (CARD_OFFER_LINE: car_phrase(name) alone, "compact car")
    {price}                    dollars(total): "one hundred twenty-eight dollars" (CARD_OFFER_LINE: price_text(total))
    {days}                     spoken_count(n, "day"): "three days", "thirty days"
    {choices}                  spoken_either(cities): "Portland, Oregon or Portland, Maine"
    {companies}                spoken_list(names): "Sixt and Dollar"
    {trip}                     trip_dates.describe_trip(): "next weekend", "from tomorrow to Friday"
    {city}, {suggestion}       a city's name; {company}, {other_company}, {model}, {location}: names as the API gives
    {example}                  something the user could say next: "a compact car"
"""

from __future__ import annotations

import json
import os
import random
from functools import cache
from types import MappingProxyType

DEFAULT_LOCALE = "en-US"
STRINGS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "strings")


@cache
def available_locales() -> frozenset[str]:
    """The locales with a strings file: `en-US` and the locales that override it."""
    return frozenset(name.removesuffix(".json") for name in os.listdir(STRINGS_DIR) if name.endswith(".json"))


def _read(locale: str) -> dict[str, tuple[str, ...]]:
    path = os.path.join(STRINGS_DIR, f"{locale}.json")
    with open(path, encoding="utf-8") as file:
        raw = json.load(file)
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected an object of key -> list of variants")
    table = {}
    for key, variants in raw.items():
        if not (isinstance(variants, list) and variants and all(isinstance(v, str) and v for v in variants)):
            raise ValueError(f"{path}: {key} must be a non-empty list of non-empty strings")
        table[key] = tuple(variants)
    return table


@cache
def _table(locale: str) -> MappingProxyType[str, tuple[str, ...]]:
    table = _read(DEFAULT_LOCALE)
    if locale != DEFAULT_LOCALE:
        overrides = _read(locale)
        if unknown := sorted(overrides.keys() - table.keys()):
            raise ValueError(f"{locale}.json overrides keys that {DEFAULT_LOCALE}.json does not have: {unknown}")
        table.update(overrides)
    return MappingProxyType(table)


def resolve_locale(locale: str | None) -> str:
    """The strings file for an Alexa locale: "en-GB" -> "en-GB", "en_gb" -> "en-GB", "fr-FR" or None -> "en-US"."""
    if locale:
        wanted = locale.strip().replace("_", "-").lower()
        for known in available_locales():
            if known.lower() == wanted:
                return known
    return DEFAULT_LOCALE


class Strings:
    """The spoken text of one locale: `say(key, **values)` picks a variant and fills in its placeholders."""

    __slots__ = ("_table", "locale")

    def __init__(self, locale: str | None = DEFAULT_LOCALE) -> None:
        self.locale = resolve_locale(locale)
        self._table = _table(self.locale)

    def keys(self) -> frozenset[str]:
        return frozenset(self._table)

    def variants(self, key: str) -> tuple[str, ...]:
        try:
            return self._table[key]
        except KeyError:
            raise KeyError(f"no spoken text {key!r} in {self.locale}") from None

    def say(self, key: str, /, rng: random.Random | None = None, **values: object) -> str:
        """One variant of `key`, at random (or from `rng`), with `values` put in. Extra values are ignored.

        An unknown key, or a placeholder without a value, raises KeyError naming the key.
        """
        variants = self.variants(key)
        variant = variants[0] if len(variants) == 1 else (rng or random).choice(variants)
        try:
            return variant.format_map(values)
        except KeyError as missing:
            raise KeyError(f"{key} needs a value for {missing.args[0]!r}") from None

    def __repr__(self) -> str:
        return f"Strings({self.locale!r})"
