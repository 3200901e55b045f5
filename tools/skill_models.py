"""Generate the interaction models: en-US from the grammar (tools/grammar.py), then en-GB, en-CA and en-AU from en-US.

    python -m tools.skill_models            # check: exit 1 and name the models that are stale
    python -m tools.skill_models --write    # regenerate them

en-US's intents, slots and samples come from tools/grammar.py; the rest of en-US.json (the invocation name, the
slot types and their values, the dialog and its prompts) is edited by hand and kept as it is. A grammar that
would give a model Alexa refuses to build (a sample in two intents, a character that is not spoken) is refused
here, with the samples at fault. Each other locale is en-US plus the few differences in `LOCALES`
below: local words added beside the US ones in the samples ("hire a car" next to "rent a car"), local
spellings in what Alexa speaks, a few extra samples and synonyms, and a local primary word for a slot
value. Value ids never change, so the skill's handlers see the same ids in every locale. The cities in
the samples stay American: the search serves US cities whatever the device's locale.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.grammar import INTENTS, SPOKEN, Intent, expand

MODELS_DIR = Path(__file__).resolve().parent.parent / "skill-package" / "interactionModels" / "custom"
SOURCE_LOCALE = "en-US"
ANY_ID = "any"

Model = dict[str, Any]


@dataclass(frozen=True)
class LocaleRules:
    """How one locale differs from en-US. Phrases match whole words only ("car rental" not in "car rentals")."""

    # (US phrase, local phrase): a sample (intent or slot) containing a US phrase gets a twin with the local
    # phrases; the US sample stays, since people say both.
    sample_twins: tuple[tuple[str, str], ...] = ()
    # (US phrase, local phrase): replaced in the prompts, which Alexa speaks in one wording only.
    prompt_rewrites: tuple[tuple[str, str], ...] = ()
    # intent name -> samples only this locale has.
    extra_samples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # (type, value id) -> the local word for the value; the US word becomes one of its synonyms.
    primary_values: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # (type, value id) -> synonyms only this locale has.
    extra_synonyms: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    # type -> suffixes: every value but "any" also gets "<value> <suffix>" as a synonym ("Hertz car hire").
    synonym_suffixes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# British and Australian English hire a car; the US word stays understood.
_HIRE_TWINS = (
    ("rent a car", "hire a car"),
    ("rent a {carSize}", "hire a {carSize}"),
    ("rent from", "hire from"),
    ("rental car", "hire car"),
    ("rental cars", "hire cars"),
    ("car rental", "car hire"),
    ("car rentals", "car hire"),
    ("rental companies", "car hire companies"),
)
_HIRE_PROMPTS = (
    ("rent a car", "hire a car"),
    ("rent from", "hire from"),
    ("rental company", "car hire company"),
    ("favorite", "favourite"),
)
_HIRE_SAMPLES = {
    "FindCarIntent": (
        "I need car hire in {city}",
        "I need car hire in {city} from {pickupDate} to {returnDate}",
        "book me a hire car in {city} {pickupDate}",
        "I'm after a car in {city} {pickupDate}",
        "I'm after a {carSize} in {city}",
    ),
}
_PEOPLE_CARRIER = {("CarSizeType", "minivan"): "people carrier"}
_CAR_HIRE_COMPANIES = {"RentalCompanyType": ("car hire",)}

LOCALES: dict[str, LocaleRules] = {
    "en-GB": LocaleRules(
        sample_twins=_HIRE_TWINS,
        prompt_rewrites=_HIRE_PROMPTS,
        extra_samples=_HIRE_SAMPLES,
        primary_values=_PEOPLE_CARRIER,
        extra_synonyms={
            ("CarSizeType", "compact"): ("hatchback", "small hatchback"),
            ("CarSizeType", "fullsize"): ("saloon", "saloon car"),
            ("CarSizeType", "suv"): ("four by four",),
            ("CarSizeType", "minivan"): ("MPV",),
        },
        synonym_suffixes=_CAR_HIRE_COMPANIES,
    ),
    # Canada rents cars as the US does; only the spelling of what Alexa says differs.
    "en-CA": LocaleRules(prompt_rewrites=(("favorite", "favourite"),)),
    "en-AU": LocaleRules(
        sample_twins=_HIRE_TWINS,
        prompt_rewrites=_HIRE_PROMPTS,
        extra_samples=_HIRE_SAMPLES,
        primary_values=_PEOPLE_CARRIER,
        extra_synonyms={
            ("CarSizeType", "compact"): ("hatchback", "small hatchback"),
            ("CarSizeType", "suv"): ("four wheel drive", "four by four"),
            ("CarSizeType", "minivan"): ("people mover",),
        },
        synonym_suffixes=_CAR_HIRE_COMPANIES,
    ),
}


def normalize(utterance: str) -> str:
    """The form two samples are compared in: case and runs of whitespace do not make a new sample."""
    return " ".join(utterance.split()).lower()


def _rewrite(text: str, rewrites: Iterable[tuple[str, str]]) -> str:
    for old, new in rewrites:
        whole_words = rf"(?<![\w'{{]){re.escape(old)}(?![\w'}}])"
        text = re.sub(whole_words, new.replace("\\", r"\\"), text)  # `new` as it is, no group references
    return text


def _add_new(samples: list[str], candidates: Iterable[str]) -> list[str]:
    """`samples` plus the candidates it does not have yet, in order. Duplicates already in `samples` are kept,
    so a duplicate in en-US still fails the tests instead of being hidden here."""
    seen = {normalize(sample) for sample in samples}
    result = list(samples)
    for candidate in candidates:
        if normalize(candidate) not in seen:
            seen.add(normalize(candidate))
            result.append(candidate)
    return result


def _with_twins(samples: list[str], twins: tuple[tuple[str, str], ...]) -> list[str]:
    """Each sample followed by its local twin, when the twin is new."""
    seen = {normalize(sample) for sample in samples}
    result = []
    for sample in samples:
        result.append(sample)
        twin = _rewrite(sample, twins)
        if normalize(twin) not in seen:
            seen.add(normalize(twin))
            result.append(twin)
    return result


def localize(source: Model, rules: LocaleRules) -> Model:
    """The interaction model for one locale, from the en-US model and that locale's rules."""
    model = copy.deepcopy(source)
    language = model["interactionModel"]["languageModel"]
    for intent in language["intents"]:
        samples = _with_twins(intent.get("samples", []), rules.sample_twins)
        intent["samples"] = _add_new(samples, rules.extra_samples.get(intent["name"], ()))
        for slot in intent.get("slots", []):
            if "samples" in slot:
                slot["samples"] = _with_twins(slot["samples"], rules.sample_twins)
    for slot_type in language.get("types", []):
        for value in slot_type["values"]:
            name = value["name"]
            key = (slot_type["name"], value["id"])
            synonyms = list(name.get("synonyms", []))
            local = rules.primary_values.get(key)
            if local is not None:
                synonyms = [name["value"], *(s for s in synonyms if normalize(s) != normalize(local))]
                name["value"] = local
            if value["id"] != ANY_ID:
                suffixes = rules.synonym_suffixes.get(slot_type["name"], ())
                synonyms = _add_new(synonyms, (f"{name['value']} {suffix}" for suffix in suffixes))
            synonyms = _add_new(synonyms, rules.extra_synonyms.get(key, ()))
            if synonyms:
                name["synonyms"] = synonyms
    for prompt in model["interactionModel"].get("prompts", []):
        for variation in prompt["variations"]:
            variation["value"] = _rewrite(variation["value"], rules.prompt_rewrites)
    return model


