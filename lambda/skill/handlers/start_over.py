from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.responses import DialogFactory, locale, render
from skill.state import Trip


class StartOverIntentHandler(AbstractRequestHandler):
    """Forgets the trip and its search, and asks for the city again."""

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.StartOverIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        trip = Trip()
        return render(handler_input, trip, self._dialogs(locale(handler_input)).start_over(trip))
