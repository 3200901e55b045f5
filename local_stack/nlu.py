"""Typed text as Alexa's NLU would understand it, from the skill's own interaction model.

`understand(text, model, today, elicited)` tells whether the text opens the skill (launch), leaves it (exit), or
which intent it is and with which slot values. Nothing about the skill is written here: its sample utterances,
slot samples, slot types and invocation name all come from the model, so a sample added to the model file is
understood at once. Only Alexa's own phrases for its built-in intents ("yes", "stop", "never mind") are listed
below, as Alexa provides them; they count only for the built-in intents the model declares.

How Alexa is imitated:
- Case, punctuation and apostrophes do not matter, "a" and "an" are one word, and a leading "Alexa," is dropped.
- "open car search" (launch, start, talk to, ask, ...) or the invocation name alone launches the skill;
  "ask car search to <utterance>", "open car search and <utterance>", "<utterance> using car search" start a
  new session with that utterance (`invoked=True`); any other text is an utterance inside the open session.
  "exit" and "quit" end the session.
- An utterance must match a sample of the model word for word, each {slot} taking one or more words that its
  type accepts: AMAZON.DATE and AMAZON.DURATION what `amazon_date` parses, AMAZON.NUMBER a number, a custom
  type one of its values or synonyms (entity resolution gives every value that has it), and any other
  built-in type (AMAZON.US_CITY) free words that do not start or end with a date, a duration or a linking word.
  A custom slot also takes a few unlisted words, which Alexa sends with ER_SUCCESS_NO_MATCH.
- When several samples match, the best reading wins: words matched literally count most, then words of dates,
  durations and listed values, then free words; an unlisted custom value costs. "in new york next weekend"
  reads city "new york" and date "next weekend" rather than city "new york next" and date "weekend".
- While Alexa elicits a slot (after Dialog.ElicitSlot), that slot's samples from the model ("a {carSize}") are
  tried too, and win a tie; the user may still say "help", "stop" or a whole new request.
- Text that matches nothing is AMAZON.FallbackIntent when the model declares it, else intent None.
Real Alexa generalizes beyond the samples with a statistical model; this matcher does not, so an utterance
that no sample covers falls back, which shows which sample the model lacks.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from local_stack.amazon_date import number, parse_date, parse_duration, words
from local_stack.interaction_model import IntentDef, InteractionModel

FALLBACK_INTENT = "AMAZON.FallbackIntent"

# Alexa's own phrases for its built-in intents, merged with the samples the model adds to them.
BUILT_IN_PHRASES: dict[str, tuple[str, ...]] = {
    "AMAZON.YesIntent": (
        "yes", "yeah", "yep", "yup", "sure", "yes please", "ok", "okay", "of course", "correct", "that's right",
        "sounds good",
    ),
    "AMAZON.NoIntent": ("no", "nope", "nah", "no thanks", "no thank you", "not really"),
    "AMAZON.StopIntent": ("stop", "shut up", "be quiet"),
    "AMAZON.CancelIntent": ("cancel", "never mind", "nevermind", "forget it", "cancel that"),
    "AMAZON.HelpIntent": ("help", "help me", "what can you do", "can you help me"),
    "AMAZON.NextIntent": ("next", "skip", "skip this", "skip it"),
    "AMAZON.MoreIntent": ("more", "show more", "tell me more"),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again", "begin again"),
    "AMAZON.RepeatIntent": (
        "repeat", "say that again", "repeat that", "say it again", "come again", "what did you say",
    ),
    "AMAZON.NavigateHomeIntent": ("go home", "go to home", "go to the home screen"),
    "AMAZON.PreviousIntent": ("previous", "go back", "back"),
    "AMAZON.PauseIntent": ("pause",),
    "AMAZON.ResumeIntent": ("resume", "continue"),
}  # fmt: skip

_EXIT_WORDS = frozenset({"exit", "quit"})
_OPENERS: tuple[tuple[str, ...], ...] = (
    ("open",), ("open", "up"), ("launch",), ("start",), ("begin",), ("run",), ("load",), ("play",), ("resume",),
    ("use",), ("talk", "to"), ("ask",), ("tell",),
)  # fmt: skip
_JOINERS = frozenset({"to", "for", "about", "if", "whether", "that", "and"})  # "ask car search TO ..."
_SUFFIX_JOINERS = frozenset({"using", "with"})  # "... USING car search"
# Free words (a city, an unlisted custom value) neither start nor end with these: they link a slot to the
# sample's words around it, and a capture holding one means a better split exists or the sample is missing.
_LINKING_WORDS = frozenset(
    {"a", "and", "at", "by", "for", "from", "in", "into", "of", "on", "or", "please", "starting", "to", "until"}
)

# The score of a reading, summed over its words.
_LITERAL = 3  # a word of the sample itself: the strongest evidence
_TYPED = 2  # a word of a date, duration, number or listed custom value
_FREE = 1  # a word of free text (a city): anything fits, so the weakest evidence
_UNRESOLVED = -1  # once per custom slot whose words its type does not list
_MAX_TYPED_WORDS = 8  # "the twenty eighth of december twenty twenty seven"
_MAX_FREE_WORDS = 5  # "the city of new york"; an unlisted custom value too
_MAX_NUMBER_WORDS = 3

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class SlotValue:
    """One filled slot, as Alexa would send it."""

    name: str  # the slot's name in the intent
    type: str  # "AMAZON.DATE", "CarSizeType"
    value: str  # slot.value: the ISO value of a date or duration, else the words said ("small car", "new york")
    # Custom types only: entity resolution, (id, canonical name) per matching value; () is ER_SUCCESS_NO_MATCH.
    matches: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Understanding:
    """What Alexa made of one utterance."""

    kind: Literal["launch", "intent", "exit"]  # exit: Alexa sends SessionEndedRequest (USER_INITIATED)
    invoked: bool  # the text named the skill: Alexa starts a new session
    intent: str | None = None  # None for launch and exit, and for text that matches nothing without a fallback
    slots: dict[str, SlotValue] = field(default_factory=dict)  # only the filled ones
    sample: str | None = None  # the sample, slot sample or built-in phrase that matched, for --verbose


def understand(
    text: str, model: InteractionModel, today: date, elicited: tuple[str, str] | None = None
) -> Understanding:
    """`text` as Alexa's NLU would understand it with `model`, on the device's `today`.

    `elicited` is (intent, slot) while Alexa elicits that slot (the skill's last Dialog.ElicitSlot): that slot's
    samples count too. It is ignored when the text names the skill, as that starts a new session.
    """
    compiled = _compiled(model)
    surface = tuple(words(text))
    if surface[:1] == ("alexa",):
        surface = surface[1:]
    keys = tuple(_key(word) for word in surface)
    if keys[:1] and keys[0] in _EXIT_WORDS and keys[1:] in ((), compiled.invocation):
        return Understanding("exit", invoked=False)
    spans = _invocation(keys, compiled.invocation)
    if spans == []:
        return Understanding("launch", invoked=True)
    if spans is None:
        return _understanding(_best(_Utterance(surface, keys, compiled, today), compiled, elicited), compiled, False)
    readings = [_best(_Utterance(surface[a:b], keys[a:b], compiled, today), compiled, None) for a, b in spans]
    best = max((reading for reading in readings if reading is not None), key=lambda r: r.score, default=None)
    return _understanding(best, compiled, invoked=True)


def _key(word: str) -> str:
    """The word as matched: "doesn't" and "doesnt" are the same word, and so are "a" and "an", which speech
    recognition does not tell apart reliably ("rent an SUV" matches "rent a {carSize}")."""
    return "a" if word == "an" else word.replace("'", "")


def _keys(text: str) -> tuple[str, ...]:
    return tuple(_key(word) for word in words(text))


def _invocation(keys: tuple[str, ...], name: tuple[str, ...]) -> list[tuple[int, int]] | None:
    """None: the text does not name the skill. []: it launches the skill. Else where the utterance may lie."""
    if not name:
        return None
    if keys == name:
        return []
    size = len(name)
    for opener in _OPENERS:
        start = len(opener) + size
        if keys[: len(opener)] != opener or keys[len(opener) : start] != name:
            continue
        rest = keys[start:]
        if rest in ((), ("please",)):
            return []
        # "ask car search for a car in boston": try with and without the joining word
        return ([(start + 1, len(keys))] if rest[0] in _JOINERS and len(rest) > 1 else []) + [(start, len(keys))]
    if len(keys) > size + 1 and keys[-size:] == name and keys[-size - 1] in _SUFFIX_JOINERS:
        return [(0, len(keys) - size - 1)]
    return None


# Compiling the model --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    name: str
    type: str


@dataclass(frozen=True)
class _Pattern:
    intent: str
    sample: str
    parts: tuple[str | _Slot, ...]  # literal words (as keys) and slots
    literals: frozenset[str]


@dataclass(frozen=True)
class _Compiled:
    invocation: tuple[str, ...]
    patterns: tuple[_Pattern, ...]  # every intent's samples and built-in phrases, in the model's order
    elicitation: dict[tuple[str, str], tuple[_Pattern, ...]]  # (intent, slot) -> the slot's samples
    values: dict[str, dict[tuple[str, ...], tuple[tuple[str, str], ...]]]  # custom type -> words -> (id, name)s
    longest: dict[str, int]  # custom type -> words in its longest value or synonym
    fallback: str | None


_CACHE: weakref.WeakKeyDictionary[InteractionModel, _Compiled] = weakref.WeakKeyDictionary()


def _compiled(model: InteractionModel) -> _Compiled:
    compiled = _CACHE.get(model)
    if compiled is None:
        compiled = _CACHE[model] = _compile(model)
    return compiled


def _compile(model: InteractionModel) -> _Compiled:
    patterns: list[_Pattern] = []
    elicitation: dict[tuple[str, str], tuple[_Pattern, ...]] = {}
    for intent in model.intents:
        samples = dict.fromkeys((*BUILT_IN_PHRASES.get(intent.name, ()), *intent.samples))
        patterns += [_pattern(intent, sample) for sample in samples]
        for slot in intent.slots:
            elicitation[(intent.name, slot.name)] = _distinct(_pattern(intent, sample) for sample in slot.samples)
    values: dict[str, dict[tuple[str, ...], tuple[tuple[str, str], ...]]] = {}
    for slot_type in model.types:
        table: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}
        for value in slot_type.values:
            for said in dict.fromkeys(_keys(spoken) for spoken in (value.name, *value.synonyms)):
                if said and (value.id, value.name) not in table.get(said, ()):
                    table[said] = (*table.get(said, ()), (value.id, value.name))
        values[slot_type.name] = table
    return _Compiled(
        invocation=_keys(model.invocation_name),
        patterns=_distinct(patterns),
        elicitation=elicitation,
        values=values,
        longest={name: max(map(len, table), default=0) for name, table in values.items()},
        fallback=FALLBACK_INTENT if model.intent(FALLBACK_INTENT) else None,
    )


def _distinct(patterns: Iterable[_Pattern]) -> tuple[_Pattern, ...]:
    """The first of the samples that read alike ("a {carSize}", "an {carSize}"), and no empty one."""
    seen: set[tuple[str, tuple[str | _Slot, ...]]] = set()
    kept = []
    for pattern in patterns:
        if pattern.parts and (pattern.intent, pattern.parts) not in seen:
            seen.add((pattern.intent, pattern.parts))
            kept.append(pattern)
    return tuple(kept)


def _pattern(intent: IntentDef, sample: str) -> _Pattern:
    parts: list[str | _Slot] = []
    for index, piece in enumerate(_PLACEHOLDER.split(sample)):
        if index % 2 == 0:
            parts += _keys(piece)
            continue
        slot = intent.slot(piece)
        if slot is None:
            raise ValueError(f"the sample {sample!r} of {intent.name} names {{{piece}}}, which it has no slot for")
        parts.append(_Slot(slot.name, slot.type))
    return _Pattern(intent.name, sample, tuple(parts), frozenset(part for part in parts if isinstance(part, str)))


# Matching ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fill:
    score: int
    value: str
    matches: tuple[tuple[str, str], ...] | None


@dataclass(frozen=True)
class _Reading:
    score: int
    pattern: _Pattern
    fills: tuple[tuple[_Slot, _Fill], ...]


class _Utterance:
    """The words of one utterance, with what each run of words means for each slot type, worked out once."""

    def __init__(self, surface: Sequence[str], keys: Sequence[str], compiled: _Compiled, today: date) -> None:
        self.surface = tuple(surface)
        self.keys = tuple(keys)
        self.key_set = frozenset(keys)
        self._compiled = compiled
        self._today = today
        self._fills: dict[tuple[str, int, int], _Fill | None] = {}
        self._temporal: dict[tuple[int, int], bool] = {}

    def longest(self, slot_type: str) -> int:
        if slot_type in ("AMAZON.DATE", "AMAZON.DURATION"):
            return _MAX_TYPED_WORDS
        if slot_type == "AMAZON.NUMBER":
            return _MAX_NUMBER_WORDS
        return max(self._compiled.longest.get(slot_type, 0), _MAX_FREE_WORDS)

    def fill(self, slot_type: str, start: int, end: int) -> _Fill | None:
        """What words start:end give a slot of this type; None when the type does not take them."""
        key = (slot_type, start, end)
        if key not in self._fills:
            self._fills[key] = self._fill(slot_type, start, end)
        return self._fills[key]

    def _fill(self, slot_type: str, start: int, end: int) -> _Fill | None:
        said = " ".join(self.surface[start:end])
        typed = _TYPED * (end - start)
        if slot_type == "AMAZON.DATE":
            value = parse_date(said, self._today)
            return _Fill(typed, value, None) if value is not None else None
        if slot_type == "AMAZON.DURATION":
            value = parse_duration(said)
            return _Fill(typed, value, None) if value is not None else None
        if slot_type == "AMAZON.NUMBER":
            count = number(self.keys[start:end])
            return _Fill(typed, str(count), None) if count is not None else None
        table = self._compiled.values.get(slot_type)
        if table is not None:
            matches = table.get(self.keys[start:end])
            if matches:
                return _Fill(typed, said, matches)
            return _Fill(_UNRESOLVED, said, ()) if self._free(start, end) else None
        return _Fill(_FREE * (end - start), said, None) if self._free(start, end) else None

    def _free(self, start: int, end: int) -> bool:
        """Free words: a few, not linking words at either end, not a date or duration, nor starting or ending
        with one ("boston tomorrow" is a city and a date)."""
        if end - start > _MAX_FREE_WORDS or {self.keys[start], self.keys[end - 1]} & _LINKING_WORDS:
            return False
        prefixes = (self.temporal(start, cut) for cut in range(start + 1, end + 1))
        suffixes = (self.temporal(cut, end) for cut in range(start + 1, end))
        return not any(prefixes) and not any(suffixes)

    def temporal(self, start: int, end: int) -> bool:
        """Whether words start:end are a date or a duration."""
        key = (start, end)
        if key not in self._temporal:
            said = " ".join(self.surface[start:end])
            self._temporal[key] = parse_date(said, self._today) is not None or parse_duration(said) is not None
        return self._temporal[key]

    def read(self, pattern: _Pattern) -> _Reading | None:
        """The best reading of the utterance as this pattern, if it matches at all."""
        if not pattern.literals <= self.key_set or len(pattern.parts) > len(self.keys):
            return None
        parts, size = pattern.parts, len(self.keys)
        memo: dict[tuple[int, int], tuple[int, tuple[tuple[_Slot, _Fill], ...]] | None] = {}

        # The best score for parts[k:] over words[position:], by dynamic programming over both.
        def best(k: int, position: int) -> tuple[int, tuple[tuple[_Slot, _Fill], ...]] | None:
            if k == len(parts):
                return (0, ()) if position == size else None
            if (k, position) in memo:
                return memo[(k, position)]
            part, found = parts[k], None
            if isinstance(part, str):
                rest = best(k + 1, position + 1) if position < size and self.keys[position] == part else None
                found = (rest[0] + _LITERAL, rest[1]) if rest is not None else None
            else:
                # every later part needs a word of its own
                last_end = min(size - (len(parts) - k - 1), position + self.longest(part.type))
                for end in range(position + 1, last_end + 1):
                    fill = self.fill(part.type, position, end)
                    rest = best(k + 1, end) if fill is not None else None
                    if fill is not None and rest is not None and (found is None or rest[0] + fill.score > found[0]):
                        found = (rest[0] + fill.score, ((part, fill), *rest[1]))
            memo[(k, position)] = found
            return found

        result = best(0, 0)
        return _Reading(result[0], pattern, result[1]) if result is not None else None


def _best(utterance: _Utterance, compiled: _Compiled, elicited: tuple[str, str] | None) -> _Reading | None:
    """The best reading over the elicited slot's samples (first, so they win a tie) and every intent's."""
    patterns = (*compiled.elicitation.get(elicited, ()), *compiled.patterns) if elicited else compiled.patterns
    best: _Reading | None = None
    for pattern in patterns:
        reading = utterance.read(pattern)
        if reading is not None and (best is None or reading.score > best.score):
            best = reading
    return best


def _understanding(reading: _Reading | None, compiled: _Compiled, invoked: bool) -> Understanding:
    if reading is None:
        return Understanding("intent", invoked, compiled.fallback)
    slots = {slot.name: SlotValue(slot.name, slot.type, fill.value, fill.matches) for slot, fill in reading.fills}
    return Understanding("intent", invoked, reading.pattern.intent, slots, reading.pattern.sample)
