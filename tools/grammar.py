"""What people say to Car Search: the grammar that the en-US interaction model's intents and samples come from.

    python -m tools.skill_models --write     # writes en-US.json from this grammar, then the other locales

`INTENTS` lists each intent with its slots and its lines. A line is one way of saying the intent, with choices:

    "(can you|could you|) find me <vehicle> in {city}"

- `(a|b|c)` says one of a, b or c; an empty choice, as in `(please|)`, makes the words optional.
- `<name>` says one of the shared choices in `CHOICES` (<vehicle>: a car, a rental car, a {carSize}, ...).
- `{slot}` is a slot of the intent, as in the model.

Saying every choice with every other would give tens of thousands of samples, more than Alexa needs and than a
person can review. So a line gives as many samples as its longest list of choices has choices, taking every list's
choices in turn (a shorter list starts again): each choice is said at least once. `Line(text, passes=n)` goes n
times over, and at each further pass the second list moves on one more place, the third two more, and so on, so
that other choices meet.

A sample that comes out twice is kept once; one that names a slot twice ("a {company} car ... from {company}") is
dropped, as Alexa refuses it. en-US.json keeps what is not said: the invocation name, the slot types and their
values, the dialog and its prompts. The tests hold the generated models to Alexa's rules (no sample in two
intents, spoken characters only, the model limits) and fail while a model file differs from what this gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# What a sample may hold, by Alexa's rules for sample utterances: words of letters, an apostrophe for a possessive
# or a contraction ("I'd"), a period after a spoken letter ("s. u. v."), and {slots}; numbers spelled out, no other
# punctuation. A stricter reading than Alexa's (no hyphens at all), so what passes here also builds there.
SPOKEN = re.compile(r"^(?:[A-Za-z]+'?[A-Za-z]*\.?|\{[A-Za-z]+\})(?: (?:[A-Za-z]+'?[A-Za-z]*\.?|\{[A-Za-z]+\}))*$")


@dataclass(frozen=True)
class Line:
    text: str
    passes: int = 1


Lines = tuple[str | Line, ...]


@dataclass(frozen=True)
class Slot:
    name: str
    type: str
    samples: Lines = ()  # what people answer when the skill elicits this slot (Dialog.ElicitSlot)


@dataclass(frozen=True)
class Intent:
    name: str
    lines: Lines = ()
    slots: tuple[Slot, ...] = ()


# Shared choices, said as <name> in a line.
CHOICES: dict[str, str] = {
    # How a request for a car starts; "a car" follows.
    "ask": (
        "(I need|I'd like|I want|we need|I'm looking for|looking for|get me|find me|find|can you find me"
        "|could you look for|can you get me|can I get|could I get|search for|look for|show me|help me find|rent"
        "|I want to rent|I'd like to rent|book|I want to book|I'd like to book|reserve|is there|do you have)"
    ),
    # What they ask for: a car, a size, a company's car.
    "vehicle": (
        "(a car|a rental car|wheels|a {carSize}|an {carSize}|a {carSize} car|a vehicle|a car from {company}"
        "|a {carSize} from {company}|a {company} car|a {company} {carSize}|a car with {company})"
    ),
    "car": "(a car|a rental car|a {carSize}|a {carSize} car)",
    "where": "(in {city}|in {city} {state}|at {city}|at the {city} airport|near {city}|around {city}|for {city})",
    # When: a day, a range of days, or a day and a length.
    "when": (
        "({pickupDate}|on {pickupDate}|for {pickupDate}|starting {pickupDate}|from {pickupDate} to {returnDate}"
        "|{pickupDate} to {returnDate}|{pickupDate} until {returnDate}|{pickupDate} through {returnDate}"
        "|from {pickupDate} until {returnDate}|from {pickupDate} through {returnDate}"
        "|between {pickupDate} and {returnDate}|for {duration}|{pickupDate} for {duration}"
        "|starting {pickupDate} for {duration}|for {duration} starting {pickupDate}|for {duration} from {pickupDate}"
        "|from {pickupDate} for {duration}|on {pickupDate} for {duration}|{pickupDate} returning {returnDate})"
    ),
    "range": (
        "(from {pickupDate} to {returnDate}|{pickupDate} to {returnDate}|{pickupDate} until {returnDate}"
        "|{pickupDate} through {returnDate}|from {pickupDate} until {returnDate}|between {pickupDate} and {returnDate})"
    ),
    "from company": "(from {company}|with {company}|through {company})",
    "please": "(please|)",
    # Travellers often say why before they ask: "I'm flying into Denver on Friday and need a car".
    "arriving": (
        "(I'm flying into|I'm flying to|we're flying into|I'm landing in|I'm arriving in|I'll be in|we'll be in"
        "|I'm going to|I'm traveling to|we're traveling to|I'm visiting|I'm heading to|we're driving to)"
    ),
    "and need": "(and need|and I need|and we need|and I'll need|and I'd like|so I need|and I want)",
    "actually": "(actually|)",
}


FIND_CAR = Intent(
    "FindCarIntent",
    slots=(
        Slot(
            "city",
            "AMAZON.US_CITY",
            (
                "{city}",
                "(in|at|near) {city} <please>",
                "{city} please",
                "(I'm going to|I'm flying into|I'll be in|I need it in|I need the car in|pick it up in) {city}",
                "at the {city} airport",
                "(|in ){city} {state}",
            ),
        ),
        Slot(
            "pickupDate",
            "AMAZON.DATE",
            (
                "{pickupDate}",
                "(on|starting|from) {pickupDate}",
                "{pickupDate} please",
                "(I need it|I need the car|pick it up) {pickupDate}",
                "<range>",
                "(|starting |on ){pickupDate} for {duration}",
                "for {duration} (starting|from) {pickupDate}",
            ),
        ),
        Slot(
            "returnDate",
            "AMAZON.DATE",
            (
                "{returnDate}",
                "(on|until|till|through|by) {returnDate}",
                "{returnDate} please",
                "(I'll bring it back|I'll return it|I'll drop it off|I'll have it back|bring it back|return it)"
                " {returnDate}",
            ),
        ),
        # Never asked for alone: how long, said to any question, is the intent's ("five days").
        Slot("duration", "AMAZON.DURATION", ()),
        Slot(
            "carSize",
            "CarSizeType",
            # Said with a carrier word ("midsize please", "a compact car") the size is the intent's: said to any
            # question, not only this one. Bare, it stays here: a custom type takes any words, "Boston" too.
            ("{carSize}", "(a|an) {carSize}", "(I'd like|I want|I'll take|give me) (a|an) {carSize}"),
        ),
        Slot(
            "company",
            "RentalCompanyType",
            (  # "Hertz please" is the intent's, as "midsize please"
                "{company}",
                "(from|with|I'd like|I prefer|go with|let's go with|rent from|I'd like to rent from|try) {company}",
                "{company} is fine",
            ),
        ),
        # "Portland, Oregon or Portland, Maine?": the state, or the city with its state.
        Slot(
            "state",
            "AMAZON.US_STATE",
            (
                "{state}",
                "(in|I mean|I meant|the city in) {state}",
                "{state} please",
            ),
        ),
        # "The first one": a choice among what the skill listed, as Alexa resolves ordinals ("1").
        # The intent takes "the second one" too: the skill asks for the state, and Alexa only hears the samples of the
        # slot it elicits and those of the intent.
        Slot("choice", "AMAZON.ORDINAL", ("{choice}", "{choice} please")),
    ),
    lines=(
        # Every way to ask, with the plainest request and its usual one-shots.
        "<ask> a car",
        "<ask> a car in {city}",
        "<ask> a car in {city} {pickupDate}",
        "<ask> a car in {city} <range>",
        "<ask> a car in {city} (for {duration}|{pickupDate} for {duration}|for {duration} starting {pickupDate}"
        "|starting {pickupDate} for {duration})",
        # What, where and when, in the usual orders; size and company before or after the place.
        "<ask> <vehicle> <please>",
        "<ask> <vehicle> <where>",
        Line("<ask> <vehicle> <where> <when>", passes=2),  # the most common request: more of its combinations
        "<ask> <vehicle> <when> <where>",
        "<ask> <car> <where> <when> <from company>",
        "<ask> <car> <from company> <where> <when>",
        "(find|find me|get me|show me|I want|I need|book|what's) the cheapest (car|rental car|{carSize})"
        " <where> <when>",
        "(please|can you please|could you please|would you please) (find|get|book|find me|get me|book me) <car> <where>"
        " <when>",
        "(show me|find|find me|search for|look for|are there any|do you have any|I'm looking for) rental cars <where>"
        " <when>",
        # The skill store's example phrase (skill-package/skill.json): "ask car search for an SUV from Hertz in ...".
        "(a|an) {carSize} from {company} in {city} {pickupDate}",
        # Without a verb: "a car in Denver from Friday to Sunday".
        "<vehicle> <where> <when>",
        "<vehicle> <where> <please>",
        "(car rental|car rentals|rental car|rental cars) (in|at|for|) {city} <when>",
        "(car rental|car rentals|rental car|rental cars) (in|at|near) {city}",
        # The day first, or the place first.
        "<when> (I need|we need|I'll need|I'd like|get me) <car> <where>",
        "(in|at) {city} <when> (I need|we need|I'd like|get me|find me) <car>",
        # Why, then what: "I'm flying into Denver on Friday and need a car".
        "<arriving> {city} <when> <and need> <car>",
        "<arriving> {city} <and need> <car>",
        # Questions.
        "(what cars are|what rental cars are|which cars are|what's) available (in|at) {city} <when>",
        "(what do you have|what have you got|what can you find) (in|at) {city} <when>",
        "(are there any|do you have any|are any) (cars|rental cars) available (in|at) {city} <when>",
        "how much (is|would it be for|does it cost to rent|would it cost to rent|for) <car> <where> <when>",
        # "A rental" goes with any verb but rent.
        "(I need|I'd like|we need|get me|find me|can you find me|looking for|book|book me|reserve) a rental <where>"
        " <when>",
        # Changes to a request already made; "actually" often comes first.
        "(make it|make that|change it to|let's do|let's make it|how about|what about) {pickupDate}",
        "actually (make it|change it to|let's do|) {pickupDate}",
        "(make it|make that|change it to|let's do|let's make it|how about) {city}",
        "actually (make it|change it to|let's do|in|) {city}",
        "(make it|let's do|let's go to) {city} instead",
        "(make it|make that|let's make it|make it for|change it to) {duration}",
        "actually (make it|make it for) {duration}",
        "(make it|make that|change it to|switch to|I'd rather have|I'd prefer) a {carSize}",
        "(make it|make that) an {carSize}",
        "actually (make it|make that|I'd rather have) a {carSize}",
        "(I want|I'd like|give me) (a|an) {carSize} instead",
        "(switch to|change the company to|I'd rather rent from|let's try|let's use) {company}",
        "actually (switch to|let's try) {company}",
        "(|actually )change the (city|location|place) to {city}",
        "change the (date|day|pickup date|pickup day|start date) to {pickupDate}",
        "change the (return date|return day|drop off date|end date) to {returnDate}",
        "change the (size|car size|car) to (a |an |){carSize}",
        "(I'll return it|I'll bring it back|I'll drop it off|I'll return the car|I'll have it back)"
        " (on|by) {returnDate}",
        "I need it (until|till|through) {returnDate}",
        # The return said as the traveller's own plans: "flying in Friday and leaving Monday".
        "<ask> a car in {city} {pickupDate} (and|) (leaving|flying out|flying home|heading home|coming back|going"
        " home) {returnDate}",
        "<arriving> {city} (on|) {pickupDate} and (leaving|flying out|flying home|heading home|going home) (on|)"
        " {returnDate}",
        "sorry {pickupDate}",
        # Not "no {city}": every "no, ..." would then be a city no list has ("no particular company").
        "(no I said|I said|I meant) {city}",
        "(no wait|wait|actually|no) (go back to|back to|let's go back to) {city}",
        "(no|no I said) {pickupDate}",
        "(the one in|I mean the one in|I meant the one in|actually I mean|no I meant) {state}",
        "<actually> (I mean|I meant) {city} {state}",
        "(I mean|I meant|I'll take|I want|let's go with|make it) the {choice} one",
        "the {choice} (one|option|one please|option please|please|)",
        "{choice} (one|option|one please|option please)",
        # Verbless, as the answer to "where and when?": "Richmond, Virginia, next Friday through Sunday".
        "(in|) {city} (|{state}) <range>",
        # The return said as a plan: "find a car in Charlotte and I'll return it on the 2nd of January".
        "(I need|find|find me|get me) a car in {city} (and|) (I'll|I will|we'll) (return it|drop it off|bring it back)"
        " (on|) {returnDate}",
        # Another company, said as a change of mind.
        "(could you|can you|please|) (check|try|look at|search) {company} (instead|too|as well|)",
        # How long, said to any question: the return question's own example ("for three days") is one.
        "(for|I need it for|I'll need it for|we need it for|we'll need it for|keep it for) {duration}",
        "for {duration} please",
        # New days said as what one would do with the car, at any point ("can I pick it up on Thursday instead").
        "(can I|could I|I'd like to|I want to|I need to|let me) pick it up (on|) {pickupDate} (instead|)",
        "(can I|could I|I'd like to|I want to|I need to|let me) (bring it back|return it|drop it off)"
        " (on|) {returnDate} (instead|)",
        "(|ok |okay |so )pick it up (on |){pickupDate} and (bring it back|return it|drop it off) (on |){returnDate}",
        # How long said bare to another question ("five days" to the size question after "if you'll return it another
        # day, just say when"), and a size or a company with a carrier word after an offer ("a midsize please"):
        # Alexa hears a slot's own samples only while it elicits that slot, and people answer what is on their mind.
        # Never a bare size or company: a custom type takes any words, and "{carSize}" alone made "Boston" a size in
        # the third-party simulator (../shared/alexa-sim).
        "a {carSize} car",
        "(|a |an ){carSize} please",
        "{company} please",
        "{duration}",
        "{duration} please",
        "just {duration}",
    ),
)

INTENTS: tuple[Intent, ...] = (
    FIND_CAR,
    Intent(
        "CheckResultsIntent",
        (
            "are (my|the) results (ready|in|in yet|ready yet|done)",
            "(have|did) the (results|prices|offers) come (back|in) (yet|)",
            "did you find (anything|anything yet|a car|me a car|something)",
            "have you found (anything|a car|something) (yet|)",
            "(any results yet|any luck|any news on my search|anything yet|any news)",
            "what (did you find|have you found|are the results)",
            "is (my|the) search (done|finished|ready|over)",
            "is it ready",
            "are you done searching",
            "how('s| is) (my|the) search going",
            "check (my results|on my search|the results|again)",
            "(give|tell|read) me the results",
            "what's the status of my search",
            "(is it|is the search|are you|is that) (done|finished|ready|complete) (yet|now|)",
            "(did|has) (the|my) search (finish|finished|end|ended|complete|completed) (yet|)",
            "(have|did) you (finished|finish|found anything|come up with anything) (yet|)",
            "what('s| is) the (verdict|word|update|news)",
            "(any|got any) (updates|update|word) (yet|on my car|)",
            "what (have you got|did you come up with) (for me|so far|)",
            "(so|well) what did you find",
            "any luck (finding|with) (a car|my car|the search|it|one)",
            "are you still (looking|searching|working on it|checking)",
            "what did you come up with (so far|for me|)",
            # asked again, as "Ask me again in a moment" says
            "(how about|what about|and) now",
            "(ask|asking) again",
        ),
    ),
    Intent(
        "PriceIntent",
        (
            "how much (is it|is that|is this one|does it cost|does that cost|will it cost|will that cost|is it in total"
            "|is that per day|is it per day|is it a day)",
            "what's the (price|daily rate|total price|cost|rate|price per day|price in total)",
            "what is the (price|daily rate|total price|cost)",
            "is (that|it|this) (per day|a daily rate|the daily rate|the total|the total price|for the whole trip"
            "|for the whole rental|with tax|with taxes)",
            "is the price (per day|for the whole trip|the total)",
            "(does|will) (that|it|this|the price) include (insurance|taxes|fees|taxes and fees|tax)",
            "what does (that|it|the price) include",
            "(is insurance|are taxes|are fees|is tax) included",
            "how much (per day|a day|for the whole trip|altogether)",
            "(and|so|) how much (would|will) (that|it) be (all together|altogether|in total|for the whole trip|)",
            "what's (included|in the price)",
            "tell me (the price|more about the price)",
            "(are there|is there|will there be|any) (extra|hidden|other|additional) (fees|charges|costs)",
            "what about (taxes|insurance|fees|the fees)",
            "is (that|it) the (final|whole|full) (price|cost|amount)",
            "(does|will) (that|it) come with insurance",
            "(break down|explain) the (cost|price|total) (for me|)",
            "(give me|what's|what is) the (breakdown|price breakdown|cost breakdown)",
        ),
    ),
    Intent(
        "CheaperIntent",
        (
            "(anything|something) (cheaper|less expensive)",
            "(is there|do you have|have you got|can you find|could you find) (anything|something) cheaper",
            "(show me|find me|give me|I want|I'd like|I need) (something cheaper|a cheaper one|a cheaper option"
            "|a cheaper car)",
            "a cheaper (one|car|option|offer)",
            "(it's|this is|that's) too (expensive|much|pricey)",
            "what's the cheapest (one|option|offer)",
            "cheaper (please|options|ones|ones please)",
            "(can|could) you do better (on price|on the price|than that|)",
            "is there (a|any) (lower|better|cheaper) (price|deal|rate|option)",
            "(do you have|have you got|got) (a|any) (cheaper|less expensive) (car|cars|one|ones|option|options)",
            "(that's|it's) (a lot|steep|a bit much|more than I wanted)",
            "(any|a) (better|lower) (price|deal|rate)",
            # as a best offer so far asks: "ask me again in a moment for anything better"
            "(anything|something) better (yet|now|)",
            "(is there|have you got|got|did you find) anything better (yet|now|)",
            "(can I get|is there|do you have|I'd like|I want) something (more affordable|less expensive|for less)",
            "(anything|something) for less (money|)",
            "(that's|it's) (over|way over|above|beyond) my budget",
            "(can|could) you go (lower|cheaper|any lower)",
            "(got|have you got|do you have|you got|y'all got) anything that costs less",
            "(a|any|is there a) more affordable (option|car|one|choice)",
        ),
    ),
    Intent(
        "SendToPhoneIntent",
        (
            "(send|text) (it|that|this|the offer|the details|this offer) to (my phone|me)",
            "(send|text) them to my phone",
            "(can|could) you send (it|that|this|the details) to my (phone|app)",
            "(please|) send me (the details|the offer|a link|the link)",
            "(put|show) (it|that|the offer) in (my|the) (alexa app|app)",
            "text me (the offer|a link)",
            "send the (offers|top offers) to my phone",
            "(shoot|send|text|message|email) me (a message|the details|the info|the information|that|it) (with that|)",
            "(put|save|send) (it|that|this|the offer|the details) (on|to) my phone",
            "can I (see|get|have) (it|that|the offer|the details) (on my phone|in the app|in the alexa app)",
            "(push|send|put) (it|that|this) to my phone (so I can look later|for later|so I can see it later|)",
            "(please|) send (it|that|them|those|this|) to my (telephone|cell|cell phone|mobile)",
            "(shoot|send|ping) (those|them|that|it) (over|) to my phone",
            "(put|save) (all that|that|it|them|everything) in the (app|alexa app)"
            " (so I can look at it later|for later|)",
        ),
    ),
    Intent(
        "CompaniesIntent",
        (
            "(which|what) (rental|car rental|) companies do you (search|check|use|cover|look at)",
            "(which|what) (rental|) companies (can I choose from|are there|are included|do you know)",
            "(which|what) rental (agencies|brands) do you (check|search)",
            "tell me (which|what) (rental |)companies you (search|check|use)",
            "who do you (search|check|rent from)",
            "(list|name) the (rental|) companies",
            "where do you look for cars",
            "(which|what) (rental|) companies (does it|it|you) (search|searches|check|checks|use|uses|looks at)",
            "who (are|do) you (compare|work with|partner with)",
            "(which|what) (rental places|rental companies|companies|places|agencies) do you (check|look at|compare)",
            "do you (check|search|cover) all the (big|major|) (rental places|rental companies|companies)",
            "(is|are) (my company|my favorite company|they|the big ones) (one of|among) the (companies|ones) you"
            " (search|check|use)",
            "(which|what) (car rental|rental|) (firms|agencies|brands|outfits) are (included|covered|in there)",
        ),
    ),
    Intent(
        "CarSizesIntent",
        (
            "(what|which) (car|) sizes (are there|do you have|can I choose from|do you offer|can I pick)",
            "(what|which) (kinds|types|sorts) of (cars|car|vehicles) (do you have|are there|can I rent|do you offer)",
            "what size cars (do you have|are there|can I get)",
            "(list|name) the (car|) sizes",
            "how big (are the cars|can the car be)",
            "what are (my|the) options for (car|) (types|sizes|classes)",
            "what's the difference between the (sizes|car sizes|classes|car classes)",
            "tell me the (car classes|car sizes|sizes|classes|kinds of cars)",
            "what (sizes|kinds of cars|car sizes|classes) (does it have|it has|do they have|are there|you got)",
            "what are the (choices|options) (for size|for the size|for cars|)",
            "what do you mean by (size|car size)",
            "(what|which) (car|) (classes|categories) (are there|do you have|do you offer|can I choose from)",
        ),
    ),
    Intent(
        "ThanksIntent",
        (
            "(thanks|thank you|thanks a lot|thank you very much|many thanks|great thanks|cheers)",
            "(that's all|that's it|that's everything|that will be all|I'm done|I'm all done|we're done|all done)"
            " (thanks|thank you|for now|)",
            "(goodbye|bye|bye bye|see you|see you later|good night)",
            "(I'm good|I'm set|all set) (thanks|thank you|)",
            "(appreciate it|I appreciate it|much appreciated|appreciate the help)",
            "(perfect|great|good|awesome) that's (everything|all) (I needed|I need|)",
            "(perfect|great|okay|) thank you (kindly|so much|for your help|for the help)",
            "(ok|okay|alright) (cool|great|) (thanks|thank you)",
            "cool (thanks|thank you)",
            "(no|nope) that's (all|it|everything)",
        ),
    ),
    Intent(
        "BookIntent",
        (
            Line("(book|reserve) (it|that|this|that one|this one|the car|this car|that car|this offer)", passes=2),
            "(I'll take|I want|I'd like|I take) (it|that one|this one|that car|this car|that offer)",
            "(let's|please|go ahead and) (book|reserve) it",
            "(can|could) you (book|reserve) (it|that|this one) for me",
            "how (do|can) I (book|reserve) (it|this|that one)",
            "I want to (book|reserve) (it|this one|that one)",
            "make (the|a) reservation",
            "(sounds good|great|perfect|okay|alright|that works|that's good)"
            " (lock it in|book it|I'll take it|let's book it)",
            "lock it in",
            "(hold|reserve|save) (it|that|that one|this one) for me",
            "(go ahead and|please) (reserve|book) (that one|this one|the car|it) (for me|)",
            "sign me up for (that one|that|this one)",
        ),
    ),
    Intent(
        "AMAZON.HelpIntent",
        (
            "what can I (say|ask|do)",
            "how does (this|it) work",
            "how do I use (this|car search)",
            "what should I say",
            "give me (an example|some examples)",
            "(wait|sorry|um|) what (am I supposed to|should I|do I|can I) say (now|here|)",
            "what (do I|should I) do (now|next|here)",
            "I don't know what to say",
            Line("(I need|I'd like|can I get) (some |)help", passes=2),
        ),
    ),
    Intent("AMAZON.StopIntent"),
    Intent("AMAZON.CancelIntent"),
    Intent("AMAZON.FallbackIntent"),
    Intent("AMAZON.NavigateHomeIntent"),
    Intent("AMAZON.YesIntent"),
    Intent("AMAZON.NoIntent"),
    Intent(
        "AMAZON.StartOverIntent",
        ("(new search|start a new search|search again from the beginning|let's start again|start from scratch)",),
    ),
    Intent(
        "AMAZON.RepeatIntent",
        (
            "what was that",
            "repeat the offer",
            "what was the price again",
            "(could you|can you|) (say|repeat) (that|those|it|them) again (slower|more slowly|please|)",
        ),
    ),
    Intent(
        "AMAZON.NextIntent",
        (
            "(another one|another option|another offer|something else|what else|what else is there)",
            "what else (have you got|do you have|you got|can you find|is available)",
            "(give|show) me another (option|one|offer)",
            "(any other options|what else do you have|the next one|what's the next one|next offer|next option)",
            "more (options|offers)",
        ),
    ),
    Intent(
        "AMAZON.PreviousIntent",
        (
            "(the|go back to the|back to the) (previous|last) (one|offer|option)",
            "(previous|last) (offer|option)",
            "the one before (that|)",
            "go back (one|to the one before)",
            "what was the (previous|last) (one|offer)",
        ),
    ),
    Intent("AMAZON.MoreIntent"),
)


# Expanding a line ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[()|]|<[^<>]+>|[^()|<]+")
_SLOT = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class _Choice:
    options: tuple[tuple[_Part, ...], ...]  # each option a sequence of parts


_Part = str | _Choice


def samples(line: str | Line) -> list[str]:
    """The samples one line gives, in order, each said once, none naming a slot twice."""
    text, passes = (line.text, line.passes) if isinstance(line, Line) else (line, 1)
    found = (" ".join(said.split()) for said in _say(_parse(text), passes))
    return [said for said in dict.fromkeys(found) if said and not _slot_twice(said)]


def expand(lines: Iterable[str | Line]) -> list[str]:
    """Every sample the lines give, each once, in the order of the lines."""
    return list(dict.fromkeys(said for line in lines for said in samples(line)))


def _slot_twice(said: str) -> bool:
    names = _SLOT.findall(said)
    return len(names) != len(set(names))


def _parse(text: str, seen: tuple[str, ...] = ()) -> tuple[_Part, ...]:
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text:
        raise ValueError(f"cannot read {text!r}: a '<' without its '>'")
    parts, rest = _sequence(tokens, 0, text, seen)
    if rest != len(tokens):
        raise ValueError(f"cannot read {text!r}: a ')' or '|' outside parentheses")
    return parts


def _sequence(tokens: list[str], at: int, text: str, seen: tuple[str, ...]) -> tuple[tuple[_Part, ...], int]:
    parts: list[_Part] = []
    while at < len(tokens) and tokens[at] not in (")", "|"):
        token = tokens[at]
        if token == "(":
            options: list[tuple[_Part, ...]] = []
            while True:
                option, at = _sequence(tokens, at + 1, text, seen)
                options.append(option)
                if at >= len(tokens):
                    raise ValueError(f"cannot read {text!r}: a '(' without its ')'")
                if tokens[at] == ")":
                    break
            parts.append(_Choice(tuple(options)))
        elif token.startswith("<"):
            name = token[1:-1]
            if name not in CHOICES:
                raise ValueError(f"{text!r} says <{name}>, which CHOICES does not define")
            if name in seen:
                raise ValueError(f"<{name}> says itself")
            parts.append(_Choice((_parse(CHOICES[name], (*seen, name)),)))
        else:
            parts.append(token)
        at += 1
    return tuple(parts), at


def _say(parts: tuple[_Part, ...], passes: int = 1) -> list[str]:
    """A sequence's sayings: as many as its longest list of choices, each list's choices in turn; at each further
    pass, the n-th list of choices is moved on by n more places."""
    lists = [[part] if isinstance(part, str) else _options(part) for part in parts]
    if not lists:
        return [""]
    nth = [sum(isinstance(part, _Choice) for part in parts[:at]) for at in range(len(parts))]
    longest = max(map(len, lists))
    return [
        "".join(choices[(index + turn * nth[k]) % len(choices)] for k, choices in enumerate(lists))
        for turn in range(passes)
        for index in range(longest)
    ]


def _options(choice: _Choice) -> list[str]:
    return [said for option in choice.options for said in _say(option)]
