from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip


class RepeatIntentHandler(DialogHandler):
    """Says the last answer again."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.RepeatIntent")(handler_input)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.repeat(trip)