class GrammarError(ValueError):
    """The grammar gives samples Alexa would refuse to build."""


def said(source: Model) -> Model:
    """The en-US model with the intents, slots and samples the grammar gives; the rest as `source` has it."""
    model = copy.deepcopy(source)
    model["interactionModel"]["languageModel"]["intents"] = [_intent(intent) for intent in INTENTS]
    return model


def _intent(intent: Intent) -> dict[str, Any]:
    written: dict[str, Any] = {"name": intent.name}
    if intent.slots:
        written["slots"] = [
            {"name": slot.name, "type": slot.type} | ({"samples": expand(slot.samples)} if slot.samples else {})
            for slot in intent.slots
        ]
    written["samples"] = expand(intent.lines)
    return written


def sample_problems(model: Model) -> list[str]:
    """Samples Alexa's model build refuses: one said by two intents, a slot sample that is also an intent sample, a
    slot its intent does not declare, or characters that are not spoken."""
    intent_samples: list[tuple[str, str]] = []  # (intent, sample)
    slot_samples: list[tuple[str, str]] = []  # (intent.slot, sample)
    for intent in model["interactionModel"]["languageModel"]["intents"]:
        intent_samples += [(intent["name"], sample) for sample in intent.get("samples", [])]
        for slot in intent.get("slots", []):
            slot_samples += [(f"{intent['name']}.{slot['name']}", sample) for sample in slot.get("samples", [])]
    problems = [
        f"{where}: {sample!r} has characters Alexa does not take in a sample"
        for where, sample in (*intent_samples, *slot_samples)
        if not SPOKEN.fullmatch(sample)
    ]
    declared = {
        intent["name"]: {slot["name"] for slot in intent.get("slots", [])}
        for intent in model["interactionModel"]["languageModel"]["intents"]
    }
    problems += [
        f"{intent}: {sample!r} names the slot {{{name}}}, which {intent} does not declare"
        for intent, sample in intent_samples
        for name in re.findall(r"\{(\w+)\}", sample)
        if name not in declared[intent]
    ]
    said_by: dict[str, str] = {}
    for intent, sample in intent_samples:
        if said_by.setdefault(normalize(sample), intent) != intent:
            problems.append(f"{sample!r} is a sample of both {said_by[normalize(sample)]} and {intent}")
    problems += [
        f"{sample!r} is a sample of the slot {slot} and of the intent {said_by[normalize(sample)]}"
        for slot, sample in slot_samples
        if normalize(sample) in said_by
    ]
    return problems


