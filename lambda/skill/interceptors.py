"""What every request passes through: a log line with the request id, never user or device ids."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, get_request_type
from aws_lambda_powertools import Logger


class LogRequestInterceptor(AbstractRequestInterceptor):
    def __init__(self, logger: Logger) -> None:
        self._logger = logger

    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        kind = get_request_type(handler_input)
        self._logger.append_keys(alexa_request_id=request.request_id)
        intent = get_intent_name(handler_input) if kind == "IntentRequest" else None
        dialog_state = getattr(getattr(request, "dialog_state", None), "value", None)
        self._logger.info("request", extra={"type": kind, "intent": intent, "locale": request.locale,
                                            "dialog_state": dialog_state})  # fmt: skip
