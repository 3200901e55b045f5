"""The interaction models: the names the handlers rely on, and the rules Alexa enforces at build time."""

from __future__ import annotations

import re

import pytest
from skill.handlers.find_car import RESOLVED_SLOTS, SPOKEN_SLOTS
from skill.state import Asked

from search_service.domain.fleet import CAR_CLASSES, SUPPLIERS
from tests.skill_package.model import (
    ALL_LOCALES,
    intents,
    language,
    model,
    phrases_to_ids,
    resolve,
    slot_names,
    slots,
    types,
    words,
)
from tools.grammar import SPOKEN
from tools.skill_models import ANY_ID, MODELS_DIR, normalize

locales = pytest.mark.parametrize("locale", ALL_LOCALES)

# The built-in types whose values the skill's code reads: the search serves US cities, and skill.trip_dates parses
# the values of AMAZON.DATE and AMAZON.DURATION.
BUILT_IN_TYPES_READ = {
    "city": "AMAZON.US_CITY",
    "pickupDate": "AMAZON.DATE",
    "returnDate": "AMAZON.DATE",
    "duration": "AMAZON.DURATION",
}
# Every custom skill must have these (Alexa's certification asks for Stop, Cancel and Help; the model build adds
# NavigateHome). That the skill has a handler for each intent of the model is tests/skill/test_intents.py's rule.
REQUIRED_BY_ALEXA = {"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.NavigateHomeIntent"}


def slots_the_dialog_elicits() -> set[str]:
    """The slots the skill asks for with Dialog.ElicitSlot: every point of the dialog (skill.state.Asked) names the
    FindCarIntent slot it elicits, and the dialog elicits no other."""
    return {asked.slot for asked in Asked if asked.slot}


def _all_samples(locale: str) -> list[tuple[str, str | None, str]]:
    """(intent, slot or None, sample) for every intent sample and every slot sample of the locale."""
    found: list[tuple[str, str | None, str]] = []
    for name, intent in intents(locale).items():
        found += [(name, None, sample) for sample in intent.get("samples", [])]
        for slot in intent.get("slots", []):
            found += [(name, slot["name"], sample) for sample in slot.get("samples", [])]
    return found


# --- names the handlers depend on -----------------------------------------------------------------


@locales
def test_invocation_name_is_two_lowercase_words(locale: str) -> None:
    name = language(locale)["invocationName"]
    assert name == "car search"
    assert re.fullmatch(r"[a-z]+ [a-z]+", name)


@locales
def test_find_car_intent_has_exactly_the_slots_its_handler_reads(locale: str) -> None:
    declared = {name: slot["type"] for name, slot in slots(locale, "FindCarIntent").items()}
    assert set(declared) == {*SPOKEN_SLOTS, *RESOLVED_SLOTS}
    # The handler takes a spoken slot's value as said, and a resolved slot's value id from the model's custom type.
    assert [name for name in SPOKEN_SLOTS if not declared[name].startswith("AMAZON.")] == []
    assert [name for name in RESOLVED_SLOTS if declared[name] not in types(locale)] == []
    assert {name: declared.get(name) for name in BUILT_IN_TYPES_READ} == BUILT_IN_TYPES_READ


@locales
def test_intents_include_every_built_in_alexa_requires(locale: str) -> None:
    assert sorted(REQUIRED_BY_ALEXA - intents(locale).keys()) == []


@locales
def test_custom_value_ids_are_the_search_service_codes_plus_any(locale: str) -> None:
    def ids(slot_name: str) -> list[str]:
        """The value ids of the slot's type: what the handler passes on to the search API."""
        type_name = slots(locale, "FindCarIntent")[slot_name]["type"]
        return [value["id"] for value in types(locale)[type_name]["values"]]

    assert ids("carSize") == [car_class.code for car_class in CAR_CLASSES] + [ANY_ID]
    assert ids("company") == [supplier.code for supplier in SUPPLIERS] + [ANY_ID]


