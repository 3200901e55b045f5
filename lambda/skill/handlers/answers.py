from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.responses import caller
from skill.state import Trip


class YesIntentHandler(DialogHandler):
    """'Yes' to "Is there a specific company?" or to an alternative offer."""

    intents = ("AMAZON.YesIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.answer(trip, caller(handler_input), yes=True)


class NoIntentHandler(DialogHandler):
    """'No' to "Is there a specific company?" means any company; to an alternative offer, not that one."""

    intents = ("AMAZON.NoIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.answer(trip, caller(handler_input), yes=False)
