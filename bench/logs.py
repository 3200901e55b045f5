"""What a local stack's log file says about a run: the Lambdas' JSON lines, each naming the function that wrote it
and, where there is one, its search (the correlation id). Lines that are not JSON were broken by concurrent writers."""

from __future__ import annotations

import json
from pathlib import Path

# The lines the Lambdas write for each search, and the function that writes each.
FUNCTION_OF = {"search accepted": "start", "results read": "results", "search finished": "search"}


def audit(path: Path) -> dict[str, int]:
    counts = {"lines": 0, "not_json": 0, "wrong_function": 0, "without_search": 0, "searches_started": 0,
              "quote_hits": 0, "quote_misses": 0}  # fmt: skip
    started: set[str] = set()
    finished: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            counts["not_json"] += 1
            continue
        message = line.get("message") if isinstance(line, dict) else None
        expected = FUNCTION_OF.get(message) if isinstance(message, str) else None
        if expected is None:
            continue  # the metrics' EMF lines, and any other line
        counts["lines"] += 1
        counts["wrong_function"] += line.get("function_name") != expected
        search = line.get("correlation_id")
        counts["without_search"] += not search
        if line["message"] == "search accepted" and search:
            started.add(search)
        elif line["message"] == "search finished" and search:
            finished.add(search)
            counts["quote_hits"] += int(line.get("quote_hits") or 0)
            counts["quote_misses"] += int(line.get("quote_misses") or 0)
    counts["searches_started"] = len(started)
    counts["searches_not_finished"] = len(started - finished)
    return counts
