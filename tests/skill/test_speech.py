"""SSML made in one place, and numbers, prices, articles, car classes and lists said in words."""

from __future__ import annotations

import math
import random
import re
import xml.etree.ElementTree as ET

import pytest
from skill.speech import (
    MAX_PAUSE_MS,
    Pause,
    car_phrase,
    pause,
    plain,
    price_text,
    spoken_series,
    ssml,
    whole_dollars,
    with_article,
)

from search_service.domain.fleet import CAR_CLASSES, SUPPLIERS

# What XML 1.0 does not allow, and ssml() therefore drops.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def parse(speech: str) -> ET.Element:
    root = ET.fromstring(speech)
    assert root.tag == "speak"
    assert all(element.tag in ("speak", "break") for element in root.iter()), speech
    return root


# ---- ssml -------------------------------------------------------------------------------------------------------


def test_ssml_text_is_wrapped_in_speak() -> None:
    assert ssml("Hello there.") == "<speak>Hello there.</speak>"


def test_ssml_parts_are_joined_with_single_spaces_and_empty_ones_skipped() -> None:
    assert ssml("  One.", "", "   ", "Two.  ") == "<speak>One. Two.</speak>"


def test_ssml_nothing_is_an_empty_speak() -> None:
    assert ssml() == "<speak></speak>"
    assert parse(ssml()).text is None


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("AT&T", "AT&amp;T"),
        ("a < b > c", "a &lt; b &gt; c"),
        ('say "hi"', "say &quot;hi&quot;"),
        ("you're", "you&apos;re"),
        ("&amp;", "&amp;amp;"),  # already an entity: said as written, not decoded
    ],
)
def test_ssml_special_characters_are_escaped(text: str, escaped: str) -> None:
    assert ssml(text) == f"<speak>{escaped}</speak>"
    assert parse(ssml(text)).text == text


@pytest.mark.parametrize(
    "said",
    [
        "<audio src='https://example.com/a.mp3'/>",
        '<audio src="soundbank://x"/>',
        "</speak><speak>",
        "<break time='10s'/>",
        "<![CDATA[x]]>",
        "<!-- comment -->",
        "<?xml version='1.0'?>",
        "&lt;audio&gt;",
        "<say-as interpret-as='expletive'>x</say-as>",
        "]]>",
    ],
)
def test_ssml_markup_in_user_text_comes_out_as_plain_text(said: str) -> None:
    speech = ssml("I can't find rental cars in", said, pause(200), "Sorry.")
    root = parse(speech)
    assert [element.tag for element in root.iter()] == ["speak", "break"]
    assert plain(speech) == f"I can't find rental cars in {said} Sorry."


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f\x00", "\ud800", "\udfff", "\ufffe"]
)
def test_ssml_characters_xml_cannot_hold_are_dropped(char: str) -> None:
    speech = ssml(f"Bo{char}ston")
    parse(speech)
    assert plain(speech) == _NOT_XML.sub("", f"Bo{char}ston")


def test_ssml_any_text_at_all_is_well_formed_and_comes_back_from_plain() -> None:
    rng = random.Random(20261123)
    alphabet = "&<>\"'/=!?-;#[]{} \t\nabcAZ09" + "".join(map(chr, range(32)))
    for _ in range(2000):
        if rng.random() < 0.5:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        else:  # any code point, surrogates included
            text = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(10)))
        speech = ssml(text, pause(), text)
        parse(speech)
        kept = " ".join(_NOT_XML.sub("", text).split())
        assert plain(speech) == f"{kept} {kept}".strip()


def test_ssml_pause_becomes_a_break_in_milliseconds() -> None:
    speech = ssml("First.", pause(300), "Second.", Pause(1200))
    assert speech == '<speak>First. <break time="300ms"/> Second. <break time="1200ms"/></speak>'
    assert [b.get("time") for b in parse(speech).iter("break")] == ["300ms", "1200ms"]


def test_pause_default_is_300_ms() -> None:
    assert pause() == Pause(300) == Pause()
    assert repr(pause()) == "Pause(300)"
    assert len({Pause(300), pause(300), Pause(400)}) == 2


