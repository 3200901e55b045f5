"""The paths a traveller takes off the workshop conversation, each played as a whole conversation: answering a
question with something the skill does not search, changing one's mind, asking about the offer, and the turns
that used to dead-end (each named after what a person or a simulator hit). The skill's lambda_handler talks to both
search Lambdas over HTTP; what is asserted is what Alexa would say and do.

Today is Monday 23 November 2026 (the `clock` fixture): "next weekend" is Saturday 28 to Monday 30 November.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from search_service.domain.cities import CityCatalog
from search_service.domain.fleet import SUPPLIERS_BY_CODE
from search_service.providers.simulated import simulated_providers
from tests.builders.alexa import unresolved
from tests.builders.http_api import serve
from tests.builders.stack import Stack, build_stack
from tests.builders.talk import NOW, Talk, skill
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import DiscountSupplier, GatedSupplier

OFFER = re.compile(r"^(OK, I found|Good news:|Here's another option:|Next,)")
COMPANIES = "Enterprise, National, Alamo, Hertz, Avis, Budget, Sixt, Dollar and Thrifty"


def offer_in(said: str) -> str:
    """The offer's own sentence, without what follows it ("Say next to hear...")."""
    return said.split(" You'd pick it up at ")[0]


def ask_size(talk: Talk, city: str = "Denver", pickup: str = "2026-W48-WE") -> str:
    return talk.say(f"find a car in {city}", "FindCarIntent", {"city": city, "pickupDate": pickup}, state="STARTED")


def offered(talk: Talk, size: str = "compact", company: str = "any") -> str:
    """A Denver trip next weekend searched, and the first offer heard."""
    said = talk.say(
        "find a car in Denver next weekend",
        "FindCarIntent",
        {"city": "Denver", "pickupDate": "2026-W48-WE", "carSize": size, "company": company},
        state="STARTED",
    )
    assert OFFER.match(said), said
    return said


# --- a city that more than one state has ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "slots", "city"),
    [
        ("Oregon", {"state": "Oregon"}, "Portland, OR"),
        ("Oregon (heard as a city)", {"city": "Oregon"}, "Portland, OR"),
        ("the one in Maine", {"state": "Maine"}, "Portland, ME"),
        ("the second one", {"choice": "2"}, "Portland, ME"),
        ("Portland, Maine", {"city": "Portland, Maine"}, "Portland, ME"),
    ],
)
def test_which_portland_is_answered_by_the_state_an_ordinal_or_both(
    talk: Talk, answer: str, slots: dict[str, str], city: str
) -> None:
    assert ask_size(talk, "Portland") == "Did you mean Portland, Oregon or Portland, Maine?"
    said = talk.say(answer, "FindCarIntent", slots)
    assert said.startswith("I'll look in Portland from Saturday, November 28 to Monday, November 30"), said
    assert talk.conversation.session.attributes["trip"]["city"] == city
    assert talk.elicited == "carSize"


@pytest.mark.parametrize(
    ("answer", "slots", "city"),
    [
        ("the one in Illinois", {"state": "Illinois"}, "Springfield, IL"),
        ("the first one", {"choice": "1"}, "Springfield, IL"),
        ("the third one", {"choice": "3"}, "Springfield, MA"),
        ("Springfield, Missouri", {"city": "Springfield", "state": "Missouri"}, "Springfield, MO"),
    ],
)
def test_which_of_three_springfields(talk: Talk, answer: str, slots: dict[str, str], city: str) -> None:
    asked = ask_size(talk, "Springfield")
    assert asked == "Did you mean Springfield, Illinois; Springfield, Missouri or Springfield, Massachusetts?", asked
    said = talk.say(answer, "FindCarIntent", slots)
    assert said.startswith("I'll look in Springfield from Saturday, November 28 to Monday, November 30"), said
    assert talk.conversation.session.attributes["trip"]["city"] == city


def test_a_city_said_with_its_state_is_never_asked_which(talk: Talk) -> None:
    said = talk.say("find a car in Portland Maine next weekend", "FindCarIntent",
                    {"city": "Portland", "state": "Maine", "pickupDate": "2026-W48-WE"}, state="STARTED")  # fmt: skip
    assert said.startswith("I'll look in Portland from Saturday, November 28"), said
    assert talk.conversation.session.attributes["trip"]["city"] == "Portland, ME"


