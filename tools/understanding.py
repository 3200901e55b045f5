"""How much of a file of phrasings `make chat`'s NLU understands, and every phrasing it gets wrong.

    python -m tools.understanding FILE [--locale en-US] [--today 2026-11-23]

FILE is a JSON list of phrasings, each what a person says and what Alexa must make of it:

    [{"text": "rent an SUV in Denver from Friday to Sunday", "intent": "FindCarIntent",
      "slots": {"carSize": "suv", "city": "denver", "pickupDate": "friday", "returnDate": "sunday"}}]

A text may name the skill ("ask car search to ...", "open car search and ..."): the intent is then the inner
request's. A phrasing that only makes sense as the answer to a question may say which slot is asked ("context":
"city"): it is understood as Alexa would while eliciting that slot of FindCarIntent.

A phrasing is understood when the NLU gives its intent and exactly its slots, each compared as the skill would
read it:
- AMAZON.DATE and AMAZON.DURATION: the words as said ("next friday", "three days"), parsed with
  local_stack.amazon_date on the same fixed day as the NLU, so "friday" and "on friday" are one value;
- AMAZON.ORDINAL and AMAZON.NUMBER: "first", "1st" or "1" alike;
- a custom type (CarSizeType, RentalCompanyType): the value id entity resolution must give ("compact", "hertz",
  in any case);
- any other type (AMAZON.US_CITY, AMAZON.US_STATE): the words as said, in any case and punctuation; a place that
  a file gives as one city ("portland oregon", or "maine" for "the one in Maine") counts as the city and state
  the model splits it into, for a file written without knowing of the state slot; and a size or company resolved to
  the id "any" (no preference) counts as the slot left out, which is how such files say "doesn't matter", and
  as the "no" some files expect to the company question instead.
The day is fixed (a Monday unless --today says otherwise) so that the figure does not change with the calendar.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from local_stack.amazon_date import number, ordinal, parse_date, parse_duration, words
from local_stack.interaction_model import InteractionModel, load_model
from local_stack.nlu import SlotValue, Understanding, understand
from tools.skill_models import ANY_ID, MODELS_DIR

TODAY = date(2026, 11, 23)  # a Monday: any fixed day works, as both sides of each comparison use it
FIND_CAR = "FindCarIntent"
NO = "AMAZON.NoIntent"


class PhrasingFileError(ValueError):
    """A phrasing file that is not a JSON list of {"text", "intent", "slots"}."""


@dataclass(frozen=True)
class Phrasing:
    text: str
    intent: str
    slots: Mapping[str, str]
    context: str | None = None  # the FindCarIntent slot being asked, when the text answers a question


@dataclass(frozen=True)
class Report:
    total: int
    misses: tuple[str, ...]  # one line per phrasing not understood, saying what the NLU made of it

    @property
    def understood(self) -> int:
        return self.total - len(self.misses)

    @property
    def share(self) -> float:
        return self.understood / self.total if self.total else 0.0

    def summary(self) -> str:
        return f"understood {self.understood} of {self.total} phrasings ({self.share:.0%})"


def load_phrasings(path: Path | str) -> list[Phrasing]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PhrasingFileError(f"{path}: {error}") from error
    if not isinstance(document, list):
        raise PhrasingFileError(f"{path}: not a JSON list of phrasings")
    phrasings = []
    for index, row in enumerate(document):
        ok = (
            isinstance(row, dict)
            and isinstance(row.get("text"), str)
            and isinstance(row.get("intent"), str)
            and isinstance(row.get("slots", {}), dict)
            and all(isinstance(key, str) and isinstance(value, str) for key, value in row.get("slots", {}).items())
            and isinstance(row.get("context", ""), str)
        )
        if not ok:
            shape = '{"text": str, "intent": str, "slots": {str: str}}'
            raise PhrasingFileError(f"{path}: item {index} is not {shape}")
        phrasings.append(Phrasing(row["text"], row["intent"], dict(row.get("slots", {})), row.get("context") or None))
    return phrasings


def measure(phrasings: Sequence[Phrasing], model: InteractionModel, today: date = TODAY) -> Report:
    misses = [miss for phrasing in phrasings if (miss := misunderstanding(phrasing, model, today)) is not None]
    return Report(len(phrasings), tuple(misses))


def misunderstanding(phrasing: Phrasing, model: InteractionModel, today: date = TODAY) -> str | None:
    """None when the NLU understands the phrasing as expected, else a line saying what it made of it."""
    elicited = (FIND_CAR, phrasing.context) if phrasing.context else None
    understood = understand(phrasing.text, model, today, elicited)
    expected = f"{phrasing.intent} {dict(phrasing.slots)}"
    got = f"{understood.intent or understood.kind} {_said(understood)}"
    if understood.sample:
        got += f" (as {understood.sample!r})"
    wrong = f"{phrasing.text!r}: expected {expected}, got {got}"
    got_slots = {
        name: slot
        for name, slot in understood.slots.items()
        if name in phrasing.slots or not any(id_.lower() == ANY_ID for id_, _ in slot.matches or ())
    }
    if "state" in got_slots and "state" not in phrasing.slots and "city" in phrasing.slots:
        place = " ".join(slot.value for name in ("city", "state") if (slot := got_slots.pop(name, None)))
        if words(place) != words(phrasing.slots["city"]):
            return wrong
        got_slots["city"] = SlotValue("city", "AMAZON.US_CITY", phrasing.slots["city"])
    if understood.kind == "exit" and phrasing.intent in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
        return None  # "quit": Alexa ends the session itself, as the skill would for stop
    no_preference = phrasing.intent == NO and understood.intent == FIND_CAR and not got_slots and understood.slots
    if no_preference:  # "doesn't matter" to the company question: a company of "any", which the skill takes as no
        return None
    if understood.intent != phrasing.intent or set(got_slots) != set(phrasing.slots):
        return wrong
    types = model.slot_types(phrasing.intent)
    for name, value in phrasing.slots.items():
        if not _same(types.get(name, ""), value, got_slots[name], model, today):
            return wrong
    return None


def _said(understood: Understanding) -> dict[str, str]:
    return {
        name: (slot.value if not slot.matches else f"{slot.value}={','.join(id_ for id_, _ in slot.matches)}")
        for name, slot in understood.slots.items()
    }


def _same(slot_type: str, expected: str, got: SlotValue, model: InteractionModel, today: date) -> bool:
    if slot_type == "AMAZON.DATE":
        return parse_date(expected, today) == got.value
    if slot_type == "AMAZON.DURATION":
        return parse_duration(expected) == got.value
    if slot_type in ("AMAZON.ORDINAL", "AMAZON.NUMBER"):
        return _count(expected) == _count(got.value)
    if model.slot_type(slot_type) is not None:
        return expected.lower() in [id_.lower() for id_, _ in got.matches or ()]
    return words(expected) == words(got.value)


def _count(said: str) -> int | None:
    spoken = words(said)
    return ordinal(spoken) or number(spoken)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.understanding", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a JSON list of {text, intent, slots}")
    parser.add_argument("--locale", default="en-US", help="the interaction model to understand with (en-US)")
    parser.add_argument("--today", type=date.fromisoformat, default=TODAY, help=f"the device's day ({TODAY})")
    args = parser.parse_args(argv)
    try:
        phrasings = load_phrasings(args.file)
    except PhrasingFileError as error:
        print(error, file=sys.stderr)
        return 2
    report = measure(phrasings, load_model(MODELS_DIR / f"{args.locale}.json"), args.today)
    for miss in report.misses:
        print(f"miss: {miss}")
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