def render(model: Model) -> str:
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def model_path(locale: str, models_dir: Path = MODELS_DIR) -> Path:
    return models_dir / f"{locale}.json"


def load(locale: str, models_dir: Path = MODELS_DIR) -> Model:
    model: Model = json.loads(model_path(locale, models_dir).read_text(encoding="utf-8"))
    return model


def generate(models_dir: Path = MODELS_DIR, locales: Mapping[str, LocaleRules] = LOCALES) -> dict[str, str]:
    """Locale -> the text its model file must have: en-US from the grammar, the others from en-US."""
    source = said(load(SOURCE_LOCALE, models_dir))
    models = {SOURCE_LOCALE: source} | {locale: localize(source, rules) for locale, rules in locales.items()}
    problems = [f"{locale}: {problem}" for locale, model in models.items() for problem in sample_problems(model)]
    if problems:
        raise GrammarError("the models would have samples Alexa refuses:\n" + "\n".join(problems))
    return {locale: render(model) for locale, model in models.items()}


def stale(models_dir: Path = MODELS_DIR) -> list[str]:
    """The locales whose file is missing or differs from what the grammar, en-US and the rules give."""
    return [
        locale
        for locale, text in generate(models_dir).items()
        if not model_path(locale, models_dir).exists()
        or model_path(locale, models_dir).read_text(encoding="utf-8") != text
    ]


def write(models_dir: Path = MODELS_DIR) -> list[str]:
    """Regenerate every locale's model; returns the locales whose file changed."""
    changed = stale(models_dir)
    for locale, text in generate(models_dir).items():
        model_path(locale, models_dir).write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.skill_models", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate the models instead of checking them")
    args = parser.parse_args(argv)
    if args.write:
        try:
            changed = write()
        except GrammarError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"wrote {', '.join(changed)}" if changed else "every model was already up to date")
        return 0
    try:
        outdated = stale()
    except GrammarError as error:
        print(error, file=sys.stderr)
        return 1
    if outdated:
        print(f"stale: {', '.join(outdated)}; run python -m tools.skill_models --write", file=sys.stderr)
        return 1
    print(f"{SOURCE_LOCALE} matches the grammar, and {', '.join(LOCALES)} match {SOURCE_LOCALE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
