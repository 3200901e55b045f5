from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response, SessionEndedRequest

log = logging.getLogger(__name__)


class SessionEndedRequestHandler(AbstractRequestHandler):
    """Alexa ended the session (user, error or no answer): log why; Alexa speaks nothing back."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        assert isinstance(request, SessionEndedRequest)  # what can_handle let through
        error = request.error
        log.info(
            "session ended",
            extra={
                "reason": request.reason.value if request.reason else None,
                "error_type": error.object_type.value if error and error.object_type else None,
                "error_message": error.message if error else None,
            },
        )
        return handler_input.response_builder.response
