"""The skill's HTTP endpoint fuzzed with malformed and hostile Alexa envelopes, against the local stack.

Each example starts from an envelope Alexa could send (a launch, any intent of the interaction model with
slots filled or not, a session end), in a session at some point of a real conversation, and then makes it
hostile in one of three ways:

- as Alexa could send it, with values no one expects: slot values with SSML or XML in them, control
  characters, emoji, right-to-left marks, 100 KB of text, dates at the ends of the calendar; intents,
  locales and dialog states the skill does not know; session attributes that are not what the skill saved
  (a forged token, wrong types inside the trip). The answer must be a 200 response envelope, never an error;
- broken: fields deleted or given the wrong type at random paths, JSON nested hundreds deep, no session. The
  skill may refuse these with a 400 (the SDK cannot read them), or answer;
- not an envelope at all: bytes that are not JSON, not UTF-8, or JSON that is not an object.

The properties, for every request:

- never a 5xx, never a traceback; a 4xx is a clean 400 with a JSON message;
- a 200 is a response envelope whose speech is SSML that parses as XML, with one <speak> root and no element
  but the pauses the skill makes (<break time="...ms"/>): text from a slot never becomes markup;
- a 200 fits Alexa's 24 KB response limit, and saves a trip the next turn can read (no wrong types kept);
- an intent of the skill's own model never ends in the catch-all's apology.

Deterministic (derandomized, no example database: the same envelopes on every run) and bounded: MAX_EXAMPLES
requests, about 6 s on two cores. The last test holds what the fuzzing found in the local stack itself: JSON
nested too deeply to parse gets a 400, not a dropped connection.
"""

from __future__ import annotations

import copy
import http.client
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skill.state import KEY, Trip
from skill.strings import Strings

from local_stack import envelopes
from local_stack.envelopes import Device, FilledSlot
from local_stack.stack import LocalStack
from tests.builders.local_stack import device
from tests.builders.today import day as on
from tests.skill_package import model

MAX_EXAMPLES = 300
ALEXA_RESPONSE_LIMIT = 24 * 1024
BODY_LIMIT = 128 * 1024  # the local endpoint's, as Alexa's requests are a few KB
LOCALE = "en-US"
SESSION_ID = "amzn1.echo-api.session.fuzz"
ELEMENTS = {"speak", "break"}  # all the markup skill.speech.ssml() writes
BREAK_TIME = re.compile(r"\d{1,5}ms")
APOLOGY = set(Strings(LOCALE).variants("ERROR"))

INTENTS = {name: list(model.slots(LOCALE, name)) for name in model.intents(LOCALE)}
SLOT_TYPES = {name: slot["type"] for name, slot in model.slots(LOCALE, "FindCarIntent").items()}
CUSTOM_VALUES = {
    type_name: [(value["id"], value["name"]["value"]) for value in slot_type["values"]]
    for type_name, slot_type in model.types(LOCALE).items()
}

# Text that would be markup, or break markup, if it reached the SSML unescaped.
INJECTIONS = [
    "<speak>",
    "</speak>",
    '</speak><audio src="https://evil.invalid/a.mp3"/><speak>',
    "<audio src='https://evil.invalid/a.mp3'/>",
    '<voice name="Kendra">hi</voice>',
    '<say-as interpret-as="expletive">word</say-as>',
    '<prosody volume="x-loud">',
    '<break time="10000s"/>',
    "AT&T",
    "&amp;",
    "&lt;audio&gt;",
    "&#60;audio/&#62;",
    "&unknown;",
    "]]>",
    "<![CDATA[<audio/>]]>",
    "<!-- -->",
    "<?xml version='1.0'?>",
    "<!DOCTYPE speak [<!ENTITY boom 'x'>]>&boom;",
    "\"'`",
    "\x00\x01\x08\x0b\x0c\x1b\x7f",
    "\ud800",
    "\udfff\ud800",
    "\ufffe\uffff",
    "😀🚗🇺🇸",
    "\u202e\u200f\u200e\u2066",
    "مرحبا",
    "\r\n\t",
]
# AMAZON.DATE and AMAZON.DURATION values: usual ones, and the ends of what Python's dates can hold.
DATES = ["PRESENT_REF", "2026-W50", "2026-W50-WE", "2026-12", "2026-12-XX", "2027", "201X", "2026-Q1", "2026-WI",
         "0001-01-01", "9999-12-31", "9999-12-29", "9999-12", "9999-W52-WE", "2026-02-30", "XXXX-12-25"]  # fmt: skip
