"""The skill's interaction model for one locale, read from skill-package/interactionModels/custom/<locale>.json.

`ModelStore(directory).get(locale)` re-reads a model when its file changes, so a sample utterance added during a
workshop is understood at the next turn, without restarting `make chat`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class InteractionModelError(ValueError):
    """A model file that is missing, is not JSON, or is not a model the ASK CLI would build."""


@dataclass(frozen=True)
class SlotDef:
    name: str
    type: str
    samples: tuple[str, ...] = ()  # what users answer when Alexa elicits this slot


@dataclass(frozen=True)
class IntentDef:
    name: str
    samples: tuple[str, ...]
    slots: tuple[SlotDef, ...] = ()

    def slot(self, name: str) -> SlotDef | None:
        return next((slot for slot in self.slots if slot.name == name), None)


@dataclass(frozen=True)
class TypeValue:
    id: str  # the value's name when the model gives it no id
    name: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlotType:
    name: str
    values: tuple[TypeValue, ...]


# eq=False: one model is one reading of its file, compared and hashed by identity, so nlu can cache what it
# compiles from it without hashing every sample at every turn.
@dataclass(frozen=True, eq=False)
class InteractionModel:
    locale: str
    invocation_name: str
    intents: tuple[IntentDef, ...]
    types: tuple[SlotType, ...] = ()

    def intent(self, name: str) -> IntentDef | None:
        return next((intent for intent in self.intents if intent.name == name), None)

    def slot_type(self, name: str) -> SlotType | None:
        return next((slot_type for slot_type in self.types if slot_type.name == name), None)

    def slot_types(self, intent: str) -> dict[str, str]:
        """The intent's slots, name -> type, in the model's order; empty for an intent the model lacks."""
        found = self.intent(intent)
        return {slot.name: slot.type for slot in found.slots} if found else {}


def load_model(path: Path | str, locale: str | None = None) -> InteractionModel:
    """Read one model file; the locale defaults to the file's name ("en-US.json")."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InteractionModelError(f"{path}: cannot read the interaction model: {error}") from error
    except ValueError as error:
        raise InteractionModelError(f"{path}: not valid JSON: {error}") from error
    try:
        return parse_model(document, locale or path.stem)
    except InteractionModelError as error:
        raise InteractionModelError(f"{path}: {error}") from error


def parse_model(document: Mapping[str, Any], locale: str) -> InteractionModel:
    """An interaction model document ({"interactionModel": {"languageModel": ...}}) as an InteractionModel."""
    try:
        language = document["interactionModel"]["languageModel"]
        types = tuple(_slot_type(raw) for raw in language.get("types", []))
        model = InteractionModel(
            locale=locale,
            invocation_name=str(language["invocationName"]),
            intents=tuple(_intent(raw) for raw in language["intents"]),
            types=types,
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise InteractionModelError(f"not an interaction model: {type(error).__name__} {error}") from error
    _check(model)
    return model


def _intent(raw: Mapping[str, Any]) -> IntentDef:
    slots = tuple(
        SlotDef(str(slot["name"]), str(slot["type"]), tuple(map(str, slot.get("samples", []))))
        for slot in raw.get("slots", [])
    )
    return IntentDef(str(raw["name"]), tuple(map(str, raw.get("samples", []))), slots)


def _slot_type(raw: Mapping[str, Any]) -> SlotType:
    values = []
    for value in raw.get("values", []):
        name = str(value["name"]["value"])
        values.append(TypeValue(str(value.get("id") or name), name, tuple(map(str, value["name"].get("synonyms", [])))))
    return SlotType(str(raw["name"]), tuple(values))


def _check(model: InteractionModel) -> None:
    """What the ASK CLI would refuse to build: a {slot} that the intent lacks, a custom type that is not defined."""
    type_names = {slot_type.name for slot_type in model.types}
    for intent in model.intents:
        slot_names = {slot.name for slot in intent.slots}
        for slot in intent.slots:
            if not slot.type.startswith("AMAZON.") and slot.type not in type_names:
                raise InteractionModelError(f"slot {intent.name}.{slot.name} has the undefined type {slot.type}")
        samples = [(sample, "") for sample in intent.samples]
        samples += [(sample, f" (a sample of slot {slot.name})") for slot in intent.slots for sample in slot.samples]
        for sample, where in samples:
            for name in _PLACEHOLDER.findall(sample):
                if name not in slot_names:
                    raise InteractionModelError(
                        f"the sample {sample!r} of {intent.name}{where} names {{{name}}}, which is not a slot of "
                        f"{intent.name} (its slots: {', '.join(sorted(slot_names)) or 'none'})"
                    )


class ModelStore:
    """The models of one directory, one file per locale, each re-read when its file changes."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[tuple[int, int], InteractionModel]] = {}

    def locales(self) -> list[str]:
        return sorted(path.stem for path in self.directory.glob("*.json"))

    def get(self, locale: str) -> InteractionModel:
        """The locale's model, re-read if the file's modification time or size changed since the last call.

        Raises InteractionModelError when the file is missing or broken; the next call tries again, so fixing
        the file is enough.
        """
        path = self.directory / f"{locale}.json"
        try:
            stat = path.stat()
        except OSError as error:
            known = ", ".join(self.locales()) or "none"
            raise InteractionModelError(f"no interaction model for {locale} in {self.directory} ({known})") from error
        signature = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._loaded.get(locale)
            if cached is not None and cached[0] == signature:
                return cached[1]
            model = load_model(path, locale)
            self._loaded[locale] = (signature, model)
            return model

    def reload(self, locale: str) -> InteractionModel:
        """The locale's model read from its file now, whether or not the file looks changed (the console's Reload)."""
        with self._lock:
            self._loaded.pop(locale, None)
        return self.get(locale)
