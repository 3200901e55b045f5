from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip


class FallbackIntentHandler(DialogHandler):
    """Unmatched speech: reprompt with an example of what to say now."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.FallbackIntent")(handler_input)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.fallback(trip)