@pytest.mark.parametrize("ms", [0, -1, MAX_PAUSE_MS + 1, 1.5, "300", True, None])
def test_pause_outside_alexa_range_or_not_whole_ms_raises(ms: object) -> None:
    with pytest.raises(ValueError, match="pause"):
        Pause(ms)  # type: ignore[arg-type]


@pytest.mark.parametrize("part", [None, 3, b"bytes", ["text"]])
def test_ssml_part_neither_text_nor_pause_raises(part: object) -> None:
    with pytest.raises(TypeError, match="text and pauses"):
        ssml("Hello", part)  # type: ignore[arg-type]


# ---- plain ------------------------------------------------------------------------------------------------------


def test_plain_ssml_with_pauses_is_the_text_with_single_spaces() -> None:
    assert plain(ssml("OK, I found it.", pause(), "Say next.")) == "OK, I found it. Say next."


def test_plain_text_without_markup_is_unchanged() -> None:
    assert plain("Say next to hear another option.") == "Say next to hear another option."


def test_plain_escaped_entities_come_back_as_characters_once() -> None:
    assert plain(ssml('Tom & Jerry\'s <b> "&lt;"')) == 'Tom & Jerry\'s <b> "&lt;"'


# ---- numbers and prices -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "whole"),
    [
        (100, 100),
        (128.15, 128),
        (1, 1),
        (1.49, 1),
        (0.5, 1),  # half up, not to even
        (1.5, 2),
        (2.5, 3),
        (128.5, 129),
        (1249.6, 1250),
        (99_999.5, 100_000),
        (0.4, 1),  # a price above zero is never said as nothing
        (0.49999999999999994, 1),  # the largest float below 0.5: floor(x + 0.5) would round it up too, but wrongly
        (0, 0),
    ],
)
def test_whole_dollars_rounds_half_up_and_never_says_a_price_as_nothing(amount: float, whole: int) -> None:
    assert whole_dollars(amount) == whole


@pytest.mark.parametrize("amount", [-0.01, -5, math.nan, math.inf, -math.inf, "12", None, True])
def test_whole_dollars_negative_or_not_a_finite_number_raises(amount: object) -> None:
    with pytest.raises(ValueError, match="price"):
        whole_dollars(amount)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "text"),
    [(128.15, "$128.15"), (100, "$100.00"), (1249.6, "$1,249.60"), (0.4, "$0.40"), (99_999.999, "$100,000.00")],
)
def test_price_text_is_dollars_and_cents_for_cards(amount: float, text: str) -> None:
    assert price_text(amount) == text


def test_price_text_negative_raises() -> None:
    with pytest.raises(ValueError, match="price"):
        price_text(-1)


# ---- articles and car classes -----------------------------------------------------------------------------------

# Every class the search service has, as a class name and as the phrase the skill says.
CLASS_PHRASES = {
    "economy": ("economy car", "an economy car"),
    "compact": ("compact car", "a compact car"),
    "midsize": ("midsize car", "a midsize car"),
    "standard": ("standard car", "a standard car"),
    "full-size": ("full-size car", "a full-size car"),
    "SUV": ("SUV", "an SUV"),
    "minivan": ("minivan", "a minivan"),
    "premium": ("premium car", "a premium car"),
    "luxury": ("luxury car", "a luxury car"),
}
COMPANY_ARTICLES = {
    "Enterprise": "an Enterprise",
    "National": "a National",
    "Alamo": "an Alamo",
    "Hertz": "a Hertz",
    "Avis": "an Avis",
    "Budget": "a Budget",
    "Sixt": "a Sixt",
    "Dollar": "a Dollar",
    "Thrifty": "a Thrifty",
}


def test_fleet_every_car_class_and_company_is_covered_here() -> None:
    assert {car_class.name for car_class in CAR_CLASSES} == CLASS_PHRASES.keys()
    assert {supplier.name for supplier in SUPPLIERS} == COMPANY_ARTICLES.keys()


