from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip

EXIT_INTENTS = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")


class StopIntentHandler(DialogHandler):
    """Stop, Cancel and NavigateHome: a short goodbye, and the session ends."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in EXIT_INTENTS)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.goodbye()
