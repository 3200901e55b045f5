"""A user's last trip and its search, kept between sessions, so that someone who left while the search ran can come
back to it: "open car search" asks whether to carry on, "ask car search are my results ready" gets the results.

Two interceptors, on ask-sdk's persistent attributes (the adapter is skill.trip_store's):

- `RecallLastTrip` (request): when a session that has not looked yet, and holds no trip of its own, opens the skill
  or asks about its results (RECALLING), the kept trip is read into the session, if it is still ahead: its pickup
  day has not passed.
- `KeepLastTrip` (response): the kept record follows the session's trip once it has a search: a new search or a
  new answer is saved (a new trip overwrites the record), and a trip that lost its search ("start over", "no" to
  carrying on) deletes it. The session attribute KNOWN holds a digest of what this session knows is kept, so a turn
  that changed nothing writes nothing.

What is kept is the trip's query and where the dialog was (KEPT): no user or device id, no words the user said
beyond the city, no offers. The search token is kept too: it is the user's own, and of no use without the
pseudonym it is bound to (skill.trip_store.S3PersistenceAdapter.key says why). A store that fails is logged and
otherwise ignored: the turn goes on as if nothing was kept, and says nothing about it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, get_request_type
from ask_sdk_model import Response

from skill.deadline import arrived
from skill.dialog import LATEST_US_ZONE
from skill.state import Asked, Trip
from skill.trip_store import StoreUnavailable

log = logging.getLogger(__name__)

KEPT = ("city", "pickup_value", "return_value", "duration_value", "size", "company", "token", "searched", "asked",
        "best_so_far")  # fmt: skip
KNOWN = "kept"  # session attribute: the digest of the record this session knows is kept, "" for none
# The requests that pick up where a kept trip was: opening the skill, and what is asked of a search's results. Start
# over too: it must delete a record this session has not yet looked for.
RECALLING = frozenset({
    "CheckResultsIntent", "AMAZON.NextIntent", "AMAZON.MoreIntent", "AMAZON.PreviousIntent", "PriceIntent",
    "CheaperIntent", "SendToPhoneIntent", "BookIntent", "AMAZON.StartOverIntent",
})  # fmt: skip


class RecallLastTrip(AbstractRequestInterceptor):
    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC))

    def process(self, handler_input: HandlerInput) -> None:
        attributes = _session(handler_input)
        if attributes is None or KNOWN in attributes or not _recalls(handler_input):
            return
        current = Trip.load(attributes)
        if current.token or current.city:  # the session has a trip of its own
            return
        try:
            kept = handler_input.attributes_manager.persistent_attributes
        except StoreUnavailable as error:
            log.warning("kept trip not read: the store is unavailable", extra={"reason": str(error)})
            return
        attributes[KNOWN] = _digest(kept) if kept else ""
        trip = Trip.load(kept)
        dates = trip.searched_dates()
        if trip.token and dates and dates[0] >= self._now().astimezone(LATEST_US_ZONE).date():
            trip.save(attributes)
        # Else nothing worth carrying on: none, unreadable, or a pickup day gone by. KeepLastTrip then deletes it.


class KeepLastTrip(AbstractResponseInterceptor):
    def __init__(self, worst_call_s: float, deadline_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        """A record is written only while a call that takes `worst_call_s` still ends within `deadline_s` of the
        request's arrival (skill.deadline); later, it is left to the next turn, which finds the trip still to keep."""
        self._worst_call_s = worst_call_s
        self._deadline_s = deadline_s
        self._clock = clock

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        attributes = _session(handler_input)
        if attributes is None:
            return
        trip = Trip.load(attributes)
        if trip.asked is Asked.RESUME:  # "Shall I carry on?" is about the record as it is
            return
        manager = handler_input.attributes_manager
        kept = {name: value for name, value in asdict(trip).items() if name in KEPT and value is not None}
        record: dict[str, object] = {"trip": kept}
        known = attributes.get(KNOWN)
        if not trip.token:
            if known and self._in_time(handler_input) and _stored("deleted", manager.delete_persistent_attributes):
                attributes[KNOWN] = ""
            return
        digest = _digest(record)
        if digest == known or not self._in_time(handler_input):
            return
        manager.persistent_attributes = record
        if _stored("saved", manager.save_persistent_attributes):
            attributes[KNOWN] = digest

    def _in_time(self, handler_input: HandlerInput) -> bool:
        elapsed = self._clock() - arrived(handler_input, self._clock)
        if elapsed + self._worst_call_s <= self._deadline_s:
            return True
        log.info("kept trip left to the next turn: no time left in this one")
        return False


def _stored(what: str, call: Callable[[], None]) -> bool:
    try:
        call()
    except StoreUnavailable as error:
        log.warning("kept trip not %s: the store is unavailable", what, extra={"reason": str(error)})
        return False
    return True


def _session(handler_input: HandlerInput) -> dict[str, Any] | None:
    return handler_input.attributes_manager.session_attributes if handler_input.request_envelope.session else None


def _recalls(handler_input: HandlerInput) -> bool:
    kind = get_request_type(handler_input)
    return kind == "LaunchRequest" or (kind == "IntentRequest" and get_intent_name(handler_input) in RECALLING)


def _digest(record: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
