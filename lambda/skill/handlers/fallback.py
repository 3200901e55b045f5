from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.responses import DialogFactory, load_trip, locale, render


class FallbackIntentHandler(AbstractRequestHandler):
    """Unmatched speech, and yes/no or 'next' where they mean nothing: reprompt with an example."""

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.FallbackIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        trip = load_trip(handler_input)
        return render(handler_input, trip, self._dialogs(locale(handler_input)).fallback(trip))