DURATIONS = ["P3D", "P1W", "PT5H", "P1M", "P2YT3H10M", "P99999999999D", "P1000000000Y", "PT0S", "P", "P0.0001D"]


hostile_text = st.one_of(
    st.sampled_from(INJECTIONS),
    st.lists(st.one_of(st.sampled_from(INJECTIONS), st.text(max_size=12)), min_size=1, max_size=4).map("".join),
    st.text(max_size=40),
)
# 100 KB of text, said once per request: Alexa's envelopes hold a slot's value twice, the local endpoint takes
# 128 KB, so a huge value goes in `value` alone, as in envelopes from before `slotValue` existed.
HUGE = ["x" * 100_000, "<&" * 50_000, "é" * 16_000, "<audio/>" * 12_000]
city = st.one_of(st.sampled_from(["Denver", "New York", "Portland", "Springfield", "Chicago"]), hostile_text)
day = st.one_of(st.integers(-3, 400).map(on), st.sampled_from(DATES), st.sampled_from(DATES), hostile_text)
duration = st.one_of(st.sampled_from(DURATIONS), st.sampled_from(DURATIONS), hostile_text)
# AMAZON.US_STATE sends the state as said, AMAZON.ORDINAL the number ("2" for "the second one").
state = st.one_of(st.sampled_from(["Oregon", "Maine", "New York", "district of columbia"]), hostile_text)
ordinal = st.one_of(st.integers(-1, 1000).map(str), st.sampled_from(["?", "1.5"]), hostile_text)
# Anything JSON can hold, for values of the wrong type.
junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
unknown_intent = st.one_of(st.sampled_from(["AMAZON.PauseIntent", "OrderPizzaIntent", "findcarintent", ""]), st.text())
locale = st.one_of(
    st.sampled_from(["en-GB", "en-AU", "en-CA", "en-IN", "fr-FR", "ja-JP", "EN_us", "", "xx"]), st.text()
)


@st.composite
def filled_slot(draw: st.DrawFn, name: str) -> FilledSlot | None:
    type_name = SLOT_TYPES[name]
    if type_name in CUSTOM_VALUES:  # custom types: resolved to an id, or not, and what was said is anything
        matches = draw(st.one_of(st.just(()), st.lists(st.sampled_from(CUSTOM_VALUES[type_name]), max_size=2)))
        said = draw(st.one_of(st.sampled_from([label for _, label in CUSTOM_VALUES[type_name]]), hostile_text))
        return FilledSlot(said, type_name, tuple(matches))
    # Built-in types, by type: a date, a duration, an ordinal, a state, and any other (a city) as words said.
    value = {"AMAZON.DATE": day, "AMAZON.DURATION": duration, "AMAZON.ORDINAL": ordinal, "AMAZON.US_STATE": state}.get(
        type_name, city
    )
    return FilledSlot(draw(value), type_name)


@st.composite
def alexa_request(draw: st.DrawFn, device: Device) -> dict[str, Any]:
    """An envelope Alexa could send: values anything, shapes as in the request reference."""
    kind = draw(st.sampled_from(["LaunchRequest", "Ended", *["IntentRequest"] * 8]))
    if kind == "LaunchRequest":
        return envelopes.launch_request(device)
    if kind == "Ended":
        return envelopes.session_ended_request(device, draw(st.sampled_from(["USER_INITIATED", "ERROR"])))
    which = draw(st.sampled_from(["FindCarIntent"] * 10 + ["the model's others"] * 7 + ["unknown"] * 3))
    if which == "FindCarIntent":
        name = which
    elif which == "unknown":
        name = draw(unknown_intent)
    else:
        name = draw(st.sampled_from(sorted(INTENTS)))
    declared = INTENTS.get(name, [])
    filled = {}
    for slot in declared:
        if draw(st.integers(0, 4)) < 3:
            filled[slot] = draw(filled_slot(slot))
    state = draw(st.sampled_from(["STARTED", "IN_PROGRESS", "COMPLETED", None]))
    envelope = envelopes.intent_request(device, name, declared, filled, dialog_state=state)
    if filled and draw(st.integers(0, 4)) == 0:
        slot = envelope["request"]["intent"]["slots"][draw(st.sampled_from(sorted(filled)))]
        slot["value"] = draw(st.sampled_from(HUGE))
        slot.pop("slotValue", None)
    return envelope


