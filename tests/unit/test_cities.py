"""CityCatalog.resolve: how a spoken or typed city name finds one of the cities served."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from search_service.domain.cities import CITIES, STATES, AmbiguousCity, City, CityCatalog, UnknownCity

CATALOG = CityCatalog()


def _ids(cities: list[City]) -> list[str]:
    return [city.id for city in cities]


def _not_resolved(name_of: Callable[[City], str]) -> list[str]:
    """Every city that its name, as `name_of` says it, does not resolve to, and what the name found instead."""
    wrong = []
    for city in CITIES:
        text = name_of(city)
        try:
            found = CATALOG.resolve(text)
        except (AmbiguousCity, UnknownCity) as error:
            wrong.append(f"{text!r} raised {type(error).__name__}, not {city.id}")
            continue
        if found is not city:
            wrong.append(f"{text!r} found {found.id}, not {city.id}")
    return wrong


def _zone_problem(city: City) -> str | None:
    try:
        key = ZoneInfo(city.timezone).key
    except (ZoneInfoNotFoundError, ValueError) as error:
        return f"{city.id}: {city.timezone!r} does not load: {error}"
    return None if key == city.timezone else f"{city.id}: {city.timezone!r} loads as {key!r}"


# --- The data ---------------------------------------------------------------------------------------


def test_cities_catalog_has_at_least_50_cities() -> None:
    assert len(CITIES) >= 50


def test_cities_ids_are_unique() -> None:
    ids = [city.id for city in CITIES]
    duplicates = sorted({city_id for city_id in ids if ids.count(city_id) > 1})
    assert duplicates == []


def test_cities_every_time_zone_loads_with_zoneinfo() -> None:
    wrong = [problem for city in CITIES if (problem := _zone_problem(city))]
    assert not wrong, "\n".join(wrong)


def test_cities_every_state_is_a_known_abbreviation() -> None:
    assert [f"{city.id}: {city.state}" for city in CITIES if city.state not in STATES] == []


def test_city_locations_airports_first_then_downtown_branch() -> None:
    # GIVEN New York, with two airports
    new_york = CATALOG.get("new-york-ny")

    # THEN its rental locations are both airports, then the downtown branch named after the city id
    assert [(loc.code, loc.kind) for loc in new_york.locations] == [
        ("JFK", "airport"),
        ("LGA", "airport"),
        ("new-york-ny-dt", "downtown"),
    ]
    assert new_york.locations[-1].name == "Midtown Manhattan"


def test_catalog_get_unknown_id_raises_key_error() -> None:
    with pytest.raises(KeyError, match="reykjavik-xx"):
        CATALOG.get("reykjavik-xx")


# --- Every city can be found by its own names -----------------------------------------------------------


def test_resolve_every_display_name_returns_that_city() -> None:
    wrong = _not_resolved(lambda city: city.display)  # "Portland, OR"
    assert not wrong, "\n".join(wrong)


def test_resolve_every_id_returns_that_city() -> None:
    wrong = _not_resolved(lambda city: city.id)  # "portland-or"
    assert not wrong, "\n".join(wrong)


def test_resolve_every_name_with_full_state_name_returns_that_city() -> None:
    wrong = _not_resolved(lambda city: f"{city.name}, {city.state_name}")  # "Washington, District of Columbia"
    assert not wrong, "\n".join(wrong)


# --- Ways people say a city -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "city_id"),
    [
        ("NYC", "new-york-ny"),
        ("the big apple", "new-york-ny"),
        ("New York City", "new-york-ny"),
        ("L.A.", "los-angeles-ca"),
        ("philly", "philadelphia-pa"),
        ("St. Louis", "saint-louis-mo"),
        ("st louis", "saint-louis-mo"),
        ("Ft. Worth", "fort-worth-tx"),
        ("Washington, D.C.", "washington-dc"),
        ("Washington", "washington-dc"),
        ("Vegas", "las-vegas-nv"),
        ("KC", "kansas-city-mo"),
        ("  new YORK  ", "new-york-ny"),
    ],
)
def test_resolve_alias_or_variant_spelling_returns_city(text: str, city_id: str) -> None:
    assert CATALOG.resolve(text).id == city_id


@pytest.mark.parametrize(
    ("text", "city_id"),
    [
        ("Portland, Oregon", "portland-or"),
        ("Portland OR", "portland-or"),
        ("portland maine", "portland-me"),
        ("Portland, ME", "portland-me"),
        ("Springfield, MA", "springfield-ma"),
        ("Springfield Missouri", "springfield-mo"),
        ("Kansas City, Kansas", "kansas-city-ks"),
        ("Kansas City MO", "kansas-city-mo"),
        ("Charleston West Virginia", "charleston-wv"),  # "west virginia" wins over "virginia"
        ("Arlington, Virginia", "arlington-va"),
        ("Arlington TX", "arlington-tx"),
        ("Jacksonville, North Carolina", "jacksonville-nc"),
        ("Columbus, Georgia", "columbus-ga"),
        ("New York, New York", "new-york-ny"),
        ("Seattle, Washington", "seattle-wa"),  # the state, not Washington DC
        ("New Orleans, LA", "new-orleans-la"),  # LA the state, not the Los Angeles alias
    ],
)
def test_resolve_name_with_state_returns_that_state_city(text: str, city_id: str) -> None:
    assert CATALOG.resolve(text).id == city_id


@pytest.mark.parametrize(
    ("text", "city_id"),
    [
        ("PDX", "portland-or"),
        ("pdx", "portland-or"),
        ("PWM", "portland-me"),
        ("BDL", "springfield-ma"),
        ("JFK", "new-york-ny"),
        ("LGA", "new-york-ny"),
        ("DFW", "dallas-tx"),  # shared by Dallas, Fort Worth and Arlington: the first listed wins
        ("MCI", "kansas-city-mo"),  # shared by both Kansas Cities
        ("PHX", "phoenix-az"),  # shared by Phoenix and Mesa
    ],
)
def test_resolve_airport_code_returns_city(text: str, city_id: str) -> None:
    assert CATALOG.resolve(text).id == city_id


@pytest.mark.parametrize(
    ("text", "candidate_ids"),
    [
        ("Portland", ["portland-or", "portland-me"]),
        ("Springfield", ["springfield-il", "springfield-mo", "springfield-ma"]),
        ("Kansas City", ["kansas-city-mo", "kansas-city-ks"]),
        ("columbus", ["columbus-oh", "columbus-ga"]),
        ("Charleston", ["charleston-sc", "charleston-wv"]),
        ("Arlington", ["arlington-tx", "arlington-va"]),
        ("Jacksonville", ["jacksonville-fl", "jacksonville-nc"]),
    ],
)
def test_resolve_shared_name_without_state_raises_ambiguous_city_in_listing_order(
    text: str, candidate_ids: list[str]
) -> None:
    with pytest.raises(AmbiguousCity) as raised:
        CATALOG.resolve(text)

    assert raised.value.text == text
    assert _ids(raised.value.candidates) == candidate_ids


# --- Cities we do not know --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "suggestion_ids"),
    [
        ("Chicgo", ["chicago-il"]),
        ("San Fransisco", ["san-francisco-ca"]),
        ("Chicgo, IL", ["chicago-il"]),
        ("Springfeld", ["springfield-il", "springfield-mo", "springfield-ma"]),
    ],
)
def test_resolve_misspelled_city_raises_unknown_city_with_close_spellings(text: str, suggestion_ids: list[str]) -> None:
    with pytest.raises(UnknownCity) as raised:
        CATALOG.resolve(text)

    assert raised.value.text == text
    assert _ids(raised.value.suggestions) == suggestion_ids


def test_resolve_unserved_city_in_served_state_suggests_that_state_cities() -> None:
    # GIVEN a city we do not serve, in a state where we serve only Seattle
    with pytest.raises(UnknownCity) as raised:
        CATALOG.resolve("Spokane, Washington")

    # THEN the suggestion is the city we serve in Washington state
    assert _ids(raised.value.suggestions) == ["seattle-wa"]


def test_resolve_served_name_in_wrong_state_suggests_the_served_one() -> None:
    with pytest.raises(UnknownCity) as raised:
        CATALOG.resolve("Austin, MN")

    assert _ids(raised.value.suggestions) == ["austin-tx"]


def test_resolve_unserved_city_in_unserved_state_raises_unknown_city_without_suggestions() -> None:
    with pytest.raises(UnknownCity) as raised:
        CATALOG.resolve("Boise, Idaho")

    assert raised.value.text == "Boise, Idaho"
    assert raised.value.suggestions == []


@pytest.mark.parametrize("text", ["", "   ", "?!", "Montreal", "Reykjavik"])
def test_resolve_nothing_like_a_served_city_raises_unknown_city_without_suggestions(text: str) -> None:
    with pytest.raises(UnknownCity) as raised:
        CATALOG.resolve(text)

    assert raised.value.suggestions == []


@pytest.mark.parametrize("text", ["Portland, Texas", "Springfield Mass", "Chicgo", "Springfeld"])
def test_resolve_unknown_city_suggests_at_most_three_distinct_cities(text: str) -> None:
    with pytest.raises(UnknownCity) as raised:
        CATALOG.resolve(text)

    suggestions = _ids(raised.value.suggestions)
    assert 1 <= len(suggestions) <= 3
    assert len(set(suggestions)) == len(suggestions)
