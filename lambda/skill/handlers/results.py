from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.responses import caller
from skill.state import Trip


class CheckResultsIntentHandler(DialogHandler):
    """'Are my results ready?' after the skill said the companies were still answering."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("CheckResultsIntent")(handler_input)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.results(trip, caller(handler_input))


class NextIntentHandler(DialogHandler):
    """'Next' or 'more': the following offer, fetched again rather than kept in the session."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NextIntent")(handler_input) or is_intent_name("AMAZON.MoreIntent")(handler_input)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.next_offer(trip, caller(handler_input))