def test_a_state_that_is_not_one_of_the_choices_asks_again_in_other_words(talk: Talk) -> None:
    first = ask_size(talk, "Portland")
    again = talk.say("Texas", "FindCarIntent", {"state": "Texas"})
    assert again == "There's more than one city with that name. Which one: Portland, Oregon or Portland, Maine?"
    assert again != first and talk.elicited == "state"
    # the same city again is not an answer either, and gets the same explanation, not the first question
    assert talk.say("Portland", "FindCarIntent", {"city": "Portland"}) == again


# --- a size or a company the skill does not search ----------------------------------------------------------------


def test_a_company_it_does_not_search_is_named_with_the_ones_it_does(talk: Talk) -> None:
    ask_size(talk)
    talk.say("an SUV", "FindCarIntent", {"carSize": "SUV"})
    said = talk.say("Zipcar", "FindCarIntent", {"company": unresolved("Zipcar", type_name="RentalCompanyType")})
    assert said == f"I don't search Zipcar. I search {COMPANIES}. Which would you like, or is there no preference?"
    assert talk.elicited == "company"
    assert offer_in(talk.say("Hertz", "FindCarIntent", {"company": "Hertz"})).startswith(
        ("OK, I found an SUV from Hertz", "Good news: Hertz has an SUV")
    )


def test_a_size_it_does_not_search_is_named_with_the_ones_it_does(talk: Talk) -> None:
    ask_size(talk)
    said = talk.say("a convertible", "FindCarIntent", {"carSize": unresolved("convertible", type_name="CarSizeType")})
    assert said.startswith("I can't search for convertible. I can find economy, compact, midsize, standard, full-size")
    assert talk.elicited == "carSize"


def test_a_company_with_no_counter_in_the_city_is_said_so_with_another_companys_car(talk: Talk) -> None:
    said = talk.say("find an SUV from Sixt in Wichita next weekend", "FindCarIntent",
                    {"city": "Wichita", "pickupDate": "2026-W48-WE", "carSize": "SUV", "company": "Sixt"},
                    state="STARTED")  # fmt: skip
    match = re.fullmatch(r"Sixt has no counter in Wichita, but (\w+) has an SUV for (\d+) dollars in total\. "
                         r"Would you like that one\?", said)  # fmt: skip
    assert match, said
    offer = offer_in(talk.say("yes", "AMAZON.YesIntent"))
    assert offer.startswith((f"OK, I found an SUV from {match[1]}", f"Good news: {match[1]} has an SUV"))
    assert f"for {match[2]} dollars" in offer


# --- help and fallback keep the question ----------------------------------------------------------------------


def test_help_at_the_company_question_keeps_it_and_the_company_said_next_is_understood(talk: Talk) -> None:
    ask_size(talk)
    assert talk.say("a compact car", "FindCarIntent", {"carSize": "compact"}).startswith("Is there a specific")
    talk.say("help", "AMAZON.HelpIntent")
    assert talk.elicited == "company"
    assert offer_in(talk.say("Hertz", "FindCarIntent", {"company": "Hertz"})).startswith(
        ("OK, I found a compact car from Hertz", "Good news: Hertz has a compact car")
    )


def test_fallback_at_the_company_question_suggests_what_fits_and_that_is_understood(talk: Talk) -> None:
    ask_size(talk)
    talk.say("a compact car", "FindCarIntent", {"carSize": "compact"})
    said = talk.say("purple monkey", "AMAZON.FallbackIntent")
    assert said == "Sorry, I didn't get that. You can say something like: no preference, or a company like Hertz."
    assert talk.elicited == "company"
    assert OFFER.match(talk.say("no preference", "FindCarIntent", {"company": "no preference"}))


def test_answers_that_do_not_fit_in_a_row_are_never_met_with_the_same_words(talk: Talk) -> None:
    ask_size(talk)
    said = [talk.say("purple monkey", "AMAZON.FallbackIntent") for _ in range(4)]
    assert said[0] == "Sorry, I didn't get that. You can say something like: a compact car."
    assert said[1].startswith("Sorry, I still didn't get that. You can choose economy, compact, midsize")
    assert all(one != next_one for one, next_one in itertools.pairwise(said))
    assert talk.elicited == "carSize"
    assert talk.say("a compact car", "FindCarIntent", {"carSize": "compact"}).startswith("Is there a specific")
    assert talk.say("purple monkey", "AMAZON.FallbackIntent").startswith("Sorry, I didn't get that.")  # counted anew


