"""The spike simulation's invariants (bench/spike.py): every search offered ends exactly one way, a rate the runs
sustain expires nothing in either handover, the queue never throttles the search Lambda, and a seed gives the same
figures. No figure of speed is asserted: it is simulated time."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest


@pytest.fixture(scope="module")
def spike() -> Iterator[ModuleType]:
    """Importing `bench` sets the benchmarks' environment for its process (Powertools' log level among it): it is
    imported here and the environment put back, so the other tests' Lambdas log as before."""
    saved, bytecode = dict(os.environ), sys.dont_write_bytecode
    from bench import spike

    os.environ.clear()
    os.environ.update(saved)
    sys.dont_write_bytecode = bytecode
    yield spike


@pytest.fixture(scope="module")
def numbers(spike: ModuleType) -> Any:
    return spike.template_numbers()


def _cases(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        results[throttle][mode] for throttle in ("start_throttle", "stage_throttle") for mode in ("invoke", "queue")
    ]


def test_the_simulation_uses_the_templates_numbers(spike: ModuleType, numbers: Any) -> None:
    assert numbers == spike.Numbers()  # 50 reserved, POST 3.5/s burst 8, stage 20/40, 120 s deadline, 300 s age


@pytest.mark.parametrize("factor", [1.0, 10.0])
def test_every_search_ends_exactly_one_way(spike: ModuleType, numbers: Any, factor: float) -> None:
    for case in _cases(spike.run(seed=3, spike_factor=factor, numbers=numbers)):
        assert case["offered"] == case["accepted"] + case["refused_429"]
        assert case["accepted"] == case["ran"] + case["expired_before_run"] + case["lost_marked_failed"]
        assert case["ready_for_last_turn"] <= case["ran"] - case["ran_cut_by_deadline"]


def test_at_the_sustainable_rate_neither_handover_expires_or_loses_a_search_behind_the_start_throttle(
    spike: ModuleType,
    numbers: Any,
) -> None:
    results = spike.run(seed=3, spike_factor=1.0, numbers=numbers)
    # Behind the deployed POST throttle, both; the queue even behind the stage's (random arrivals above 50 runs at
    # once wait their turn), where the async invoke's backoff already makes a few late.
    start = results["start_throttle"]
    cases = [start["invoke"], start["queue"], results["stage_throttle"]["queue"]]
    for case in cases:
        assert case["expired_before_run"] == case["lost_marked_failed"] == case["ran_cut_by_deadline"] == 0


def test_both_handovers_see_the_same_starts_and_the_queue_never_throttles_the_runs(
    spike: ModuleType, numbers: Any
) -> None:
    results = spike.run(seed=5, numbers=numbers)
    for throttle in ("start_throttle", "stage_throttle"):
        invoke, queue = results[throttle]["invoke"], results[throttle]["queue"]
        assert (invoke["offered"], invoke["accepted"]) == (queue["offered"], queue["accepted"])
        assert queue["lambda_throttles"] == 0
        assert queue["cost"]["sqs_requests"] == 3 * queue["accepted"] and invoke["cost"]["sqs_requests"] == 0


def test_a_spike_past_the_start_throttle_is_refused_at_the_gateway_and_the_same_seed_gives_the_same_figures(
    spike: ModuleType,
    numbers: Any,
) -> None:
    first, again = spike.run(seed=11, numbers=numbers), spike.run(seed=11, numbers=numbers)
    assert first == again
    start = first["start_throttle"]
    assert start["invoke"]["refused_429"] > 0 and start["invoke"]["lambda_throttles"] == 0
