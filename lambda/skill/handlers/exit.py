from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.responses import DialogFactory, load_trip, locale, render

EXIT_INTENTS = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")


class StopIntentHandler(AbstractRequestHandler):
    """Stop, Cancel and NavigateHome: a short goodbye, and the session ends."""

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in EXIT_INTENTS)

    def handle(self, handler_input: HandlerInput) -> Response:
        return render(handler_input, load_trip(handler_input), self._dialogs(locale(handler_input)).goodbye())
