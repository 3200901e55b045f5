"""Plays scripted conversations through the whole local stack, as `make chat` holds them, and scores each.

    python -m tools.play_conversations tests/heldout/conversations.json [--verbose]

The file is a JSON list of {"name", "turns": [{"say", "intent"}], "outcome": "offer" | "ended" | "answered",
"expect": {"city", "carSize", "company"}} (tests/heldout/README.md). A conversation passes when:
- every turn is understood as the intent its script names (or one the skill takes the same: "no" to the company
  question and "any company" alike), and the skill answers it (no error, no silence);
- the skill never asks the same question twice in a row, word for word, after the person tried to answer it;
- its outcome holds: "offer", the last answer that offers a car (an offer, the best so far, or another company's
  car) names the expected size and company; "ended", the session ended and the skill said goodbye; "answered",
  every turn was answered.
It prints a line per conversation that failed, with why, and the share that passed. It exits 0 whatever the
score: it measures, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXITS = ("AMAZON.StopIntent", "AMAZON.CancelIntent")
# What a person says to answer the skill's question: the same question back means it was not understood.
ANSWERS = ("FindCarIntent", "AMAZON.FallbackIntent", "AMAZON.YesIntent", "AMAZON.NoIntent")
# The skill's lines that offer a car, from its own strings: an offer, the best so far, another company's car.
OFFER_KEYS = ("OFFER", "NEXT_OFFER", "OFFER_SO_FAR", "NO_MATCH_SAME_SIZE", "NO_MATCH_SAME_COMPANY",
              "NO_MATCH_CHEAPEST", "NO_COUNTER", "COMPANY_FAILED", "CHEAPER")  # fmt: skip
CLASS_WORDS = {"economy": "economy", "compact": "compact", "midsize": "midsize", "standard": "standard",
               "fullsize": "full-size", "suv": "SUV", "minivan": "minivan", "premium": "premium",
               "luxury": "luxury"}  # fmt: skip


@dataclass
class Played:
    name: str
    problems: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.play_conversations", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--verbose", action="store_true", help="print every conversation's transcript")
    args = parser.parse_args(argv)
    scripts = json.loads(args.file.read_text(encoding="utf-8"))

    sys.path.insert(0, str(ROOT / "lambda"))
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from local_stack.stack import LocalStack, StackOptions

    latency = float(os.environ.get("SUPPLIER_LATENCY_SCALE", "0.05"))
    with LocalStack(StackOptions(skill_port=0, api_port=0, latency_scale=latency)) as stack:
        played = [play(stack, script) for script in scripts]
    failed = [p for p in played if p.problems]
    for conversation in played:
        if args.verbose or conversation.problems:
            print(
                f"{'FAIL' if conversation.problems else 'pass'} {conversation.name}: {'; '.join(conversation.problems)}"
            )
            if args.verbose:
                print("\n".join(f"    {line}" for line in conversation.transcript))
    passed = len(played) - len(failed)
    print(f"{passed} of {len(played)} conversations passed ({passed / max(len(played), 1):.0%})")
    return 0


def play(stack: Any, script: dict[str, Any]) -> Played:
    from local_stack.chat import Chat
    from local_stack.envelopes import Device
    from local_stack.interaction_model import ModelStore
    from tools.skill_models import MODELS_DIR

    played = Played(script["name"])
    device = Device(stack.progressive_endpoint, stack.access_token, clock=stack.options.clock.now,
                    user_id=f"amzn1.ask.account.PLAY{abs(hash(script['name'])) % 10**8:08d}")  # fmt: skip
    chat = Chat(stack.skill_url, ModelStore(MODELS_DIR), device)
    stack.on_progressive(chat.progressive)
    offers = _offer_patterns()
    last_offer: str | None = None
    previous: str | None = None
    ended = False
    for turn in script["turns"]:
        said = chat.say(turn["say"])
        understood = said.understood.intent if said.understood else None
        kind = said.understood.kind if said.understood else None
        speech = said.speech or ""
        played.transcript += [f"U: {turn['say']}   [{understood or kind}]", f"A: {speech or said.error or '(nothing)'}"]
        if not _same_intent(turn["intent"], said):
            played.problems.append(f"{turn['say']!r} understood as {understood or kind}, not {turn['intent']}")
        if said.error:
            played.problems.append(f"{turn['say']!r}: {said.error}")
        elif not speech and kind != "exit":
            played.problems.append(f"{turn['say']!r}: no answer")
        # A loop: the same question again, word for word, after the person tried to answer it.
        if speech and speech == previous and speech.endswith("?") and understood in ANSWERS:
            played.problems.append(f"{turn['say']!r}: the same question again: {speech!r}")
        if any(pattern.search(speech) for pattern in offers):
            last_offer = speech
        previous = speech or previous
        ended = said.session_ended
    _judge(played, script, last_offer, ended)
    return played


def _same_intent(expected: str, said: Any) -> bool:
    """The intent the script names, or what the skill takes as the same: "exit" for stop or cancel, and a size or
    company of "any" (no preference) for no to the question about it."""
    understood = said.understood
    if understood is None:
        return False
    if understood.intent == expected or (understood.kind == "exit" and expected in EXITS):
        return True
    chosen = {id_ for slot in understood.slots.values() for id_, _ in slot.matches or ()}
    return expected == "AMAZON.NoIntent" and understood.intent == "FindCarIntent" and chosen == {"any"}


def _judge(played: Played, script: dict[str, Any], last_offer: str | None, ended: bool) -> None:
    outcome, expect = script["outcome"], script.get("expect") or {}
    if outcome == "offer":
        if last_offer is None:
            played.problems.append("no offer was said")
            return
        size = CLASS_WORDS.get(expect.get("carSize", ""))
        if size and size.lower() not in last_offer.lower():
            played.problems.append(f"the offer is not for a {size} car: {last_offer!r}")
        company = expect.get("company")
        if company and company.lower() not in last_offer.lower():
            played.problems.append(f"the offer is not from {company}: {last_offer!r}")
    elif outcome == "ended" and not ended:
        played.problems.append("the session did not end")


def _offer_patterns() -> list[re.Pattern[str]]:
    """The skill's offer lines as patterns, placeholders matching anything, from its en-US strings."""
    strings = json.loads((ROOT / "lambda" / "skill" / "strings" / "en-US.json").read_text(encoding="utf-8"))
    placeholder = re.compile(r"\{[^{}]*\}")
    return [
        re.compile(".+?".join(re.escape(part) for part in placeholder.split(variant)))
        for key in OFFER_KEYS
        for variant in strings[key]
    ]


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # a search still asking its suppliers would hold the interpreter's exit
