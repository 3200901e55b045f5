"""A Lambda handler standing in for the real one behind a local server: records each event and answers the same."""

from __future__ import annotations

from typing import Any


class RecordingHandler:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        return self.answer
