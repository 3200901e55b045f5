"""Spoken text by key: every key in every locale, one set of placeholders per key, plain voice-first text.

en-US is the source of truth: its keys are the ones the skill's code speaks, and the placeholders of a key are
those of its first en-US variant, which every variant of that key in every locale takes too.
"""

from __future__ import annotations

import ast
import json
import os
import random
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from skill import strings as strings_module
from skill.speech import car_phrase, plain, price_text, ssml, with_article
from skill.strings import DEFAULT_LOCALE, STRINGS_DIR, Strings, available_locales, resolve_locale

from tests.skill_package.model import ALL_LOCALES

LOCALES = ALL_LOCALES  # the skill's locales, as in skill-package/
SKILL_DIR = Path(STRINGS_DIR).parent
KEY = re.compile(r"[A-Z][A-Z_]*")


class Values(dict[str, str]):
    """Values as the handlers pass them, by placeholder; a placeholder not listed here gets its name in words."""

    def __missing__(self, name: str) -> str:
        return name.replace("_", " ")


VALUES = Values(
    choices="Portland, Oregon or Portland, Maine",
    city="New York",
    suggestion="Sacramento",
    days="3 days",
    trip="next weekend",
    companies="Sixt and Dollar",
    car=with_article(car_phrase("compact")),
    other_car=with_article(car_phrase("SUV")),
    company="Enterprise",
    other_company="Hertz",
    price="128 dollars",
    model="Nissan Versa",
    location="John F. Kennedy International Airport",
    example="a compact car",
)
# Keys starting with these are not sentences: lines of a card, and parts of a sentence ("from {start} to {end}",
# "Saturday"), which need no capital or closing punctuation.
CARD_PREFIX = ("CARD_", "PART_")


def placeholders(variant: str) -> set[str]:
    return {name for _text, name, _spec, _conversion in string.Formatter().parse(variant) if name is not None}


def en_us_placeholders() -> dict[str, set[str]]:
    """Each key's placeholders: those of its first variant in en-US."""
    table = Strings(DEFAULT_LOCALE)
    return {key: placeholders(table.variants(key)[0]) for key in sorted(table.keys())}


def every_variant() -> Iterator[tuple[str, str, str]]:
    """(where, key, variant) for every variant of every key in every locale; `where` reads "en-GB ASK_CITY[1]"."""
    for locale in LOCALES:
        table = Strings(locale)
        for key in sorted(table.keys()):
            for index, variant in enumerate(table.variants(key)):
                yield f"{locale} {key}[{index}]", key, variant


def read_raw(locale: str) -> dict[str, list[str]]:
    return json.loads(Path(STRINGS_DIR, f"{locale}.json").read_text(encoding="utf-8"))


def override_locales() -> list[str]:
    return sorted(available_locales() - {DEFAULT_LOCALE})


def _say_calls(function: ast.FunctionDef) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("say", "_say")
    ]


