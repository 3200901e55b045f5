from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.dialog import Dialog, Reply
from skill.responses import DialogFactory, load_trip, locale, render
from skill.state import Trip


class DialogHandler(AbstractRequestHandler):
    """A handler whose answer comes from the dialog: it loads the trip, asks `reply`, renders the answer
    and saves the trip. Subclasses say which requests they take (`intents`, or their own `can_handle`) and which
    step of the dialog they are."""

    intents: tuple[str, ...] = ()
    # A handler for what did not fit counts the misses in a row; any other answer starts the count again.
    counts_misses = False

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in self.intents)

    def handle(self, handler_input: HandlerInput) -> Response:
        trip = self.trip(handler_input)
        if not self.counts_misses:
            trip.misses = 0
        return render(handler_input, trip, self.reply(self._dialogs(locale(handler_input)), trip, handler_input))

    def trip(self, handler_input: HandlerInput) -> Trip:
        return load_trip(handler_input)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        raise NotImplementedError
