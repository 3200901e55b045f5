from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.responses import DialogFactory, load_trip, locale, render


class HelpIntentHandler(AbstractRequestHandler):
    """Explains what to say at this point of the dialog, then asks the same question again."""

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.HelpIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        trip = load_trip(handler_input)
        return render(handler_input, trip, self._dialogs(locale(handler_input)).help(trip))