# --- repeat, next and the last offer --------------------------------------------------------------------------


def test_the_last_offer_says_it_is_the_last_and_repeat_never_repeats_a_line_about_the_dialog(talk: Talk) -> None:
    said = offered(talk, size="suv", company="hertz")
    while "That's the last option I found" not in said and "That's the only one I found" not in said:
        assert "Say next to hear another option" in said
        said = talk.say("next", "AMAZON.NextIntent")
    last = said
    assert "Say next" not in last
    assert talk.say("next", "AMAZON.NextIntent").startswith("That's all the options I found.")
    assert talk.say("repeat", "AMAZON.RepeatIntent") == last
    assert talk.say("repeat", "AMAZON.RepeatIntent") == last


def test_previous_goes_back_one_offer_and_the_first_says_so(talk: Talk) -> None:
    first = offered(talk)
    second = talk.say("next", "AMAZON.NextIntent")
    assert offer_in(talk.say("go back", "AMAZON.PreviousIntent")) == offer_in(first)
    again = talk.say("go back", "AMAZON.PreviousIntent")
    assert again.startswith("That was the first option I found.") and offer_in(first)[len("OK, ") :] in again
    assert second != first


def test_are_my_results_ready_after_every_company_answered_says_so_with_the_offer(talk: Talk) -> None:
    first = offered(talk)
    said = talk.say("are my results ready", "CheckResultsIntent")
    assert said.startswith("Yes, every company has answered. ") and offer_in(first) in said


def test_no_after_an_offer_is_the_next_one(talk: Talk) -> None:
    first = offered(talk)
    said = talk.say("no", "AMAZON.NoIntent")
    assert said.startswith(("Here's another option:", "Next,")) and offer_in(said) != offer_in(first)


def test_yes_after_an_offer_says_how_to_book_it(talk: Talk) -> None:
    offered(talk)
    said = talk.say("yes", "AMAZON.YesIntent")
    assert said.startswith("I find offers, but I can't book them. To book this one, search the same dates on")
    assert talk.last["card"]["title"] == "Car Search"


def test_no_to_the_size_question_means_any_size(talk: Talk) -> None:
    ask_size(talk)
    assert talk.say("no", "AMAZON.NoIntent").startswith("Is there a specific company")
    assert talk.conversation.session.attributes["trip"]["size"] == "any"


def test_yes_after_the_welcome_asks_for_the_city(talk: Talk) -> None:
    talk.launch()
    assert talk.say("yes", "AMAZON.YesIntent") == "Great. Which city do you need a car in, and when?"
    assert talk.elicited == "city"


def test_no_after_the_welcome_says_goodbye(talk: Talk) -> None:
    talk.launch()
    talk.say("no", "AMAZON.NoIntent")
    assert talk.ended


def test_next_while_the_companies_are_still_answering_gives_the_results_so_far(s3, clock: FixedClock) -> None:
    providers = {code: GatedSupplier(p) for code, p in simulated_providers(CityCatalog(), 0).items()}
    stack = build_stack(s3, clock, providers=providers)
    try:
        with serve(stack) as url:
            talk = Talk(skill(url, deadline_s=1.5))
            waiting = talk.say("find a compact car from Avis in Denver next weekend", "FindCarIntent",
                               {"city": "Denver", "pickupDate": "2026-W48-WE", "carSize": "compact",
                                "company": "Avis"}, state="STARTED")  # fmt: skip
            assert waiting.startswith("Still checking Avis.")
            # "next" before Avis has answered: still waiting, said again, with no fallback
            still = talk.say("next", "AMAZON.NextIntent")
            assert still.startswith("Still checking Avis."), still
            assert not talk.ended
            providers["avis"].gate.set()
            assert OFFER.match(talk.say("next", "AMAZON.NextIntent"))
    finally:
        for supplier in providers.values():
            supplier.gate.set()
        stack.settle()


# --- too long, corrections, and what is assumed ---------------------------------------------------------------


