"""Questions about the skill itself, answered wherever the dialog is, which then carries on where it was."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip


class CompaniesIntentHandler(DialogHandler):
    """'Which companies do you search?'"""

    intents = ("CompaniesIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.companies(trip)


class CarSizesIntentHandler(DialogHandler):
    """'What sizes do you have?'"""

    intents = ("CarSizesIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.car_sizes(trip)