@pytest.mark.parametrize(("name", "phrase", "with_its_article"), [(n, *said) for n, said in CLASS_PHRASES.items()])
def test_car_phrase_fleet_class_is_said_with_car_unless_it_is_a_vehicle_name(
    name: str, phrase: str, with_its_article: str
) -> None:
    assert car_phrase(name) == phrase
    assert with_article(car_phrase(name)) == with_its_article


@pytest.mark.parametrize(
    ("name", "article"),
    [("economy", "an"), ("compact", "a"), ("SUV", "an"), ("minivan", "a"), ("full-size", "a"), ("luxury", "a")],
)
def test_with_article_bare_class_name_gets_the_article_of_its_sound(name: str, article: str) -> None:
    assert with_article(name) == f"{article} {name}"


@pytest.mark.parametrize(("company", "said"), COMPANY_ARTICLES.items())
def test_with_article_company_gets_the_article_of_its_sound(company: str, said: str) -> None:
    assert with_article(company) == said


@pytest.mark.parametrize(
    ("phrase", "said"),
    [
        ("SUV rental", "an SUV rental"),  # said letter by letter
        ("MPV", "an MPV"),
        ("BMW 5 Series", "a BMW 5 Series"),
        ("F-150", "an F-150"),
        ("X5", "an X5"),
        ("Acura TLX", "an Acura TLX"),
        ("hour", "an hour"),
        ("honest answer", "an honest answer"),
        ("one-way rental", "a one-way rental"),
        ("European car", "a European car"),
        ("used car", "a used car"),
        ("utility vehicle", "a utility vehicle"),
        ("unique offer", "a unique offer"),
        ("Uber", "an Uber"),
        ("8-seater", "an 8-seater"),
        ("11-seat van", "an 11-seat van"),
        ("18,000 mile car", "an 18,000 mile car"),
        ("180 dollar car", "a 180 dollar car"),
        ("2-door", "a 2-door"),
        ("  compact car ", "a compact car"),
    ],
)
def test_with_article_other_phrases_follow_sound_not_spelling(phrase: str, said: str) -> None:
    assert with_article(phrase) == said


@pytest.mark.parametrize("blank", ["", "   "])
def test_with_article_and_car_phrase_blank_raise(blank: str) -> None:
    with pytest.raises(ValueError, match="with_article"):
        with_article(blank)
    with pytest.raises(ValueError, match="car_phrase"):
        car_phrase(blank)


@pytest.mark.parametrize(
    ("name", "phrase"),
    [("compact car", "compact car"), ("suv", "suv"), ("Minivan", "Minivan"), ("people carrier", "people carrier"),
     (" full-size ", "full-size car")],
)  # fmt: skip
def test_car_phrase_never_doubles_car_and_keeps_vehicle_names(name: str, phrase: str) -> None:
    assert car_phrase(name) == phrase


# ---- lists and counts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "said"),
    [
        ([], ""),
        (["Hertz"], "Hertz"),
        (["Hertz", "Sixt"], "Hertz and Sixt"),
        (["Hertz", "Sixt", "Avis"], "Hertz, Sixt and Avis"),
        (["Hertz", " ", "Sixt", "Avis", "Budget"], "Hertz, Sixt, Avis and Budget"),
    ],
)
def test_spoken_series_joins_with_commas_and_the_conjunction(items: list[str], said: str) -> None:
    assert spoken_series(items, "and") == said


@pytest.mark.parametrize(
    ("items", "said"),
    [
        (["Portland, Oregon", "Portland, Maine"], "Portland, Oregon or Portland, Maine"),
        (["Boston", "Austin", "Denver"], "Boston, Austin or Denver"),
        (["Portland, Oregon", "Portland, Maine", "Portland, Texas"],
         "Portland, Oregon; Portland, Maine or Portland, Texas"),  # items with commas are kept apart
    ],
)  # fmt: skip
def test_spoken_series_keeps_items_with_commas_apart(items: list[str], said: str) -> None:
    assert spoken_series(items, "or") == said


def test_spoken_series_takes_any_iterable() -> None:
    assert spoken_series((name for name in ("Alamo", "Dollar", "Thrifty")), "and") == "Alamo, Dollar and Thrifty"