@pytest.mark.parametrize(
    ("type_name", "spoken", "value_id"),
    [
        ("CarSizeType", "small", "compact"),
        ("CarSizeType", "small car", "compact"),
        ("CarSizeType", "big", "fullsize"),
        ("CarSizeType", "SUV", "suv"),
        ("CarSizeType", "no preference", ANY_ID),
        ("CarSizeType", "it doesn't matter", ANY_ID),
        ("RentalCompanyType", "Enterprise", "enterprise"),
        ("RentalCompanyType", "Enterprise Rent A Car", "enterprise"),
        ("RentalCompanyType", "no preference", ANY_ID),
        ("RentalCompanyType", "it doesn't matter", ANY_ID),
    ],
)
def test_slot_value_spoken_words_resolve_to_id_in_every_locale(type_name: str, spoken: str, value_id: str) -> None:
    resolved = {locale: resolve(locale, type_name, spoken) for locale in ALL_LOCALES}
    assert resolved == {locale: {value_id} for locale in ALL_LOCALES}


# --- references resolve ---------------------------------------------------------------------------


@locales
def test_slot_types_are_built_in_or_defined(locale: str) -> None:
    defined = set(types(locale))
    for intent in intents(locale).values():
        for slot in intent.get("slots", []):
            assert slot["type"].startswith("AMAZON.") or slot["type"] in defined, slot
    used = {slot["type"] for intent in intents(locale).values() for slot in intent.get("slots", [])}
    assert defined <= used, "a custom type no slot uses"


@locales
def test_custom_values_have_ids_unique_in_their_type(locale: str) -> None:
    for slot_type in types(locale).values():
        ids = [value.get("id") for value in slot_type["values"]]
        assert all(ids), slot_type["name"]
        assert len(ids) == len(set(ids)), slot_type["name"]


@locales
def test_custom_value_phrases_each_resolve_to_one_id(locale: str) -> None:
    # A phrase listed twice in a type (as a value or synonym, any case) would make resolution ambiguous.
    for type_name, slot_type in types(locale).items():
        phrases = [
            normalize(phrase)
            for value in slot_type["values"]
            for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]
        ]
        assert len(phrases) == len(set(phrases)), type_name
        assert all(len(ids) == 1 for ids in phrases_to_ids(locale, type_name).values())


@locales
def test_dialog_intents_and_slots_match_the_language_model(locale: str) -> None:
    for dialog_intent in model(locale)["dialog"]["intents"]:
        declared = slots(locale, dialog_intent["name"])
        for slot in dialog_intent["slots"]:
            assert slot["name"] in declared, slot
            assert slot["type"] == declared[slot["name"]]["type"], slot


@locales
def test_prompt_ids_used_by_the_dialog_are_exactly_the_prompts_defined(locale: str) -> None:
    used = {
        prompt_id
        for dialog_intent in model(locale)["dialog"]["intents"]
        for slot in dialog_intent["slots"]
        for prompt_id in slot.get("prompts", {}).values()
    }
    defined = {prompt["id"] for prompt in model(locale)["prompts"]}
    assert used == defined
    for prompt in model(locale)["prompts"]:
        assert prompt["variations"], prompt["id"]
        assert all(variation["type"] == "PlainText" and variation["value"] for variation in prompt["variations"])


# --- the dialog ------------------------------------------------------------------------------------


@locales
def test_find_car_dialog_is_handled_by_the_skill_without_confirmations(locale: str) -> None:
    dialog = model(locale)["dialog"]
    assert dialog["delegationStrategy"] == "SKILL_RESPONSE"
    (find_car,) = dialog["intents"]
    assert find_car["name"] == "FindCarIntent"
    assert find_car["delegationStrategy"] == "SKILL_RESPONSE"
    assert find_car["confirmationRequired"] is False
    assert {slot["name"] for slot in find_car["slots"]} == set(slots(locale, "FindCarIntent"))
    for slot in find_car["slots"]:
        # The Lambda decides what to ask and when (Dialog.ElicitSlot); Alexa never asks on its own.
        assert slot["elicitationRequired"] is False, slot["name"]
        assert slot["confirmationRequired"] is False, slot["name"]


