from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.responses import caller
from skill.state import Trip


class CheckResultsIntentHandler(DialogHandler):
    """'Are my results ready?' after the skill said the companies were still answering."""

    intents = ("CheckResultsIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.check_results(trip, caller(handler_input))


class NextIntentHandler(DialogHandler):
    """'Next' or 'more': the following offer, fetched again rather than kept in the session."""

    intents = ("AMAZON.NextIntent", "AMAZON.MoreIntent")

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.next_offer(trip, caller(handler_input))
