"""Typed text as Alexa's NLU would understand it, from the skill's own interaction model.

`understand(text, model, today, elicited)` tells whether the text opens the skill (launch), leaves it (exit), or
which intent it is and with which slot values. Nothing about the skill is written here: its sample utterances,
slot samples, slot types and invocation name all come from the model, and so does every weight below, so a sample
added to the model file is understood at once. Only Alexa's own phrases for its built-in intents ("yes", "stop",
"never mind") are listed below, as Alexa provides them (they count only for the built-in intents the model
declares), with closed lists of English itself: the words that open or leave a skill, linking words, fillers.

How Alexa is imitated:
- Words. Case, punctuation and apostrophes do not matter, "a" and "an" are one word, a plural or an -ing form is
  its stem ("checking" is "check", "cars" "car"), and a leading "Alexa," is dropped.
- The skill's name. "open car search" (launch, start, talk to, ask, ...) or the invocation name alone launches
  the skill; "ask car search to <utterance>", "open car search and <utterance>", "<utterance> using car search"
  start a new session with that utterance (`invoked=True`); any other text is an utterance inside the open
  session. "exit" and "quit" end the session.
- Slot values by type. AMAZON.DATE and AMAZON.DURATION take what `amazon_date` parses, AMAZON.NUMBER a number,
  AMAZON.ORDINAL an ordinal (value "2" for "second" or "2nd"), AMAZON.US_STATE a state's name (as said), a custom
  type its values and synonyms (entity resolution gives every value that has the words). AMAZON.US_CITY takes a
  city the search serves, with its aliases (search_service/domain/cities.py: real US cities, so certainly in
  Alexa's own list), or, as Alexa's list is far longer, other words that look like a city name: at most four, not a
  date, no linking word at either end, no state or known city among them ("portland maine" is a city and a state,
  "tampa instead" is Tampa), not a custom value ("budget"), and none of the words that the samples of three
  intents or more use ("the", "it").
  A custom slot also takes a few unlisted words, sent with ER_SUCCESS_NO_MATCH, in an exact reading only: words
  no type knows ("thrifty in tampa" is a company and a city), none of them common or linking.
- Exact readings. An utterance that says a sample word for word, each {slot} holding words its type takes, is
  read as that sample, and an exact reading always wins: the model's samples mean what they say. One with an
  unlisted custom value wins outright only as the answer to that slot's question ("a purple car" when asked the
  size); elsewhere it competes with the aligned readings ("can you find me a cheaper one" is no company "cheaper").
- Aligned readings. Otherwise the utterance is aligned with the samples, as Alexa's statistical model generalises
  from them. A sample word said scores 1 + 2w, where w, from 0 to 1, is how few of the model's intents have the
  word in their samples ("cheaper": one intent, 1; "the": all of them, 0). A slot value scores 2 a word (1 for a
  city no list has). A sample word not said costs 0.5 + 2w, a slot left empty 1. A word said that the sample lacks
  costs 0.5 when other samples of the same intent use it (it is on topic) or when it is one of English's small
  words and fillers ("they", "um", "guess": no phrase of the skill, but any request may carry them), 0.5 + w when
  only other intents' samples use it, and 1.5 when it is foreign to the model ("weather").
  A value of a type that only one slot of the intent has (a size, a company, a duration, a known city, a state) is
  that slot's wherever it is said, less 0.5; a date, which several slots share, takes the slot that the samples
  put after the one or two words said before it ("until Sunday", "bring it back Sunday": the return date; "on
  Friday": the pickup date; otherwise the slot the samples name most). A date fills the sample's own date slot
  only after the sample's word before the slot; a city no list has, only after a word that the samples put before
  {city} at least once in a hundred ("in", "at", "near"): so random words do not become a city. A value that
  several types have (the "any" of sizes and of companies: "anything", "no preference") fills a slot only as the
  answer to that slot's question.
  The samples with the highest possible score are aligned first, and the search stops when no other can beat the
  best reading found.
- When an aligned reading stands. It scores above 0, at least half the words said are its sample's words, its
  slot values or words of its intent's samples, and it rests on evidence: the sample words said weigh at least 1
  (one telling word) when a foreign word was said (a city no list has counts as foreign here), else at least 0.5
  with each slot value adding 0.25 ("compact car, Seattle, Thursday"); a value answering the slot being elicited
  weighs 1. It does not stand either when, between two sample words that were said, a foreign word takes the
  place of a sample word that says the intent (its share of the intent's samples times w is 0.12 or more: "car"
  for FindCarIntent) or of a slot: "book a flight" is no "book a car", "a hotel in Boston" no "a {carSize} in
  {city}".
- The best reading wins: an exact one before any aligned one, then the higher score, then the elicited slot's
  samples (while Alexa elicits a slot, after Dialog.ElicitSlot, that slot's samples count too; the user may still
  say "help", "stop" or a whole new request), then the model's order. "in new york next weekend" reads city "new
  york" and date "next weekend" rather than city "new york next" and date "weekend", as a date's words score more
  than a city's unknown words.
- No reading, or none that stands: AMAZON.FallbackIntent when the model declares it, else intent None, as on an
  Echo: "what's the weather like", "tell me a joke" and random words fall back.
"""

from __future__ import annotations

import math
import re
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NamedTuple

from local_stack.amazon_date import number, ordinal, parse_date, parse_duration, words
from local_stack.interaction_model import IntentDef, InteractionModel
from search_service.domain.cities import CITIES, STATES

FALLBACK_INTENT = "AMAZON.FallbackIntent"