def _functions_that_speak() -> list[ast.FunctionDef]:
    """The functions of the skill's code that call `say` (a `Strings`' or the dialog's `_say`)."""
    functions = []
    for path in sorted(SKILL_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions += [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and _say_calls(node)]
    return functions


def keys_the_skill_speaks() -> set[str]:
    """The key-shaped literals ("ASK_CITY") of the modules that speak: the keys their functions pass to `say`
    directly, and those they pick from a dict, a tuple or a condition first (`key = "OFFER" if ... else
    "NEXT_OFFER"`, `_WEEKDAYS = ("PART_MONDAY", ...)`)."""
    modules = [ast.parse(path.read_text(encoding="utf-8")) for path in sorted(SKILL_DIR.rglob("*.py"))]
    speaking = [m for m in modules if any(_say_calls(f) for f in ast.walk(m) if isinstance(f, ast.FunctionDef))]
    places = [*_functions_that_speak()]
    places += [node for module in speaking for node in ast.walk(module) if isinstance(node, ast.Tuple | ast.Dict)]
    return {
        node.value
        for place in places
        for node in ast.walk(place)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.fullmatch(node.value)
    }


def voice_first_problems(key: str, variant: str) -> list[str]:
    """Why `variant` is not plain text for a voice: nothing only a screen shows, one sentence as Alexa reads it."""
    problems = []
    if set("<>&$") & set(variant):
        problems.append("markup, escaping or a $ (speech.ssml adds markup; prices are spoken)")
    if re.search(r"\b(click|tap|http|https|www|url|link|screen|button)\b", variant, re.IGNORECASE):
        problems.append("a word for a screen")
    if variant != variant.strip() or "  " in variant:
        problems.append("extra spaces")
    if not key.startswith(CARD_PREFIX) and not (variant[0].isupper() or variant[0] == "{"):
        problems.append("no capital letter first")
    if not key.startswith(CARD_PREFIX) and not variant.endswith((".", "?", "!", "...")):
        problems.append("no closing punctuation")
    return problems


def listed(problems: list[str]) -> str:
    return f"{len(problems)} found:\n" + "\n".join(problems)


# ---- the files --------------------------------------------------------------------------------------------------


def test_strings_files_are_en_us_and_locales_of_the_skill() -> None:
    # A locale of the skill without a file speaks en-US.
    assert DEFAULT_LOCALE in available_locales()
    assert available_locales() <= set(LOCALES)


def test_strings_every_key_the_skill_speaks_is_in_en_us() -> None:
    spoken = keys_the_skill_speaks()
    assert spoken, "the scan of lambda/skill found no key"
    assert sorted(spoken - Strings(DEFAULT_LOCALE).keys()) == []


def test_strings_every_key_of_en_us_is_spoken_by_the_skill() -> None:
    assert sorted(Strings(DEFAULT_LOCALE).keys() - keys_the_skill_speaks()) == []


def test_strings_every_say_call_passes_the_placeholders_of_its_key() -> None:
    # GIVEN every call to say in the skill's code that names its key, with the values it passes
    expected = en_us_placeholders()
    missing = []
    for function in _functions_that_speak():
        for call in _say_calls(function):
            if not (call.args and isinstance(call.args[0], ast.Constant)) or None in (kw.arg for kw in call.keywords):
                continue  # a key in a variable, or values passed as **values: the conversation tests speak them
            key, passed = call.args[0].value, {kw.arg for kw in call.keywords}
            # THEN it passes a value for each placeholder of the key, which say would otherwise raise KeyError for
            if lacking := expected.get(key, set()) - passed:
                missing.append(f"{function.name} line {call.lineno}: {key} without {sorted(lacking)}")
    assert not missing, listed(missing)


@pytest.mark.parametrize("locale", LOCALES)
def test_strings_every_locale_after_overlay_has_every_key(locale: str) -> None:
    assert Strings(locale).keys() == Strings(DEFAULT_LOCALE).keys()


@pytest.mark.parametrize("locale", override_locales())
def test_strings_override_file_only_has_keys_en_us_has(locale: str) -> None:
    overrides = read_raw(locale)
    assert overrides, f"{locale}.json overrides nothing: delete it"
    assert overrides.keys() <= read_raw(DEFAULT_LOCALE).keys()


@pytest.mark.parametrize("locale", override_locales())
def test_strings_override_file_only_has_what_differs_from_en_us(locale: str) -> None:
    us = read_raw(DEFAULT_LOCALE)
    assert [key for key, variants in read_raw(locale).items() if variants == us[key]] == []


@pytest.mark.parametrize("locale", sorted(available_locales()))
def test_strings_file_is_key_to_nonempty_list_of_nonempty_text(locale: str) -> None:
    for key, variants in read_raw(locale).items():
        assert re.fullmatch(r"[A-Z][A-Z_]*", key), key
        assert isinstance(variants, list) and 1 <= len(variants) <= 3, key
        assert all(isinstance(variant, str) and variant for variant in variants), key
        assert len(set(variants)) == len(variants), f"{locale} {key} repeats a variant"


# ---- placeholders -----------------------------------------------------------------------------------------------


def test_strings_every_variant_in_every_locale_takes_the_placeholders_of_its_key_in_en_us() -> None:
    expected = en_us_placeholders()
    wrong = [
        f"{where} takes {sorted(placeholders(variant))}, en-US {key}[0] {sorted(expected[key])}: {variant}"
        for where, key, variant in every_variant()
        if placeholders(variant) != expected[key]
    ]
    assert not wrong, listed(wrong)


def test_strings_every_placeholder_is_a_plain_name() -> None:
    # No {}, {0}, {a.b}, {a[0]}, {a!r} or {a:>9}: only a name the handler passes.
    wrong = [
        f"{where} {{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}: {variant}"
        for where, _key, variant in every_variant()
        for _text, name, spec, conversion in string.Formatter().parse(variant)
        if name is not None and not (name.isidentifier() and name != "rng" and not spec and not conversion)
    ]
    assert not wrong, listed(wrong)


def test_strings_say_one_set_of_values_works_for_every_variant() -> None:
    expected = en_us_placeholders()
    for locale in LOCALES:
        table = Strings(locale)
        for key in sorted(table.keys()):
            values = {name: VALUES[name] for name in expected[key]}
            for seed in range(12):  # enough draws to reach every variant of three
                said = table.say(key, rng=random.Random(seed), **values)
                assert "{" not in said and "}" not in said, f"{locale} {key}: {said}"


# ---- the text ---------------------------------------------------------------------------------------------------


def test_strings_every_variant_is_plain_voice_first_text() -> None:
    wrong = [
        f"{where}: {problem}: {variant}"
        for where, key, variant in every_variant()
        for problem in voice_first_problems(key, variant)
    ]
    assert not wrong, listed(wrong)


def test_strings_every_variant_in_ssml_is_well_formed_and_said_as_written() -> None:
    wrong = [
        f"{where}: said as {plain(ssml(text))!r}"
        for where, _key, variant in every_variant()
        if plain(ssml(text := variant.format_map(VALUES))) != text
    ]
    assert not wrong, listed(wrong)


@pytest.mark.parametrize("locale", ["en-GB", "en-AU"])
def test_strings_british_and_australian_hire_cars(locale: str) -> None:
    for key in sorted(Strings(locale).keys()):
        for variant in Strings(locale).variants(key):
            assert not re.search(r"\brent\w*", variant, re.IGNORECASE), f"{locale} {key}: {variant}"
            assert not re.search(r"\b(favorite|minivan)\b", variant), f"{locale} {key}: {variant}"
    assert any("hire a car" in variant for variant in Strings(locale).variants("ASK_CITY"))


def test_strings_canadian_says_favourite_but_rents() -> None:
    canadian = Strings("en-CA")
    for key in sorted(canadian.keys()):
        for variant in canadian.variants(key):
            assert "favorite" not in variant, f"en-CA {key}: {variant}"
    assert any("favourite rental company" in variant for variant in canadian.variants("ASK_COMPANY"))


def test_strings_us_spells_favorite() -> None:
    assert any("favorite" in variant for variant in Strings("en-US").variants("ASK_COMPANY"))


# ---- Strings ----------------------------------------------------------------------------------------------------


def test_strings_say_fills_in_the_placeholders() -> None:
    assert Strings("en-US").say("ASK_SIZE", city="New York", trip="next weekend") == (
        "What size car would you like for your trip in New York next weekend?"
    )


def test_strings_say_offer_reads_as_a_sentence() -> None:
    said = Strings("en-US").say("OFFER", rng=random.Random(0), **VALUES)
    assert said in (
        "OK, I found a compact car from Enterprise, such as the Nissan Versa, for 128 dollars in total for 3 days. "
        "You'd pick it up at John F. Kennedy International Airport.",
        "Good news: Enterprise has a compact car, such as the Nissan Versa, for 128 dollars in total for 3 days. "
        "You'd pick it up at John F. Kennedy International Airport.",
    )


def test_strings_say_card_offer_line_takes_the_written_price() -> None:
    line = Strings("en-US").say("CARD_OFFER_LINE", company="Hertz", car="SUV", price=price_text(312.4),
                                location="Midtown Manhattan")  # fmt: skip
    assert line == "Hertz: SUV, $312.40 in total, pick up at Midtown Manhattan"


def test_strings_say_seeded_random_is_deterministic() -> None:
    table = Strings("en-US")
    first = [table.say("GOODBYE", rng=random.Random(7)) for _ in range(5)]
    assert len(set(first)) == 1
    rng_a, rng_b = random.Random(42), random.Random(42)
    assert [table.say("WELCOME", rng=rng_a) for _ in range(20)] == [table.say("WELCOME", rng=rng_b) for _ in range(20)]


def test_strings_say_without_rng_picks_every_variant_in_time() -> None:
    table = Strings("en-US")
    assert {table.say("GOODBYE") for _ in range(300)} == set(table.variants("GOODBYE"))


def test_strings_say_single_variant_does_not_draw_from_rng() -> None:
    rng = random.Random(3)
    state = rng.getstate()
    Strings("en-US").say("API_DOWN", rng=rng)
    assert rng.getstate() == state


def test_strings_say_unknown_key_raises_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="NO_SUCH_KEY"):
        Strings("en-GB").say("NO_SUCH_KEY")


