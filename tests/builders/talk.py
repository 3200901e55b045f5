"""A person talking to the skill, turn after turn: the skill's lambda_handler with its search client over HTTP to
both search Lambdas (in-process, moto S3), as in tests/skill/. Each turn returns what Alexa would say."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from skill.builder import build_skill
from skill.config import SkillSettings
from skill.search_client import SearchClient
from skill.speech import plain

from tests.builders.alexa import Conversation
from tests.builders.http_api import ROLE

T = TypeVar("T")
DialogState = Literal["STARTED", "IN_PROGRESS", "COMPLETED"]
# Monday 23 November 2026, 10:00 in New York: the `clock` fixture's time, which the stack's Lambdas read too.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@dataclass
class Talk:
    """A person talking to the skill: each turn returns what Alexa would say."""

    handler: Any
    conversation: Conversation = field(default_factory=Conversation)
    transcript: list[str] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)

    def launch(self) -> str:
        return self._turn("(opens the skill)", self.conversation.launch())

    def say(
        self, words: str, intent: str, slots: dict[str, Any] | None = None, state: DialogState = "IN_PROGRESS"
    ) -> str:
        return self._turn(words, self.conversation.intent(intent, slots, dialog_state=state))

    def leave(self) -> None:
        """ "Exit": Alexa ends the session with a SessionEndedRequest; the next request opens a new session."""
        self.handler(self.conversation.session_ended(), None)
        self.transcript.append("U: exit")

    def _turn(self, words: str, request: dict[str, Any]) -> str:
        response = self.handler(request, None)
        self.conversation.remember(response)
        self.last = response["response"]
        spoken = plain(self.last["outputSpeech"]["ssml"]) if "outputSpeech" in self.last else ""
        self.transcript += [f"U: {words}", f"A: {spoken}"]
        return spoken

    @property
    def elicited(self) -> str | None:
        directives = [d for d in self.last.get("directives", []) if d["type"] == "Dialog.ElicitSlot"]
        return directives[0]["slotToElicit"] if directives else None

    @property
    def ended(self) -> bool:
        return bool(self.last.get("shouldEndSession"))


class FirstVariant(random.Random):
    """Always the first phrasing of a line, so that tests can quote it."""

    def choice(self, seq: Sequence[T]) -> T:  # type: ignore[override]  # the tests pass sequences
        return seq[0]


def skill(url: str, deadline_s: float = 3.0, now: datetime = NOW) -> Any:
    config = SkillSettings(search_api_url=url, deadline_s=deadline_s, poll_interval_s=0.05)
    return build_skill(SearchClient(url, ROLE), config, now=lambda: now, rng=FirstVariant()).lambda_handler()