# Alexa's own phrases for its built-in intents, merged with the samples the model adds to them.
BUILT_IN_PHRASES: dict[str, tuple[str, ...]] = {
    "AMAZON.YesIntent": (
        "yes", "yeah", "yep", "yup", "sure", "yes please", "ok", "okay", "of course", "correct", "that's right",
        "sounds good", "go for it", "sure thing", "absolutely", "you bet", "definitely",
    ),
    "AMAZON.NoIntent": (
        "no", "nope", "nah", "no thanks", "no thank you", "not really", "no not really", "nah not really",
    ),
    "AMAZON.StopIntent": (
        "stop", "shut up", "be quiet", "stop talking", "ok stop", "quiet", "actually stop", "please stop",
        "stop please",
    ),
    "AMAZON.CancelIntent": ("cancel", "never mind", "nevermind", "forget it", "cancel that", "cancel please"),
    "AMAZON.HelpIntent": ("help", "help me", "what can you do", "can you help me"),
    "AMAZON.NextIntent": ("next", "skip", "skip this", "skip it", "next please", "next one please"),
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
# English's pronouns, articles, auxiliaries, conjunctions and fillers: no skill's phrases, but words that any request
# may carry ("which sizes do THEY have", "UM, Boston I GUESS"). Said where a sample lacks them, they cost as little
# as a word of the intent, and they are not foreign to the model.
_FILLERS = frozenset(
    {
        "i", "me", "my", "mine", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her", "it", "its",
        "they", "them", "their", "this", "that", "these", "those", "there", "here", "a", "an", "the", "some", "any",
        "and", "or", "but", "so", "if", "then", "than", "because", "as", "am", "is", "are", "was", "were", "be",
        "been", "do", "does", "did", "have", "has", "had", "will", "would", "shall", "should", "can", "could", "may",
        "might", "must", "um", "uh", "er", "erm", "hmm", "oh", "hey", "hi", "hello", "well", "just", "really",
        "actually", "basically", "probably", "maybe", "guess", "think", "mean", "like", "also", "too", "very",
        "quite", "now", "still", "gonna", "wanna", "gotta", "okay", "ok", "yeah", "right", "sure",
    }
)  # fmt: skip

# Casual speech that speech recognition writes as said, in full; and the sounds that open a hesitant answer.
_CONTRACTIONS: dict[str, tuple[str, ...]] = {
    "wanna": ("want", "to"), "gonna": ("going", "to"), "gotta": ("got", "to"), "lemme": ("let", "me"),
    "gimme": ("give", "me"), "what've": ("what", "have"), "what'd": ("what", "did"), "y'all": ("you", "all"),
    "whatcha": ("what", "are", "you"), "kinda": ("kind", "of"), "sorta": ("sort", "of"), "dunno": ("don't", "know"),
}  # fmt: skip
_YES_NO = frozenset({"AMAZON.YesIntent", "AMAZON.NoIntent"})
_HESITATIONS = frozenset({"uh", "um", "uhm", "er", "erm", "hmm", "ah", "oh", "well", "so"})
# An unknown city never starts with one of these: "their Emerald Club" is no city.
_DETERMINERS = frozenset({"my", "your", "his", "her", "its", "our", "their", "this", "that", "these", "those", "some"})

# The score of a reading (see the docstring). w, a word's weight: 0 when every intent's samples have it, 1 for one.
_MATCH, _MATCH_WEIGHT = 1.0, 2.0
_MISSING, _MISSING_WEIGHT = 0.5, 2.0
_EXTRA, _EXTRA_WEIGHT, _EXTRA_UNKNOWN = 0.5, 1.0, 1.5
_TYPED = 2.0  # a word of a date, duration, number, ordinal, state, known city or listed custom value
_FREE = 1.0  # a word of a city nobody lists: anything fits, so weak evidence
_UNRESOLVED = -1.0  # once per custom slot whose words its type does not list
_EMPTY_SLOT = -1.0  # a slot of the sample that the utterance leaves empty
_FLOATING = 0.5  # taken off a slot value said where the sample has no slot: the sample is a worse fit
_TELLING = 0.1  # a word says an intent when its share of the intent's samples times its weight is this much
_COMMON_IN = 3  # a word that the samples of this many intents use is common: no part of an unlisted city
_LEAD_SHARE = 0.01  # a word before a slot in this share of its samples leads to it: "in {city}", not "that {city}"
# When an aligned reading stands (see the docstring).
_MIN_EXPLAINED = 0.5
_MIN_EVIDENCE = 1.0  # the weight of one telling word
_MIN_EVIDENCE_KNOWN = 0.5  # enough when every word said is one the model uses
_VALUE_EVIDENCE = 0.25  # what a listed slot value weighs then
_MAX_ALIGNED = 200  # samples aligned per utterance at most, best bound first: enough, and fast enough for a chat

_MAX_TYPED_WORDS = 8  # "the twenty eighth of december twenty twenty seven"
_MAX_FREE_WORDS = 5  # an unlisted custom value
_MAX_CITY_WORDS = 4  # "palm beach gardens", "salt lake city"
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
    surface = _spoken(words(text))
    if surface[:1] == ("alexa",):
        surface = surface[1:]
    keys = tuple(_key(word) for word in surface)
    if keys[:1] and keys[0] in _EXIT_WORDS and keys[1:] in ((), compiled.invocation):
        return Understanding("exit", invoked=False)
    spans = _invocation(keys, compiled.invocation)
    if spans == []:
        return Understanding("launch", invoked=True)
    if spans is None:
        return _understanding(_read(surface, keys, compiled, today, elicited), compiled, False)
    readings = [_read(surface[a:b], keys[a:b], compiled, today, None) for a, b in spans]
    best = max((reading for reading in readings if reading is not None), key=_rank, default=None)
    return _understanding(best, compiled, invoked=True)


def _spoken(said: list[str]) -> tuple[str, ...]:
    """The words as Alexa's speech recognition gives them to its NLU: contractions of casual speech in full
    ("wanna", "what've"), and the hesitations that open an utterance dropped ("uh, New York" is New York)."""
    spelled = [part for word in said for part in _CONTRACTIONS.get(word, (word,))]
    while spelled[1:] and spelled[0] in _HESITATIONS:
        spelled = spelled[1:]
    return tuple(spelled)


def _key(word: str) -> str:
    """The word as matched: "doesn't" and "doesnt" are the same word, and so are "a" and "an", which speech
    recognition does not tell apart reliably ("rent an SUV" matches "rent a {carSize}"). Plurals and -ing forms
    are their stem, as Alexa does not need a sample for each ("checking" is "check", "cars" "car", "companies"
    "company"); the stem need not be a word, as both sides of a comparison are stemmed."""
    word = "a" if word == "an" else word.replace("'", "")
    if len(word) >= 6 and word.endswith("ing"):
        return word[:-3]
    if len(word) >= 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) >= 4 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ws")):
        return word[:-1]
    return word


