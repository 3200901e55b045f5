"""The search Lambdas' log lines as they write them to CloudWatch: Powertools' JSON, formatted when each record is
emitted, on the invocation's own thread, where its keys (function name, request id, correlation id) are."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from search_service.observability import logger


class WrittenLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logger.registered_formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@contextmanager
def written_lines() -> Iterator[list[dict[str, Any]]]:
    """The lines this process's Lambdas write meanwhile (the local stack's search runtime, a child, writes its own)."""
    handler = WrittenLines()
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
