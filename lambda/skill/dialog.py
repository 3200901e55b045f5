"""The conversation: what to ask next, when to start the search, and what to say about the results.

The search starts at the first turn that knows the city and the pickup date, and the questions about
size and company fill the time it takes. Handlers turn Alexa requests into calls here and the `Reply`
back into a response; nothing here knows ask-sdk.
"""

from __future__ import annotations

import functools
import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from skill import speech
from skill.search_client import Offer, Rejected, Results, SearchClient, SearchGone, SearchUnavailable
from skill.speech import Pause
from skill.state import Trip
from skill.strings import Strings
from skill.trip_dates import TripDates, TripProblem, describe_trip, resolve_trip

# The search API judges "today" in the city's time zone; before the city is known, the skill allows the
# latest "today" in the US, so a late evening in Hawaii is not refused as the past.
LATEST_US_ZONE = ZoneInfo("Pacific/Honolulu")
ANY = "any"
# The slots that define the search, and where the trip keeps each: a change to any of them is a new search.
TRIP_SLOTS = {"city": "city", "pickupDate": "pickup_value", "returnDate": "return_value", "duration": "duration_value"}


@dataclass
class Reply:
    speech: list[str | Pause]
    reprompt: str | None = None
    elicit: str | None = None  # a FindCarIntent slot to ask for with Dialog.ElicitSlot
    end_session: bool = False
    card: tuple[str, str] | None = None  # title, text


class Caller(NamedTuple):  # not a dataclass: see search_client.Problem
    """Who is asking and how to reach their device while they wait."""

    user: str  # pseudonymous: the search API never sees Alexa's user id
    session_id: str
    request_id: str
    started: float  # time.monotonic() when the request arrived: the results budget counts from it
    api_endpoint: str | None = None
    api_access_token: str | None = None