def forged_trip(trip: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The trip a real conversation saved, with some fields given other values: wrong types, a forged token."""
    names = [f.name for f in fields(Trip)]
    values = st.one_of(junk, hostile_text, st.just("A" * 32), st.integers(-(2**63), 2**63))
    return st.dictionaries(st.sampled_from(names), values, max_size=4).map(lambda changes: {**trip, **changes})


@st.composite
def session_attributes(draw: st.DrawFn, saved: list[dict[str, Any]]) -> dict[str, Any]:
    attributes = copy.deepcopy(draw(st.sampled_from(saved)))
    how = draw(st.sampled_from(["as saved"] * 4 + ["forged trip"] * 3 + ["not a trip", "other keys", "other keys"]))
    if how == "forged trip":
        attributes[KEY] = draw(forged_trip(attributes.get(KEY) or {}))
    elif how == "not a trip":
        attributes[KEY] = draw(junk)
    elif how == "other keys":
        attributes.update(draw(st.dictionaries(st.text(max_size=10), junk, max_size=3)))
    return attributes


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _parent(envelope: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = envelope
    for part in path[:-1]:
        node = node[part]
    return node


# Where the skill sends progressive responses: only ever this stack's own endpoint, never a random URL.
PROTECTED = ("context", "System", "apiEndpoint")


@st.composite
def broken(draw: st.DrawFn, envelope: dict[str, Any]) -> dict[str, Any]:
    """Fields deleted or given the wrong type at random paths, JSON nested deep, the session left out."""
    for _ in range(draw(st.integers(1, 3))):
        paths = [path for path in _paths(envelope) if path[: len(PROTECTED)] != PROTECTED]
        how = draw(st.sampled_from(["delete", "retype", "retype", "nest", "no session"]))
        if how == "no session":
            envelope.pop("session", None)
            continue
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(envelope, path)
        if how == "delete":
            del parent[path[-1]]
        elif how == "retype":
            parent[path[-1]] = draw(junk)
        else:  # a marker here, made into nested JSON text once serialised: see _serialise
            parent[path[-1]] = f"{DEEP}{draw(st.sampled_from([30, 500]))}"
    return envelope


DEEP = "\u2063deep:"  # INVISIBLE SEPARATOR: no slot value or junk text starts with it


def _serialise(envelope: dict[str, Any]) -> bytes:
    """The envelope as JSON, each deep-nesting marker replaced by lists that many levels deep."""
    text = json.dumps(envelope)
    marker = re.compile(re.escape(json.dumps(DEEP)[:-1]) + r'(\d+)"')
    return marker.sub(lambda m: "[" * int(m[1]) + '"deep"' + "]" * int(m[1]), text).encode()


not_an_envelope = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b'"launch"',
            b"{",
            b'{"request": 1}',
            b'{"request": {"type": 7}}',
            b"\xff\xfe{\x00}\x00",
            b'{"version": "1.0", "request": {"type": "LaunchRequest"}} trailing',
            b"[" * 500 + b"]" * 500,
        ]
    ),
)


@st.composite
def request_body(draw: st.DrawFn, device: Device, saved: list[dict[str, Any]]) -> tuple[dict[str, Any], bytes]:
    """(about, body): about["kind"] is "alexa" for what Alexa could send, else "broken" or "not an envelope"."""
    kind = draw(st.sampled_from(["not an envelope"] * 2 + ["broken"] * 4 + ["alexa"] * 8))
    if kind == "not an envelope":
        return {"kind": kind}, draw(not_an_envelope)
    device.attributes = draw(session_attributes(saved))
    device.locale = draw(st.one_of(st.just(LOCALE), locale)) if draw(st.booleans()) else LOCALE
    envelope = draw(alexa_request(device))
    request = envelope["request"]
    about = {
        "kind": kind,
        "type": request["type"],
        "intent": request["intent"]["name"] if request["type"] == "IntentRequest" else None,
        "small session": len(json.dumps(device.attributes)) < 1024,  # Alexa sends back only what the skill saved
    }
    if kind == "broken":
        envelope = draw(broken(envelope))
    return about, _serialise(envelope)


@pytest.fixture(scope="module")
def saved_sessions(local_stack: LocalStack) -> list[dict[str, Any]]:
    """The session attributes of a real conversation, turn by turn, up to an offer with a real token."""
    device = _device(local_stack, {})
    turns = [
        envelopes.launch_request(device),
        _find_car(
            device,
            {
                "city": FilledSlot("Denver", "AMAZON.US_CITY"),
                "pickupDate": FilledSlot(on(10), "AMAZON.DATE"),
            },
        ),
        _find_car(device, {"carSize": FilledSlot("compact", "CarSizeType", (("compact", "compact"),))}),
        envelopes.intent_request(device, "AMAZON.NoIntent", [], {}),
    ]
    saved: list[dict[str, Any]] = [{}]
    for turn in turns:
        turn["session"]["attributes"] = saved[-1]
        status, body = _post(local_stack, json.dumps(turn).encode())
        assert status == 200, body
        saved.append(body["sessionAttributes"])
    assert saved[-1][KEY]["token"] and saved[-1][KEY]["asked"] == "offers", saved[-1]
    return saved


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,  # each example is an HTTP round trip through the skill and, often, the search API
    derandomize=True,  # the same examples on every run and in CI
    database=None,  # no .hypothesis/ directory in the work tree
)
@given(data=st.data())
def test_the_skill_answers_every_envelope_with_a_response_or_a_clean_400(
    local_stack: LocalStack, saved_sessions: list[dict[str, Any]], data: st.DataObject
) -> None:
    about, body = data.draw(request_body(_device(local_stack, {}), saved_sessions), label="request")
    status, answer = _post(local_stack, body)

    text = answer if isinstance(answer, str) else json.dumps(answer)
    assert "Traceback" not in text and 'File "' not in text, text[:2000]
    assert status < 500, (status, text[:2000])
    assert len(body) <= BODY_LIMIT, "the fuzzer is meant to stay within the endpoint's body limit"
    if status != 200:
        assert status == 400, (status, text[:2000])
        assert isinstance(answer, dict) and isinstance(answer.get("message"), str) and answer["message"], answer
        assert about["kind"] != "alexa", f"Alexa would say 'There was a problem with the skill's response': {text}"
        return
    _assert_response_envelope(answer, about)


@pytest.mark.parametrize("depth", [1_000, 50_000])
def test_json_nested_too_deeply_to_parse_gets_a_400(local_stack: LocalStack, depth: int) -> None:
    envelope = envelopes.launch_request(_device(local_stack, {"deep": f"{DEEP}{depth}"}))
    status, answer = _post(local_stack, _serialise(envelope))
    assert status == 400 and answer["message"], answer


def _assert_response_envelope(answer: Any, about: dict[str, Any]) -> None:
    assert isinstance(answer, dict) and answer.get("version") == "1.0", answer
    response = answer["response"]
    assert isinstance(response, dict), answer
    speeches = [response.get("outputSpeech"), (response.get("reprompt") or {}).get("outputSpeech")]
    for speech in filter(None, speeches):
        assert speech["type"] == "SSML", speech
        root = ET.fromstring(speech["ssml"])  # well-formed XML, or this raises
        assert root.tag == "speak", speech
        for element in root.iter():
            assert element.tag in ELEMENTS, f"<{element.tag}> in the skill's speech: {speech['ssml'][:500]}"
            if element.tag == "break":
                assert set(element.attrib) == {"time"} and BREAK_TIME.fullmatch(element.attrib["time"]), speech
        assert sum(1 for element in root.iter() if element.tag == "speak") == 1, speech
    if about.get("small session"):
        assert len(json.dumps(answer)) <= ALEXA_RESPONSE_LIMIT, f"a response of {len(json.dumps(answer))} bytes"
    saved = (answer.get("sessionAttributes") or {}).get(KEY)
    if saved is not None and about.get("type") != "SessionEndedRequest":  # Alexa ignores that response
        _assert_typed(saved)
    if about["kind"] == "alexa" and about["intent"] in INTENTS and response.get("outputSpeech"):
        spoken = ET.fromstring(response["outputSpeech"]["ssml"]).text or ""
        assert spoken.strip() not in APOLOGY, f"the catch-all answered {about['intent']}"


def _assert_typed(saved: Any) -> None:
    """The trip the skill saved loads back whole: every field is of the type Trip.load accepts, so the next turn can
    use all of it."""
    assert isinstance(saved, dict) and set(saved) <= {f.name for f in fields(Trip)}, saved
    loaded: dict[str, Any] = {}
    Trip.load({KEY: saved}).save(loaded)
    assert loaded[KEY] == saved, {name: value for name, value in saved.items() if loaded[KEY].get(name) != value}


def _device(stack: LocalStack, attributes: dict[str, Any]) -> Device:
    return device(stack, session_id=SESSION_ID, new_session=False, attributes=attributes)


def _find_car(device: Device, filled: dict[str, FilledSlot]) -> dict[str, Any]:
    return envelopes.intent_request(device, "FindCarIntent", list(SLOT_TYPES), filled, dialog_state="IN_PROGRESS")


def _post(stack: LocalStack, body: bytes) -> tuple[int, Any]:
    host, port = stack.skill_url.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        raw = answer.read()
    finally:
        connection.close()
    try:
        return answer.status, json.loads(raw)
    except ValueError:
        return answer.status, raw.decode(errors="replace")
