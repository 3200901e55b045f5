"""A spike, push against pull: a discrete-event simulation (simulated time, no sleeping) of searches started at ten
times the sustainable rate for a minute, handed to the search Lambda by Lambda's async invoke (Handover: invoke) or
through the search queue (Handover: queue), with the template's own numbers.

`python -m bench spike` (or `make bench BENCH_ARGS="--only spike"`) prints the figures and writes
bench/results/spike.json. Seeded: the same seed gives the same figures on any machine.

What is modelled, and from where:
- Starts arrive at random (Poisson): `SUSTAINABLE` = C / T per second (docs/deploy.md's arithmetic: C reserved
  executions, T = 12 s a search) for a minute, then `SPIKE_FACTOR` times that for a minute, then the sustainable
  rate for five minutes.
- POST /search's throttle is a token bucket (API Gateway's): the template's StartRateLimit and StartBurstLimit, and,
  as a second case, the stage's ApiRateLimit and ApiBurstLimit (what a queue might let one raise it to). A start
  over it is a 429 at once, not billed (API Gateway bills no throttled request).
- The start Lambda takes 0.2 s (docs/deploy.md), then hands over.
- A run lasts as long as its slowest supplier: each of the nine simulated suppliers' typical latency
  (search_service/domain/fleet.py) times the simulated spread (0.75 to 1.25, search_service/providers/simulated.py),
  capped at 12 s, plus 0.3 s of S3 writes; it is cut at the search's deadline (SEARCH_DEADLINE_SECONDS, 120 s after
  the start). A run that starts after the deadline is skipped (0.1 s), as domain/run.py does.
- invoke: Lambda runs the event at once when fewer than C runs are going; otherwise the invoke is throttled and
  Lambda retries it after 1 s, doubling up to 5 minutes (AWS Lambda developer guide, "How Lambda handles errors and
  retries with asynchronous invocation"), and gives it up when older than MaximumEventAgeInSeconds: the lost-search
  Lambda then marks it failed.
- queue: the event source takes the oldest message whenever fewer than MaximumConcurrency runs are going (batch
  size 1), with no throttle since MaximumConcurrency <= C. Three SQS requests a message: send, receive, delete.
- The skill's timing: a search started at the first utterance is needed at the last turn, about two answers
  later, which has 7 s (lambda/skill/deadline.py): `NEEDED_BY_S` after the start.
"""

from __future__ import annotations

import heapq
import itertools
import random
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search_service.domain.fleet import SUPPLIERS
from search_service.providers.simulated import MAX_LATENCY_S

# Public list prices, us-east-1, without free tiers, read 2026-12 (the same as docs/deploy.md "What it costs"):
LAMBDA_ARM_GB_S = 0.0000133334  # aws.amazon.com/lambda/pricing: arm64, per GB-second (first 6 billion a month)
LAMBDA_REQUEST = 0.20 / 1e6  # aws.amazon.com/lambda/pricing: per request
API_REST_REQUEST = 3.50 / 1e6  # aws.amazon.com/api-gateway/pricing: REST API, first 333 million a month
SQS_REQUEST = 0.40 / 1e6  # aws.amazon.com/sqs/pricing: standard queue, per request (64 KB chunk)

START_S = 0.2  # the start Lambda's run, at 1 GB (docs/deploy.md)
START_GB = 1.0
SEARCH_GB = 0.5  # the search Lambda's MemorySize
WRITES_S = 0.3  # a run's S3 writes beyond its slowest supplier
SKIP_S = 0.1  # a run that only reads the job and skips it
NEEDED_BY_S = 17.0  # two answers of about 5 s each, then the last turn's 7 s
SQS_REQUESTS_PER_MESSAGE = 3  # SendMessage, ReceiveMessage (batch size 1), DeleteMessage
FIRST_RETRY_S, LONGEST_RETRY_S = 1.0, 300.0  # Lambda's async retries after a throttle
TEMPLATE = Path(__file__).resolve().parents[1] / "infrastructure" / "template.yaml"


@dataclass(frozen=True)
class Numbers:
    """The template's numbers (infrastructure/template.yaml), read by `template_numbers`."""

    reserved: int = 50  # SearchReservedConcurrency
    start_rate: float = 3.5  # StartRateLimit
    start_burst: int = 8  # StartBurstLimit
    stage_rate: float = 20.0  # ApiRateLimit
    stage_burst: int = 40  # ApiBurstLimit
    deadline_s: float = 120.0  # SEARCH_DEADLINE_SECONDS
    max_event_age_s: float = 300.0  # EventInvokeConfig.MaximumEventAgeInSeconds
    max_concurrency: int = 50  # the search queue's ScalingConfig.MaximumConcurrency

    @property
    def sustainable(self) -> float:
        return self.reserved / MAX_LATENCY_S


