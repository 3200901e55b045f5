from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip

EXIT_INTENTS = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")


class StopIntentHandler(DialogHandler):
    """Stop, Cancel and NavigateHome: a short goodbye, and the session ends."""

    intents = EXIT_INTENTS

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.goodbye()


class ThanksIntentHandler(DialogHandler):
    """'Thanks', 'that's all': a polite goodbye, and the session ends."""

    intents = ("ThanksIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.thanks()
