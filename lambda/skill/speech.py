"""The one place SSML is made, and the words the skill says numbers, prices, cars and lists with.

Handlers compose speech from plain text and pauses, and never write a tag:

    ssml(strings.say("OFFER", ...), pause(300), strings.say("OFFER_NEXT_HINT"))
    -> '<speak>OK, I found a compact car ... <break time="300ms"/> Say next to hear another option, ...</speak>'

Every text part is escaped, so what a user said (a slot value may hold "<audio src=...>" or "AT&T") is spoken
as harmless text and the result is always well-formed XML. `plain()` turns that SSML back into the text, for
cards and for tests.

Numbers are left as digits for Alexa's voice to say in the way of its locale; the words around them come from
the strings files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

MAX_PAUSE_MS = 10_000  # Alexa's longest <break>


class Pause:
    """A silence of `ms` milliseconds between parts of `ssml()`: the only markup a handler can ask for."""

    __slots__ = ("ms",)

    def __init__(self, ms: int = 300) -> None:
        if isinstance(ms, bool) or not isinstance(ms, int) or not 0 < ms <= MAX_PAUSE_MS:
            raise ValueError(f"a pause is 1 to {MAX_PAUSE_MS} ms, not {ms!r}")
        self.ms = ms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pause) and other.ms == self.ms

    def __hash__(self) -> int:
        return hash((Pause, self.ms))

    def __repr__(self) -> str:
        return f"Pause({self.ms})"


def pause(ms: int = 300) -> Pause:
    return Pause(ms)


# One str.translate() for text in SSML: what XML 1.0 cannot hold (NUL, escape codes, lone surrogates, U+FFFE and
# U+FFFF) is dropped, and the five XML specials escaped. A table costs a fifth of a millisecond to build; the same
# test as a regular expression takes several to compile, at every cold start.
_NOT_XML = (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF)
_SSML_TEXT: dict[int, str | None] = {
    **dict.fromkeys(_NOT_XML),
    **{ord(c): entity for c, entity in {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}.items()},
}
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def ssml(*parts: str | Pause) -> str:
    """`<speak>` around the parts: text escaped and joined with single spaces, each `Pause` a `<break>`.

    Text parts are stripped and empty ones skipped. Whatever a text part contains, it cannot add a tag: the only
    markup in the result is `<speak>` and the breaks.
    """
    spoken: list[str] = []
    for part in parts:
        if isinstance(part, Pause):
            spoken.append(f'<break time="{part.ms}ms"/>')
        elif isinstance(part, str):
            if text := part.translate(_SSML_TEXT).strip():
                spoken.append(text)
        else:
            raise TypeError(f"ssml() takes text and pauses, not {type(part).__name__}")
    return f"<speak>{' '.join(spoken)}</speak>"


def plain(text: str) -> str:
    """The text of SSML made by `ssml()`, without markup: a pause becomes a space, runs of spaces become one."""
    text = _TAG.sub(" ", text)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)  # &amp; last, so "&amp;lt;" comes back as "&lt;", as it went in
    return _SPACES.sub(" ", text).strip()


def _check_amount(amount: float) -> float:
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount) or amount < 0:
        raise ValueError(f"a price is a finite amount of zero or more, not {amount!r}")
    return float(amount)


def whole_dollars(amount: float) -> int:
    """A price rounded to the whole dollar, half up, as it is spoken: 128.15 -> 128, 0.40 -> 1 (a price above zero
    is never said as nothing). The words around it come from the strings; the number is left to Alexa's voice,
    which says it the way of its locale ("one hundred and twenty-eight" in en-GB, without "and" in en-US)."""
    amount = _check_amount(amount)
    whole = math.floor(amount)
    rounded = whole + (amount - whole >= 0.5)  # exact: subtracting a float's integer part loses nothing
    return max(rounded, 1) if amount > 0 else 0


def price_text(amount: float) -> str:
    """A price written for a card, to the cent: 128.15 -> "$128.15", 1249.6 -> "$1,249.60"."""
    return f"${_check_amount(amount):,.2f}"


# Words that start with a vowel letter and a consonant sound, or the other way round.
_A_BEFORE = re.compile(r"(?:uni|use|usu|uti|eu|one\b|once\b)", re.IGNORECASE)
_AN_BEFORE = re.compile(r"(?:hour|honest|honor|honour|heir)", re.IGNORECASE)
# Letters said with a vowel sound first: "an SUV" (ess), "an MPV" (em), "an F-150" (eff).
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
# Said letter by letter: a word in capitals ("SUV", "SUVs", "BMW"), or one capital before a hyphen or digit.
_INITIALISM = re.compile(r"[A-Z]{2,}s?\b|[A-Z](?=[-\d])")
_NUMBER = re.compile(r"\d[\d,]*")


def _starts_with_vowel_sound(phrase: str) -> bool:
    if number := _NUMBER.match(phrase):
        digits = number.group().replace(",", "")
        # eight, eighty, eight hundred...; eleven and eighteen, also as in eleven thousand
        return digits[0] == "8" or (digits[:2] in ("11", "18") and len(digits) % 3 == 2)
    if _INITIALISM.match(phrase):
        return phrase[0] in _VOWEL_SOUND_LETTERS
    if _AN_BEFORE.match(phrase):
        return True
    if _A_BEFORE.match(phrase):
        return False
    return phrase[0].lower() in "aeiou"


def with_article(phrase: str) -> str:
    """The phrase after "a" or "an", chosen by sound: "a compact car", "an SUV", "an Avis", "a Hertz"."""
    phrase = phrase.strip()
    if not phrase:
        raise ValueError("with_article() needs a phrase")
    return f"{'an' if _starts_with_vowel_sound(phrase) else 'a'} {phrase}"


# Car classes that are not called cars: "an SUV", "a minivan", never "an SUV car".
_NOT_A_CAR = frozenset(("suv", "minivan", "van", "mpv", "people carrier", "truck", "pickup"))


def car_phrase(car_class_name: str) -> str:
    """What a car class is called: "compact" -> "compact car", "full-size" -> "full-size car", "SUV" -> "SUV"."""
    name = " ".join(car_class_name.split())
    if not name:
        raise ValueError("car_phrase() needs a car class name")
    if name.lower() in _NOT_A_CAR or name.lower().endswith(" car"):
        return name
    return f"{name} car"


def spoken_series(items: Iterable[str], conjunction: str) -> str:
    """Items joined as a list is said, with the strings' "and" or "or": ["Hertz", "Sixt", "Avis"], "and" -> "Hertz,
    Sixt and Avis" (no serial comma); nothing -> "". Items with their own commas ("Portland, Oregon") are kept apart
    by semicolons, as in writing."""
    items = [item.strip() for item in items if item.strip()]
    if len(items) <= 2:
        return f" {conjunction} ".join(items)
    separator = "; " if any("," in item for item in items) else ", "
    return f"{separator.join(items[:-1])} {conjunction} {items[-1]}"
