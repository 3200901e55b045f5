from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.responses import DialogFactory, caller, load_trip, locale, render


class YesIntentHandler(AbstractRequestHandler):
    """'Yes' to "Is there a specific company?" or to an alternative offer."""

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.YesIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        trip = load_trip(handler_input)
        reply = self._dialogs(locale(handler_input)).answer(trip, caller(handler_input), yes=True)
        return render(handler_input, trip, reply)


class NoIntentHandler(AbstractRequestHandler):
    """'No' to "Is there a specific company?" means any company; to an alternative offer, not that one."""

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NoIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        trip = load_trip(handler_input)
        reply = self._dialogs(locale(handler_input)).answer(trip, caller(handler_input), yes=False)
        return render(handler_input, trip, reply)