def _keys(text: str) -> tuple[str, ...]:
    return tuple(_key(word) for word in words(text))


def _invocation(keys: tuple[str, ...], name: tuple[str, ...]) -> list[tuple[int, int]] | None:
    """None: the text does not name the skill. []: it launches the skill. Else where the utterance may lie."""
    if not name:
        return None
    if keys == name:
        return []
    size = len(name)
    for opener in _OPENER_KEYS:
        start = len(opener) + size
        if keys[: len(opener)] != opener or keys[len(opener) : start] != name:
            continue
        rest = keys[start:]
        if rest in ((), ("please",)):
            return []
        # "ask car search for a car in boston": try with and without the joining word
        return ([(start + 1, len(keys))] if rest[0] in _JOINER_KEYS and len(rest) > 1 else []) + [(start, len(keys))]
    if len(keys) > size + 1 and keys[-size:] == name and keys[-size - 1] in _SUFFIX_JOINER_KEYS:
        return [(0, len(keys) - size - 1)]
    return None


# The words above as the matcher sees them.
_OPENER_KEYS = tuple(tuple(map(_key, opener)) for opener in _OPENERS)
_JOINER_KEYS = frozenset(map(_key, _JOINERS))
_SUFFIX_JOINER_KEYS = frozenset(map(_key, _SUFFIX_JOINERS))
_LINKING_KEYS = frozenset(map(_key, _LINKING_WORDS))
_FILLER_KEYS = frozenset(map(_key, _FILLERS))

# What AMAZON.US_CITY and AMAZON.US_STATE know without any list in the model: the cities the search serves, with
# their aliases ("nyc", "philly"), and the states' names.
_KNOWN_CITIES = frozenset(_keys(name) for city in CITIES for name in (city.name, *city.aliases))
_STATES = frozenset(_keys(name) for name in STATES.values())
# "Never mind, cancel" to the size question leaves the skill: it is no size no list has.
_LEAVING = frozenset(
    _keys(phrase) for name in ("AMAZON.StopIntent", "AMAZON.CancelIntent") for phrase in BUILT_IN_PHRASES[name]
)
_LONGEST_CITY = max(map(len, _KNOWN_CITIES))
_LONGEST_STATE = max(map(len, _STATES))


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
    literals: Counter[str]
    slots: tuple[_Slot, ...]
    answers: str | None = None  # a slot sample's slot: an answer to the question that elicits it


@dataclass(frozen=True)
class _Compiled:
    invocation: tuple[str, ...]
    patterns: tuple[_Pattern, ...]  # every intent's samples and built-in phrases, in the model's order
    elicitation: dict[tuple[str, str], tuple[_Pattern, ...]]  # (intent, slot) -> the slot's samples
    values: dict[str, dict[tuple[str, ...], tuple[tuple[str, str], ...]]]  # custom type -> words -> (id, name)s
    longest: dict[str, int]  # custom type -> words in its longest value or synonym
    shared_ids: frozenset[str]  # value ids that several custom types have ("any")
    slots: dict[str, dict[str, _Slot]]  # intent -> its slots, by name
    fallback: str | None
    weight: dict[str, float]  # a sample word -> what it says about the intent: 0 (every intent) to 1 (one intent)
    common: frozenset[str]  # words the samples of several intents use
    vocabulary: dict[str, frozenset[str]]  # intent -> the words its samples use
    telling: dict[str, frozenset[str]]  # intent -> the words that say it: in many of its samples, few other intents'

    leads: dict[tuple[str, str], frozenset[str]]  # (intent, slot) -> the words its samples often put before it
    floating: dict[str, tuple[_Slot, ...]]  # intent -> its slots whose type no other slot of it has
    # intent -> type its slots share -> (the two words, or the word, said before -> the slot its samples put after
    # them, the slot of that type the samples name most): "until" comes before {returnDate}, "return it" too, and a
    # date after other words is the pickup date
    roles: dict[str, dict[str, tuple[dict[tuple[str, ...], _Slot], _Slot]]]


_CACHE: weakref.WeakKeyDictionary[InteractionModel, _Compiled] = weakref.WeakKeyDictionary()


def _compiled(model: InteractionModel) -> _Compiled:
    compiled = _CACHE.get(model)
    if compiled is None:
        compiled = _CACHE[model] = _compile(model)
    return compiled


def _compile(model: InteractionModel) -> _Compiled:
    patterns: list[_Pattern] = []
    elicitation: dict[tuple[str, str], tuple[_Pattern, ...]] = {}
    said_by: dict[str, set[str]] = {}  # a literal word -> the intents whose samples say it
    for intent in model.intents:
        samples = dict.fromkeys((*BUILT_IN_PHRASES.get(intent.name, ()), *intent.samples))
        patterns += [_pattern(intent, sample) for sample in samples]
        for slot in intent.slots:
            # An intent sample that names this slot alone ("{carSize} please") answers its question as well: while
            # Alexa elicits a slot, it fills it from the intent's samples as from the slot's own.
            alone = (sample for sample in intent.samples if set(_PLACEHOLDER.findall(sample)) == {slot.name})
            answers = (_pattern(intent, sample, answers=slot.name) for sample in (*slot.samples, *alone))
            elicitation[(intent.name, slot.name)] = _distinct(answers)
        for sample in (*samples, *(sample for slot in intent.slots for sample in slot.samples)):
            for word in _keys(_PLACEHOLDER.sub(" ", sample)):
                said_by.setdefault(word, set()).add(intent.name)
    values: dict[str, dict[tuple[str, ...], tuple[tuple[str, str], ...]]] = {}
    for slot_type in model.types:
        table: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}
        for value in slot_type.values:
            for said in dict.fromkeys(_keys(spoken) for spoken in (value.name, *value.synonyms)):
                if said and (value.id, value.name) not in table.get(said, ()):
                    table[said] = (*table.get(said, ()), (value.id, value.name))
        values[slot_type.name] = table
    speaking = len({name for names in said_by.values() for name in names})
    weight = {word: _idf(len(intents), speaking) for word, intents in said_by.items()}
    return _Compiled(
        invocation=_keys(model.invocation_name),
        patterns=_distinct(patterns),
        elicitation=elicitation,
        values=values,
        longest={name: max(map(len, table), default=0) for name, table in values.items()},
        shared_ids=frozenset(
            id_
            for id_, count in Counter(value.id for type_ in model.types for value in type_.values).items()
            if count > 1
        ),
        fallback=FALLBACK_INTENT if model.intent(FALLBACK_INTENT) else None,
        slots={
            intent.name: {slot.name: _Slot(slot.name, slot.type) for slot in intent.slots} for intent in model.intents
        },
        weight=weight,
        common=frozenset(word for word, intents in said_by.items() if len(intents) >= _COMMON_IN),
        vocabulary={
            intent.name: frozenset(word for word, intents in said_by.items() if intent.name in intents)
            for intent in model.intents
        },
        telling={intent.name: _telling(intent, weight) for intent in model.intents},
        leads={(intent.name, slot): words for intent in model.intents for slot, words in _leads(intent).items()},
        floating={intent.name: _floating(intent) for intent in model.intents},
        roles={intent.name: _roles(intent) for intent in model.intents},
    )


