from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.responses import DialogFactory, caller, load_trip, locale, render


class CheckResultsIntentHandler(AbstractRequestHandler):
    """'Are my results ready?' after the skill said the companies were still answering."""

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("CheckResultsIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        trip = load_trip(handler_input)
        return render(handler_input, trip, self._dialogs(locale(handler_input)).results(trip, caller(handler_input)))


class NextIntentHandler(AbstractRequestHandler):
    """'Next' or 'more': the following offer, fetched again rather than kept in the session."""

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NextIntent")(handler_input) or is_intent_name("AMAZON.MoreIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        trip = load_trip(handler_input)
        reply = self._dialogs(locale(handler_input)).next_offer(trip, caller(handler_input))
        return render(handler_input, trip, reply)
