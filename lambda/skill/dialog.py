"""The conversation: what to ask next, when to start the search, and what to say about the results.

The search starts at the first turn that knows the city and the pickup date, and the questions about size and
company fill the time it takes. Each intent has one method here, named after it; handlers turn Alexa requests into
calls and the `Reply` back into a response, and nothing here knows ask-sdk. Every word comes from the strings
files (`skill.strings`), and the point of the dialog is `Trip.asked` (`skill.state.Asked`): an answer is read in
the light of the question it answers, and an answer that does not fit is told what would.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from skill import speech
from skill.search_client import (
    NoTimeLeft,
    Offer,
    Rejected,
    RequestRefused,
    Results,
    SearchBusy,
    SearchClient,
    SearchGone,
    SearchUnavailable,
)
from skill.speech import Pause
from skill.state import Asked, Trip
from skill.strings import Strings
from skill.trip_dates import MAX_RENTAL_DAYS, DateWords, TripDates, TripProblem, rental_days, resolve_trip

# The search API judges "today" in the city's time zone; before the city is known, the skill allows the
# latest "today" in the US, so a late evening in Hawaii is not refused as the past.
LATEST_US_ZONE = ZoneInfo("Pacific/Honolulu")
ANY = "any"
# The slots that define the search, and where the trip keeps each: a change to any of them is a new search.
TRIP_SLOTS = {"city": "city", "pickupDate": "pickup_value", "returnDate": "return_value", "duration": "duration_value"}
CARD_OFFERS = 5  # offers listed on a card
# A price older than this (from the search service's quote cache) is said with its age: "from 4 minutes ago".
SAY_AGE_AFTER_S = 60
# A later offer counts as better only if it saves at least this much: a few cents is not news.
BETTER_BY_DOLLARS = 1.0
# The calls of a turn end this long before its deadline: the answer is built and sent back after them.
ANSWER_S = 0.1
# A GET is not started with less time than this left: it would be cut short, and the answer is the one in hand.
MIN_POLL_S = 0.3
# What the last turn says when its time ran out before the API answered at all.
log = logging.getLogger(__name__)
NOTHING_YET = Results(status="pending", offers=(), offer_count=0, searching=())
# What a GET names the search by: a refusal of one of these means the token (from session attributes) is bad.
SEARCH_FIELDS = frozenset({"token", "Search-Token", "User", "Search-User"})
# The words for the search API's codes, for a class or company the user asked for and no offer names. (A test holds
# them to the API's fleet.)
CLASS_KEYS = {"economy": "PART_CLASS_ECONOMY", "compact": "PART_CLASS_COMPACT", "midsize": "PART_CLASS_MIDSIZE",
              "standard": "PART_CLASS_STANDARD", "fullsize": "PART_CLASS_FULLSIZE", "suv": "PART_CLASS_SUV",
              "minivan": "PART_CLASS_MINIVAN", "premium": "PART_CLASS_PREMIUM", "luxury": "PART_CLASS_LUXURY",
              ANY: "PART_CLASS_ANY"}  # fmt: skip
COMPANY_KEYS = {"enterprise": "PART_COMPANY_ENTERPRISE", "national": "PART_COMPANY_NATIONAL",
                "alamo": "PART_COMPANY_ALAMO", "hertz": "PART_COMPANY_HERTZ", "avis": "PART_COMPANY_AVIS",
                "budget": "PART_COMPANY_BUDGET", "sixt": "PART_COMPANY_SIXT", "dollar": "PART_COMPANY_DOLLAR",
                "thrifty": "PART_COMPANY_THRIFTY", ANY: "PART_COMPANY_ANY"}  # fmt: skip


# Reply and Said are plain classes, not dataclasses: a dataclass compiles its generated methods at import, and the
# two cost 9 ms of the skill's cold start (python -X importtime), over its budget against the ASK SDK's (make bench).
class Reply:
    """What to say: `speech`, and `reprompt` if the session stays open; `elicit`, a FindCarIntent slot to ask for
    with Dialog.ElicitSlot; `card`, (title, text) for the Alexa app. `repeatable`: what "repeat" says again is the
    last question or offer, never help, an apology or a line about the dialog itself ("say repeat to hear it
    again" would loop)."""

    __slots__ = ("card", "elicit", "end_session", "repeatable", "reprompt", "speech")

    def __init__(
        self,
        speech: list[str | Pause],
        reprompt: str | None = None,
        elicit: str | None = None,
        end_session: bool = False,
        card: tuple[str, str] | None = None,
        repeatable: bool = True,
    ) -> None:
        self.speech = speech
        self.reprompt = reprompt
        self.elicit = elicit
        self.end_session = end_session
        self.card = card
        self.repeatable = repeatable

    def __repr__(self) -> str:
        return f"Reply({self.speech!r}, elicit={self.elicit!r}, end_session={self.end_session!r})"


class Caller(NamedTuple):  # not a dataclass: see search_client.Problem
    """Who is asking and how to reach their device while they wait."""

    user: str  # pseudonymous: the search API never sees Alexa's user id
    session_id: str
    request_id: str
    started: float  # the clock's time when the request arrived (skill.deadline): the turn's deadline counts from it
    api_endpoint: str | None = None
    api_access_token: str | None = None


class Said:
    """What one FindCarIntent turn said: its slot values (ids for sizes and companies), and the words of a size or
    company said that is not one the skill knows ("a convertible", "Zipcar")."""

    __slots__ = ("slots", "unknown")

    def __init__(self, slots: dict[str, str | None] | None = None, unknown: dict[str, str] | None = None) -> None:
        self.slots = slots or {}
        self.unknown = unknown or {}


class Dialog:
    def __init__(
        self,
        search: SearchClient,
        strings: Strings,
        progressive: Callable[[Caller, str, float], object],
        deadline_s: float,
        poll_interval_s: float,
        now: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        max_rental_days: int = MAX_RENTAL_DAYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`progressive(caller, ssml, within_s)` says something while the last turn waits; `clock` is the one
        the caller's arrival was taken with (skill.deadline)."""
        self._search = search
        self._say = functools.partial(strings.say, rng=rng)
        self._progressive = progressive
        self._deadline_s = deadline_s
        self._poll_s = poll_interval_s
        self._now = now or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._clock = clock
        self._started_now = False  # this turn started the search (a Dialog serves one request)
        self._filter_dropped = False  # this turn dropped a filter the search API refused
        self._max_days = max_rental_days
        self._dates = DateWords(self._say)

    def _today(self) -> date:
        return self._now().astimezone(LATEST_US_ZONE).date()

    # --- FindCarIntent: every turn of the main dialog ---------------------------------------------------

    def find_car(self, trip: Trip, caller: Caller, said: Said) -> Reply:
        slots = dict(said.slots)
        asked_before = trip.asked
        if trip.asked is Asked.RESUME and any(slots.get(name) for name in TRIP_SLOTS):
            trip.clear()  # a city or dates said instead of yes or no: a new trip, not the one kept
        if slots.get("city") and slots.get("state") and not trip.choices:  # "Portland, Maine": one city to the API
            slots["city"] = f"{slots['city']}, {slots['state']}"
        if trip.choices:
            picked = self._pick_city(trip.choices, slots)
            if picked is not None:
                slots["city"], trip.choices = picked, None
            elif slots.get("state") or slots.get("choice"):
                return self._which_city_again(trip)
        changed = self._take(trip, slots)
        if (too_long := self._too_long(trip)) is not None:
            return too_long
        if not trip.city:
            return self._ask(trip, Asked.CITY, [*self._noted(trip, slots, said), self._say("ASK_CITY")],
                             self._say("ASK_CITY_REPROMPT"))  # fmt: skip
        if not trip.pickup_value:
            moved = [self._say("CHANGED_CITY", city=_short(trip.city))] if "city" in changed else []
            return self._ask(trip, Asked.PICKUP_DATE,
                             [*moved, *self._noted(trip, slots, said), self._say("ASK_DATE", city=_short(trip.city))],
                             self._say("ASK_DATE_REPROMPT"))  # fmt: skip
        dates = resolve_trip(trip.pickup_value, trip.return_value, trip.duration_value, self._today(), self._max_days)
        if isinstance(dates, TripProblem):
            return self._date_problem(trip, dates)
        try:
            problem = self._ensure_search(trip, caller, dates)
        except NoTimeLeft:
            return self._not_ready(trip, NOTHING_YET, [])
        if problem is not None:
            return problem
        lead = self._acknowledge(trip, changed, dates)
        if "carSize" in said.unknown:
            trip.size = None
            return self._ask(trip, Asked.CAR_SIZE, [*lead, self._say("UNKNOWN_SIZE", said=said.unknown["carSize"])],
                             self._say("ASK_SIZE_REPROMPT"))  # fmt: skip
        if "company" in said.unknown:
            trip.company = None
            return self._ask(trip, Asked.COMPANY, [*lead, self._say("UNKNOWN_COMPANY", said=said.unknown["company"])],
                             self._say("ASK_COMPANY_REPROMPT"))  # fmt: skip
        # The question asked again after another answer to it ("Hertz" to the size question, "let's do a midsize"
        # to the company question): what was said is said back first, so it is not the same question as if unheard.
        if not trip.size:
            noted = self._noted(trip, slots, said) if asked_before is Asked.CAR_SIZE else []
            return self._ask_size(trip, dates, [*lead, *noted])
        if not trip.company:
            noted = self._noted(trip, slots, said) if asked_before in (Asked.COMPANY, Asked.COMPANY_YES_NO) else []
            return self._ask(trip, Asked.COMPANY_YES_NO, [*lead, *noted, self._say("ASK_COMPANY")],
                             self._say("ASK_COMPANY_REPROMPT"))  # fmt: skip
        return self.results(trip, caller, lead)

    def _take(self, trip: Trip, slots: dict[str, str | None]) -> set[str]:
        """Folds this turn's slots into the trip; a new city or new dates make the old search stale. Returns the
        slots whose earlier value this turn changed: corrections, to acknowledge."""
        changed = set()
        searched = trip.token is not None  # a new length changes the trip, even where the return was assumed
        for name, attribute in TRIP_SLOTS.items():
            value = slots.get(name)
            if value and value != getattr(trip, attribute):
                if getattr(trip, attribute) or (searched and name != "city"):
                    changed.add(name)
                setattr(trip, attribute, value)
                if name == "pickupDate" and not slots.get("returnDate") and not slots.get("duration"):
                    trip.return_value = trip.duration_value = None  # a new pickup resets the length
                elif name == "returnDate" and not slots.get("duration"):
                    trip.duration_value = None  # a return day and a length: the last said wins
                elif name == "duration" and not slots.get("returnDate"):
                    trip.return_value = None
                trip.forget_search()
        for name, attribute in (("carSize", "size"), ("company", "company")):
            value = slots.get(name)
            if value and value != getattr(trip, attribute):
                if getattr(trip, attribute):
                    changed.add(name)
                setattr(trip, attribute, value)
                trip.offer_index, trip.alternative, trip.best_so_far = 0, None, None
        return changed

    def _noted(self, trip: Trip, slots: dict[str, str | None], said: Said) -> list[str | Pause]:
        """ "OK, a compact car.": a size or company said before the trip's city or dates, so that the question
        that follows is not the last one again, word for word, as if the answer went unheard."""
        size = _set(slots.get("carSize")) and "carSize" not in said.unknown and _set(trip.size)
        company = _set(slots.get("company")) and "company" not in said.unknown and _set(trip.company)
        car = speech.with_article(speech.car_phrase(self._class(trip.size))) if size else ""
        if size and company:
            return [self._say("NOTED_CAR_FROM", car=car, company=self._company(trip.company))]
        if size:
            return [self._say("NOTED", what=car)]
        if company:
            return [self._say("NOTED", what=self._company(trip.company))]
        return []

    def _acknowledge(self, trip: Trip, changed: set[str], dates: TripDates) -> list[str | Pause]:
        """ "Got it: Dallas instead.": a new city or new dates are said back, so the user knows they were heard and
        what is searched now."""
        lead: list[str | Pause] = []
        if "city" in changed and trip.city:
            lead.append(self._say("CHANGED_CITY", city=_short(trip.city)))
        if changed & {"pickupDate", "returnDate", "duration"}:
            lead.append(self._say("CHANGED_DATES", trip=self._describe(trip, dates)))
        # A new size or company needs no words of its own: the offer that follows names both.
        return lead

    def _ask_size(self, trip: Trip, dates: TripDates, lead: list[str | Pause]) -> Reply:
        if lead:  # the correction said the trip already
            question = [self._say("ASK_SIZE_SHORT")]
        else:
            question = [self._say("ASK_SIZE", city=_short(trip.city or ""), trip=self._describe(trip, dates))]
        if dates.return_assumed and not lead:  # say what is assumed, and how to change it
            city, when = _short(trip.city or ""), self._describe(trip, dates)
            question = [self._say("RETURN_ASSUMED", city=city, trip=when), self._say("ASK_SIZE_SHORT")]
        return self._ask(trip, Asked.CAR_SIZE, [*lead, *question], self._say("ASK_SIZE_REPROMPT"))

    def _describe(self, trip: Trip, dates: TripDates) -> str:
        return self._dates.trip(dates, self._today())

    def _too_long(self, trip: Trip) -> Reply | None:
        """A length over the limit is refused when it is said, before the pickup date is asked: the rest stays."""
        if trip.pickup_value or not trip.duration_value:
            return None
        days = rental_days(trip.duration_value)
        if days is None or days <= self._max_days:
            return None
        trip.duration_value = None
        if not trip.city:
            return None
        return self._ask(trip, Asked.PICKUP_DATE,
                         [self._say("TRIP_TOO_LONG_ASK_DATE", days=self._dates.length(self._max_days),
                                    city=_short(trip.city))],
                         self._say("ASK_DATE_REPROMPT"))  # fmt: skip

    def _pick_city(self, choices: list[str], slots: dict[str, str | None]) -> str | None:
        """Which of the cities offered the answer names: "the first one", "Oregon", "the one in Maine", "Portland,
        Oregon". The choices are "Portland, Oregon"-like names, which the search API takes as they are."""
        ordinal = slots.get("choice")
        if ordinal and ordinal.isdigit() and 1 <= int(ordinal) <= len(choices):
            return choices[int(ordinal) - 1]
        said = f" {' '.join(filter(None, (slots.get('city'), slots.get('state')))).lower()} "
        named = [choice for choice in choices if f" {choice.rsplit(',', 1)[-1].strip().lower()} " in said]
        return named[0] if len(named) == 1 else None

    def _which_city_again(self, trip: Trip) -> Reply:
        choices = self._either(trip.choices or [])
        return self._ask(trip, Asked.WHICH_CITY, [self._say("ASK_WHICH_CITY_AGAIN", choices=choices)],
                         self._say("ASK_WHICH_CITY_AGAIN", choices=choices))  # fmt: skip

    def _ensure_search(self, trip: Trip, caller: Caller, dates: TripDates) -> Reply | None:
        """Starts the search unless one for exactly this trip runs already; a Reply when it could not. NoTimeLeft
        when the turn's time ran out first: the API may have started it, and the next turn's POST, with the same
        Idempotency-Key, gets the same search."""
        wanted = f"{trip.city}|{dates.pickup_date}|{dates.return_date}"
        if trip.token and trip.searched == wanted:
            return None
        # The same key for the same trip in the same session: a retried request never starts two searches.
        key = hashlib.sha256(f"{caller.session_id}|{wanted}".encode()).hexdigest()[:40]
        try:
            started = self._search.start(trip.city or "", dates.pickup_date, dates.return_date, caller.user, key,
                                         within_s=self._left(caller))  # fmt: skip
        except SearchUnavailable as error:
            return self._api_down(trip, error)
        if isinstance(started, Rejected):
            return self._rejected(trip, started)
        trip.token, trip.city = started.token, started.city
        trip.searched = f"{started.city}|{dates.pickup_date}|{dates.return_date}"
        self._started_now = True
        return None

    def _rejected(self, trip: Trip, rejected: Rejected) -> Reply:
        city = rejected.about("city")
        if city is not None:
            said, trip.city = trip.city or "", None
            if city.code == "ambiguous_city":
                choices = city.details.get("spoken") or city.details.get("candidates", [])
                if trip.choices == choices:  # asked already: say what is missing rather than the same words
                    return self._which_city_again(trip)
                trip.choices = choices
                return self._ask(trip, Asked.WHICH_CITY, [self._say("ASK_WHICH_CITY", choices=self._either(choices))],
                                 self._say("ASK_WHICH_CITY_REPROMPT", choices=self._either(choices)))  # fmt: skip
            suggestions = city.details.get("spoken") or city.details.get("suggestions") or []
            if suggestions:
                text = self._say("UNKNOWN_CITY_SUGGEST", city=said, suggestion=suggestions[0])
            else:
                text = self._say("UNKNOWN_CITY_NO_SUGGESTION", city=said)
            return self._ask(trip, Asked.CITY, [text], self._say("ASK_CITY_REPROMPT"))
        pickup, back = rejected.about("pickupDate"), rejected.about("returnDate")
        if back is not None and pickup is None:  # the pickup stands: only the return is asked again
            trip.return_value = trip.duration_value = None
            if back.code == "too_long":
                days = int(back.details.get("maxDays") or self._max_days)
                text = self._say("TRIP_TOO_LONG", days=self._dates.length(days))
            else:
                text = self._say("RETURN_BEFORE_PICKUP")
            return self._ask(trip, Asked.RETURN_DATE, [text], self._say("ASK_RETURN_REPROMPT"))
        trip.pickup_value = trip.return_value = trip.duration_value = None
        if pickup is not None and pickup.code == "too_far_ahead" and pickup.details.get("latest"):
            latest = date.fromisoformat(pickup.details["latest"])
            text = self._say("TOO_FAR_AHEAD", latest=self._dates.day(latest, self._today(), with_year=True))
        elif pickup is not None and pickup.code == "past_date":
            text = self._say("PAST_DATE")
        else:
            text = self._say("TOO_VAGUE_DATE")
        return self._ask(trip, Asked.PICKUP_DATE, [text], self._say("ASK_DATE_REPROMPT"))

    def _date_problem(self, trip: Trip, problem: TripProblem) -> Reply:
        """Asks again for the part of the dates that has the problem, and keeps the rest."""
        if problem.slot == "pickupDate":
            trip.pickup_value = None
            keys = {"past": "PAST_DATE", "too_vague": "TOO_VAGUE_DATE", "unparseable": "UNCLEAR_DATE",
                    "missing": "ASK_DATE_REPROMPT"}  # fmt: skip
            return self._ask(trip, Asked.PICKUP_DATE, [self._say(keys.get(problem.kind, "UNCLEAR_DATE"))],
                             self._say("ASK_DATE_REPROMPT"))  # fmt: skip
        trip.return_value = trip.duration_value = None
        if problem.kind == "too_long":
            text = self._say("TRIP_TOO_LONG", days=self._dates.length(self._max_days))
        elif problem.kind == "return_before_pickup":
            text = self._say("RETURN_BEFORE_PICKUP")
        else:
            text = self._say("UNCLEAR_RETURN")
        return self._ask(trip, Asked.RETURN_DATE, [text], self._say("ASK_RETURN_REPROMPT"))

    def _ask(self, trip: Trip, asked: Asked, speech_parts: list[str | Pause], reprompt: str) -> Reply:
        # The question of the last turn again, word for word, would sound as if the answer went unheard: its
        # reprompt, in other words and with an example, asks it instead.
        if asked is trip.asked and trip.last_speech == speech.ssml(*speech_parts):
            speech_parts = [reprompt]
        trip.asked = asked
        return Reply(speech_parts, reprompt, elicit=asked.slot)

    def _question(self, trip: Trip) -> Reply | None:
        """The question the dialog is waiting on, asked again after an aside ("which companies do you search?")."""
        if trip.asked is None or trip.last_speech is None:
            return None
        return Reply([speech.plain(trip.last_reprompt or trip.last_speech)], trip.last_reprompt,
                     elicit=trip.asked.slot)  # fmt: skip

    def _aside(self, trip: Trip, text: str, fallback_question: str = "WELCOME_REPROMPT") -> Reply:
        """An answer to a question beside the dialog, then back to where the dialog was. Not repeatable: "repeat"
        still says the dialog's own question or offer."""
        question = self._question(trip)
        if question is None:
            return Reply([text, speech.pause(), self._say(fallback_question)], self._say(fallback_question),
                         repeatable=False)  # fmt: skip
        return Reply([text, speech.pause(), *question.speech], question.reprompt, elicit=question.elicit,
                     repeatable=False)  # fmt: skip

    # --- yes and no ---------------------------------------------------------------------------------------

    def answer(self, trip: Trip, caller: Caller, yes: bool) -> Reply:
        """Yes or no, read as the answer to the last question."""
        asked = trip.asked
        if asked is Asked.RESUME:  # "Welcome back. Shall I carry on with your search ...?"
            if yes:
                return self.carry_on(trip, caller)
            trip.clear()
            return self.start_over(trip)
        if asked is Asked.COMPANY_YES_NO:
            if yes:
                return self._ask(trip, Asked.COMPANY, [self._say("ASK_WHICH_COMPANY")],
                                 self._say("ASK_COMPANY_REPROMPT"))  # fmt: skip
            trip.company = ANY
            return self.results(trip, caller)
        if asked is Asked.CAR_SIZE and not yes:  # "What size?" "No (preference)."
            return self.find_car(trip, caller, Said({"carSize": ANY}))
        if asked is Asked.ALTERNATIVE and trip.alternative:
            if yes:
                trip.size, trip.company = trip.alternative["size"], trip.alternative["company"]
                trip.alternative, trip.offer_index, trip.best_so_far = None, 0, None
                return self.results(trip, caller)
            trip.alternative, trip.asked = None, Asked.OFFERS
            return Reply([self._say("ALTERNATIVE_DECLINED")], self._say("ALTERNATIVE_DECLINED"), repeatable=False)
        if asked is Asked.RETRY:
            return self.find_car(trip, caller, Said()) if yes else self.goodbye()
        if asked is Asked.OFFERS:  # "Would you like that one?" is what an offer asks, whatever its words
            return self.book(trip, caller) if yes else self.next_offer(trip, caller)
        if asked is Asked.RESULTS:
            if yes:
                return self.check_results(trip, caller)
            return Reply([self._say("WAITING_ON_YOU")], self._say("RESULTS_NOT_READY_REPROMPT"), repeatable=False)
        if asked is None:  # after the welcome: yes, let's go; no, nothing today
            if yes:
                return self._ask(trip, Asked.CITY, [self._say("ASK_CITY_AFTER_YES")], self._say("ASK_CITY_REPROMPT"))
            return self.goodbye()
        return self.fallback(trip)

    def _refused(self, trip: Trip) -> Reply:
        """The API refused the skill's own request, and neither dropping a filter nor searching again helped: asking
        again would be refused again, so the user is not offered a retry but a fresh start."""
        log.error("the search API refused the skill's request for the results")
        trip.asked = Asked.RESULTS
        return Reply([self._say("REQUEST_REFUSED")], self._say("HELP_RESULTS"), repeatable=False)

    def _api_down(self, trip: Trip, error: Exception) -> Reply:
        """The trip is kept: "yes" (or any answer that continues the dialog) tries the API again. A 429 is not the
        API being down: the searches are at capacity, and trying again in a moment is the right advice."""
        trip.asked = Asked.RETRY
        said = "API_BUSY" if isinstance(error, SearchBusy) else "API_DOWN"
        return Reply([self._say(said)], self._say("API_DOWN_REPROMPT"), repeatable=False)

    # --- the results ------------------------------------------------------------------------------------

    def results(self, trip: Trip, caller: Caller, lead: list[str | Pause] | None = None, step: int = 0) -> Reply:
        """The last turn: the best offer for what was asked, waiting for it within Alexa's time limit. `step`: +1
        for the offer after the one heard ("next"), -1 for the one before ("go back"), counted in the results as
        they are now: companies that answered since may have put offers before it."""
        lead = lead or []
        if not trip.token:
            if trip.city and trip.pickup_value:
                return self.find_car(trip, caller, Said())
            return Reply([self._say("CHECK_RESULTS_NO_SEARCH")], self._say("ASK_CITY_REPROMPT"), repeatable=False)
        try:
            found = self._wait_for_results(trip, caller)
        except SearchUnavailable as error:
            return self._api_down(trip, error)
        except RequestRefused:
            return self._refused(trip)
        if self._filter_dropped:
            lead = [*lead, self._say("FILTER_DROPPED")]
        if found is None:
            return Reply([*lead, self._say("SEARCH_FAILED")], self._say("HELP_RESULTS"))
        if not found.ready:
            return self._not_ready(trip, found, lead)
        if found.status == "failed" and found.company_failed and (found.same_size or found.cheapest):
            return self._no_match(trip, found, lead)  # the companies that did answer have what was asked for
        if found.status == "failed":
            return Reply([*lead, self._say("SEARCH_FAILED")], self._say("HELP_RESULTS"))
        if not found.offers:
            return self._no_match(trip, found, lead)
        if step:
            lead = self._step(trip, found, step, lead)
        if trip.offer_index >= len(found.offers):
            trip.offer_index = max(0, len(found.offers) - 1)
            trip.asked = Asked.OFFERS
            return Reply([self._say("NO_MORE_OFFERS")], self._say("HELP_RESULTS"), repeatable=False)
        return self._speak_offer(trip, found, lead)

    def _step(self, trip: Trip, found: Results, step: int, lead: list[str | Pause]) -> list[str | Pause]:
        """Moves to the offer before or after the one heard, found by its id: an index alone would name another
        offer once a company answered meanwhile, and "next" would say the offer just heard again. After a best
        offer so far, a cheaper one that came in since is said first, as "are my results ready?" would."""
        heard = next((i for i, offer in enumerate(found.offers) if trip.heard and offer.offer_id == trip.heard), None)
        best = found.offers[0]
        if step > 0 and trip.best_so_far is not None and best.total_price <= trip.best_so_far - BETTER_BY_DOLLARS:
            trip.offer_index = 0
            return [*lead, self._say("BETTER_FOUND")]
        trip.offer_index = max(0, (trip.offer_index if heard is None else heard) + step)
        return lead

    def _not_ready(self, trip: Trip, found: Results, lead: list[str | Pause]) -> Reply:
        trip.asked = Asked.RESULTS
        if found.searching:
            text = self._say("RESULTS_NOT_READY", companies=self._list(found.searching))
        else:
            text = self._say("RESULTS_NOT_READY_ANY")
        return Reply([*lead, text], self._say("RESULTS_NOT_READY_REPROMPT"))

    def _speak_offer(self, trip: Trip, found: Results, lead: list[str | Pause]) -> Reply:
        trip.asked = Asked.OFFERS
        offer = found.offers[trip.offer_index]
        trip.heard = offer.offer_id or None
        first = trip.offer_index == 0
        parts: list[str | Pause] = list(lead)
        if found.status == "partial" and first:
            # The slower companies are often the cheapest: the best so far is said as that, never as the best.
            trip.best_so_far = offer.total_price
            parts += [self._offer("OFFER_SO_FAR", offer), *self._age(offer)]
            parts += [speech.pause(), self._say("STILL_CHECKING", companies=self._list(found.searching))]
        else:
            if found.status == "complete":
                trip.best_so_far = None
            parts += [self._offer("OFFER" if first else "NEXT_OFFER", offer), *self._age(offer)]
            last = trip.offer_index + 1 >= found.offer_count and found.status == "complete"
            hint = "OFFER_NEXT_HINT" if not last else "ONLY_OFFER_HINT" if found.offer_count == 1 else "LAST_OFFER_HINT"
            parts += [speech.pause(), self._say(hint)]
        return Reply(parts, self._say("HELP_RESULTS"), card=self._card(found))

    def check_results(self, trip: Trip, caller: Caller) -> Reply:
        """ "Are my results ready?": the results, or after a best-so-far offer, whether something better came in."""
        if trip.asked is Asked.OFFERS and trip.best_so_far is None and trip.token:
            return self.results(trip, caller, [self._say("ALL_IN")])  # they were, and the offer heard stands
        if trip.asked is not Asked.OFFERS or trip.best_so_far is None or not trip.token:
            return self.results(trip, caller)
        before = trip.best_so_far
        trip.offer_index = 0
        try:
            found = self._wait_for_results(trip, caller)
        except SearchUnavailable as error:
            return self._api_down(trip, error)
        except RequestRefused:
            return self._refused(trip)
        if found is None or not found.offers:
            return self.results(trip, caller)
        best = found.offers[0]
        if best.total_price <= before - BETTER_BY_DOLLARS:
            return self._speak_offer(trip, found, [self._say("BETTER_FOUND")])
        if found.status == "partial":
            trip.asked = Asked.OFFERS
            text = self._say("NOTHING_BETTER_YET", companies=self._list(found.searching))
            return Reply([text], self._say("HELP_RESULTS"), repeatable=False)
        trip.best_so_far = None
        text = self._say("NOTHING_BETTER", price=self._price(best.total_price), company=best.supplier_name)
        return Reply([text, speech.pause(), self._say("OFFER_NEXT_HINT")], self._say("HELP_RESULTS"),
                     repeatable=False)  # fmt: skip

    def next_offer(self, trip: Trip, caller: Caller) -> Reply:
        if trip.asked is Asked.RESULTS:  # "next" while the companies are still answering: the results so far
            return self.results(trip, caller)
        if trip.asked is not Asked.OFFERS:
            return self._not_yet(trip)
        return self.results(trip, caller, step=1)

    def previous_offer(self, trip: Trip, caller: Caller) -> Reply:
        if trip.asked is not Asked.OFFERS:
            return self._not_yet(trip)
        if trip.offer_index == 0:
            reply = self.results(trip, caller, [self._say("FIRST_OFFER")])
            reply.repeatable = False
            return reply
        return self.results(trip, caller, step=-1)

    def _not_yet(self, trip: Trip) -> Reply:
        """Asked about offers before there are any: say so, and ask what the dialog needs. After another car was
        suggested instead of the one asked for, there is an offer: the question about it comes first."""
        if trip.asked is Asked.ALTERNATIVE:
            return Reply([self._say("ANSWER_ALTERNATIVE_FIRST")], self._say("YES_NO_REPROMPT"), repeatable=False)
        return self._aside(trip, self._say("NO_OFFER_YET"), "ASK_CITY_REPROMPT")

    def price(self, trip: Trip, caller: Caller) -> Reply:
        current = self._current(trip, caller)
        if not isinstance(current, Offer):
            return current
        text = self._say(
            "PRICE",
            price=self._price(current.total_price),
            days=self._dates.length(current.days),
            daily=self._price(current.daily_rate),
            company=current.supplier_name,
        )
        return self._aside(trip, text)

    def cheaper(self, trip: Trip, caller: Caller) -> Reply:
        """The cheapest car for the same size from any company, else the cheapest of all, when cheaper than the
        offer just heard. While companies are still answering after the best offer so far, what is cheaper is what
        they bring: "anything better?" is "are my results ready?"."""
        if trip.asked is Asked.OFFERS and trip.best_so_far is not None and trip.token:
            return self.check_results(trip, caller)
        current = self._current(trip, caller)
        if not isinstance(current, Offer):
            return current
        try:
            candidates = [
                self._search.results(trip.token or "", caller.user, trip.size, None, 1, self._left(caller)),
                self._search.results(trip.token or "", caller.user, None, None, 1, self._left(caller)),
            ]
        except (SearchUnavailable, SearchGone, NoTimeLeft) as error:
            return self._api_down(trip, error)
        for found in candidates:
            if found.offers and found.offers[0].total_price <= current.total_price - BETTER_BY_DOLLARS:
                offer = found.offers[0]
                trip.alternative = {"size": offer.car_class, "company": offer.supplier}
                trip.asked = Asked.ALTERNATIVE
                car = speech.with_article(speech.car_phrase(offer.car_class_name))
                if _set(trip.size) and offer.car_class != trip.size:  # say it is not the size asked for
                    text = self._say("CHEAPER_OTHER_SIZE", asked=speech.car_phrase(self._class(trip.size)), car=car,
                                     company=offer.supplier_name, price=self._price(offer.total_price))  # fmt: skip
                else:
                    text = self._say("CHEAPER", car=car, company=offer.supplier_name,
                                     price=self._price(offer.total_price))  # fmt: skip
                return Reply([text], self._say("YES_NO_REPROMPT"))
        return self._aside(trip, self._say("NOTHING_CHEAPER", price=self._price(current.total_price)))

    def send_to_phone(self, trip: Trip, caller: Caller) -> Reply:
        found = self._current_results(trip, caller)
        if not isinstance(found, Results):
            return found
        reply = self._aside(trip, self._say("SENT_TO_PHONE"))
        reply.card = self._card(found, trip.offer_index)
        return reply

    def book(self, trip: Trip, caller: Caller) -> Reply:
        found = self._current_results(trip, caller)
        if not isinstance(found, Results):
            return found
        offer = found.offers[min(trip.offer_index, len(found.offers) - 1)]
        reply = self._aside(trip, self._say("HOW_TO_BOOK", company=offer.supplier_name))
        reply.card = self._card(found, trip.offer_index)
        return reply

    def _current_results(self, trip: Trip, caller: Caller) -> Results | Reply:
        """The results behind the offer the user just heard; a Reply when there is no offer to talk about."""
        if trip.asked not in (Asked.OFFERS, Asked.ALTERNATIVE) or not trip.token:
            return self._not_yet(trip)
        try:
            found = self._search.results(trip.token, caller.user, trip.size, trip.company, limit=trip.offer_index + 5,
                                         within_s=self._left(caller))  # fmt: skip
        except (SearchGone, RequestRefused):
            return self.results(trip, caller)  # expired meanwhile, or refused: results() searches again or says why
        except (SearchUnavailable, NoTimeLeft) as error:
            return self._api_down(trip, error)
        return found if found.offers else self._not_yet(trip)

    def _current(self, trip: Trip, caller: Caller) -> Offer | Reply:
        found = self._current_results(trip, caller)
        if not isinstance(found, Results):
            return found
        return found.offers[min(trip.offer_index, len(found.offers) - 1)]

    def _wait_for_results(self, trip: Trip, caller: Caller) -> Results | None:
        """The results once they are ready, or when nothing more can come in before the turn's deadline: the
        results so far. None when the search is gone for good. Every call gets the time left, so the turn answers
        by its deadline whatever the API does."""
        restarted = False
        told = False
        polls = 0
        found: Results | None = None
        while True:
            polls += 1
            try:
                found = self._search.results(trip.token or "", caller.user, trip.size, trip.company,
                                             limit=trip.offer_index + CARD_OFFERS,
                                             within_s=self._left(caller))  # fmt: skip
            except NoTimeLeft:
                return found or NOTHING_YET
            except RequestRefused as refused:
                if self._drop_refused_filters(trip, refused):
                    continue
                if restarted or not SEARCH_FIELDS & set(refused.fields):
                    raise
            except SearchGone:
                if restarted:
                    return None
            else:
                if found.status in ("complete", "failed") or not self._worth_waiting(found, caller, polls):
                    return found
                if not told and self._expected_in_time(found, caller):
                    left = self._left(caller)
                    self._progressive(caller, speech.ssml(self._say("STILL_SEARCHING_PROGRESSIVE")),
                                      left - MIN_POLL_S)  # fmt: skip
                    told = True
                self._sleep(max(0.0, min(self._poll_s, self._left(caller) - MIN_POLL_S)))
                continue
            # Expired or unknown (or a token the API refused): the same trip is searched again, without troubling the
            # user.
            restarted = True
            trip.token = None
            dates = resolve_trip(trip.pickup_value, trip.return_value, trip.duration_value, self._today(),
                                 self._max_days)  # fmt: skip
            if isinstance(dates, TripProblem):
                return None
            try:
                if self._ensure_search(trip, caller, dates) is not None:
                    return None
            except NoTimeLeft:
                return NOTHING_YET

    def _drop_refused_filters(self, trip: Trip, refused: RequestRefused) -> bool:
        """A size or company the API does not know (the interaction model and the API disagree): the search goes on
        without it, and the answer says so. Whether one was dropped."""
        dropped = False
        if "CarSize" in refused.fields and _set(trip.size):
            log.warning("the search API refused the car size %r", trip.size)
            trip.size, dropped = "any", True
        if "Supplier" in refused.fields and _set(trip.company):
            log.warning("the search API refused the company %r", trip.company)
            trip.company, dropped = "any", True
        self._filter_dropped = self._filter_dropped or dropped
        return dropped

    def _worth_waiting(self, found: Results, caller: Caller, polls: int) -> bool:
        """Whether another poll may bring what is missing before the deadline. A company that usually answers later
        than that is not waited for: the user hears at once that it is still searching (or the best offer so far),
        rather than after the wait. A search this turn started is polled once more first: the search service's
        quote cache may answer it within moments, whatever the companies' usual times."""
        if self._left(caller) < MIN_POLL_S:
            return False
        return (polls == 1 and self._started_now) or self._expected_in_time(found, caller)

    def _expected_in_time(self, found: Results, caller: Caller) -> bool:
        return found.next_expected_s is None or found.next_expected_s <= self._left(caller)

    def _left(self, caller: Caller) -> float:
        """The time the turn's calls have left: until its deadline, less the time to answer."""
        return caller.started + self._deadline_s - ANSWER_S - self._clock()

    def _no_match(self, trip: Trip, found: Results, lead: list[str | Pause]) -> Reply:
        asked_car = speech.with_article(speech.car_phrase(self._class(trip.size))) if _set(trip.size) else ""
        company = found.same_supplier.supplier_name if found.same_supplier else self._company(trip.company)
        if found.no_counter and (offer := found.same_size or found.cheapest) is not None:
            text = self._say("NO_COUNTER", company=company, city=_short(trip.city or ""),
                             other_company=offer.supplier_name,
                             car=speech.with_article(speech.car_phrase(offer.car_class_name)),
                             price=self._price(offer.total_price))  # fmt: skip
        elif found.company_failed and (offer := found.same_size or found.cheapest) is not None:
            # Not "doesn't have": the company could not be asked.
            text = self._say("COMPANY_FAILED", company=company, other_company=offer.supplier_name,
                             car=speech.with_article(speech.car_phrase(offer.car_class_name)),
                             price=self._price(offer.total_price))  # fmt: skip
        elif found.same_size is not None and _set(trip.company):
            offer = found.same_size
            text = self._say("NO_MATCH_SAME_SIZE", company=company, car=asked_car or self._say("PART_A_CAR"),
                             other_company=offer.supplier_name, price=self._price(offer.total_price))  # fmt: skip
        elif found.same_supplier is not None and _set(trip.size):
            offer = found.same_supplier
            text = self._say("NO_MATCH_SAME_COMPANY", company=company, car=asked_car,
                             other_car=speech.with_article(speech.car_phrase(offer.car_class_name)),
                             price=self._price(offer.total_price))  # fmt: skip
        elif found.cheapest is not None:
            offer = found.cheapest
            text = self._say("NO_MATCH_CHEAPEST", car=speech.with_article(speech.car_phrase(offer.car_class_name)),
                             company=offer.supplier_name, price=self._price(offer.total_price))  # fmt: skip
        else:
            return Reply([*lead, self._say("NO_CARS")], self._say("HELP_RESULTS"))
        trip.alternative = {"size": offer.car_class, "company": offer.supplier}
        trip.asked = Asked.ALTERNATIVE
        return Reply([*lead, text], self._say("YES_NO_REPROMPT"))

    def _offer(self, key: str, offer: Offer) -> str:
        return self._say(
            key,
            car=speech.with_article(speech.car_phrase(offer.car_class_name)),
            company=offer.supplier_name,
            price=self._price(offer.total_price),
            model=offer.example_model,
            location=offer.location_name,
            days=self._dates.length(offer.days),
        )

    def _age(self, offer: Offer) -> list[str | Pause]:
        """ "These prices are from 4 minutes ago.": a price another search got, reused (the quote cache)."""
        if offer.quoted_at is None:
            return []
        minutes = int((self._now() - offer.quoted_at).total_seconds() // 60)
        if minutes * 60 < SAY_AGE_AFTER_S:
            return []
        age = self._say("PART_A_MINUTE") if minutes == 1 else self._say("PART_MINUTES", count=minutes)
        return [self._say("QUOTE_AGE", age=age)]

    def _card(self, found: Results, first: int = 0) -> tuple[str, str]:
        """The offers as the Alexa app shows them, from the one just heard: its title, and a line per offer."""
        offers = found.offers[first : first + CARD_OFFERS] or found.offers[:CARD_OFFERS]
        lines = [
            self._say(
                "CARD_OFFER_LINE",
                company=o.supplier_name,
                car=speech.car_phrase(o.car_class_name),
                price=speech.price_text(o.total_price),
                location=o.location_name,
            )
            for o in offers
        ]
        return self._say("CARD_TITLE"), "\n".join(lines)

    # --- what the skill can do, and leaving ----------------------------------------------------------------

    def companies(self, trip: Trip) -> Reply:
        return self._aside(trip, self._say("COMPANIES"))

    def car_sizes(self, trip: Trip) -> Reply:
        return self._aside(trip, self._say("CAR_SIZES"))

    def thanks(self) -> Reply:
        return Reply([self._say("YOU_ARE_WELCOME")], end_session=True)

    def welcome(self, trip: Trip) -> Reply:
        if trip.token and (dates := trip.searched_dates()):  # a trip kept from an earlier session (skill.last_trip)
            return self._welcome_back(trip, TripDates(*dates, return_source="date"))
        trip.asked = None
        return Reply([self._say("WELCOME")], self._say("WELCOME_REPROMPT"))

    def _welcome_back(self, trip: Trip, dates: TripDates) -> Reply:
        """ "Welcome back. Shall I carry on with your search for a car in Denver from Friday, December 4 to Monday,
        December 7?": the dates themselves, not the words said days ago ("next weekend")."""
        text = self._say("WELCOME_BACK", city=_short(trip.city or ""), trip=self._describe(trip, dates))
        return self._ask(trip, Asked.RESUME, [text], self._say("WELCOME_BACK_REPROMPT"))

    def carry_on(self, trip: Trip, caller: Caller) -> Reply:
        """Yes to the welcome back: the question the dialog had got to, or the results."""
        trip.asked = None
        return self.find_car(trip, caller, Said())

    def goodbye(self) -> Reply:
        return Reply([self._say("GOODBYE")], end_session=True)

    def start_over(self, trip: Trip) -> Reply:
        """`trip` is a new, empty one: the old trip and its search are forgotten."""
        return self._ask(trip, Asked.CITY, [self._say("START_OVER")], self._say("ASK_CITY_REPROMPT"))

    def repeat(self, trip: Trip) -> Reply:
        if not trip.last_speech:
            return Reply([self._say("NOTHING_TO_REPEAT")], self._say("WELCOME_REPROMPT"), repeatable=False)
        asked = trip.asked.slot if trip.asked else None
        return Reply([speech.plain(trip.last_speech)], trip.last_reprompt, elicit=asked)

    def error(self) -> Reply:
        return Reply([self._say("ERROR")], self._say("WELCOME_REPROMPT"), repeatable=False)

    # --- help and recovery ------------------------------------------------------------------------------

    def help(self, trip: Trip) -> Reply:
        text = self._help_text(trip)
        return Reply([text], text, elicit=trip.asked.slot if trip.asked else None, repeatable=False)

    def _help_text(self, trip: Trip) -> str:
        keys = {
            Asked.CITY: "HELP_CITY",
            Asked.WHICH_CITY: "HELP_WHICH_CITY",
            Asked.PICKUP_DATE: "HELP_DATE",
            Asked.RETURN_DATE: "HELP_RETURN",
            Asked.CAR_SIZE: "HELP_SIZE",
            Asked.COMPANY: "HELP_COMPANY",
            Asked.COMPANY_YES_NO: "HELP_COMPANY",
            Asked.OFFERS: "HELP_RESULTS",
            Asked.ALTERNATIVE: "HELP_ALTERNATIVE",
            Asked.RESULTS: "HELP_WAITING",
            Asked.RETRY: "API_DOWN_REPROMPT",
            Asked.RESUME: "HELP_RESUME",
        }
        key = keys.get(trip.asked) if trip.asked else None
        return self._say(key or "HELP_START")

    def fallback(self, trip: Trip) -> Reply:
        """What was said does not fit: an example that fits this point of the dialog, and the question again."""
        examples = {
            Asked.CITY: "PART_EXAMPLE_CITY",
            Asked.WHICH_CITY: "PART_EXAMPLE_WHICH_CITY",
            Asked.PICKUP_DATE: "PART_EXAMPLE_DATE",
            Asked.RETURN_DATE: "PART_EXAMPLE_RETURN",
            Asked.CAR_SIZE: "PART_EXAMPLE_SIZE",
            Asked.COMPANY: "PART_EXAMPLE_COMPANY",
            Asked.COMPANY_YES_NO: "PART_EXAMPLE_COMPANY_YES_NO",
            Asked.OFFERS: "PART_EXAMPLE_OFFERS",
            Asked.ALTERNATIVE: "PART_EXAMPLE_YES_NO",
            Asked.RETRY: "PART_EXAMPLE_YES_NO",
            Asked.RESULTS: "PART_EXAMPLE_RESULTS",
            Asked.RESUME: "PART_EXAMPLE_YES_NO",
        }
        key = examples.get(trip.asked) if trip.asked else None
        key = key or "PART_EXAMPLE_START"
        trip.misses += 1
        if trip.misses % 2 == 0:  # never the same words twice in a row: what can be said here, in full
            said: list[str | Pause] = [self._say("FALLBACK_AGAIN"), self._help_text(trip)]
        else:
            said = [self._say("FALLBACK", example=self._say(key))]
        return Reply(said, trip.last_reprompt or self._say("WELCOME_REPROMPT"),
                     elicit=trip.asked.slot if trip.asked else None, repeatable=False)  # fmt: skip

    # --- words for codes, prices and lists ---------------------------------------------------------------------

    def _price(self, amount: float) -> str:
        dollars = speech.whole_dollars(amount)
        return self._say("PART_ONE_DOLLAR") if dollars == 1 else self._say("PART_DOLLARS", amount=dollars)

    def _list(self, items: list[str] | tuple[str, ...]) -> str:
        return speech.spoken_series(items, self._say("PART_AND"))

    def _either(self, items: list[str] | tuple[str, ...]) -> str:
        return speech.spoken_series(items, self._say("PART_OR"))

    def _class(self, code: str | None) -> str:
        """A car class's name, for a class the user asked for and no offer names."""
        return self._say(CLASS_KEYS.get(code or ANY, "PART_CLASS_ANY"))

    def _company(self, code: str | None) -> str:
        return self._say(COMPANY_KEYS.get(code or ANY, "PART_COMPANY_ANY"))


def _set(value: str | None) -> bool:
    return bool(value) and value != ANY


def _short(city: str) -> str:
    """ "New York, NY" is spoken "New York": the state only matters when the name is shared. A city as said, before
    the search API has named it ("dallas"), is written as a name, for the Alexa app and the chat."""
    name = city.split(",")[0]
    return name.title() if name.islower() else name