def test_strings_say_missing_placeholder_raises_key_error_naming_key_and_placeholder() -> None:
    with pytest.raises(KeyError, match=r"ASK_DATE.*'city'"):
        Strings("en-US").say("ASK_DATE")


def test_strings_say_extra_values_are_ignored() -> None:
    assert Strings("en-US").say("API_DOWN", city="Boston") == (
        "Sorry, I can't reach the rental companies right now. Please try again in a minute."
    )


def test_strings_say_values_are_not_formatted_again() -> None:
    said = Strings("en-US").say("ASK_DATE", rng=random.Random(0), city="{city} {0} {__class__}")
    assert "{city} {0} {__class__}" in said


def test_strings_say_key_named_key_is_a_value() -> None:
    # `key` is positional-only, so a placeholder could be called key without clashing.
    assert Strings("en-US").say("CARD_TITLE", key="ignored") == "Car Search"


@pytest.mark.parametrize(
    ("asked", "locale"),
    [
        ("en-US", "en-US"),
        ("en-GB", "en-GB"),
        ("en_gb", "en-GB"),
        (" EN-au ", "en-AU"),
        ("en-CA", "en-CA"),
        ("en-IN", "en-US"),
        ("fr-FR", "en-US"),
        ("", "en-US"),
        (None, "en-US"),
        ("../en-GB", "en-US"),
        ("en-GB/../../etc/passwd", "en-US"),
    ],
)
def test_resolve_locale_unknown_falls_back_to_en_us(asked: str | None, locale: str) -> None:
    assert resolve_locale(asked) == locale
    assert Strings(asked).locale == locale