def _floating(intent: IntentDef) -> tuple[_Slot, ...]:
    """The intent's slots whose type is theirs alone: a value of that type can only be for that slot. Not numbers
    and ordinals, whose words are dates' too ("the seventh")."""
    types = Counter(slot.type for slot in intent.slots)
    return tuple(
        _Slot(slot.name, slot.type)
        for slot in intent.slots
        if types[slot.type] == 1 and slot.type not in ("AMAZON.NUMBER", "AMAZON.ORDINAL", "AMAZON.DATE")
    )


def _idf(intents_saying: int, intents: int) -> float:
    """How much a word says about the intent: 1 when one intent says it, 0 when every intent does."""
    return math.log(intents / intents_saying) / math.log(intents) if intents > 1 else 1.0


def _telling(intent: IntentDef, weight: dict[str, float]) -> frozenset[str]:
    """The words that say the intent: in many of its samples, and in the samples of few other intents: the share of
    its samples with the word times the word's weight ("car" for FindCarIntent, 0.63 x 0.35; not "a", 0.72 x 0.27,
    nor "you" for CompaniesIntent, 0.75 x 0.17)."""
    samples = [
        set(_keys(_PLACEHOLDER.sub(" ", sample)))
        for sample in (*BUILT_IN_PHRASES.get(intent.name, ()), *intent.samples)
    ]
    share = Counter(word for said in samples for word in said)
    return frozenset(word for word, count in share.items() if count / len(samples) * weight[word] >= _TELLING)


def _leads(intent: IntentDef) -> dict[str, frozenset[str]]:
    """For each slot, the words that its samples put right before it at least once in a hundred times ("in", "at",
    "near" before {city})."""
    before: dict[str, Counter[str | None]] = {slot.name: Counter() for slot in intent.slots}
    for sample in (*intent.samples, *(sample for slot in intent.slots for sample in slot.samples)):
        parts = _pattern(intent, sample).parts
        for at, part in enumerate(parts):
            if isinstance(part, _Slot):
                word = parts[at - 1] if at > 0 else None
                before[part.name][word if isinstance(word, str) else None] += 1
    return {
        name: frozenset(word for word, count in counts.items() if word and count >= _LEAD_SHARE * counts.total())
        for name, counts in before.items()
    }


def _roles(intent: IntentDef) -> dict[str, tuple[dict[tuple[str, ...], _Slot], _Slot]]:
    """For each type that several slots of the intent share (AMAZON.DATE: pickupDate, returnDate), which slot a
    value takes from the two words, or the word, said before it, as the intent's samples and slot samples place
    them, and the slot the samples name most, for a value after any other words."""
    shared = {type_ for type_, count in Counter(slot.type for slot in intent.slots).items() if count > 1}
    after: dict[str, dict[tuple[str, ...], Counter[str]]] = {type_: {} for type_ in shared}
    named: dict[str, Counter[str]] = {type_: Counter() for type_ in shared}
    for sample in (*intent.samples, *(sample for slot in intent.slots for sample in slot.samples)):
        parts = _pattern(intent, sample).parts
        for at, part in enumerate(parts):
            if not isinstance(part, _Slot) or part.type not in shared:
                continue
            named[part.type][part.name] += 1
            for size in (1, 2):
                before = parts[max(0, at - size) : at]
                if len(before) == size and all(isinstance(word, str) for word in before):
                    after[part.type].setdefault(tuple(map(str, before)), Counter())[part.name] += 1
    slots = {slot.name: _Slot(slot.name, slot.type) for slot in intent.slots}
    return {
        type_: (
            {words: slots[counts.most_common(1)[0][0]] for words, counts in after[type_].items()},
            slots[named[type_].most_common(1)[0][0]],
        )
        for type_ in shared
        if named[type_]
    }


def _distinct(patterns: Iterable[_Pattern]) -> tuple[_Pattern, ...]:
    """The first of the samples that read alike ("a {carSize}", "an {carSize}"), and no empty one."""
    seen: set[tuple[str, tuple[str | _Slot, ...]]] = set()
    kept = []
    for pattern in patterns:
        if pattern.parts and (pattern.intent, pattern.parts) not in seen:
            seen.add((pattern.intent, pattern.parts))
            kept.append(pattern)
    return tuple(kept)


def _pattern(intent: IntentDef, sample: str, answers: str | None = None) -> _Pattern:
    parts: list[str | _Slot] = []
    for index, piece in enumerate(_PLACEHOLDER.split(sample)):
        if index % 2 == 0:
            parts += _keys(piece)
            continue
        slot = intent.slot(piece)
        if slot is None:
            raise ValueError(f"the sample {sample!r} of {intent.name} names {{{piece}}}, which it has no slot for")
        parts.append(_Slot(slot.name, slot.type))
    literals = Counter(part for part in parts if isinstance(part, str))
    slots = tuple(part for part in parts if isinstance(part, _Slot))
    return _Pattern(intent.name, sample, tuple(parts), literals, slots, answers)


# Reading an utterance ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fill:
    score: float
    value: str
    matches: tuple[tuple[str, str], ...] | None
    listed: bool  # the type knows the value (a date, a listed custom value, a known city): not just free words


