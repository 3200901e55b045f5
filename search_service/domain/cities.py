"""The cities Car Search serves, their rental locations, and how a spoken or typed city name finds one.

The data is real (cities, states, airports, time zones); the cost index and supplier tier are the
simulation's own knobs for prices and which companies have a counter there.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana",
    "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip


@dataclass(frozen=True)
class RentalLocation:
    code: str  # IATA code for an airport, "<city id>-dt" for the downtown branch
    name: str
    kind: Literal["airport", "downtown"]


@dataclass(frozen=True)
class City:
    name: str
    state: str  # USPS abbreviation
    timezone: str
    airports: tuple[tuple[str, str], ...]  # (IATA code, airport name)
    downtown: str  # name of the downtown branch
    cost_index: float  # price level against the national average
    tier: int  # 1: every supplier, 2: all but the premium-only ones, 3: the big networks only
    aliases: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{_slug(self.name)}-{self.state.lower()}"

    @property
    def display(self) -> str:
        return f"{self.name}, {self.state}"

    @property
    def state_name(self) -> str:
        return STATES[self.state]

    @cached_property
    def locations(self) -> tuple[RentalLocation, ...]:
        airports = tuple(RentalLocation(code, name, "airport") for code, name in self.airports)
        return (*airports, RentalLocation(f"{self.id}-dt", self.downtown, "downtown"))


def _city(name: str, state: str, tz: str, airports: str, downtown: str, cost: float, tier: int,
          *aliases: str) -> City:  # fmt: skip
    pairs = tuple((code, airport) for code, airport in (part.split("=", 1) for part in airports.split(";")))
    return City(
        name,
        state,
        tz if tz.startswith("Pacific/") else f"America/{tz}",
        pairs,
        downtown,
        cost,
        tier,
        aliases,
    )


# The 50 largest US cities by population, then popular destinations and the namesakes that make a city
# name ambiguous when spoken without its state (Portland, Columbus, Charleston, Springfield, ...).
CITIES: tuple[City, ...] = (
    _city("New York", "NY", "New_York", "JFK=John F. Kennedy International Airport;LGA=LaGuardia Airport",
          "Midtown Manhattan", 1.45, 1, "new york city", "nyc", "manhattan", "the big apple"),
    _city("Los Angeles", "CA", "Los_Angeles", "LAX=Los Angeles International Airport", "Downtown Los Angeles",
          1.25, 1, "la", "l a"),
    _city("Chicago", "IL", "Chicago", "ORD=O'Hare International Airport;MDW=Midway International Airport",
          "The Loop", 1.15, 1, "chi town", "the windy city"),
    _city("Houston", "TX", "Chicago", "IAH=George Bush Intercontinental Airport;HOU=William P. Hobby Airport",
          "Downtown Houston", 1.0, 1, "h town"),
    _city("Phoenix", "AZ", "Phoenix", "PHX=Phoenix Sky Harbor International Airport", "Downtown Phoenix",
          1.0, 1),
    _city("Philadelphia", "PA", "New_York", "PHL=Philadelphia International Airport", "Center City",
          1.1, 1, "philly"),
    _city("San Antonio", "TX", "Chicago", "SAT=San Antonio International Airport", "Downtown San Antonio",
          0.95, 2),
    _city("San Diego", "CA", "Los_Angeles", "SAN=San Diego International Airport", "Downtown San Diego",
          1.15, 1),
    _city("Dallas", "TX", "Chicago", "DFW=Dallas Fort Worth International Airport;DAL=Dallas Love Field",
          "Downtown Dallas", 1.05, 1, "big d"),
    _city("San Jose", "CA", "Los_Angeles", "SJC=San Jose Mineta International Airport", "Downtown San Jose",
          1.2, 2),
    _city("Austin", "TX", "Chicago", "AUS=Austin-Bergstrom International Airport", "Downtown Austin",
          1.05, 1),
    _city("Jacksonville", "FL", "New_York", "JAX=Jacksonville International Airport", "Downtown Jacksonville",
          0.95, 2),
    _city("Fort Worth", "TX", "Chicago", "DFW=Dallas Fort Worth International Airport", "Downtown Fort Worth",
          1.0, 2, "ft worth"),
    _city("Columbus", "OH", "New_York", "CMH=John Glenn Columbus International Airport", "Downtown Columbus",
          0.95, 2),
    _city("Charlotte", "NC", "New_York", "CLT=Charlotte Douglas International Airport", "Uptown Charlotte",
          1.0, 1),
    _city("Indianapolis", "IN", "Indiana/Indianapolis", "IND=Indianapolis International Airport",
          "Downtown Indianapolis", 0.95, 2, "indy"),
    _city("San Francisco", "CA", "Los_Angeles", "SFO=San Francisco International Airport", "Union Square",
          1.35, 1, "sf", "san fran", "frisco"),
    _city("Seattle", "WA", "Los_Angeles", "SEA=Seattle-Tacoma International Airport", "Downtown Seattle",
          1.2, 1),
    _city("Denver", "CO", "Denver", "DEN=Denver International Airport", "Downtown Denver", 1.1, 1,
          "mile high city"),
    _city("Washington", "DC", "New_York",
          "DCA=Ronald Reagan Washington National Airport;IAD=Washington Dulles International Airport",
          "Union Station", 1.2, 1, "washington dc", "washington d c", "dc", "d c"),
    _city("Nashville", "TN", "Chicago", "BNA=Nashville International Airport", "Downtown Nashville", 1.05, 1),
    _city("Oklahoma City", "OK", "Chicago", "OKC=Will Rogers World Airport", "Downtown Oklahoma City",
          0.9, 2, "okc"),
    _city("El Paso", "TX", "Denver", "ELP=El Paso International Airport", "Downtown El Paso", 0.9, 3),
    _city("Boston", "MA", "New_York", "BOS=Logan International Airport", "Back Bay", 1.3, 1, "beantown"),
    _city("Portland", "OR", "Los_Angeles", "PDX=Portland International Airport", "Downtown Portland",
          1.1, 1),
    _city("Las Vegas", "NV", "Los_Angeles", "LAS=Harry Reid International Airport", "The Strip", 0.95, 1,
          "vegas", "sin city"),
    _city("Detroit", "MI", "Detroit", "DTW=Detroit Metropolitan Wayne County Airport", "Downtown Detroit",
          1.0, 1, "motor city"),
    _city("Memphis", "TN", "Chicago", "MEM=Memphis International Airport", "Downtown Memphis", 0.9, 2),
    _city("Louisville", "KY", "Kentucky/Louisville", "SDF=Louisville Muhammad Ali International Airport",
          "Downtown Louisville", 0.9, 2),
    _city("Baltimore", "MD", "New_York",
          "BWI=Baltimore/Washington International Thurgood Marshall Airport", "Inner Harbor", 1.05, 1),
    _city("Milwaukee", "WI", "Chicago", "MKE=Milwaukee Mitchell International Airport", "Downtown Milwaukee",
          0.95, 2),
    _city("Albuquerque", "NM", "Denver", "ABQ=Albuquerque International Sunport", "Downtown Albuquerque",
          0.9, 2),
    _city("Tucson", "AZ", "Phoenix", "TUS=Tucson International Airport", "Downtown Tucson", 0.9, 2),
    _city("Fresno", "CA", "Los_Angeles", "FAT=Fresno Yosemite International Airport", "Downtown Fresno",
          0.9, 3),
    _city("Sacramento", "CA", "Los_Angeles", "SMF=Sacramento International Airport", "Downtown Sacramento",
          1.05, 2),
    _city("Mesa", "AZ", "Phoenix",
          "AZA=Phoenix-Mesa Gateway Airport;PHX=Phoenix Sky Harbor International Airport", "Downtown Mesa",
          0.95, 3),
    _city("Kansas City", "MO", "Chicago", "MCI=Kansas City International Airport", "Crown Center", 0.95, 2,
          "kc"),
    _city("Atlanta", "GA", "New_York", "ATL=Hartsfield-Jackson Atlanta International Airport",
          "Downtown Atlanta", 1.05, 1, "hotlanta", "the a t l"),
    _city("Omaha", "NE", "Chicago", "OMA=Eppley Airfield", "Downtown Omaha", 0.9, 3),
    _city("Colorado Springs", "CO", "Denver", "COS=Colorado Springs Airport", "Downtown Colorado Springs",
          0.95, 3),
    _city("Raleigh", "NC", "New_York", "RDU=Raleigh-Durham International Airport", "Downtown Raleigh",
          1.0, 2),
    _city("Long Beach", "CA", "Los_Angeles", "LGB=Long Beach Airport", "Downtown Long Beach", 1.15, 3),
    _city("Virginia Beach", "VA", "New_York", "ORF=Norfolk International Airport", "Oceanfront", 0.95, 3),
    _city("Miami", "FL", "New_York", "MIA=Miami International Airport", "Brickell", 1.15, 1),
    _city("Oakland", "CA", "Los_Angeles", "OAK=Oakland San Francisco Bay Airport", "Downtown Oakland",
          1.15, 2),
    _city("Minneapolis", "MN", "Chicago", "MSP=Minneapolis-Saint Paul International Airport",
          "Downtown Minneapolis", 1.05, 1, "twin cities", "minneapolis saint paul"),
    _city("Tulsa", "OK", "Chicago", "TUL=Tulsa International Airport", "Downtown Tulsa", 0.9, 3),
    _city("Bakersfield", "CA", "Los_Angeles", "BFL=Meadows Field Airport", "Downtown Bakersfield", 0.9, 3),
    _city("Wichita", "KS", "Chicago", "ICT=Wichita Dwight D. Eisenhower National Airport",
          "Downtown Wichita", 0.85, 3),
    _city("Arlington", "TX", "Chicago", "DFW=Dallas Fort Worth International Airport", "Downtown Arlington",
          1.0, 3),
    # Destinations that travellers ask for often.
    _city("Tampa", "FL", "New_York", "TPA=Tampa International Airport", "Downtown Tampa", 1.0, 1),
    _city("Orlando", "FL", "New_York", "MCO=Orlando International Airport", "International Drive", 0.9, 1),
    _city("New Orleans", "LA", "Chicago", "MSY=Louis Armstrong New Orleans International Airport",
          "French Quarter", 1.05, 1, "nola", "the big easy"),
    _city("Honolulu", "HI", "Pacific/Honolulu", "HNL=Daniel K. Inouye International Airport", "Waikiki",
          1.4, 1),
    _city("Saint Louis", "MO", "Chicago", "STL=St. Louis Lambert International Airport", "Downtown St. Louis",
          0.95, 2, "st louis", "st. louis"),
    _city("Pittsburgh", "PA", "New_York", "PIT=Pittsburgh International Airport", "Downtown Pittsburgh",
          0.95, 2),
    _city("Cincinnati", "OH", "New_York", "CVG=Cincinnati/Northern Kentucky International Airport",
          "Downtown Cincinnati", 0.95, 2),
    _city("Cleveland", "OH", "New_York", "CLE=Cleveland Hopkins International Airport", "Downtown Cleveland",
          0.95, 2),
    _city("Salt Lake City", "UT", "Denver", "SLC=Salt Lake City International Airport",
          "Downtown Salt Lake City", 1.05, 1, "salt lake", "slc"),
    _city("Anchorage", "AK", "Anchorage", "ANC=Ted Stevens Anchorage International Airport",
          "Downtown Anchorage", 1.3, 2),
    # Namesakes: these make "Portland", "Columbus", "Charleston", "Springfield", ... ambiguous.
    _city("Portland", "ME", "New_York", "PWM=Portland International Jetport", "Old Port", 1.05, 3),
    _city("Columbus", "GA", "New_York", "CSG=Columbus Airport", "Uptown Columbus", 0.85, 3),
    _city("Charleston", "SC", "New_York", "CHS=Charleston International Airport", "Historic Downtown",
          1.05, 2),
    _city("Charleston", "WV", "New_York", "CRW=West Virginia International Yeager Airport",
          "Downtown Charleston", 0.85, 3),
    _city("Springfield", "IL", "Chicago", "SPI=Abraham Lincoln Capital Airport", "Downtown Springfield",
          0.85, 3),
    _city("Springfield", "MO", "Chicago", "SGF=Springfield-Branson National Airport", "Downtown Springfield",
          0.85, 3),
    _city("Springfield", "MA", "New_York", "BDL=Bradley International Airport", "Downtown Springfield",
          0.95, 3),
    _city("Kansas City", "KS", "Chicago", "MCI=Kansas City International Airport", "Downtown Kansas City",
          0.9, 3),
    _city("Arlington", "VA", "New_York", "DCA=Ronald Reagan Washington National Airport", "Crystal City",
          1.15, 2),
    _city("Jacksonville", "NC", "New_York", "OAJ=Albert J. Ellis Airport", "Downtown Jacksonville", 0.85, 3),
)  # fmt: skip


class UnknownCity(ValueError):
    def __init__(self, text: str, suggestions: list[City]) -> None:
        super().__init__(text)
        self.text = text
        self.suggestions = suggestions


class AmbiguousCity(ValueError):
    def __init__(self, text: str, candidates: list[City]) -> None:
        super().__init__(text)
        self.text = text
        self.candidates = candidates


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _normalise(text)).strip("-")


def _normalise(text: str) -> str:
    """Lower case, no accents or punctuation, 'st.'/'ft.' spelled out: how people type and Alexa transcribes."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^st ", "saint ", text)
    text = re.sub(r"^ft ", "fort ", text)
    return re.sub(r"\s+", " ", text)