def test_strings_unknown_locale_speaks_en_us() -> None:
    assert Strings("de-DE").say("CARD_TITLE") == Strings("en-US").say("CARD_TITLE")
    assert repr(Strings("de-DE")) == "Strings('en-US')"


def test_strings_locale_loads_once_and_is_read_only() -> None:
    assert Strings("en-GB").variants("ASK_CITY") is Strings("en-GB").variants("ASK_CITY")
    with pytest.raises(TypeError, match="does not support item assignment"):
        Strings("en-GB")._table["ASK_CITY"] = ("x",)  # type: ignore[index]


# ---- malformed files --------------------------------------------------------------------------------------------


@pytest.fixture
def strings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty strings folder in place of the real one, and the caches emptied before and after."""
    monkeypatch.setattr(strings_module, "STRINGS_DIR", os.fspath(tmp_path))
    strings_module.available_locales.cache_clear()
    strings_module._table.cache_clear()
    yield tmp_path
    strings_module.available_locales.cache_clear()
    strings_module._table.cache_clear()


def write(folder: Path, locale: str, content: object) -> None:
    (folder / f"{locale}.json").write_text(json.dumps(content), encoding="utf-8")


def test_strings_overlay_replaces_whole_variant_lists(strings_dir: Path) -> None:
    write(strings_dir, "en-US", {"HELLO": ["Hi.", "Hello."], "BYE": ["Bye."]})
    write(strings_dir, "en-GB", {"HELLO": ["Hiya."]})
    assert Strings("en-GB").variants("HELLO") == ("Hiya.",)
    assert Strings("en-GB").variants("BYE") == ("Bye.",)
    assert Strings("en-US").variants("HELLO") == ("Hi.", "Hello.")


def test_strings_override_with_a_key_en_us_lacks_raises(strings_dir: Path) -> None:
    write(strings_dir, "en-US", {"HELLO": ["Hi."]})
    write(strings_dir, "en-GB", {"HELO": ["Hiya."]})
    with pytest.raises(ValueError, match="HELO"):
        Strings("en-GB")


@pytest.mark.parametrize(
    "content",
    [["Hi."], {"HELLO": "Hi."}, {"HELLO": []}, {"HELLO": [""]}, {"HELLO": ["Hi.", 3]}, {"HELLO": None}],
)
def test_strings_malformed_file_raises_value_error(strings_dir: Path, content: object) -> None:
    write(strings_dir, "en-US", content)
    with pytest.raises(ValueError, match=r"en-US\.json"):
        Strings("en-US")