@dataclass(frozen=True)
class _Reading:
    score: float
    pattern: _Pattern
    fills: tuple[tuple[_Slot, _Fill], ...]
    exact: bool
    explained: int = 0  # words said that are the sample's words, slot values, or words of the intent's other samples
    evidence: float = 0.0  # the weight of the sample's words said, and one for the answer to an elicited slot
    values: int = 0  # listed slot values it holds
    replaced: bool = False  # a telling word of the sample is missing where a word the model never uses was said
    foreign: bool = False  # a word the model never uses was said, outside the listed slot values

    def stands(self, size: int) -> bool:
        """Whether an aligned reading is confident enough to be sent as its intent rather than the fallback."""
        if self.exact:
            return True
        explains = self.explained >= _MIN_EXPLAINED * size
        # Among words the model knows, values of the intent's slots tell it too ("compact car, Seattle, Thursday").
        known = self.evidence + _VALUE_EVIDENCE * self.values
        enough = self.evidence >= _MIN_EVIDENCE if self.foreign else known >= _MIN_EVIDENCE_KNOWN
        return self.score > 0 and explains and enough and not self.replaced


def _rank(reading: _Reading) -> tuple[bool, float]:
    return reading.exact, reading.score


class _Step(NamedTuple):
    """One step of an alignment, from a part of the sample and a word said."""

    kind: Literal["word", "missing", "extra", "empty", "fill", "float", "end"]
    end: int  # the next word said
    fill: _Fill | None = None
    slot: _Slot | None = None  # a floating fill's slot: one of the intent's that the sample does not have


_END = _Step("end", 0)