class CityCatalog:
    """Finds the city a person means: 'NYC', 'portland, oregon', 'Saint Louis', 'PDX' or 'new-york-ny'."""

    def __init__(self, cities: tuple[City, ...] = CITIES) -> None:
        self.cities = cities
        self._by_id = {city.id: city for city in cities}
        self._by_name: dict[str, list[City]] = {}
        for city in cities:
            for name in {_normalise(name) for name in (city.name, *city.aliases)}:
                self._by_name.setdefault(name, []).append(city)
        self._by_airport: dict[str, list[City]] = {}
        for city in cities:
            for code, _ in city.airports:
                self._by_airport.setdefault(code.lower(), []).append(city)
        self._state_words = {_normalise(name): abbr for abbr, name in STATES.items()}
        self._state_words.update({abbr.lower(): abbr for abbr in STATES})

    def get(self, city_id: str) -> City:
        return self._by_id[city_id]

    def home_of(self, location: RentalLocation, searched: City) -> City:
        """The city whose prices a counter charges: DFW is priced as Dallas, whichever city was asked for."""
        if location.kind == "airport":
            return self._by_airport[location.code.lower()][0]
        return searched

    def resolve(self, text: str) -> City:
        words = _normalise(text)
        if not words:
            raise UnknownCity(text, [])
        if text.strip().lower() in self._by_id:
            return self._by_id[text.strip().lower()]
        name, state = self._split_state(words)
        matches = self._by_name.get(name, [])
        if state is not None:
            matches = [city for city in matches if city.state == state]
        elif not matches and name in self._by_airport:
            matches = self._by_airport[name][:1]  # DFW means Dallas before Fort Worth or Arlington
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise AmbiguousCity(text, matches)
        raise UnknownCity(text, self._suggest(name, state))

    def _split_state(self, words: str) -> tuple[str, str | None]:
        """'portland oregon' -> ('portland', 'OR'); keeps 'new york' whole, since it is a city too."""
        if words in self._by_name:
            return words, None
        for state_words, abbr in sorted(self._state_words.items(), key=lambda item: -len(item[0])):
            if words.endswith(" " + state_words):
                return words[: -len(state_words) - 1].strip(), abbr
        return words, None

    def _suggest(self, name: str, state: str | None) -> list[City]:
        """The closest spellings, else the cities served in the state that was named."""
        close = difflib.get_close_matches(name, list(self._by_name), n=3, cutoff=0.75)
        found = list(dict.fromkeys(city for match in close for city in self._by_name[match]))
        in_state = [city for city in found if city.state == state]
        if state is not None:
            found = in_state or found or [city for city in self.cities if city.state == state]
        return found[:3]
