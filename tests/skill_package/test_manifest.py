"""skill.json: publishing information per locale, example phrases that really work, privacy answered."""

from __future__ import annotations

import json
import re

import pytest

from local_stack.amazon_date import parse_duration
from tests.skill_package.model import (
    ALL_LOCALES,
    MODELS_DIR,
    PACKAGE_DIR,
    intents,
    manifest,
    resolve,
    sample_pattern,
    slots,
    types,
)
from tools.skill_models import normalize

# "Alexa, open car search" launches; "Alexa, ask car search [to|for] <utterance>" sends an intent.
EXAMPLE = re.compile(r"Alexa, (?:(?P<launch>open car search)|ask car search(?: to| for)? (?P<utterance>.+))")


def _matching_sample(locale: str, utterance: str) -> tuple[str, str, dict[str, str]] | None:
    """(intent, sample, slot values) of the first sample that the spoken utterance matches, a slot of a closed list
    (a custom type, a duration) with one of its values: a bare "{carSize}" sample is no wildcard."""
    spoken = normalize(utterance.rstrip(".?!"))
    custom = set(types(locale))

    def fills(kind: str, value: str) -> bool:
        if kind in custom:
            return bool(resolve(locale, kind, value))
        return kind != "AMAZON.DURATION" or parse_duration(value) is not None

    for intent_name, intent in intents(locale).items():
        kinds = {name.lower(): slot["type"] for name, slot in slots(locale, intent_name).items()}
        for sample in intent.get("samples", []):
            match = sample_pattern(sample).fullmatch(spoken)
            if match and all(fills(kinds[name], value) for name, value in match.groupdict().items()):
                return intent_name, sample, match.groupdict()
    return None


def test_every_json_file_of_the_package_parses() -> None:
    files = sorted(PACKAGE_DIR.rglob("*.json"))
    assert {path.name for path in files} >= {"skill.json", *(f"{locale}.json" for locale in ALL_LOCALES)}
    for path in files:
        json.loads(path.read_text(encoding="utf-8"))


def test_manifest_locales_are_the_model_locales() -> None:
    published = set(manifest()["publishingInformation"]["locales"])
    assert published == set(ALL_LOCALES)
    assert {path.stem for path in MODELS_DIR.glob("*.json")} == published


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_manifest_locale_has_publishing_information(locale: str) -> None:
    info = manifest()["publishingInformation"]["locales"][locale]
    assert info["name"] == "Car Search"
    assert 0 < len(info["summary"]) <= 160
    assert 0 < len(info["description"]) <= 4000
    assert 1 <= len(info["keywords"]) <= 30
    assert 1 <= len(info["examplePhrases"]) <= 3


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_example_phrases_match_a_sample_utterance(locale: str) -> None:
    for phrase in manifest()["publishingInformation"]["locales"][locale]["examplePhrases"]:
        # GIVEN an example phrase as the skill store shows it
        parsed = EXAMPLE.fullmatch(phrase)
        assert parsed, f"{phrase!r} does not start with 'Alexa, open car search' or 'Alexa, ask car search'"
        if parsed["launch"]:
            continue
        # WHEN the part after the invocation name is matched against the locale's samples
        found = _matching_sample(locale, parsed["utterance"])
        # THEN one sample matches, and each custom slot value in it resolves to a value id
        assert found, f"{locale}: {phrase!r} matches no sample utterance"
        intent_name, sample, values = found
        slot_types = {name.lower(): slot["type"] for name, slot in slots(locale, intent_name).items()}
        for slot_name, spoken in values.items():
            if not slot_types[slot_name].startswith("AMAZON."):
                assert resolve(locale, slot_types[slot_name], spoken), (phrase, sample, slot_name, spoken)


def test_first_example_phrase_opens_the_skill() -> None:
    for info in manifest()["publishingInformation"]["locales"].values():
        assert info["examplePhrases"][0] == "Alexa, open car search"


def test_example_phrase_matching_rejects_a_phrase_without_sample() -> None:
    assert _matching_sample("en-US", "order a pizza in Boston") is None
    assert _matching_sample("en-US", "rent a car in Boston tomorrow") is not None
    assert _matching_sample("en-CA", "hire a car in Boston tomorrow") is None


def test_privacy_and_compliance_is_answered() -> None:
    assert manifest()["privacyAndCompliance"] == {
        "allowsPurchases": False,
        "usesPersonalInfo": False,
        "isChildDirected": False,
        "isExportCompliant": True,
        "containsAds": False,
    }


def test_custom_api_endpoint_is_left_to_the_ask_cli_deployer() -> None:
    # The ASK CLI's deployer (lambda or cfn) fills the endpoint at `ask deploy`; a committed one would point
    # every developer's skill at one account's Lambda.
    assert manifest()["apis"] == {"custom": {}}
    assert manifest()["manifestVersion"] == "1.0"


def test_distribution_matches_the_locales() -> None:
    publishing = manifest()["publishingInformation"]
    assert publishing["isAvailableWorldwide"] is False
    assert sorted(publishing["distributionCountries"]) == sorted(locale[-2:] for locale in ALL_LOCALES)
