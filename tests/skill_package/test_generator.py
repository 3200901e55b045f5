"""tools.skill_models: en-US's intents and samples are generated from the grammar (tools/grammar.py), and en-GB,
en-CA and en-AU from en-US; none of them is edited by hand but en-US's types, dialog and prompts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.skill_package.model import ALL_LOCALES, intents, resolve, types
from tools.skill_models import (
    LOCALES,
    MODELS_DIR,
    SOURCE_LOCALE,
    GrammarError,
    generate,
    main,
    render,
    sample_problems,
    stale,
    write,
)


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_generated_model_committed_file_matches_generator(locale: str) -> None:
    # GIVEN the grammar, the committed en-US model's types, dialog and prompts, and the locale rules
    # WHEN the generator produces the locale's model
    expected = generate()[locale]
    # THEN the committed file is exactly that
    committed = (MODELS_DIR / f"{locale}.json").read_text(encoding="utf-8")
    assert committed == expected, f"{locale}.json is stale: run python -m tools.skill_models --write"


@pytest.fixture
def models_copy(tmp_path: Path) -> Path:
    shutil.copytree(MODELS_DIR, tmp_path / "custom")
    return tmp_path / "custom"


def _edit_en_us(models_dir: Path, change: Callable[[dict[str, Any]], None]) -> None:
    source = models_dir / f"{SOURCE_LOCALE}.json"
    data = json.loads(source.read_text())
    change(data["interactionModel"])
    source.write_text(render(data), encoding="utf-8")


def test_stale_en_us_sample_added_by_hand_is_reported(models_copy: Path) -> None:
    # GIVEN a sample added to en-US.json by hand, not to the grammar
    _edit_en_us(models_copy, lambda model: model["languageModel"]["intents"][0]["samples"].append("zork a car"))
    # WHEN the models are checked
    # THEN en-US is reported (--write would put the grammar's samples back); the others come from the grammar too
    assert stale(models_copy) == [SOURCE_LOCALE]


def test_stale_en_us_prompt_edited_without_regenerating_names_every_locale(models_copy: Path) -> None:
    # GIVEN a prompt edited in en-US, which is written by hand
    def edit(model: dict[str, Any]) -> None:
        model["prompts"][0]["variations"][0]["value"] = "Which city?"

    _edit_en_us(models_copy, edit)
    # WHEN the models are checked
    # THEN every generated locale is reported, and the check command fails
    assert stale(models_copy) == list(LOCALES)


def test_write_stale_models_regenerates_them(models_copy: Path) -> None:
    # GIVEN up-to-date models, then one generated model edited by hand
    write(models_copy)
    (models_copy / "en-GB.json").write_text("{}")
    # WHEN the models are written
    changed = write(models_copy)
    # THEN only that one changed, and nothing is stale any more
    assert changed == ["en-GB"]
    assert stale(models_copy) == []


def test_main_check_committed_models_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "match en-US" in capsys.readouterr().out


def _model(intents: list[dict[str, Any]]) -> dict[str, Any]:
    return {"interactionModel": {"languageModel": {"invocationName": "car search", "intents": intents}}}


def test_sample_problems_names_what_alexa_would_refuse() -> None:
    # GIVEN a model with a sample in two intents (in other case), a slot sample that is an intent sample, a digit and a
    # question mark
    model = _model(
        [
            {"name": "FindCarIntent", "slots": [{"name": "city", "type": "AMAZON.US_CITY", "samples": ["in {city}"]}],
             "samples": ["find a car", "in {city}", "rent 2 cars"]},
            {"name": "CheckResultsIntent", "samples": ["Find a car", "results?"]},
        ]
    )  # fmt: skip
    # WHEN its samples are checked
    problems = sample_problems(model)
    # THEN each is named, with where it is
    assert problems == [
        "FindCarIntent: 'rent 2 cars' has characters Alexa does not take in a sample",
        "CheckResultsIntent: 'results?' has characters Alexa does not take in a sample",
        "'Find a car' is a sample of both FindCarIntent and CheckResultsIntent",
        "'in {city}' is a sample of the slot FindCarIntent.city and of the intent FindCarIntent",
    ]
    assert sample_problems(_model([{"name": "FindCarIntent", "samples": ["find a car"]}])) == []


def test_sample_problems_names_a_slot_the_intent_does_not_declare() -> None:
    # GIVEN a BookIntent sample that names a company slot BookIntent does not have
    model = _model([{"name": "BookIntent", "samples": ["book the {company} one", "book it"]}])
    # WHEN its samples are checked
    # THEN the sample is named, as Alexa's build would refuse it
    assert sample_problems(model) == [
        "BookIntent: 'book the {company} one' names the slot {company}, which BookIntent does not declare"
    ]


def test_generate_models_alexa_would_refuse_is_an_error(models_copy: Path) -> None:
    # GIVEN a locale rule that turns a sample of one intent into another intent's sample
    rules = replace(LOCALES["en-GB"], extra_samples={"CheckResultsIntent": ("I need a car",)})
    # WHEN the models are generated with it
    # THEN the generator refuses, naming the sample and both intents
    refused = "en-GB: 'I need a car' is a sample of both FindCarIntent and CheckResultsIntent"
    with pytest.raises(GrammarError, match=refused):
        generate(models_copy, {"en-GB": rules})


# --- what the rules make of en-US ----------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en-GB", "en-AU"])
def test_hire_locales_samples_have_hire_beside_rent(locale: str) -> None:
    samples = intents(locale)["FindCarIntent"]["samples"]
    assert "rent a car in {city}" in samples
    assert "hire a car in {city}" in samples
    assert samples.index("hire a car in {city}") == samples.index("rent a car in {city}") + 1
    assert "car hire in {city} {pickupDate}" in samples


@pytest.mark.parametrize("locale", ["en-GB", "en-AU"])
def test_hire_locales_minivan_primary_word_is_people_carrier(locale: str) -> None:
    minivan = next(value for value in types(locale)["CarSizeType"]["values"] if value["id"] == "minivan")
    assert minivan["name"]["value"] == "people carrier"
    assert "minivan" in minivan["name"]["synonyms"]
    assert "people carrier" not in minivan["name"]["synonyms"]
    assert resolve(locale, "RentalCompanyType", "Hertz car hire") == {"hertz"}


def test_en_ca_model_keeps_renting_and_spells_favourite() -> None:
    samples = intents("en-CA")["FindCarIntent"]["samples"]
    assert not [sample for sample in samples if "hire" in sample]
    assert samples == intents(SOURCE_LOCALE)["FindCarIntent"]["samples"]
    prompts = json.dumps(json.loads((MODELS_DIR / "en-CA.json").read_text())["interactionModel"]["prompts"])
    assert "favourite" in prompts
    assert "favorite" not in prompts