def template_numbers() -> Numbers:
    from cfnlint.decode import decode  # type: ignore[import-untyped]  # a dev dependency; no stubs

    template, problems = decode(str(TEMPLATE))
    assert template is not None and not problems, problems
    # AllowedOrigins has no default (it is named at deploy): the simulation needs none of those.
    parameters = {name: spec["Default"] for name, spec in template["Parameters"].items() if "Default" in spec}
    search = template["Resources"]["SearchFunction"]["Properties"]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    return Numbers(
        reserved=int(parameters["SearchReservedConcurrency"]),
        start_rate=float(parameters["StartRateLimit"]),
        start_burst=int(parameters["StartBurstLimit"]),
        stage_rate=float(parameters["ApiRateLimit"]),
        stage_burst=int(parameters["ApiBurstLimit"]),
        deadline_s=float(variables["SEARCH_DEADLINE_SECONDS"]),
        max_event_age_s=float(search["EventInvokeConfig"]["MaximumEventAgeInSeconds"]),
        max_concurrency=int(parameters["SearchReservedConcurrency"]),  # the mapping's !If when some are reserved
    )


@dataclass
class Search:
    accepted_at: float
    run_s: float
    started_at: float | None = None
    outcome: str | None = None  # ran, expired (skipped past its deadline), lost (event too old: marked failed)
    cut: bool = False  # ran, but the deadline cut it short
    attempts: int = 0


@dataclass
class Outcome:
    offered: int = 0
    refused_429: int = 0
    searches: list[Search] = field(default_factory=list)
    lambda_throttles: int = 0
    runs_gb_s: float = 0.0
    invocations: int = 0
    sqs_requests: int = 0


def run_time(rnd: random.Random) -> float:
    slowest = max(min(s.latency_s * (0.75 + 0.5 * rnd.random()), MAX_LATENCY_S) for s in SUPPLIERS)
    return slowest + WRITES_S


def arrivals(rnd: random.Random, phases: list[tuple[float, float]]) -> list[float]:
    """Poisson arrival times through phases of (seconds, starts per second)."""
    times, begin = [], 0.0
    for length, rate in phases:
        t = begin
        while (t := t + rnd.expovariate(rate)) < begin + length:
            times.append(t)
        begin += length
    return times


