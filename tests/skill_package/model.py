"""Read the skill package the way the tests need it: intents, samples, slot values and their ids."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from tools.skill_models import LOCALES, MODELS_DIR, SOURCE_LOCALE, normalize

PACKAGE_DIR = MODELS_DIR.parent.parent
MANIFEST = PACKAGE_DIR / "skill.json"
ALL_LOCALES = (SOURCE_LOCALE, *LOCALES)
SLOT = re.compile(r"\{([^{}]*)\}")

Json = dict[str, Any]


@cache
def load(path: Path) -> Json:
    data: Json = json.loads(path.read_text(encoding="utf-8"))
    return data


def manifest() -> Json:
    return load(MANIFEST)["manifest"]


def model(locale: str) -> Json:
    return load(MODELS_DIR / f"{locale}.json")["interactionModel"]


def language(locale: str) -> Json:
    return model(locale)["languageModel"]


def intents(locale: str) -> dict[str, Json]:
    return {intent["name"]: intent for intent in language(locale)["intents"]}


def slots(locale: str, intent: str) -> dict[str, Json]:
    return {slot["name"]: slot for slot in intents(locale)[intent].get("slots", [])}


def types(locale: str) -> dict[str, Json]:
    return {slot_type["name"]: slot_type for slot_type in language(locale).get("types", [])}


def slot_names(sample: str) -> list[str]:
    return SLOT.findall(sample)


def words(sample: str) -> str:
    """What is left of a sample without its slots."""
    return " ".join(SLOT.sub(" ", sample).split())


def phrases_to_ids(locale: str, type_name: str) -> dict[str, set[str]]:
    """Each value and synonym of a custom type (normalized) -> the ids it resolves to."""
    resolved: dict[str, set[str]] = {}
    for value in types(locale)[type_name]["values"]:
        for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
            resolved.setdefault(normalize(phrase), set()).add(value["id"])
    return resolved


def resolve(locale: str, type_name: str, spoken: str) -> set[str]:
    return phrases_to_ids(locale, type_name).get(normalize(spoken), set())


def sample_pattern(sample: str) -> re.Pattern[str]:
    """A regular expression that matches what a person says for a sample, each slot a named group."""
    parts = re.split(r"(\{[^{}]*\})", normalize(sample))
    regex = "".join(f"(?P<{part[1:-1].lower()}>.+?)" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(regex)