class Dialog:
    def __init__(
        self,
        search: SearchClient,
        strings: Strings,
        progressive: Callable[[Caller, str], object],
        results_budget_s: float,
        poll_interval_s: float,
        now: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._search = search
        self._say = functools.partial(strings.say, rng=rng)
        self._progressive = progressive
        self._budget_s = results_budget_s
        self._poll_s = poll_interval_s
        self._now = now or (lambda: datetime.now(UTC))
        self._sleep = sleep

    def _today(self) -> date:
        return self._now().astimezone(LATEST_US_ZONE).date()

    # --- FindCarIntent: every turn of the main dialog ---------------------------------------------------

    def find_car(self, trip: Trip, caller: Caller, slots: dict[str, str | None]) -> Reply:
        self._take(trip, slots)
        if not trip.city:
            return self._ask(trip, "city", self._say("ASK_CITY"), self._say("ASK_CITY_REPROMPT"))
        if not trip.pickup_value:
            return self._ask(trip, "pickupDate", self._say("ASK_DATE", city=trip.city), self._say("ASK_DATE_REPROMPT"))
        dates = resolve_trip(trip.pickup_value, trip.return_value, trip.duration_value, self._today())
        if isinstance(dates, TripProblem):
            return self._date_problem(trip, dates)
        started = self._ensure_search(trip, caller, dates)
        if started is not None:
            return started
        if not trip.size:
            describe = describe_trip(dates, self._today(), trip.pickup_value)
            return self._ask(trip, "carSize", self._say("ASK_SIZE", city=_short(trip.city), trip=describe),
                             self._say("ASK_SIZE_REPROMPT"))  # fmt: skip
        if not trip.company:
            trip.asked = "company_yes_no"
            return Reply([self._say("ASK_COMPANY")], self._say("ASK_COMPANY_REPROMPT"), elicit="company")
        return self.results(trip, caller)

    def _take(self, trip: Trip, slots: dict[str, str | None]) -> None:
        """Folds this turn's slots into the trip; a new city or new dates make the old search stale."""
        for name, attribute in TRIP_SLOTS.items():
            value = slots.get(name)
            if value and value != getattr(trip, attribute):
                setattr(trip, attribute, value)
                if name == "pickupDate" and not slots.get("returnDate") and not slots.get("duration"):
                    trip.return_value = trip.duration_value = None  # a new pickup resets the length
                trip.forget_search()
        if slots.get("carSize"):
            trip.size, trip.offer_index, trip.alternative = slots["carSize"], 0, None
        if slots.get("company"):
            trip.company, trip.offer_index, trip.alternative = slots["company"], 0, None

    def _ensure_search(self, trip: Trip, caller: Caller, dates: TripDates) -> Reply | None:
        """Starts the search unless one for exactly this trip runs already; a Reply when it could not."""
        wanted = f"{trip.city}|{dates.pickup_date}|{dates.return_date}"
        if trip.token and trip.searched == wanted:
            return None
        # The same key for the same trip in the same session: a retried request never starts two searches.
        key = hashlib.sha256(f"{caller.session_id}|{wanted}".encode()).hexdigest()[:40]
        try:
            started = self._search.start(trip.city or "", dates.pickup_date, dates.return_date, caller.user, key)
        except SearchUnavailable:
            return self._api_down(trip)
        if isinstance(started, Rejected):
            return self._rejected(trip, started)
        trip.token, trip.city = started.token, started.city
        trip.searched = f"{started.city}|{dates.pickup_date}|{dates.return_date}"
        return None

    def _rejected(self, trip: Trip, rejected: Rejected) -> Reply:
        city = rejected.about("city")
        if city is not None:
            said, trip.city = trip.city or "", None
            if city.code == "ambiguous_city":
                choices = city.details.get("spoken") or city.details.get("candidates", [])
                return self._ask(trip, "city", self._say("ASK_WHICH_CITY", choices=speech.spoken_either(choices)),
                                 self._say("ASK_CITY_REPROMPT"))  # fmt: skip
            suggestions = city.details.get("spoken") or city.details.get("suggestions") or []
            if suggestions:
                text = self._say("UNKNOWN_CITY_SUGGEST", city=said, suggestion=suggestions[0])
            else:
                text = self._say("UNKNOWN_CITY_NO_SUGGESTION", city=said)
            return self._ask(trip, "city", text, self._say("ASK_CITY_REPROMPT"))
        pickup = rejected.about("pickupDate")
        trip.pickup_value = trip.return_value = trip.duration_value = None
        if pickup is not None and pickup.code == "too_far_ahead":
            text = self._say("TOO_FAR_AHEAD", days=speech.spoken_count(330, "day"))
        elif pickup is not None:
            text = self._say("PAST_DATE")
        else:
            text = self._say("TOO_VAGUE_DATE")
        return self._ask(trip, "pickupDate", text, self._say("ASK_DATE_REPROMPT"))

    def _date_problem(self, trip: Trip, problem: TripProblem) -> Reply:
        keys = {"past": "PAST_DATE", "too_vague": "TOO_VAGUE_DATE", "return_before_pickup": "RETURN_BEFORE_PICKUP",
                "unparseable": "UNCLEAR_DATE", "missing": "ASK_DATE_REPROMPT"}  # fmt: skip
        if problem.kind == "too_long":
            text = self._say("TRIP_TOO_LONG", days=speech.spoken_count(30, "day"))
        else:
            text = self._say(keys[problem.kind])
        slot = "returnDate" if problem.kind == "return_before_pickup" else "pickupDate"
        if slot == "pickupDate":
            trip.pickup_value = None
        trip.return_value = trip.duration_value = None
        return self._ask(trip, slot, text, self._say("ASK_DATE_REPROMPT"))

    def _ask(self, trip: Trip, slot: str, text: str, reprompt: str) -> Reply:
        trip.asked = slot
        return Reply([text], reprompt, elicit=slot)

    # --- answers to the yes/no questions ----------------------------------------------------------------

    def answer(self, trip: Trip, caller: Caller, yes: bool) -> Reply:
        if trip.asked == "company_yes_no":
            if yes:
                trip.asked = "company"
                return Reply([self._say("ASK_WHICH_COMPANY")], self._say("ASK_COMPANY_REPROMPT"), elicit="company")
            trip.company = ANY
            return self.results(trip, caller)
        if trip.asked == "alternative" and trip.alternative:
            if yes:
                trip.size, trip.company = trip.alternative["size"], trip.alternative["company"]
                trip.alternative, trip.offer_index = None, 0
                return self.results(trip, caller)
            trip.alternative = None
            return Reply([self._say("HELP_RESULTS")], self._say("HELP_RESULTS"))
        if trip.asked == "retry":
            return self.find_car(trip, caller, {}) if yes else self.goodbye()
        return self.fallback(trip)

    def _api_down(self, trip: Trip) -> Reply:
        """The trip is kept: "yes" (or any answer that continues the dialog) tries the API again."""
        trip.asked = "retry"
        return Reply([self._say("API_DOWN")], self._say("API_DOWN_REPROMPT"))

    # --- the results ------------------------------------------------------------------------------------

    def results(self, trip: Trip, caller: Caller) -> Reply:
        """The last turn: the best offer for what was asked, waiting for it within Alexa's time limit."""
        if not trip.token:
            if trip.city and trip.pickup_value:
                return self.find_car(trip, caller, {})
            return Reply([self._say("CHECK_RESULTS_NO_SEARCH")], self._say("ASK_CITY_REPROMPT"))
        try:
            found = self._wait_for_results(trip, caller)
        except SearchUnavailable:
            return self._api_down(trip)
        if found is None:
            return Reply([self._say("SEARCH_FAILED")], self._say("HELP_RESULTS"))
        if not found.ready:
            trip.asked = "results"
            if found.searching:
                text = self._say("RESULTS_NOT_READY", companies=speech.spoken_list(found.searching))
            else:
                text = self._say("RESULTS_NOT_READY_ANY")
            return Reply([text], self._say("RESULTS_NOT_READY_REPROMPT"))
        if found.status == "failed" and found.company_failed and (found.same_size or found.cheapest):
            return self._no_match(trip, found)  # the companies that did answer have what was asked for
        if found.status == "failed":
            return Reply([self._say("SEARCH_FAILED")], self._say("HELP_RESULTS"))
        if not found.offers:
            return self._no_match(trip, found)
        if trip.offer_index >= len(found.offers):
            trip.offer_index = max(0, len(found.offers) - 1)
            return Reply([self._say("NO_MORE_OFFERS")], self._say("HELP_RESULTS"))
        trip.asked = "offers"
        offer = found.offers[trip.offer_index]
        key = "OFFER" if trip.offer_index == 0 else "NEXT_OFFER"
        lines = "\n".join(self._card_line(o) for o in found.offers[: min(5, len(found.offers))])
        return Reply(
            [self._offer(key, offer), speech.pause(), self._say("OFFER_NEXT_HINT")],
            self._say("HELP_RESULTS"),
            card=(self._say("CARD_TITLE"), lines),
        )

    def next_offer(self, trip: Trip, caller: Caller) -> Reply:
        if trip.asked != "offers":
            return self.fallback(trip)
        trip.offer_index += 1
        return self.results(trip, caller)

    def _wait_for_results(self, trip: Trip, caller: Caller) -> Results | None:
        """Polls until the results are ready or the budget is spent; None when the search is gone for good."""
        restarted = False
        told = False
        while True:
            try:
                found = self._search.results(trip.token or "", caller.user, trip.size, trip.company,
                                             limit=trip.offer_index + 5)  # fmt: skip
            except SearchGone:
                if restarted:
                    return None
                # Expired or unknown: the same trip is searched again, without troubling the user.
                restarted = True
                trip.token = None
                dates = resolve_trip(trip.pickup_value, trip.return_value, trip.duration_value, self._today())
                if isinstance(dates, TripProblem) or self._ensure_search(trip, caller, dates) is not None:
                    return None
                continue
            if found.status in ("complete", "failed"):
                return found
            elapsed = time.monotonic() - caller.started
            if elapsed + self._poll_s > self._budget_s:
                return found
            if not told:
                self._progressive(caller, speech.ssml(self._say("STILL_SEARCHING_PROGRESSIVE")))
                told = True
            self._sleep(self._poll_s)

    def _no_match(self, trip: Trip, found: Results) -> Reply:
        asked_car = speech.with_article(speech.car_phrase(_class_name(trip.size))) if _set(trip.size) else ""
        company = found.same_supplier.supplier_name if found.same_supplier else _company_name(trip.company)
        if found.company_failed and (offer := found.same_size or found.cheapest) is not None:
            # Not "doesn't have": the company could not be asked.
            trip.alternative = {"size": offer.car_class, "company": offer.supplier}
            text = self._say("COMPANY_FAILED", company=company, other_company=offer.supplier_name,
                             car=speech.with_article(speech.car_phrase(offer.car_class_name)),
                             price=speech.dollars(offer.total_price))  # fmt: skip
        elif found.same_size is not None and _set(trip.company):
            offer = found.same_size
            trip.alternative = {"size": offer.car_class, "company": offer.supplier}
            text = self._say("NO_MATCH_SAME_SIZE", company=company, car=asked_car,
                             other_company=offer.supplier_name, price=speech.dollars(offer.total_price))  # fmt: skip
        elif found.same_supplier is not None and _set(trip.size):
            offer = found.same_supplier
            trip.alternative = {"size": offer.car_class, "company": offer.supplier}
            text = self._say("NO_MATCH_SAME_COMPANY", company=company, car=asked_car,
                             other_car=speech.with_article(speech.car_phrase(offer.car_class_name)),
                             price=speech.dollars(offer.total_price))  # fmt: skip
        elif found.cheapest is not None:
            offer = found.cheapest
            trip.alternative = {"size": offer.car_class, "company": offer.supplier}
            text = self._say("NO_MATCH_CHEAPEST", car=speech.with_article(speech.car_phrase(offer.car_class_name)),
                             company=offer.supplier_name, price=speech.dollars(offer.total_price))  # fmt: skip
        else:
            return Reply([self._say("NO_CARS")], self._say("HELP_RESULTS"))
        trip.asked = "alternative"
        return Reply([text], self._say("YES_NO_REPROMPT"))

    def _offer(self, key: str, offer: Offer) -> str:
        return self._say(
            key,
            car=speech.with_article(speech.car_phrase(offer.car_class_name)),
            company=offer.supplier_name,
            price=speech.dollars(offer.total_price),
            model=offer.example_model,
            location=offer.location_name,
            days=speech.spoken_count(offer.days, "day"),
        )

    def _card_line(self, offer: Offer) -> str:
        return self._say(
            "CARD_OFFER_LINE",
            company=offer.supplier_name,
            car=speech.car_phrase(offer.car_class_name),
            price=speech.price_text(offer.total_price),
            location=offer.location_name,
        )

    # --- the rest of the conversation -------------------------------------------------------------------

    def welcome(self) -> Reply:
        return Reply([self._say("WELCOME")], self._say("WELCOME_REPROMPT"))

    def goodbye(self) -> Reply:
        return Reply([self._say("GOODBYE")], end_session=True)

    def start_over(self, trip: Trip) -> Reply:
        """`trip` is a new, empty one: the old trip and its search are forgotten."""
        return self._ask(trip, "city", self._say("START_OVER"), self._say("ASK_CITY_REPROMPT"))

    def repeat(self, trip: Trip) -> Reply:
        if not trip.last_speech:
            return Reply([self._say("NOTHING_TO_REPEAT")], self._say("WELCOME_REPROMPT"))
        return Reply([speech.plain(trip.last_speech)], trip.last_reprompt)

    def error(self) -> Reply:
        return Reply([self._say("ERROR")], self._say("WELCOME_REPROMPT"))

    # --- help and recovery ------------------------------------------------------------------------------

    def help(self, trip: Trip) -> Reply:
        key = {"city": "HELP_CITY", "pickupDate": "HELP_DATE", "returnDate": "HELP_DATE", "carSize": "HELP_SIZE",
               "company": "HELP_COMPANY", "company_yes_no": "HELP_COMPANY", "offers": "HELP_RESULTS",
               "alternative": "HELP_RESULTS", "results": "HELP_RESULTS",
               "retry": "API_DOWN_REPROMPT"}.get(trip.asked or "", "HELP_CITY")  # fmt: skip
        reply = Reply([self._say(key)], self._say(key))
        if trip.asked in ("city", "pickupDate", "returnDate", "carSize", "company"):
            reply.elicit = trip.asked
        return reply

    def fallback(self, trip: Trip) -> Reply:
        examples = {"city": "a car in Chicago", "pickupDate": "next weekend", "carSize": "a compact car",
                    "company": "Hertz, or no preference", "company_yes_no": "no preference",
                    "offers": "next", "alternative": "yes, or no", "retry": "yes, or no"}  # fmt: skip
        example = examples.get(trip.asked or "", "find a car in Seattle next weekend")
        reply = Reply([self._say("FALLBACK", example=example)], trip.last_reprompt or self._say("WELCOME_REPROMPT"))
        if trip.asked in ("city", "pickupDate", "returnDate", "carSize", "company"):
            reply.elicit = trip.asked
        return reply


def _set(value: str | None) -> bool:
    return bool(value) and value != ANY


def _short(city: str) -> str:
    """ "New York, NY" is spoken "New York": the state only matters when the name is shared."""
    return city.split(",")[0]


def _class_name(code: str | None) -> str:
    names = {"fullsize": "full-size", "suv": "SUV"}
    return names.get(code or "", code or "")


def _company_name(code: str | None) -> str:
    return (code or "").capitalize()