def simulate(handover: str, numbers: Numbers, rate: float, burst: float, phases: list[tuple[float, float]],
             seed: int) -> Outcome:  # fmt: skip
    rnd = random.Random(seed)
    out = Outcome()
    events: list[tuple[float, int, Callable[[], None]]] = []
    order = itertools.count()
    running = 0
    waiting: list[Search] = []  # the search queue, oldest first
    limit = numbers.reserved if handover == "invoke" else min(numbers.max_concurrency, numbers.reserved)

    def at(when: float, action: Callable[[], None]) -> None:
        heapq.heappush(events, (when, next(order), action))

    def begin(search: Search, now: float) -> None:
        nonlocal running
        running += 1
        out.invocations += 1
        search.started_at = now
        left = numbers.deadline_s - (now - search.accepted_at)
        if left < 0:
            search.outcome, took = "expired", SKIP_S
        else:
            search.outcome, took = "ran", min(search.run_s, left + WRITES_S)
            search.cut = search.run_s > left + WRITES_S
        out.runs_gb_s += took * SEARCH_GB
        at(now + took, lambda: finish(now + took))

    def finish(now: float) -> None:
        nonlocal running
        running -= 1
        if waiting:
            begin(waiting.pop(0), now)

    def invoke(search: Search, now: float, backoff: float) -> None:
        if now - search.accepted_at > numbers.max_event_age_s:
            search.outcome = "lost"
            return
        search.attempts += 1
        if running < limit:
            begin(search, now)
            return
        out.lambda_throttles += 1
        at(now + backoff, lambda: invoke(search, now + backoff, min(backoff * 2, LONGEST_RETRY_S)))

    def enqueue(search: Search, now: float) -> None:
        out.sqs_requests += SQS_REQUESTS_PER_MESSAGE
        if running < limit:
            begin(search, now)
        else:
            waiting.append(search)

    def handing(search: Search, handed: float) -> Callable[[], None]:
        if handover == "invoke":
            return lambda: invoke(search, handed, FIRST_RETRY_S)
        return lambda: enqueue(search, handed)

    tokens, last = float(burst), 0.0
    for t in arrivals(rnd, phases):
        out.offered += 1
        tokens, last = min(burst, tokens + (t - last) * rate), t
        duration = run_time(rnd)  # drawn for every start, so both modes see the same searches
        if tokens < 1:
            out.refused_429 += 1
            continue
        tokens -= 1
        search = Search(t, duration)
        out.searches.append(search)
        handed = t + START_S
        at(handed, handing(search, handed))
    while events:
        _, _, action = heapq.heappop(events)
        action()
    return out


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(out: Outcome) -> dict[str, Any]:
    accepted = len(out.searches)
    outcomes = Counter(s.outcome for s in out.searches)
    delays = [max(0.0, s.started_at - s.accepted_at - START_S) for s in out.searches if s.started_at is not None]
    ran = [s for s in out.searches if s.outcome == "ran"]
    ready = [s for s in ran if not s.cut and s.started_at is not None and
             s.started_at + s.run_s - s.accepted_at <= NEEDED_BY_S]  # fmt: skip
    lambda_gb_s = out.runs_gb_s + accepted * START_S * START_GB
    lambda_requests = out.invocations + accepted
    cost: dict[str, Any] = {
        "lambda_gb_s": round(lambda_gb_s, 1),
        "lambda_usd": round(lambda_gb_s * LAMBDA_ARM_GB_S + lambda_requests * LAMBDA_REQUEST, 4),
        "api_requests_billed": accepted,
        "api_usd": round(accepted * API_REST_REQUEST, 4),
        "sqs_requests": out.sqs_requests,
        "sqs_usd": round(out.sqs_requests * SQS_REQUEST, 4),
    }
    cost["total_usd"] = round(cost["lambda_usd"] + cost["api_usd"] + cost["sqs_usd"], 4)
    cost["usd_per_1000_ready"] = round(1000 * cost["total_usd"] / len(ready), 4) if ready else None
    return {
        "offered": out.offered,
        "refused_429": out.refused_429,
        "accepted": accepted,
        "ran": outcomes["ran"],
        "ran_cut_by_deadline": sum(s.cut for s in ran),
        "expired_before_run": outcomes["expired"],
        "lost_marked_failed": outcomes["lost"],
        "ready_for_last_turn": len(ready),
        "queueing_delay_s": {
            "p50": round(statistics.median(delays), 2) if delays else 0.0,
            "p95": round(_quantile(delays, 0.95), 2),
            "max": round(max(delays, default=0.0), 2),
        },
        "lambda_throttles": out.lambda_throttles,
        "invocations": out.invocations,
        "cost": cost,
    }


def run(seed: int = 1, spike_factor: float = 10.0, numbers: Numbers | None = None) -> dict[str, Any]:
    numbers = numbers or template_numbers()
    rate = numbers.sustainable
    phases = [(60.0, rate), (60.0, spike_factor * rate), (300.0, rate)]
    throttles = {
        "start_throttle": (numbers.start_rate, numbers.start_burst),
        "stage_throttle": (numbers.stage_rate, numbers.stage_burst),
    }
    results: dict[str, Any] = {
        "seed": seed,
        "sustainable_per_s": round(rate, 3),
        "spike_factor": spike_factor,
        "phases_s_and_rate": [[length, round(r, 3)] for length, r in phases],
        "numbers": numbers.__dict__,
    }
    for name, (limit, burst) in throttles.items():
        results[name] = {
            "limit": [limit, burst],
            **{mode: report(simulate(mode, numbers, limit, burst, phases, seed)) for mode in ("invoke", "queue")},
        }
    return results


def table(results: dict[str, Any]) -> str:
    head = ("throttle", "mode", "offered", "429s", "accepted", "ran", "cut", "expired", "lost", "ready",
            "delay p50", "delay p95", "Lambda throttles", "GB-s", "$ total")  # fmt: skip
    rows = ["  ".join(head)]
    for name in ("start_throttle", "stage_throttle"):
        for mode in ("invoke", "queue"):
            r = results[name][mode]
            cells = (name.split("_")[0], mode, r["offered"], r["refused_429"], r["accepted"], r["ran"],
                     r["ran_cut_by_deadline"], r["expired_before_run"], r["lost_marked_failed"],
                     r["ready_for_last_turn"], r["queueing_delay_s"]["p50"], r["queueing_delay_s"]["p95"],
                     r["lambda_throttles"], r["cost"]["lambda_gb_s"], r["cost"]["total_usd"])  # fmt: skip
            rows.append("  ".join(f"{cell!s:>{len(title)}}" for cell, title in zip(cells, head, strict=True)))
    return "\n".join(rows)
