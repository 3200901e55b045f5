"""tools.skill_models: en-GB, en-CA and en-AU are generated from en-US, never edited by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.skill_package.model import intents, resolve, types
from tools.skill_models import LOCALES, MODELS_DIR, SOURCE_LOCALE, generate, main, stale, write


@pytest.mark.parametrize("locale", list(LOCALES))
def test_generated_model_committed_file_matches_generator(locale: str) -> None:
    # GIVEN the committed en-US model and the locale rules
    # WHEN the generator produces the locale's model
    expected = generate()[locale]
    # THEN the committed file is exactly that
    committed = (MODELS_DIR / f"{locale}.json").read_text(encoding="utf-8")
    assert committed == expected, f"{locale}.json is stale: run python -m tools.skill_models --write"


@pytest.fixture
def models_copy(tmp_path: Path) -> Path:
    shutil.copytree(MODELS_DIR, tmp_path / "custom")
    return tmp_path / "custom"


def test_stale_en_us_edited_without_regenerating_names_every_locale(models_copy: Path) -> None:
    # GIVEN a new sample added to en-US only
    source = models_copy / f"{SOURCE_LOCALE}.json"
    data = json.loads(source.read_text())
    data["interactionModel"]["languageModel"]["intents"][0]["samples"].append("find a car near {city}")
    source.write_text(json.dumps(data, indent=2))
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
