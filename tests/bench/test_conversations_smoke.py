"""The conversation benchmark, tiny and fast: six people, one conversation each, time played ten times faster.

It checks that the benchmark runs end to end and reports what latest.json needs, not the figures themselves;
those are `make bench`'s (bench/README.md), and no figure of speed is asserted: on a busy machine a turn may take
long enough, at this scale, for the skill's scaled timeouts to give up. What holds on any machine: every
conversation is played and reported, both designs searched alike, and the stacks answered no 5xx and wrote whole
log lines, each naming its own function and its search.
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
        assert sum(design["outcomes"].values()) == design["conversations"] == 6
        assert design["outcomes"].get("offer", 0) + design["outcomes"].get("no_match", 0) >= 1, design["problems"]
        assert set(design["final_turn_wait_s"]) >= {"p50", "p95", "p99"}
        assert set(design["turn_response_s"]) >= {"p50", "p95", "p99", "max"}
    assert result["query_mismatches"] == 0
    for stack in result["stacks"]["ours"] + result["stacks"]["baseline"]:
        assert stack["api_5xx"] == 0
        log = stack["log"]
        assert log["lines"] > 0 and log["not_json"] == log["wrong_function"] == log["without_search"] == 0, log