def test_the_dialog_elicits_slots_of_find_car() -> None:
    elicited = slots_the_dialog_elicits()
    assert elicited, "the scan of skill/dialog.py found no elicited slot"
    assert elicited <= set(slots("en-US", "FindCarIntent"))


@pytest.mark.parametrize("name", sorted(slots_the_dialog_elicits()))
def test_slots_the_lambda_elicits_have_an_elicitation_prompt_and_slot_samples(name: str) -> None:
    missing = []
    for locale in ALL_LOCALES:
        dialog_slot = next(slot for slot in model(locale)["dialog"]["intents"][0]["slots"] if slot["name"] == name)
        if dialog_slot["prompts"].get("elicitation") not in {prompt["id"] for prompt in model(locale)["prompts"]}:
            missing.append(f"{locale}: no elicitation prompt")
        answers = {
            *slots(locale, "FindCarIntent")[name].get("samples", []),
            *intents(locale)["FindCarIntent"]["samples"],
        }
        if f"{{{name}}}" not in answers:  # the slot's own sample, or the intent's for a closed list (see below)
            missing.append(f"{locale}: no sample {{{name}}} alone")
    assert not missing, "\n".join(missing)


def test_elicitation_prompts_say_the_designed_questions() -> None:
    first = {prompt["id"].rsplit(".", 1)[1]: prompt["variations"][0]["value"] for prompt in model("en-US")["prompts"]}
    designed = {
        "city": "Where would you like to rent a car?",
        "pickupDate": "When do you need the car?",
        "carSize": "What size car would you like?",
        "company": "Is there a specific company you'd like to rent from?",
    }
    assert {slot: first.get(slot) for slot in designed} == designed  # a prompt for another slot may come


# --- samples ----------------------------------------------------------------------------------------


@locales
def test_samples_name_only_slots_of_their_intent(locale: str) -> None:
    for intent_name, intent in intents(locale).items():
        declared = set(slots(locale, intent_name))
        for slot in intent.get("slots", []):
            for sample in slot.get("samples", []):
                assert set(slot_names(sample)) <= declared, (slot["name"], sample)
                assert slot["name"] in slot_names(sample), f"slot sample without its own slot: {sample!r}"
        for sample in intent.get("samples", []):
            assert set(slot_names(sample)) <= declared, (intent_name, sample)
            assert len(slot_names(sample)) == len(set(slot_names(sample))), (intent_name, sample)


@locales
def test_intent_samples_are_just_a_slot_only_for_a_duration(locale: str) -> None:
    # Bare "{city}" belongs in the slot's samples, used while that slot is being elicited: said alone at any time it
    # would take every utterance for a city, and so would a custom type's, whose values are examples, not a list
    # ("Boston" became a size in the third-party simulator). How long is a built-in type that takes durations only,
    # said bare to any question ("five days" to the size question), so it is the intent's.
    closed = {"AMAZON.DURATION"}
    for intent_name, intent in intents(locale).items():
        kinds = {name: slot["type"] for name, slot in slots(locale, intent_name).items()}
        for sample in intent.get("samples", []):
            assert words(sample) or all(kinds[name] in closed for name in slot_names(sample)), (intent_name, sample)


@locales
def test_samples_are_unique_across_intents_and_within_each_slot(locale: str) -> None:
    # GIVEN every sample of the locale, compared case-insensitively with whitespace collapsed
    intent_of: dict[str, str] = {}
    slot_samples: set[tuple[str, str, str]] = set()
    for intent_name, slot_name, sample in _all_samples(locale):
        key = normalize(sample)
        if slot_name is None:
            # THEN no intent sample appears twice, in one intent or in two
            assert key not in intent_of, f"{sample!r} in {intent_of.get(key)} and {intent_name}"
            intent_of[key] = intent_name
        else:
            # AND no slot sample appears twice for its slot
            assert (intent_name, slot_name, key) not in slot_samples, (slot_name, sample)
            slot_samples.add((intent_name, slot_name, key))
    # AND no slot sample is also an intent sample
    assert not {key for _, _, key in slot_samples} & set(intent_of)