def test_a_rental_too_long_is_refused_when_it_is_said_and_the_city_is_kept(talk: Talk) -> None:
    said = talk.say("a car in Denver for six weeks", "FindCarIntent", {"city": "Denver", "duration": "P6W"},
                    state="STARTED")  # fmt: skip
    assert said == ("I can only search rentals of up to 30 days. When do you need the car in Denver, and for how long?")
    assert talk.elicited == "pickupDate"
    said = talk.say("next friday for a week", "FindCarIntent", {"pickupDate": "2026-12-04", "duration": "P1W"})
    assert said == "What size car would you like for your trip in Denver for a week starting Friday, December 4?"


def test_a_rental_too_long_after_the_date_keeps_the_date(talk: Talk) -> None:
    said = talk.say("a car in Denver from December 4 for six weeks", "FindCarIntent",
                    {"city": "Denver", "pickupDate": "2026-12-04", "duration": "P6W"}, state="STARTED")  # fmt: skip
    assert said == "I can only search rentals of up to 30 days. When will you bring the car back?"
    assert talk.elicited == "returnDate"
    said = talk.say("on the tenth", "FindCarIntent", {"returnDate": "2026-12-10"})
    assert said == (
        "What size car would you like for your trip in Denver from Friday, December 4 to Thursday, December 10?"
    )


def test_a_size_said_to_the_date_question_is_noted_and_the_question_not_repeated_word_for_word(talk: Talk) -> None:
    said = talk.say("a car in Denver", "FindCarIntent", {"city": "Denver"}, state="STARTED")
    assert said.endswith("need the car in Denver?"), said
    said = talk.say("an SUV from Hertz please", "FindCarIntent", {"carSize": "SUV", "company": "Hertz"})
    assert said.startswith("OK, an SUV from Hertz. ") and said.endswith("need the car in Denver?"), said
    assert talk.elicited == "pickupDate"
    # the size and company said early are kept: the date is the last thing the search needs
    assert OFFER.match(talk.say("next weekend", "FindCarIntent", {"pickupDate": "2026-W48-WE"}))


def test_another_size_said_to_the_company_question_is_said_back_before_the_question(talk: Talk) -> None:
    said = ask_size(talk)
    asked = talk.say("compact", "FindCarIntent", {"carSize": "compact"})
    assert "company" in asked and talk.elicited == "company", asked
    # WHEN the traveller changes the size instead of answering, twice
    midsize = talk.say("let's do a midsize", "FindCarIntent", {"carSize": "midsize"})
    compact = talk.say("no, compact was fine", "FindCarIntent", {"carSize": "compact"})
    # THEN each is said back, and the company question follows: never the same words as if nothing was heard
    assert midsize.startswith("OK, a midsize car. ") and "company" in midsize, midsize
    assert compact.startswith("OK, a compact car. ") and "company" in compact, compact
    assert len({said, asked, midsize, compact}) == 4
    offer = talk.say("Budget", "FindCarIntent", {"company": "Budget"})
    assert OFFER.match(offer) and "compact car" in offer_in(offer), offer


def test_a_company_said_to_the_size_question_is_said_back_before_the_question(talk: Talk) -> None:
    asked = ask_size(talk)
    said = talk.say("Hertz", "FindCarIntent", {"company": "Hertz"})
    assert said.startswith("OK, Hertz. ") and "size" in said and said != asked, said
    assert talk.elicited == "carSize"


def test_what_does_not_answer_the_city_question_gets_it_again_in_other_words(talk: Talk) -> None:
    asked = talk.say("find a car", "FindCarIntent", {}, state="STARTED")
    assert talk.elicited == "city", asked
    # "whatever": a size of any kind, no city
    again = talk.say("whatever", "FindCarIntent", {"carSize": "whatever"})
    assert talk.elicited == "city" and again != asked and "city" in again.lower(), again


def test_a_weekday_range_said_midweek_is_the_days_meant(stack: Stack) -> None:
    # "from Monday to Thursday" said on Wednesday 25 November: Alexa resolves "Thursday" to tomorrow, before the Monday
    with serve(stack) as url:
        talk = Talk(skill(url, now=NOW + timedelta(days=2)))
        slots = {"city": "Denver", "pickupDate": "2026-11-30", "returnDate": "2026-11-26"}
        said = talk.say("a car in Denver from Monday to Thursday", "FindCarIntent", slots, state="STARTED")
    assert said == (
        "What size car would you like for your trip in Denver from Monday, November 30 to Thursday, December 3?"
    )


