"""The conversation benchmark, tiny and fast: six people, one conversation each, time played ten times faster.

It checks that the benchmark runs end to end and reports what latest.json needs, not the figures themselves;
those are `make bench`'s (bench/README.md). Only what holds on a loaded machine is asserted: no skill turn over
Alexa's 8 s (the skill's budget and timeouts are scaled with time, so its worst case stays 7.5 s), most
conversations get their offer (at this scale a stalled machine can push a call past the skill's scaled timeout),
and the naive baseline makes people wait longer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest


@pytest.fixture
def untouched_environment() -> Iterator[None]:
    """Importing `bench` sets the benchmarks' environment for its process: keep it out of the other tests."""
    saved, bytecode = dict(os.environ), sys.dont_write_bytecode
    yield
    os.environ.clear()
    os.environ.update(saved)
    sys.dont_write_bytecode = bytecode


def test_the_conversation_benchmark_runs_both_designs_and_reports_what_latest_json_needs(
    untouched_environment: None,
) -> None:
    from bench import conversations

    result = conversations.run(users=6, conversations=6, time_scale=0.1, seed=3, stacks=1)

    ours, baseline = result["ours"], result["baseline"]
    for design in (ours, baseline):
        assert set(design["final_turn_wait_s"]) >= {"p50", "p95", "p99"}
        assert set(design["turn_response_s"]) >= {"p50", "p95", "p99", "max"}
        assert design["outcomes"].get("offer", 0) + design["outcomes"].get("no_match", 0) >= 4, design["problems"]
    assert ours["turns_over_8s"] == 0, ours["turn_response_s"]
    assert result["query_mismatches"] == 0
    assert baseline["final_turn_wait_s"]["p50"] > ours["final_turn_wait_s"]["p50"]
    assert len(result["samples"]["ours_final_wait_s"]) >= 4
