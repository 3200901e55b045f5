"""The skill on a fake clock talking to a scripted slow search API (tests/fakes/slow_api.py): one turn's worst case,
measured without waiting for it. Used by tests/skill/test_turn_deadline.py and bench/adversarial.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skill.builder import build_skill
from skill.config import SkillSettings
from skill.search_client import SearchClient

from tests.builders.alexa import Conversation
from tests.builders.talk import NOW, FirstVariant, Talk
from tests.fakes.slow_api import CONNECT_AND_READ_S, Answer, FakeTime, ScriptedApi, SlowProgressive

DEADLINE_S = SkillSettings().deadline_s
ONE_SENTENCE = ("find a compact car from Avis in Denver on December fifth", "FindCarIntent",
                {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "compact", "company": "Avis"})  # fmt: skip
JUST_UNDER_S = CONNECT_AND_READ_S - 0.01  # an answer just under the connection's timeouts


class Turn:
    """The skill on the fake clock, talking to the scripted API; `said` and `took_s` of the last turn."""

    def __init__(self, script: Callable[[str, int], Answer], progressive_s: float = 0.05, init_s: float = 0.0):
        self.time = FakeTime()
        self.api = ScriptedApi(self.time, script)
        self.progressive = SlowProgressive(self.time, progressive_s)
        url = "https://api.example.com/beta"  # never reached: the scripted API answers
        settings = SkillSettings(search_api_url=url)
        init_started = self.time.now
        handler = build_skill(SearchClient(url, transport=self.api), settings, progressive=self.progressive,  # type: ignore[arg-type]
                              now=lambda: NOW, sleep=self.time.sleep, rng=FirstVariant(), init_started=init_started,
                              clock=self.time.monotonic).lambda_handler()  # fmt: skip
        self.time.sleep(init_s)  # the rest of a cold start's init, which the first request waits for
        self._arrived = init_started
        conversation = Conversation(api_access_token="token", api_endpoint="https://api.amazonalexa.com")
        self.talk = Talk(handler, conversation)

    def say(self, words: str, intent: str, slots: dict[str, Any] | None = None) -> str:
        arrived = min(self._arrived, self.time.now)
        said = self.talk.say(words, intent, slots, state="STARTED")
        self.took_s = self.time.now - arrived
        self._arrived = float("inf")  # the next request arrives when it is made
        return said


def always(post: Answer, get: Answer) -> Callable[[str, int], Answer]:
    return lambda method, _: post if method == "POST" else get