def test_next_weekend_said_on_a_wednesday_is_spoken_back_as_its_dates(stack: Stack) -> None:
    with serve(stack) as url:
        talk = Talk(skill(url, now=NOW + timedelta(days=2)))  # Wednesday 25 November
        said = talk.say("a car in Denver next weekend", "FindCarIntent",
                        {"city": "Denver", "pickupDate": "2026-W48-WE"}, state="STARTED")  # fmt: skip
        assert said.startswith("I'll look in Denver from Saturday, November 28 to Monday, November 30;"), said
        assert "weekend" not in said
        assert OFFER.match(talk.say("a compact from any company", "FindCarIntent",
                                    {"carSize": "compact", "company": "any"}))  # fmt: skip


def test_the_limits_said_are_the_search_apis_own(s3, clock: FixedClock) -> None:
    # GIVEN a search API whose limits are not the skill's defaults (30 days long, 330 days ahead)
    stack = build_stack(s3, clock, max_rental_days=10, max_days_ahead=60)
    try:
        with serve(stack) as url:
            talk = Talk(skill(url))
            # WHEN a trip within the skill's own length but beyond the API's is asked for
            slots = {"city": "Denver", "pickupDate": "2026-12-04", "duration": "P2W"}
            said = talk.say("a car in Denver from December 4 for two weeks", "FindCarIntent", slots, state="STARTED")
            # THEN the limit said is the API's, and the date given is kept
            assert said == "I can only search rentals of up to 10 days. When will you bring the car back?", said
            said = talk.say("on the tenth", "FindCarIntent", {"returnDate": "2026-12-10"})
            assert said.startswith("What size car would you like for your trip in Denver from Friday, December 4")
            # AND a pickup beyond the API's horizon is refused with its last day
            said = talk.say("actually make it March first", "FindCarIntent", {"pickupDate": "2027-03-01"})
            assert (
                said
                == "I can only search pickups up to Friday, January 22, 2027. When would you like to pick up the car?"
            )
    finally:
        stack.settle()


def test_a_new_city_is_acknowledged_and_searched_again(talk: Talk) -> None:
    ask_size(talk)
    token = talk.conversation.session.attributes["trip"]["token"]
    said = talk.say("actually make it Dallas", "FindCarIntent", {"city": "Dallas"})
    assert said == "Got it: Dallas instead. What size car would you like?"
    trip = talk.conversation.session.attributes["trip"]
    assert trip["city"] == "Dallas, TX" and trip["token"] != token


@pytest.mark.parametrize(
    ("said", "slots", "heard"),
    [
        ("make it three days", {"duration": "P3D"}, "Got it: for 3 days starting Saturday, November 28 instead."),
        ("actually make it Sunday", {"pickupDate": "2026-11-29"},
         "Got it: from Sunday, November 29 to Wednesday, December 2 instead."),
        ("I'll bring it back on Tuesday", {"returnDate": "2026-12-01"},
         "Got it: from Saturday, November 28 to Tuesday, December 1 instead."),
    ],
)  # fmt: skip
def test_new_dates_are_said_back_and_searched(talk: Talk, said: str, slots: dict[str, str], heard: str) -> None:
    offered(talk)
    token = talk.conversation.session.attributes["trip"]["token"]
    answer = talk.say(said, "FindCarIntent", slots)
    assert answer.startswith(heard + " "), answer
    assert OFFER.match(answer[len(heard) + 1 :]), answer
    assert talk.conversation.session.attributes["trip"]["token"] != token


def test_an_assumed_return_is_said_with_how_to_change_it(talk: Talk) -> None:
    said = ask_size(talk, pickup="2026-12-04")
    assert said == (
        "I'll look in Denver from Friday, December 4 to Monday, December 7; if you'll return the car another day, "
        "just say when. What size car would you like?"
    )


# --- results that are not all in ------------------------------------------------------------------------------


DEADLINE_S = 7.0  # as deployed: these turns end when the companies expected in time have answered, not at a deadline


