from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.responses import DialogFactory, locale, render
from skill.state import Trip

log = logging.getLogger(__name__)


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """Whatever broke, the user hears an apology and the session stays open: never Alexa's
    "There was a problem with the requested skill's response"."""

    def __init__(self, dialogs: DialogFactory) -> None:
        self._dialogs = dialogs

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log.error("unhandled error", exc_info=exception)
        trip = Trip.load(handler_input.attributes_manager.session_attributes)  # what it cannot use, it leaves out
        return render(handler_input, trip, self._dialogs(locale(handler_input)).error())
