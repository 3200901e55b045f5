"""API latency: POST /search through the start Lambda and GET /search through the search Lambda, in-process
against moto S3, for searches whose results hold 10, 100 and 1000 offers.

The sizes take turns call by call, so that a slower stretch of a shared machine falls on every size alike.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.harness import Stack, build_stack, moto_s3, trip
from bench.offers import fixed_offer_providers
from bench.stats import FullCollections, summary, timed_ms
from search_service.api.search_routes import MAX_LIMIT
from search_service.domain.cities import CityCatalog

SIZES = (10, 100, 1000)
CITY = "New York"
CAR_SIZE = "compact"  # one class in nine: about a ninth of the offers match
WARM_UP = 3  # untimed calls on each fresh handler; the first one is reported on its own
SEARCH_RUNS = 5  # async search jobs timed per size

Call = Callable[[Stack, str], dict[str, Any]]


def run(repeat: int) -> dict[str, Any]:
    with moto_s3():
        _warm_up_process()
        stacks = {size: build_stack(fixed_offer_providers(size, CityCatalog())) for size in SIZES}
        pickup, dropoff = trip(30)

        def start(stack: Stack, _: str) -> dict[str, Any]:
            return stack.post(CITY, pickup, dropoff)

        def get(stack: Stack, token: str) -> dict[str, Any]:
            return stack.get(token, Limit=str(MAX_LIMIT))

        def get_car_size(stack: Stack, token: str) -> dict[str, Any]:
            return stack.get(token, Limit=str(MAX_LIMIT), CarSize=CAR_SIZE)

        first_start, starts, _ = _measure(stacks, dict.fromkeys(SIZES, ""), start, repeat)
        tokens = {size: json.loads(starts[size][-1][1]["body"])["token"] for size in SIZES}
        jobs = {size: _run_searches(stacks[size], size) for size in SIZES}
        first_get, gets, gets_gc = _measure(stacks, tokens, get, repeat)
        _, filtered, filtered_gc = _measure(stacks, tokens, get_car_size, repeat)

    results = {}
    for size in SIZES:
        _check(gets[size][-1][1], size, min(size, MAX_LIMIT))
        results[str(size)] = {
            "start_ms": summary([ms for ms, _ in starts[size]]),
            "start_first_ms": round(first_start[size], 3),
            "search_job_ms": summary(jobs[size]),
            "get_ms": summary([ms for ms, _ in gets[size]]),
            "get_first_ms": round(first_get[size], 3),
            "get_body_kb": round(len(gets[size][-1][1]["body"]) / 1024, 1),
            "get_car_size_ms": summary([ms for ms, _ in filtered[size]]),
            "get_car_size_offers": _check(filtered[size][-1][1], None, None)["offerCount"],
            # full garbage collections that fell inside the timed GETs of this size, both kinds
            "get_full_gc": FullCollections.summarise(gets_gc.get(size, []) + filtered_gc.get(size, [])),
        }
    return results


def _measure(
    stacks: dict[int, Stack], tokens: dict[int, str], call: Call, repeat: int
) -> tuple[dict[int, float], dict[int, list[tuple[float, Any]]], dict[int, list[float]]]:
    """Times `repeat` calls per size, sizes in turn, after WARM_UP untimed ones of which the first is kept."""
    first = {size: timed_ms(partial(call, stack, tokens[size]))[0] for size, stack in stacks.items()}
    for size, stack in stacks.items():
        for _ in range(WARM_UP - 1):
            call(stack, tokens[size])
    samples: dict[int, list[tuple[float, Any]]] = defaultdict(list)
    with FullCollections() as gcs:
        for _ in range(repeat):
            for size, stack in stacks.items():
                gcs.label = size
                samples[size].append(timed_ms(partial(call, stack, tokens[size])))
    return first, samples, gcs.by_label()


def _run_searches(stack: Stack, size: int) -> list[float]:
    """The search Lambda's async job for the last few searches started, the last one included."""
    timings = []
    for search_id in stack.launcher.launched[-SEARCH_RUNS:]:
        ms, outcome = timed_ms(partial(stack.run, search_id))
        if outcome.get("status") != "done" or outcome.get("offers") != size:
            raise RuntimeError(f"the search of {size} offers went wrong: {outcome}")
        timings.append(ms)
    return timings


def _check(response: dict[str, Any], count: int | None, returned: int | None) -> dict[str, Any]:
    body = json.loads(response["body"])
    if body["status"] != "complete" or (count is not None and body["offerCount"] != count):
        raise RuntimeError(f"unexpected results: {body['status']}, {body['offerCount']} offers")
    if returned is not None and len(body["offers"]) != returned:
        raise RuntimeError(f"expected {returned} offers in the page, got {len(body['offers'])}")
    return body


def _warm_up_process() -> None:
    """One throwaway search, so that one-off costs of the process (botocore loading its S3 model, moto
    starting its backend) are not charged to the first size."""
    stack = build_stack(fixed_offer_providers(10, CityCatalog()))
    token = json.loads(stack.post(CITY, *trip(30))["body"])["token"]
    stack.run(stack.launcher.launched[-1])
    stack.get(token)