def _dollar_usually_late(stack: Stack) -> None:
    """What the API has learned: Dollar answers in a minute, the others at once. The skill waits for the companies
    expected before its deadline, then answers with the best offer so far; so the turn ends when the other eight have
    answered, however busy the machine, rather than at a deadline sized for an idle one."""
    quick = {code: 0.1 for code in SUPPLIERS_BY_CODE if code != "dollar"}
    stack.services.cache.save_latencies({**quick, "dollar": 60.0})


@dataclass
class LateDollar:
    talk: Talk
    late: GatedSupplier
    stack: Stack

    def answers(self) -> None:
        self.late.gate.set()
        self.stack.settle()


@contextmanager
def _late_dollar(s3: Any, clock: FixedClock, factor: float = 0.5) -> Iterator[LateDollar]:
    """Dollar answering late, at `factor` times its price (at half price, cheaper than everyone), and the person
    talking to the skill: the turns end with the best offer so far."""
    providers = dict(simulated_providers(CityCatalog(), 0))
    late = providers["dollar"] = GatedSupplier(DiscountSupplier(providers["dollar"], factor))
    stack = build_stack(s3, clock, providers=providers)
    try:
        with serve(stack) as url:
            _dollar_usually_late(stack)
            yield LateDollar(Talk(skill(url, deadline_s=DEADLINE_S)), late, stack)
    finally:
        late.gate.set()
        stack.settle()


def _ask_for_a_compact_in_denver(talk: Talk) -> str:
    return talk.say("find a compact car in Denver next weekend", "FindCarIntent",
                    {"city": "Denver", "pickupDate": "2026-W48-WE", "carSize": "compact", "company": "any"},
                    state="STARTED")  # fmt: skip


BEST_SO_FAR = re.compile(r"So far, the best I've found is a compact car from (\w+), .* for (\d+) dollars")


def test_an_offer_from_partial_results_is_the_best_so_far_and_asking_again_says_what_came_in(
    s3, clock: FixedClock
) -> None:
    # GIVEN Dollar, the cheapest company here, answering late
    with _late_dollar(s3, clock) as dollar:
        # WHEN the person asks for any company while Dollar is still answering
        said = _ask_for_a_compact_in_denver(dollar.talk)
        # THEN the offer is said as the best so far, never as the best
        assert said.startswith("So far, the best I've found is a compact car from"), said
        assert said.endswith("Still checking Dollar: ask me again in a moment for anything better.")
        # AND asked again once Dollar has answered, the skill says something better came in
        dollar.answers()
        again = dollar.talk.say("are my results ready", "CheckResultsIntent")
        assert again.startswith("Something better came in. OK, I found a compact car from Dollar"), again


def test_next_after_a_best_so_far_says_what_came_in_and_never_the_offer_just_heard_again(s3, clock: FixedClock) -> None:
    # GIVEN Dollar, the cheapest company here, answering late, and the best offer so far heard
    with _late_dollar(s3, clock) as dollar:
        heard = BEST_SO_FAR.match(_ask_for_a_compact_in_denver(dollar.talk))
        assert heard
        # WHEN Dollar answers, cheaper, and the person says "next"
        dollar.answers()
        following = dollar.talk.say("next", "AMAZON.NextIntent")
        # THEN the skill says the cheaper offer that came in, not the one just heard as if it were the next
        assert following.startswith("Something better came in. OK, I found a compact car from Dollar"), following
        # AND "next" from there is the offer after Dollar's in price: the one heard first
        after = dollar.talk.say("next", "AMAZON.NextIntent")
        assert heard[1] in after and f"{heard[2]} dollars" in after, after


def test_asked_again_after_a_best_so_far_the_skill_says_nothing_better_yet_then_that_everyone_answered(
    s3, clock: FixedClock
) -> None:
    # GIVEN Dollar answering late, and dearer than everyone
    with _late_dollar(s3, clock, factor=3.0) as dollar:
        best = BEST_SO_FAR.match(_ask_for_a_compact_in_denver(dollar.talk))
        assert best
        # WHEN asked again while Dollar is still out
        again = dollar.talk.say("any luck", "CheckResultsIntent")
        # THEN nothing is made up: the skill says it is still waiting, and on whom
        assert again == "Nothing better yet. Still checking Dollar: ask me again in a moment.", again
        # AND once Dollar has answered, dearer, the offer heard stands and the skill says it is final
        dollar.answers()
        final = dollar.talk.say("are my results ready", "CheckResultsIntent")
        assert final.startswith(f"Everyone has answered now, and nothing beats {best[1]} at {best[2]} dollars."), final
        assert OFFER.match(dollar.talk.say("next", "AMAZON.NextIntent"))


