from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip


class FallbackIntentHandler(DialogHandler):
    """Unmatched speech: reprompt with an example of what to say now."""

    intents = ("AMAZON.FallbackIntent",)
    counts_misses = True

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.fallback(trip)