class _Utterance:
    """The words of one utterance, with what each run of words means for each slot type, worked out once."""

    def __init__(self, surface: Sequence[str], keys: Sequence[str], compiled: _Compiled, today: date) -> None:
        self.surface = tuple(surface)
        self.keys = tuple(keys)
        self.counts = Counter(self.keys)
        self._compiled = compiled
        self._today = today
        self._fills: dict[tuple[str, int, int], _Fill | None] = {}
        self._temporal: dict[tuple[int, int], bool] = {}
        self._covered: dict[frozenset[str], list[float]] = {}
        self._spans: dict[tuple[str, int], list[tuple[int, _Fill]]] = {}
        self._extra: dict[str, tuple[float, ...]] = {}

    def foreign(self, at: int) -> bool:
        """Whether the word said at `at` is foreign to the model: no sample has it, and it is no filler."""
        return self.keys[at] not in self._compiled.weight and self.keys[at] not in _FILLER_KEYS

    def extra(self, intent: str) -> tuple[float, ...]:
        """What each word said costs when a reading of this intent does not place it: little for a word the
        intent's samples use elsewhere or a filler, more for a telling word of other intents, most for a word no
        sample uses."""
        if intent not in self._extra:
            weight, vocabulary = self._compiled.weight, self._compiled.vocabulary.get(intent, frozenset())
            self._extra[intent] = tuple(
                _EXTRA
                if key in vocabulary or key in _FILLER_KEYS
                else _EXTRA + _EXTRA_WEIGHT * weight[key]
                if key in weight
                else _EXTRA_UNKNOWN
                for key in self.keys
            )
        return self._extra[intent]

    def longest(self, slot_type: str) -> int:
        if slot_type in ("AMAZON.DATE", "AMAZON.DURATION"):
            return _MAX_TYPED_WORDS
        if slot_type in ("AMAZON.NUMBER", "AMAZON.ORDINAL"):
            return _MAX_NUMBER_WORDS
        if slot_type == "AMAZON.US_STATE":
            return _LONGEST_STATE
        if slot_type == "AMAZON.US_CITY":
            return max(_LONGEST_CITY, _MAX_CITY_WORDS)
        return max(self._compiled.longest.get(slot_type, 0), _MAX_FREE_WORDS)

    def spans(self, slot_type: str, start: int) -> list[tuple[int, _Fill]]:
        """The fills of a slot of this type that start at word `start`: (end, fill), shortest first."""
        key = (slot_type, start)
        if key not in self._spans:
            last = min(len(self.keys), start + self.longest(slot_type))
            found = ((end, self.fill(slot_type, start, end)) for end in range(start + 1, last + 1))
            self._spans[key] = [(end, fill) for end, fill in found if fill is not None]
        return self._spans[key]

    def fill(self, slot_type: str, start: int, end: int) -> _Fill | None:
        """What words start:end give a slot of this type; None when the type does not take them."""
        key = (slot_type, start, end)
        if key not in self._fills:
            self._fills[key] = self._fill(slot_type, start, end)
        return self._fills[key]

    def _fill(self, slot_type: str, start: int, end: int) -> _Fill | None:
        said, keys = " ".join(self.surface[start:end]), self.keys[start:end]
        typed = _TYPED * (end - start)
        if slot_type == "AMAZON.DATE":
            value = parse_date(said, self._today)
            return _Fill(typed, value, None, True) if value is not None else None
        if slot_type == "AMAZON.DURATION":
            value = parse_duration(said)
            return _Fill(typed, value, None, True) if value is not None else None
        if slot_type in ("AMAZON.NUMBER", "AMAZON.ORDINAL"):
            count = number(keys) if slot_type == "AMAZON.NUMBER" else ordinal(keys)
            return _Fill(typed, str(count), None, True) if count is not None else None
        if slot_type == "AMAZON.US_STATE":
            return _Fill(typed, said, None, True) if keys in _STATES else None
        table = self._compiled.values.get(slot_type)
        if table is not None:
            matches = table.get(keys)
            if matches:
                return _Fill(typed, said, matches, True)
            return _Fill(_UNRESOLVED, said, (), False) if self._unlisted(start, end) else None
        if slot_type == "AMAZON.US_CITY":
            if keys in _KNOWN_CITIES:
                return _Fill(typed, said, None, True)
            return _Fill(_FREE * (end - start), said, None, False) if self._city_like(start, end) else None
        return _Fill(_FREE * (end - start), said, None, False) if self._free(start, end) else None

    def _free(self, start: int, end: int) -> bool:
        """Free words: a few, not linking words at either end, not a date or duration, nor starting or ending
        with one ("boston tomorrow" is a city and a date)."""
        if end - start > _MAX_FREE_WORDS or {self.keys[start], self.keys[end - 1]} & _LINKING_KEYS:
            return False
        prefixes = (self.temporal(start, cut) for cut in range(start + 1, end + 1))
        suffixes = (self.temporal(cut, end) for cut in range(start + 1, end))
        return not any(prefixes) and not any(suffixes)

    def _unlisted(self, start: int, end: int) -> bool:
        """Words a custom slot may hold unresolved: free words, none of them common or linking, and nothing in them
        that a type knows ("economy" is a size, not an unknown company; "thrifty in tampa" a company and a city) or
        that leaves the skill ("never mind, cancel")."""
        keys = self.keys[start:end]
        if set(keys) & (self._compiled.common | _LINKING_KEYS):
            return False
        parts = {keys[a:b] for a in range(len(keys)) for b in range(a + 1, len(keys) + 1)}
        known = [*self._compiled.values.values(), _KNOWN_CITIES, _STATES, _LEAVING]
        return self._free(start, end) and not any(part in table for part in parts for table in known)

    def _city_like(self, start: int, end: int) -> bool:
        """Words that may be a city no list has: free words, at most four, none of them common in the samples, no
        state among them ("portland maine" is a city and a state), not a known city and more ("tampa instead")."""
        keys = self.keys[start:end]
        if end - start > _MAX_CITY_WORDS or set(keys) & self._compiled.common or keys[0] in _DETERMINERS:
            return False
        parts = [keys[a:b] for a in range(len(keys)) for b in range(a + 1, len(keys) + 1)]
        if any(part in _STATES for part in parts) or any(part in _KNOWN_CITIES for part in parts):
            return False
        # "how about Budget", "hertz instead": a company, not a city
        if any(part in table for part in parts for table in self._compiled.values.values()):
            return False
        return self._free(start, end)

    def temporal(self, start: int, end: int) -> bool:
        """Whether words start:end are a date or a duration."""
        key = (start, end)
        if key not in self._temporal:
            said = " ".join(self.surface[start:end])
            self._temporal[key] = parse_date(said, self._today) is not None or parse_duration(said) is not None
        return self._temporal[key]

    def bound(self, pattern: _Pattern) -> float:
        """The most an aligned reading of this pattern can score: its words said score, the others cost, and any
        other word said that a slot of the pattern's types could hold is at best a typed value."""
        score, said = 0.0, 0
        weight = self._compiled.weight
        for word, count in pattern.literals.items():
            hits = min(count, self.counts[word])
            score += hits * (_MATCH + _MATCH_WEIGHT * weight[word])
            score -= (count - hits) * (_MISSING + _MISSING_WEIGHT * weight[word])
            said += hits
        rest = len(self.keys) - said
        types = frozenset(slot.type for slot in (*pattern.slots, *self._compiled.floating.get(pattern.intent, ())))
        types |= frozenset(self._compiled.roles.get(pattern.intent, {}))
        values = self._coverable(types)[:rest]
        return score + sum(values) - _EXTRA * (rest - len(values))

    def _coverable(self, types: frozenset[str]) -> list[float]:
        """What each word said scores at best in a slot of one of these types, best first; the words no slot of
        these types can hold are left out. An unlisted custom value counts for nothing: aligned readings have none."""
        if types not in self._covered:
            best: dict[int, float] = {}
            for slot_type in types:
                for start in range(len(self.keys)):
                    for end, fill in self.spans(slot_type, start):
                        if fill.matches != ():
                            for at in range(start, end):
                                best[at] = max(best.get(at, 0.0), fill.score / (end - start))
            self._covered[types] = sorted(best.values(), reverse=True)
        return self._covered[types]

    def read(self, pattern: _Pattern, exact: bool) -> _Reading | None:
        """The best reading of the utterance as this pattern: exact (every word of the sample said, nothing else),
        or aligned; None when there is none."""
        if exact and (not pattern.literals.keys() <= self.counts.keys() or len(pattern.parts) > len(self.keys)):
            return None
        parts, keys, size = pattern.parts, self.keys, len(self.keys)
        weight = self._compiled.weight
        floats = [] if exact else [self._floats(pattern, i) for i in range(size)]
        extra = self.extra(pattern.intent)
        leads = self._compiled.leads
        memo: dict[tuple[int, int], tuple[float, _Step] | None] = {}

        # The best score for parts[k:] over words[i:], and its first step, by dynamic programming over both.
        def best(k: int, i: int) -> tuple[float, _Step] | None:
            if (k, i) in memo:
                return memo[(k, i)]
            found: tuple[float, _Step] | None = None

            def consider(score: float, rest: tuple[float, _Step] | None, step: _Step) -> None:
                nonlocal found
                if rest is not None and (found is None or score + rest[0] > found[0]):
                    found = (score + rest[0], step)

            if k == len(parts) and i == size:
                memo[(k, i)] = (0.0, _END)
                return memo[(k, i)]
            if k < len(parts) and isinstance(part := parts[k], str):
                if i < size and keys[i] == part:
                    consider(_MATCH + _MATCH_WEIGHT * weight[part], best(k + 1, i + 1), _Step("word", i + 1))
                if not exact:
                    consider(-(_MISSING + _MISSING_WEIGHT * weight[part]), best(k + 1, i), _Step("missing", i))
            elif k < len(parts) and isinstance(part := parts[k], _Slot):
                # Where the sample puts the slot: after the sample's word before it, or after another slot. Only
                # there is a date given the role (pickup, return) the sample gives it; and a city no list has only
                # after a word that leads to the slot in the samples ("in", "at", not "that").
                said_before = i > 0 and parts[k - 1] == keys[i - 1] if k > 0 else True
                anchored = exact or k == 0 or isinstance(parts[k - 1], _Slot) or said_before
                leading = exact or (
                    said_before and (k == 0 or keys[i - 1] in leads.get((pattern.intent, part.name), ()))
                )
                sure = part in self._compiled.floating.get(pattern.intent, ())
                answer = part.name == pattern.answers
                for end, fill in self.spans(part.type, i):
                    placed = anchored or sure if fill.listed else leading and fill.matches is None
                    meant = answer or not self._generic(i, end)  # "anything" is a size only as an answer
                    if exact or (placed and meant):
                        consider(fill.score, best(k + 1, end), _Step("fill", end, fill))
                if not exact:
                    consider(_EMPTY_SLOT, best(k + 1, i), _Step("empty", i))
            if not exact and i < size:
                consider(-extra[i], best(k, i + 1), _Step("extra", i + 1))
                for end, fill, slot in floats[i]:
                    consider(fill.score - _FLOATING, best(k, end), _Step("float", end, fill, slot))
            memo[(k, i)] = found
            return found

        start = best(0, 0)
        return self._walk(pattern, exact, start[0], memo) if start is not None else None

    def _floats(self, pattern: _Pattern, i: int) -> list[tuple[int, _Fill, _Slot]]:
        """The values said from word i on that fill a slot of the intent the sample does not have: a value of a type
        that only one slot of the intent has is that slot's wherever it is said, and one of a type several slots share
        (a date) takes the slot that the samples put after the words before it. Listed values only, not made of
        common words alone, and not a value of several types."""
        slots = [slot for slot in self._compiled.floating.get(pattern.intent, ()) if slot not in pattern.slots]
        for by_words, most in self._compiled.roles.get(pattern.intent, {}).values():
            slot = by_words.get(self.keys[max(0, i - 2) : i]) or by_words.get(self.keys[max(0, i - 1) : i]) or most
            if slot not in pattern.slots:
                slots.append(slot)
        return [
            (end, fill, slot)
            for slot in slots
            for end, fill in self.spans(slot.type, i)
            if fill.listed and not set(self.keys[i:end]) <= self._compiled.common and not self._generic(i, end)
        ]

    def _generic(self, start: int, end: int) -> bool:
        """Whether words start:end are a value that means nothing unless it answers a question: one that several
        custom types list ("no preference"), or a lone word for the "any" that several have ("anything",
        "whatever"). "from any company" says which slot it fills."""
        keys, tables = self.keys[start:end], self._compiled.values.values()
        ids = {id_ for table in tables for id_, _ in table.get(keys, ())}
        return sum(keys in table for table in tables) > 1 or (len(keys) == 1 and bool(ids & self._compiled.shared_ids))

    def _walk(
        self, pattern: _Pattern, exact: bool, score: float, memo: dict[tuple[int, int], tuple[float, _Step] | None]
    ) -> _Reading:
        """The best alignment, walked again for the slots it fills and what it tells about its confidence."""
        weight, vocabulary = self._compiled.weight, self._compiled.vocabulary.get(pattern.intent, frozenset())
        fills: dict[str, tuple[_Slot, _Fill]] = {}
        explained, evidence, values, k, i = 0, 0.0, 0, 0, 0
        foreign = False
        steps: list[tuple[_Step, int, int]] = []
        while (found := memo.get((k, i))) is not None and found[1].kind != "end":
            step = found[1]
            steps.append((step, k, i))
            part = pattern.parts[k] if k < len(pattern.parts) else None
            if step.kind == "word":
                explained, evidence = explained + 1, evidence + weight[str(part)]
            elif step.kind in ("fill", "float") and step.fill is not None:
                slot = step.slot if step.kind == "float" else part
                if isinstance(slot, _Slot) and slot.name not in fills:
                    fills[slot.name] = (slot, step.fill)
                    explained += step.end - i
                    # a value tells the intent only as the answer to its question: "boston" is a city for any intent
                    evidence += 1.0 if step.fill.listed and slot.name == pattern.answers else 0.0
                    values += step.fill.listed
                    # a city no list has is a guess: its unknown words are as foreign as any
                    foreign = foreign or (not step.fill.listed and any(self.foreign(at) for at in range(i, step.end)))
            elif step.kind == "extra":  # a word the intent's other samples use is on topic: understood
                explained += sum(key in vocabulary for key in self.keys[i : step.end])
                foreign = foreign or any(self.foreign(at) for at in range(i, step.end))
            k += step.kind in ("word", "missing", "empty", "fill")
            i = step.end
        replaced = self._replaced(pattern, steps)
        # An unlisted value wins outright only as the answer to its slot's question; elsewhere the reading competes.
        sure = exact and all(fill.matches != () for slot, fill in fills.values() if slot.name != pattern.answers)
        return _Reading(
            score, pattern, tuple(fills.values()), sure, explained, evidence, values, replaced=replaced, foreign=foreign
        )

    def _replaced(self, pattern: _Pattern, steps: list[tuple[_Step, int, int]]) -> bool:
        """Whether, between two words of the sample that were said, a telling word or a slot of the sample is missing
        and a foreign word was said instead: the user asked for something else ("book a flight" is no
        "book a car", "a hotel in Boston" no "a {carSize} in {city}")."""
        telling = self._compiled.telling.get(pattern.intent, frozenset())
        missing, unknown = False, False
        for step, k, i in (*steps, (_END, 0, 0)):
            if step.kind in ("word", "fill", "end"):
                if missing and unknown:
                    return True
                missing, unknown = False, False
            elif step.kind == "missing":
                missing = missing or pattern.parts[k] in telling
            elif step.kind == "empty":
                missing = True
            elif step.kind == "extra":
                unknown = unknown or self.foreign(i)
        return False


