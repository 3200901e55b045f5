"""The request builder's envelopes are ones ask-sdk-core reads as Alexa's: each test deserializes with the SDK's
own serializer and reads the envelope back through ask_sdk_core.utils, the way the skill's handlers will."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import (
    get_api_access_token,
    get_dialog_state,
    get_locale,
    get_slot,
    get_slot_value,
    get_slot_value_v2,
    get_supported_interfaces,
    get_user_id,
    is_intent_name,
    is_new_session,
    is_request_type,
)
from ask_sdk_core.utils.viewport import ViewportProfile, get_viewport_profile
from ask_sdk_model import (
    DialogState,
    IntentRequest,
    LaunchRequest,
    RequestEnvelope,
    SessionEndedErrorType,
    SessionEndedReason,
    SessionEndedRequest,
)
from ask_sdk_model.slu.entityresolution import StatusCode

from tests.builders.alexa import (
    API_ENDPOINT,
    SKILL_ID,
    USER_ID,
    Conversation,
    Session,
    intent,
    launch,
    resolved,
    session_ended,
    unresolved,
)
from tests.skill_package.model import slots as model_slots

NOON_IN_NEW_YORK = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
TOKEN = "test-api-access-token"  # fake
CAR_SIZES = f"amzn1.er-authority.echo-sdk.{SKILL_ID}.CarSizeType"


def envelope(request: dict[str, Any]) -> RequestEnvelope:
    parsed = DefaultSerializer().deserialize(json.dumps(request), RequestEnvelope)
    assert isinstance(parsed, RequestEnvelope)
    return parsed


def handler_input(request: dict[str, Any]) -> HandlerInput:
    """What ask-sdk-core hands a request handler for this envelope."""
    parsed = envelope(request)
    return HandlerInput(request_envelope=parsed, attributes_manager=AttributesManager(request_envelope=parsed))


def test_launch_opens_a_new_session_without_an_api_token() -> None:
    request = launch(timestamp=NOON_IN_NEW_YORK)
    given = handler_input(request)
    parsed = given.request_envelope

    assert isinstance(parsed.request, LaunchRequest)
    assert is_request_type("LaunchRequest")(given)
    assert request["version"] == "1.0"
    assert request["request"]["timestamp"] == "2026-11-23T17:00:00Z"
    assert parsed.request.timestamp == NOON_IN_NEW_YORK
    assert parsed.request.request_id.startswith("amzn1.echo-api.request.")
    assert parsed.session.session_id.startswith("amzn1.echo-api.session.")
    assert is_new_session(given)
    assert given.attributes_manager.session_attributes == {}
    assert get_user_id(given) == USER_ID
    assert get_locale(given) == "en-US"
    assert parsed.context.system.application.application_id == SKILL_ID == parsed.session.application.application_id
    assert parsed.context.system.api_endpoint == API_ENDPOINT
    assert "apiAccessToken" not in request["context"]["System"]
    assert get_api_access_token(given) is None


def test_launch_with_a_token_carries_it_where_progressive_responses_read_it() -> None:
    given = handler_input(launch(api_access_token=TOKEN, api_endpoint="https://api.eu.amazonalexa.com"))

    assert get_api_access_token(given) == TOKEN
    assert given.request_envelope.context.system.api_endpoint == "https://api.eu.amazonalexa.com"


def test_plain_slot_values_are_said_values_without_resolutions() -> None:
    given = handler_input(intent("FindCarIntent", {"city": "seattle", "pickupDate": "2026-W49-WE"}))
    request = given.request_envelope.request

    assert isinstance(request, IntentRequest)
    assert is_intent_name("FindCarIntent")(given)
    assert get_dialog_state(given) is DialogState.STARTED
    assert get_slot(given, "city").value == "seattle"
    assert get_slot(given, "city").resolutions is None
    assert get_slot_value_v2(given, "pickupDate").value == "2026-W49-WE"
    with pytest.deprecated_call():  # ask-sdk-core 1.19 deprecates get_slot_value for get_slot_value_v2
        assert get_slot_value(given, "city") == "seattle"


def test_slots_the_user_did_not_fill_come_as_alexa_sends_them() -> None:
    request = intent("FindCarIntent", {"city": "boston", "duration": None})
    given = handler_input(request)
    slots = request["request"]["intent"]["slots"]

    assert set(slots) == set(model_slots("en-US", "FindCarIntent"))  # every slot the model declares
    assert slots["duration"] == {"name": "duration", "confirmationStatus": "NONE"}
    assert slots["company"] == {"name": "company", "confirmationStatus": "NONE"}
    assert get_slot(given, "returnDate").value is None
    assert get_slot_value_v2(given, "returnDate") is None


def test_a_resolved_custom_value_carries_its_id() -> None:
    parsed = envelope(intent("FindCarIntent", {"carSize": resolved("small car", "compact", type_name="CarSizeType")}))
    assert isinstance(parsed.request, IntentRequest)
    slot = parsed.request.intent.slots["carSize"]
    authority = slot.resolutions.resolutions_per_authority[0]

    assert slot.value == "small car"
    assert authority.values[0].value.id == "compact"
    assert authority.values[0].value.name == "compact"
    assert authority.status.code is StatusCode.ER_SUCCESS_MATCH
    assert authority.authority == CAR_SIZES
    assert slot.slot_value.resolutions.resolutions_per_authority[0].values[0].value.id == "compact"


def test_an_unresolved_custom_value_has_no_values() -> None:
    parsed = envelope(intent("FindCarIntent", {"carSize": unresolved("spaceship", type_name="CarSizeType")}))
    assert isinstance(parsed.request, IntentRequest)
    authority = parsed.request.intent.slots["carSize"].resolutions.resolutions_per_authority[0]

    assert authority.status.code is StatusCode.ER_SUCCESS_NO_MATCH
    assert authority.values is None


@pytest.mark.parametrize(
    ("locale", "said", "name", "id"),
    [
        ("en-US", "van", "minivan", "minivan"),
        ("en-GB", "people carrier", "people carrier", "minivan"),
        ("en-US", "SUV", "SUV", "suv"),
    ],
)
def test_a_plain_string_for_a_custom_slot_is_resolved_by_the_locales_model(
    locale: str, said: str, name: str, id: str
) -> None:
    parsed = envelope(intent("FindCarIntent", {"carSize": said}, locale=locale))
    assert isinstance(parsed.request, IntentRequest)
    value = parsed.request.intent.slots["carSize"].resolutions.resolutions_per_authority[0].values[0].value

    assert (value.name, value.id) == (name, id)


def test_intents_without_slots_and_dialog_state() -> None:
    request = intent("AMAZON.StopIntent", dialog_state=None)
    given = handler_input(request)

    assert "slots" not in request["request"]["intent"]
    assert "dialogState" not in request["request"]
    assert is_intent_name("AMAZON.StopIntent")(given)
    assert get_dialog_state(given) is None


@pytest.mark.parametrize(
    ("state", "confirmation"), [("IN_PROGRESS", "NONE"), ("COMPLETED", "CONFIRMED"), ("COMPLETED", "DENIED")]
)
def test_dialog_state_and_intent_confirmation(state: Any, confirmation: Any) -> None:
    given = handler_input(intent("FindCarIntent", {"city": "denver"}, dialog_state=state, confirmation=confirmation))
    request = given.request_envelope.request

    assert isinstance(request, IntentRequest)
    assert get_dialog_state(given).value == state
    assert request.intent.confirmation_status.value == confirmation


def test_session_attributes_round_trip() -> None:
    attributes = {"search": {"token": "abc", "city": "boston"}, "turns": 2}
    session = Session("amzn1.echo-api.session.TEST", attributes, new=False)
    given = handler_input(intent("CheckResultsIntent", session=session))

    assert given.request_envelope.session.session_id == "amzn1.echo-api.session.TEST"
    assert not is_new_session(given)
    assert given.attributes_manager.session_attributes == attributes


@pytest.mark.parametrize("reason", ["USER_INITIATED", "EXCEEDED_MAX_REPROMPTS"])
def test_session_ended(reason: str) -> None:
    parsed = envelope(session_ended(reason))  # type: ignore[arg-type]

    assert isinstance(parsed.request, SessionEndedRequest)
    assert parsed.request.reason is SessionEndedReason(reason)
    assert parsed.request.error is None
    assert parsed.session.new is False


def test_session_ended_by_an_error() -> None:
    parsed = envelope(session_ended("ERROR", ("INVALID_RESPONSE", "The response is invalid.")))

    assert isinstance(parsed.request, SessionEndedRequest)
    assert parsed.request.reason is SessionEndedReason.ERROR
    assert parsed.request.error.object_type is SessionEndedErrorType.INVALID_RESPONSE
    assert parsed.request.error.message == "The response is invalid."


def test_a_screen_device_has_a_viewport_and_apl() -> None:
    with_screen = handler_input(launch(viewport=True))
    voice_only = handler_input(launch())

    assert get_viewport_profile(with_screen.request_envelope) is ViewportProfile.HUB_LANDSCAPE_SMALL
    assert get_supported_interfaces(with_screen).alexa_presentation_apl is not None
    assert voice_only.request_envelope.context.viewport is None
    assert get_supported_interfaces(voice_only).alexa_presentation_apl is None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: intent("FindCarIntent", {"carsize": "compact"}), "no slots"),
        (lambda: intent("FindCarIntent", {"city": resolved("x", "compact", type_name="CarSizeType")}), "US_CITY"),
        (lambda: intent("FindCarIntent", {"carSize": resolved("x", "tiny", type_name="CarSizeType")}), "no values"),
        (lambda: intent("FindCarIntent", dialog_state="started"), "dialog state"),  # type: ignore[arg-type]
        (lambda: session_ended("USER_INITIATED", ("INVALID_RESPONSE", "x")), "only with reason ERROR"),
        (lambda: Session(attributes={"a": 1}), "new session"),
        (lambda: launch(timestamp=datetime(2026, 11, 23, 12)), "time zone"),
    ],
)
def test_envelopes_alexa_never_sends_are_refused(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_a_conversation_carries_the_session_and_its_attributes() -> None:
    conversation = Conversation(api_access_token=TOKEN)
    first = envelope(conversation.launch())
    conversation.remember({"version": "1.0", "sessionAttributes": {"step": 1}, "response": {"shouldEndSession": False}})
    second = envelope(conversation.intent("FindCarIntent", {"city": "austin"}))
    conversation.remember({"version": "1.0", "sessionAttributes": {"step": 2}, "response": {"shouldEndSession": False}})
    third = envelope(conversation.intent("AMAZON.YesIntent"))

    assert (first.session.new, second.session.new, third.session.new) == (True, False, False)
    assert first.session.session_id == second.session.session_id == third.session.session_id
    assert (first.session.attributes, second.session.attributes, third.session.attributes) == (
        {},
        {"step": 1},
        {"step": 2},
    )
    assert third.context.system.api_access_token == TOKEN


def test_a_response_that_ends_the_session_starts_a_new_one() -> None:
    conversation = Conversation()
    first = envelope(conversation.launch())
    conversation.remember({"version": "1.0", "sessionAttributes": {"step": 1}, "response": {"shouldEndSession": True}})
    again = envelope(conversation.launch())

    assert again.session.new is True
    assert again.session.session_id != first.session.session_id
    assert again.session.attributes == {}


@pytest.mark.parametrize(("viewport", "continues"), [(False, False), (True, True)])
def test_a_response_without_should_end_session_ends_it_only_on_a_voice_only_device(
    viewport: bool, continues: bool
) -> None:
    conversation = Conversation(viewport=viewport)
    first = envelope(conversation.launch())
    conversation.remember({"version": "1.0", "sessionAttributes": {"step": 1}, "response": {}})
    second = envelope(conversation.intent("CheckResultsIntent"))

    assert (second.session.session_id == first.session.session_id) is continues
    assert second.session.attributes == ({"step": 1} if continues else {})


def test_a_conversation_with_an_ask_sdk_skill() -> None:
    """The round trip the skill's tests make: envelope in, ask-sdk response out, remembered for the next turn."""
    skill = SkillBuilder()

    @skill.request_handler(can_handle_func=is_intent_name("FindCarIntent"))
    def find_car(given: HandlerInput) -> Any:
        given.attributes_manager.session_attributes["size"] = (
            get_slot(given, "carSize").resolutions.resolutions_per_authority[0].values[0].value.id
        )
        return given.response_builder.speak("Where?").ask("Where?").response

    @skill.request_handler(can_handle_func=is_intent_name("AMAZON.StopIntent"))
    def stop(given: HandlerInput) -> Any:
        return given.response_builder.speak("Bye").set_should_end_session(True).response

    handler = skill.lambda_handler()
    conversation = Conversation()
    conversation.remember(handler(conversation.intent("FindCarIntent", {"carSize": "small car"}), None))
    follow_up = conversation.intent("AMAZON.StopIntent")
    conversation.remember(handler(follow_up, None))
    after_stop = conversation.launch()

    assert follow_up["session"]["attributes"] == {"size": "compact"}
    assert follow_up["session"]["new"] is False
    assert after_stop["session"]["new"] is True
    assert after_stop["session"]["sessionId"] != follow_up["session"]["sessionId"]
