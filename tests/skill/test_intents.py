"""Every intent of the interaction models reaches a handler of the skill, and every intent the handlers take is in
the models: rules over the models and the skill's code, so an intent added with its handler needs no edit here."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from skill import handlers
from skill.builder import build_skill
from skill.config import SkillSettings
from skill.search_client import SearchClient
from skill.speech import plain
from skill.strings import Strings

from tests.builders.alexa import intent
from tests.skill_package.model import ALL_LOCALES, intents

INTENT_NAME = re.compile(r"(?:AMAZON\.)?[A-Z][A-Za-z]*Intent")


def _skill() -> Any:
    """The skill as Lambda runs it; no intent asked without slots reaches the search API, which is not running."""
    settings = SkillSettings(search_api_url="http://127.0.0.1:9/beta")
    return build_skill(SearchClient(settings.search_api_url), settings).lambda_handler()


def _answer(skill: Any, name: str, locale: str) -> str:
    """What the skill says to a new session's request for intent `name`."""
    response = skill(intent(name, locale=locale), None)["response"]
    return plain(response["outputSpeech"]["ssml"]) if "outputSpeech" in response else ""


def _apologises(said: str, locale: str) -> bool:
    """Whether `said` is the catch-all's apology: no handler took the request, or the one that did raised."""
    return said in Strings(locale).variants("ERROR")


def _intents_the_handlers_name() -> set[str]:
    found = set()
    for path in Path(handlers.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and INTENT_NAME.fullmatch(node.value):
                found.add(node.value)
    return found


def test_every_intent_of_every_model_has_a_handler_that_answers_it() -> None:
    # GIVEN the skill as built for Lambda
    skill = _skill()
    unhandled = []
    for locale in ALL_LOCALES:
        for name in intents(locale):
            # WHEN a user's request for each intent of the locale's model arrives
            said = _answer(skill, name, locale)
            # THEN a handler answers it: the user does not hear the catch-all's apology
            if _apologises(said, locale):
                unhandled.append(f"{locale} {name}: {said!r}")
    assert not unhandled, "no handler answers:\n" + "\n".join(unhandled)


def test_an_intent_without_a_handler_gets_the_apology() -> None:
    # The rule above can tell: an intent no handler takes is answered by the catch-all.
    assert _apologises(_answer(_skill(), "OrderPizzaIntent", "en-US"), "en-US")


def test_every_intent_the_handlers_take_is_in_every_model() -> None:
    # An intent a handler takes but a model lacks is never sent by Alexa: the handler is dead in that locale.
    named = _intents_the_handlers_name()
    assert named, "the scan of skill/handlers found no intent name"
    missing = [f"{locale} lacks {name}" for locale in ALL_LOCALES for name in sorted(named - intents(locale).keys())]
    assert not missing, "\n".join(missing)