def _best(utterance: _Utterance, compiled: _Compiled, elicited: tuple[str, str] | None) -> _Reading | None:
    """The best reading over the elicited slot's samples (first, so they win a tie) and every intent's: an exact one
    if any, else the best aligned one that stands."""
    patterns = (*compiled.elicitation.get(elicited, ()), *compiled.patterns) if elicited else compiled.patterns
    best: _Reading | None = None
    size = len(utterance.keys)
    for pattern in patterns:
        reading = utterance.read(pattern, exact=True)
        if reading is not None and reading.stands(size) and (best is None or _rank(reading) > _rank(best)):
            best = reading
    if best is not None and best.exact:
        return best
    # Align the samples with the highest bound first, and stop at the first whose bound cannot beat the best.
    bounds = sorted(((utterance.bound(pattern), -at, pattern) for at, pattern in enumerate(patterns)), reverse=True)
    for bound, _, pattern in bounds[:_MAX_ALIGNED]:
        if bound <= (best.score if best is not None else 0.0):  # a reading that stands scores above 0
            break
        reading = utterance.read(pattern, exact=False)
        if reading is not None and reading.stands(size) and (best is None or reading.score > best.score):
            best = reading
    # "Yes, Avis" to the company question says which: the value answers it, not the yes.
    vague = best is None or (not best.exact and best.pattern.intent in _YES_NO)
    if vague and elicited is not None:
        return _answer_in_passing(utterance, compiled, elicited) or best
    return best


