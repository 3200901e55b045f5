"""What every request passes through: a log line with the request id, never user or device ids.

The standard library's logging, not Powertools' Logger, to keep the skill's cold start small: with the function's
LoggingConfig at LogFormat JSON (infrastructure/cfn-deployer/skill-stack.yaml), Lambda's Python runtime writes each
record as one JSON object, with its `extra` keys and Lambda's requestId, at the ApplicationLogLevel it sets on the
root logger."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, get_request_type

from skill.responses import request_of

LOGGER_NAME = "car-search-skill"


class LogRequestInterceptor(AbstractRequestInterceptor):
    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or logging.getLogger(LOGGER_NAME)

    def process(self, handler_input: HandlerInput) -> None:
        kind = get_request_type(handler_input)
        request = request_of(handler_input)
        intent = get_intent_name(handler_input) if kind == "IntentRequest" else None
        dialog_state = getattr(getattr(request, "dialog_state", None), "value", None)
        self._logger.info("request", extra={"alexa_request_id": request.request_id, "type": kind, "intent": intent,
                                            "locale": request.locale, "dialog_state": dialog_state})  # fmt: skip
