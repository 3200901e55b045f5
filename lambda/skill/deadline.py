"""When a request arrived: the turn's deadline counts from it, and every call in the turn gets the time left.

Alexa waits 8 s for an answer. The clock starts when the request reaches the skill, and on a Lambda instance's
first request that is before the instance's init, which the request waits for: lambda_function.py takes the time
at its first line, and that instance's first request counts from it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput

ARRIVED = "arrived"  # request attribute: the clock's time when the request came in


class Arrivals(AbstractRequestInterceptor):
    """Stamps each request with its arrival, first of the interceptors."""

    def __init__(self, init_started: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._first = init_started
        self._clock = clock

    def process(self, handler_input: HandlerInput) -> None:
        now = self._clock()
        first, self._first = self._first, None
        handler_input.attributes_manager.request_attributes[ARRIVED] = now if first is None else min(first, now)


def arrived(handler_input: HandlerInput, clock: Callable[[], float] = time.monotonic) -> float:
    """The request's arrival; now, for a request that no Arrivals stamped."""
    value = handler_input.attributes_manager.request_attributes.get(ARRIVED)
    return value if isinstance(value, float) else clock()