@locales
def test_samples_and_values_use_only_spoken_characters(locale: str) -> None:
    for intent_name, slot_name, sample in _all_samples(locale):
        assert SPOKEN.fullmatch(sample), (intent_name, slot_name, sample)
    for type_name, slot_type in types(locale).items():
        for value in slot_type["values"]:
            for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                assert SPOKEN.fullmatch(phrase) and "{" not in phrase, (type_name, phrase)


def test_find_car_samples_say_what_issue_14_lists() -> None:
    # GIVEN FindCarIntent's samples in en-US, which the other locales take over
    samples = [normalize(sample) for sample in intents("en-US")["FindCarIntent"]["samples"]]
    # THEN a few hundred, with every carrier, date range and change that travellers were heard to use
    carriers = ["i need", "get me", "can you find", "could you look for", "we need", "rent", "book", "reserve"]
    carriers += ["i'd like", "looking for", "i'm flying into", "is there"]
    ranges = ["from {pickupdate} to {returndate}", "{pickupdate} until {returndate}", "for {duration}"]
    ranges += [
        "{pickupdate} through {returndate}",
        "{pickupdate} to {returndate}",
        "starting {pickupdate} for {duration}",
    ]
    changes = ["actually make it {pickupdate}", "make it {duration}", "change the city to {city}", "actually {city}"]
    changes += ["make that a {carsize}", "switch to {company}", "the one in {state}", "i mean the {choice} one"]
    missing = [
        f"no sample starts with {carrier!r}"
        for carrier in carriers
        if not any(sample.startswith(f"{carrier} ") for sample in samples)
    ]
    missing += [f"no sample says {said!r}" for said in ranges if not any(said in sample for sample in samples)]
    missing += [f"no sample {change!r}" for change in changes if change not in samples]
    # AND the size and the company before the city, after it, and last
    for slot in ("{carsize}", "{company}"):
        for where, fits in {
            "before the city": lambda sample, slot=slot: sample.find(slot) < sample.find("{city}"),
            "after the city": lambda sample, slot=slot: sample.find(slot) > sample.find("{city}"),
            "last": lambda sample, slot=slot: sample.endswith(slot),
        }.items():
            if not any(slot in sample and "{city}" in sample and fits(sample) for sample in samples):
                missing.append(f"no sample has {slot} {where}")
    assert not missing, "\n".join(missing)
    assert 300 <= len(samples) <= 1000
    assert {len(slot_names(sample)) for sample in samples} >= {0, 1, 2, 3, 4, 5}


# Alexa's limits for an interaction model (developer.amazon.com/en-US/docs/alexa/custom-skills/
# create-the-interaction-model-for-your-skill.html#limits): 1.5 MB per model, 250 intents, 350 intents and slot types
# together, 140 characters per slot value or synonym. No limit on the number of samples of an intent is documented;
# the model's size bounds them.
MAX_MODEL_BYTES = 1_500_000
MAX_INTENTS = 250
MAX_INTENTS_AND_TYPES = 350
MAX_VALUE_CHARACTERS = 140


@locales
def test_models_stay_within_alexas_limits(locale: str) -> None:
    intent_count, type_count = len(intents(locale)), len(types(locale))
    assert len((MODELS_DIR / f"{locale}.json").read_bytes()) <= MAX_MODEL_BYTES
    assert intent_count <= MAX_INTENTS
    assert intent_count + type_count <= MAX_INTENTS_AND_TYPES
    too_long = [
        f"{type_name}: {phrase!r}"
        for type_name, slot_type in types(locale).items()
        for value in slot_type["values"]
        for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]
        if len(phrase) > MAX_VALUE_CHARACTERS
    ]
    assert not too_long, f"over {MAX_VALUE_CHARACTERS} characters: {too_long}"


def test_every_slot_appears_in_some_find_car_sample() -> None:
    used = {name for sample in intents("en-US")["FindCarIntent"]["samples"] for name in slot_names(sample)}
    assert used == set(slots("en-US", "FindCarIntent"))
