"""The last turn against an adversarial search API, on a fake clock: the worst turn of the cases that
tests/skill/test_turn_deadline.py holds to the deadline, as figures (the tests assert them; this reports them)."""

from __future__ import annotations

from typing import Any


def run() -> dict[str, Any]:
    from local_stack import skill_importable

    skill_importable()
    from tests.builders.slow_turn import DEADLINE_S, JUST_UNDER_S, ONE_SENTENCE, Turn, always
    from tests.fakes.slow_api import Answer, accepted, results

    searching = results({"avis": None}, company="avis")
    slow_get = results({"avis": None}, company="avis", takes_s=JUST_UNDER_S)
    post = accepted()
    cases = {
        "every answer just under its timeouts, progressive 0.99 s": Turn(
            always(Answer(post.status, post.body, JUST_UNDER_S), slow_get), progressive_s=0.99
        ),
        "dropped connection, POST retried, GETs just under": Turn(
            always(Answer(post.status, post.body, JUST_UNDER_S, dropped_after_s=2.4), slow_get)
        ),
        "cold start's init 4 s, POST just under": Turn(
            always(Answer(post.status, post.body, JUST_UNDER_S), searching), init_s=4.0
        ),
        "cold start's init 6.5 s": Turn(always(post, searching), init_s=6.5),
        "progressive response hangs": Turn(always(post, searching), progressive_s=30.0),
        "GETs pending until the deadline": Turn(always(post, searching)),
    }
    measured: dict[str, tuple[float, str]] = {}
    for name, turn in cases.items():
        said = turn.say(*ONE_SENTENCE)
        measured[name] = (round(turn.took_s, 3), said)
    return {
        "deadline_s": DEADLINE_S,
        "worst_turn_s": max(took for took, _ in measured.values()),
        "cases": measured,
    }
