"""The intents about the offer just heard: the previous one, its price, a cheaper one, sending it to the phone,
and booking it. Each asks the dialog's method of the same name; before there is an offer, the dialog says so and
asks what it needs."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.responses import caller
from skill.state import Trip


class PreviousIntentHandler(DialogHandler):
    """'Go back', 'the previous one'."""

    intents = ("AMAZON.PreviousIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.previous_offer(trip, caller(handler_input))


class PriceIntentHandler(DialogHandler):
    """'How much is it?', 'is that per day?': the total, the daily rate, and what the price leaves out."""

    intents = ("PriceIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.price(trip, caller(handler_input))


class CheaperIntentHandler(DialogHandler):
    """'Anything cheaper?': the cheapest car of that size from any company, else of any size, when it is cheaper."""

    intents = ("CheaperIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.cheaper(trip, caller(handler_input))


class SendToPhoneIntentHandler(DialogHandler):
    """'Send it to my phone': a card with this offer and the next ones, in the Alexa app."""

    intents = ("SendToPhoneIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.send_to_phone(trip, caller(handler_input))


class BookIntentHandler(DialogHandler):
    """'Book it': the skill finds offers and does not book; it says how to book this one, and sends it as a card."""

    intents = ("BookIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.book(trip, caller(handler_input))