# --- questions about the offer and the skill --------------------------------------------------------------------


def test_the_price_is_explained_and_the_dialog_carries_on(talk: Talk) -> None:
    offered(talk)
    said = talk.say("how much is it", "PriceIntent")
    assert re.match(r"That's \d+ dollars in total for 2 days, taxes and fees included: \d+ dollars a day before them, "
                    r"as \w+ quoted it\. Insurance and extras aren't in it", said), said  # fmt: skip
    assert said.endswith("Say next to hear another option, repeat to hear this one again, or start over for a new "
                         "search. What would you like to do?")  # fmt: skip
    assert talk.say("repeat", "AMAZON.RepeatIntent").startswith(("OK, I found", "Good news"))  # the offer, again


def test_the_price_before_there_is_an_offer_says_so_and_asks_what_is_needed(talk: Talk) -> None:
    ask_size(talk)
    said = talk.say("how much is it", "PriceIntent")
    assert said.startswith("I haven't found you a car yet. What size car would you like?")
    assert talk.elicited == "carSize"


def test_anything_cheaper_offers_that_size_from_another_company_then_any_size(talk: Talk) -> None:
    offered(talk, size="compact", company="hertz")
    cheaper = re.compile(r"Yes: (\w+) has an? ([\w-]+) car for (\d+) dollars in total\. Would you like that one\?")
    # the cheapest compact, from whichever company has it
    match = cheaper.fullmatch(said := talk.say("anything cheaper", "CheaperIntent"))
    assert match and match[2] == "compact", said
    offer = talk.say("yes", "AMAZON.YesIntent")
    assert offer_in(offer).startswith((f"OK, I found a compact car from {match[1]}", f"Good news: {match[1]} has"))
    assert f"for {match[3]} dollars" in offer
    # then, the cheapest car of all: a smaller one, said as not the size asked for
    smaller = re.compile(
        r"That's the cheapest compact car I found\. For less, (\w+) has an? ([\w-]+) car for (\d+) dollars in total\."
        r" Would you like that one instead\?"
    )
    match = smaller.fullmatch(said := talk.say("anything cheaper", "CheaperIntent"))
    assert match and match[2] == "economy", said
    talk.say("yes", "AMAZON.YesIntent")
    assert talk.say("anything cheaper", "CheaperIntent").startswith(
        f"That's already the cheapest I found, at {match[3]} dollars."
    )


def test_send_it_to_my_phone_puts_the_offers_on_a_card_and_says_where(talk: Talk) -> None:
    offered(talk)
    said = talk.say("send it to my phone", "SendToPhoneIntent")
    assert said.startswith("I've sent this offer and the next ones to the Alexa app: open it and look under Activity.")
    lines = talk.last["card"]["content"].splitlines()
    line = re.compile(r"\w+: compact car, \$[\d,]+\.\d\d in total, pick up at ")
    assert len(lines) == 5 and all(line.match(text) for text in lines), lines


@pytest.mark.parametrize(
    ("intent", "answer"),
    [
        ("CompaniesIntent", f"I search {COMPANIES}. Not every company has a counter in every city."),
        ("CarSizesIntent", "I can find economy, compact, midsize, standard, full-size, SUV, minivan, premium and "
                           "luxury cars."),
    ],
)  # fmt: skip
def test_what_the_skill_searches_is_answered_then_the_question_is_asked_again(
    talk: Talk, intent: str, answer: str
) -> None:
    question = ask_size(talk)
    said = talk.say("...", intent)
    assert said == f"{answer} What size car would you like? You can say economy, compact, midsize, full-size, SUV, " \
                   "minivan, premium or luxury."  # fmt: skip
    assert talk.elicited == "carSize"
    assert talk.say("repeat", "AMAZON.RepeatIntent") == question


def test_thanks_ends_the_session_politely(talk: Talk) -> None:
    offered(talk)
    assert talk.say("thanks, that's all", "ThanksIntent") == "You're welcome. Have a great trip!"
    assert talk.ended
