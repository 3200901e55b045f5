"""The events between the Lambdas: what the launchers send the search Lambda, and the record Lambda sends its
on-failure destination when it gives one up. Wire formats, as the public API's models are: camelCase, and the
search Lambda of one release must read what the start Lambda of the release before it sent."""

from __future__ import annotations

import dataclasses
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from search_service.domain.models import CallbackMessage


class Event(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class RunSearchEvent(Event):
    """The async event from the start Lambda to the search Lambda. The search id is the correlation id
    that joins one search's logs across both Lambdas; the query itself is read from the job record."""

    action: Literal["run-search"] = "run-search"
    search_id: str


class InvocationContext(Event):
    condition: str  # RetriesExhausted or EventAgeExceeded
    approximate_invoke_count: int = 0


class LostSearchRecord(Event):
    """What Lambda sends to the search Lambda's on-failure destination when an async search event was
    never processed: the original event (`requestPayload`) and why it was given up (`requestContext`)."""

    request_context: InvocationContext
    request_payload: RunSearchEvent


class CallbackRecord(Event):
    """One delivery attempt of a callback event, as the delivery queue carries it (search_service.domain.callbacks):
    the event's body as it will be sent, where to, whose secret signs it, and which attempt this is. No token, no
    user."""

    action: Literal["deliver-callback"] = "deliver-callback"
    search_id: str
    event_id: str
    event_type: str
    url: str
    owner: str
    body: str
    attempt: int

    @classmethod
    def of(cls, message: CallbackMessage) -> CallbackRecord:
        return cls(**{field.name: getattr(message, field.name) for field in dataclasses.fields(CallbackMessage)})

    def domain(self) -> CallbackMessage:
        names = (field.name for field in dataclasses.fields(CallbackMessage))
        return CallbackMessage(**{name: getattr(self, name) for name in names})