def _read(
    surface: Sequence[str], keys: Sequence[str], compiled: _Compiled, today: date, elicited: tuple[str, str] | None
) -> _Reading | None:
    """The best reading of an utterance, with what a self-correction inside it says instead: in "a car in Chicago, no
    wait, make that Indianapolis" or "Miami for the 12th, I mean the 13th", the values said after the last
    correction ("no wait", "sorry", "I mean", "make that", "actually" after the first word) replace those of the
    same slot before it. What follows a correction, even one that opens the utterance, wins outright when it is
    exactly another thing to do ("hmm, actually cancel", "wait, go back") and the whole is no exact reading of
    listed values."""
    whole = _best(_Utterance(surface, keys, compiled, today), compiled, elicited)
    at = _correction(keys, first=True)
    if at is None:
        return whole
    head_end, tail_start = at
    instead = _best(_Utterance(surface[tail_start:], keys[tail_start:], compiled, today), compiled, None)
    if (
        instead is not None
        and instead.exact
        and not instead.fills
        and instead.pattern.intent not in _YES_NO
        and (whole is None or not whole.exact or any(not fill.listed for _, fill in whole.fills))
    ):
        return instead  # the speaker changed their mind about what to do: "hmm, actually cancel", "wait, go back"
    if head_end == 0:
        return whole
    marker = " ".join(keys[head_end:tail_start])
    if whole is not None and any(f" {marker} " in f" {fill.value.lower()} " for _, fill in whole.fills):
        return whole  # the words are a value's own: "no company in particular", "I have no preference"
    head = _best(_Utterance(surface[:head_end], keys[:head_end], compiled, today), compiled, elicited) or whole
    if head is None:
        return whole
    slots = compiled.slots.get(head.pattern.intent, {})
    tail = _Utterance(surface[tail_start:], keys[tail_start:], compiled, today)
    said: dict[str, tuple[_Slot, _Fill]] = {slot.name: (slot, fill) for slot, fill in head.fills}
    corrected = False
    for slot_type in dict.fromkeys(slot.type for slot in slots.values()):
        of_type = [slot for slot in slots.values() if slot.type == slot_type]
        if slot_type in ("AMAZON.ORDINAL", "AMAZON.NUMBER") and not any(slot.name in said for slot in of_type):
            continue  # "the 13th" after "I mean" is the date it corrects, not a choice
        # A type several slots have (a date) corrects the one said before, else the first the intent declares.
        target = next((slot for slot in of_type if slot.name in said), of_type[0])
        start = 0
        while start < len(tail.keys):
            fills = [(end, fill) for end, fill in tail.spans(slot_type, start)
                     if fill.listed and not tail._generic(start, end)]  # fmt: skip
            if fills:
                end, fill = fills[-1]  # the longest value from here ("new york city")
                said[target.name] = (target, fill)
                corrected, start = True, end
            else:
                start += 1
    if not corrected:
        return whole
    return _Reading(head.score, head.pattern, tuple(said.values()), exact=False)


_CORRECTION_MARKERS: tuple[tuple[str, ...], ...] = (
    ("no", "wait"), ("wait", "no"), ("i", "mean"), ("i", "meant"), ("make", "that"), ("or", "rather"),
    ("scratch", "that"), ("sorry",), ("wait",), ("actually",), ("no",),
)  # fmt: skip


def _correction(keys: Sequence[str], first: bool = False) -> tuple[int, int] | None:
    """Where the last self-correction of an utterance starts and what it says begins: after its first word, or
    at the first word too if `first` ("actually, cancel")."""
    found = None
    for at in range(0 if first else 1, len(keys)):
        for marker in _CORRECTION_MARKERS:
            end = at + len(marker)
            if tuple(keys[at:end]) == marker and end < len(keys):
                found = (at, end)
                break
    return found


def _answer_in_passing(utterance: _Utterance, compiled: _Compiled, elicited: tuple[str, str]) -> _Reading | None:
    """While a slot is asked for, an utterance that no sample explains but that holds a value the slot takes, and
    one only (said once or more), answers the question: "Thrifty if they have one", "um, probably Thursday? yeah
    Thursday", "just midtown Atlanta". Alexa's dialog leans on the slot it elicits in the same way; a value of
    several types ("anything") or two different values are no answer."""
    patterns = compiled.elicitation.get(elicited, ())
    slot = next((p for pattern in patterns for p in pattern.parts if isinstance(p, _Slot) and p.name == elicited[1]),
                None)  # fmt: skip
    if slot is None:
        return None
    found: dict[str, _Fill] = {}
    for start in range(len(utterance.keys)):
        for _, fill in utterance.spans(slot.type, start):
            if fill.listed and not (fill.matches and {id_ for id_, _ in fill.matches} & compiled.shared_ids):
                found[_said_as(fill)] = fill
    # A value inside a longer one ("new york" in "new york city") is the longer one's.
    values = [value for value in found if not any(value != other and value in other for other in found)]
    if len(values) != 1:
        return None
    pattern = next((p for p in patterns if len(p.parts) == 1), patterns[0])  # the slot's own sample: "{slot}"
    return _Reading(0.0, pattern, ((slot, found[values[0]]),), exact=False)


def _said_as(fill: _Fill) -> str:
    """The value a fill gives the skill: its resolved id, or its value (a date's ISO form, a city's words)."""
    return fill.matches[0][0] if fill.matches else fill.value.lower()


def _understanding(reading: _Reading | None, compiled: _Compiled, invoked: bool) -> Understanding:
    if reading is None:
        return Understanding("intent", invoked, compiled.fallback)
    slots = {slot.name: SlotValue(slot.name, slot.type, fill.value, fill.matches) for slot, fill in reading.fills}
    return Understanding("intent", invoked, reading.pattern.intent, slots, reading.pattern.sample)
