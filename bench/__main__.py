"""`make bench`: runs every benchmark once, prints a table and writes bench/results/latest.json and latest.png."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import ENV, adversarial, api_latency, cold_start, conversations, fan_out, long_poll, spike
from bench.chart import draw
from bench.harness import offline, quiet

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCHMARKS = (
    "cold_start",
    "api_latency",
    "fan_out",
    "long_poll",
    "adversarial",
    "conversations",
    "quote_cache",
    "spike",
)
STARVED_LAG_MS = 25  # p99 of how late a 10 ms sleep wakes, in a stack or among the people: the machine was busy


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per API figure (default 200)")
    parser.add_argument(
        "--users",
        type=int,
        default=conversations.DEFAULT_USERS,
        help=f"people talking at once, per design (default {conversations.DEFAULT_USERS})",
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=conversations.DEFAULT_CONVERSATIONS,
        help=f"conversations per design (default {conversations.DEFAULT_CONVERSATIONS})",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=conversations.DEFAULT_TIME_SCALE,
        help="multiplies supplier latency, the skill's waits and people's pauses "
        f"(default {conversations.DEFAULT_TIME_SCALE})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=conversations.DEFAULT_SEED,
        help=f"the conversations' seed (default {conversations.DEFAULT_SEED})",
    )
    parser.add_argument(
        "--stacks",
        type=int,
        default=conversations.DEFAULT_STACKS,
        help=f"local stacks (processes) per design (default {conversations.DEFAULT_STACKS})",
    )
    parser.add_argument("benchmarks", nargs="*", choices=[[], *BENCHMARKS], metavar="BENCHMARK",
                        help="the same as --only, e.g. `python -m bench spike`")  # fmt: skip
    parser.add_argument("--only", action="append", choices=BENCHMARKS,
                        help="run only this benchmark (repeatable); results go to bench/results/<names>.json "
                        "instead of latest.json")  # fmt: skip
    args = parser.parse_args()
    args.only = (args.only or []) + args.benchmarks or None
    if args.time_scale <= 0 or args.users < 1 or args.conversations < 1 or args.stacks < 1:
        parser.error("--time-scale, --users, --conversations and --stacks must be positive")

    offline()
    results: dict[str, Any] = {"machine": machine(), "environment": ENV}
    runs = {
        "cold_start": cold_start.run,
        "api_latency": lambda: api_latency.run(args.repeat),
        "fan_out": fan_out.run,
        "long_poll": long_poll.run,
        "adversarial": adversarial.run,
        "conversations": lambda: conversations.run(
            args.users, args.conversations, args.time_scale, args.seed, args.stacks, progress=_progress
        ),
        # The same conversations with the quote cache on, at its deployed 10 minutes: what sharing suppliers'
        # answers across users adds under this mix of cities and dates.
        "quote_cache": lambda: conversations.run(
            args.users,
            args.conversations,
            args.time_scale,
            args.seed,
            args.stacks,
            progress=_progress,
            quote_cache_s=600,
        ),
        # Push against pull under a spike: a simulation on the template's numbers, no stack (bench/spike.py).
        "spike": lambda: spike.run(args.seed),
    }
    chosen = [name for name in BENCHMARKS if not args.only or name in args.only]
    seconds = {}
    for name in chosen:
        started = time.perf_counter()
        with quiet():
            results[name] = runs[name]()
        seconds[name] = round(time.perf_counter() - started, 1)
    results["bench_s"] = seconds
    samples = results["conversations"].pop("samples") if "conversations" in results else None
    if "quote_cache" in results:
        results["quote_cache"].pop("samples")
    results = headline(results) | results
    print(table(results))
    out = RESULTS_DIR / ("latest.json" if not args.only else "-".join(chosen) + ".json")
    RESULTS_DIR.mkdir(exist_ok=True)
    partial = out.with_suffix(".tmp")
    partial.write_text(json.dumps(results, indent=2) + "\n")
    partial.replace(out)
    print(f"\nwritten to {_shown(out)}")
    if samples is not None:
        chart = out.with_suffix(".png")
        if draw(results, samples, chart):
            print(f"chart: {_shown(chart)}")


def headline(r: dict[str, Any]) -> dict[str, Any]:
    """The figures compared across runs, at the top of latest.json."""
    top: dict[str, Any] = {}
    if "conversations" in r:
        c = r["conversations"]
        top["final_turn_wait_s"] = _pick(c["ours"]["final_turn_wait_s"], "p50", "p95", "p99")
        top["final_turn_limit_s"] = c["ours"]["final_turn_limit_s"]
        top["baseline_final_turn_wait_s"] = _pick(c["baseline"]["final_turn_wait_s"], "p50", "p95", "p99")
        top["turns_over_8s"] = c["ours"]["turns_over_8s"]
        top["turn_response_s"] = _pick(c["ours"]["turn_response_s"], "p50", "p95", "p99", "max")
    if "quote_cache" in r:
        q = r["quote_cache"]
        top["quote_cache"] = {
            "final_turn_wait_s": _pick(q["ours"]["final_turn_wait_s"], "p50", "p95", "p99"),
            "final_turn_limit_s": q["ours"]["final_turn_limit_s"],
            "hit_rate": q["quote_hit_rate"],
        }
    if "adversarial" in r:
        top["adversarial_worst_turn_s"] = r["adversarial"]["worst_turn_s"]
    if "cold_start" in r:
        top["cold_start_s"] = cold_start.cold_start_s(r["cold_start"])
    return top


def machine() -> dict[str, Any]:
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_start": round(os.getloadavg()[0], 2),  # 1-minute: others' work on the machine shows here
        "packages": {name: version(name) for name in ("boto3", "moto", "aws-lambda-powertools", "pydantic")},
    }


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            return next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), None)
    except OSError:
        return platform.processor() or None


def _pick(summary: dict[str, float] | None, *keys: str) -> dict[str, float] | None:
    return None if summary is None else {key: summary[key] for key in keys}


def _progress(line: str) -> None:
    print(line, file=sys.__stderr__, flush=True)


def _shown(path: Path) -> Path:
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def table(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"Car Search benchmarks  {m['timestamp']}  {m['platform']}  Python {m['python']}  {m['cpus']} CPUs "
        f"({m['cpu_model']}), load average {m['load_average_at_start']} at the start",
        "",
    ]
    for name, section in (
        ("conversations", _conversations),
        ("quote_cache", _quote_cache),
        ("adversarial", _adversarial),
        ("api_latency", _api_latency),
        ("fan_out", _fan_out),
        ("long_poll", _long_poll),
        ("cold_start", _cold_start),
        ("spike", _spike),
    ):
        if name in r:
            lines += [*section(r), ""]
    took = ", ".join(f"{name} {s:.0f} s" for name, s in r["bench_s"].items())
    lines.append(f"took {sum(r['bench_s'].values()):.0f} s ({took})")
    return "\n".join(lines)


def _conversations(r: dict[str, Any]) -> list[str]:
    c = r["conversations"]
    ours, base, ratio = c["ours"], c["baseline"], c["ratio_baseline_over_ours"]
    scale = c["time_scale"]
    lines = [
        f"Conversations over HTTP through the local stack: {c['conversations']} per design, {c['users']} people at a "
        f"time per design, seed {c['seed']}, {c['stacks_per_design']} stacks per design",
        f"  realistic seconds: supplier latency, the skill's waits and people's pauses ran at x{scale:g} and every "
        f"time is divided by {scale:g} (compute is not scaled: it reads x{1 / scale:.3g})",
        f"{'':<34}{'ours (async)':>16}{'baseline (sync)':>18}{'baseline / ours':>17}",
    ]
    ow, bw = ours["final_turn_wait_s"] or {}, base["final_turn_wait_s"] or {}
    for key in ("p50", "p95", "p99", "mean"):
        times = "-" if ratio.get(key) is None else f"{ratio[key]:.1f}x"
        lines.append(f"  {'final-turn wait ' + key:<32}{_s(ow.get(key)):>16}{_s(bw.get(key)):>18}{times:>17}")
    lines += _limit_lines(ours)
    lines.append(
        f"  {'needed a still-searching turn':<32}{ours['still_searching_share']:>15.1%}"
        f"{base['still_searching_share']:>18.1%}"
    )
    ot, bt = ours["turn_response_s"] or {}, base["turn_response_s"] or {}
    for key in ("p50", "p95", "p99", "max"):
        lines.append(f"  {'skill turn ' + key:<32}{_s(ot.get(key)):>16}{_s(bt.get(key)):>18}")
    for label, count in (
        ("turns over 8 s", lambda d: _of(d["turns_over_8s"], d["turns"])),
        ("conversations with an offer", lambda d: _of(d["outcomes"].get("offer", 0), d["conversations"])),
    ):
        lines.append(f"  {label:<32}{count(ours):>16}{count(base):>18}")
    for design in ("ours", "baseline"):
        others = {k: v for k, v in c[design]["outcomes"].items() if k != "offer"}
        if others:
            lines.append(f"  {design}, other outcomes: {_outcomes(others)} (no_match: the skill offers another car)")
    q = c["question_turn_ms"] or {}
    stacks = c["stacks"]
    alike = "yes" if c["query_mismatches"] == 0 else f"NO, {c['query_mismatches']} differ"
    lines += [
        f"  turns that wait for nothing (unscaled): p50 {q.get('p50', 0):.0f} ms, p95 {q.get('p95', 0):.0f} ms; "
        f"the two designs searched alike: {alike}",
        f"  stacks' CPU (share of one core each): ours {_shares(stacks['ours'])}, "
        f"baseline {_shares(stacks['baseline'])}; a 10 ms sleep wakes late by p99 {_lag(stacks['ours'])} ms (ours), "
        f"{_lag(stacks['baseline'])} ms (baseline), {c['client_lag_ms']['p99']:.0f} ms (people)",
        f"  load average {c['load_average'][0]} before, {c['load_average'][1]} after; ran {c['wall_s']:.0f} s",
        f"  the stacks, ours: {_stack_health(stacks['ours'])}",
        "  final-turn wait p50 by variant, ours / baseline (needed still searching, ours):",
    ]
    lags = [s["lag_ms"]["p99"] for s in stacks["ours"] + stacks["baseline"] if s] + [c["client_lag_ms"]["p99"]]
    if max(lags) > STARVED_LAG_MS:
        lines.insert(
            3,
            f"  ! the processes were starved (a 10 ms sleep woke over {STARVED_LAG_MS} ms late, p99): the machine was "
            "busy, these figures are not the design's; run again on a quiet machine",
        )
    for variant, v in c["by_variant"].items():
        lines.append(
            f"    {variant:<16}{v['conversations']:>4}  {_s(v['final_turn_wait_p50_s']):>8} / "
            f"{_s(v['baseline_final_turn_wait_p50_s']):<8} ({v['still_searching_share']:.0%})"
        )
    for design in ("ours", "baseline"):
        for problem in c[design]["problems"]:
            lines.append(f"  ! {design}: {problem}")
    return lines


def _limit_lines(ours: dict[str, Any]) -> list[str]:
    """The final-turn wait beside the physical limit (ours), and for any company, dearer offers heard."""
    limit, wait = ours.get("final_turn_limit_s"), ours.get("final_turn_wait_with_limit_s")
    if not limit or not wait:
        return []
    over = ours["wait_over_limit"]
    lines = [
        f"  {'physical limit p50 / p95 / p99':<32}{_s(limit['p50'])} / {_s(limit['p95'])} / {_s(limit['p99'])}  "
        f"(wait {_s(wait['p50'])} / {_s(wait['p95'])} / {_s(wait['p99'])} over the same "
        f"{ours['limited_conversations']}: p95 {_x(over['p95'])}, p99 {_x(over['p99'])} the limit)",
    ]
    a = ours.get("any_company")
    if a:
        wait, first, full = a["wait_s"], a["at_first_offer_s"], a["full_list_s"]
        lines.append(
            f"  any company ({a['conversations']}): waited p50 / p95 {_s(wait['p50'])} / {_s(wait['p95'])}, heard a "
            f"dearer car than found in the end {a['heard_dearer']:.0%}; at the first offers it would be "
            f"{_s(first['p50'])} / {_s(first['p95'])} and {a['at_first_offer_dearer']:.0%} dearer, with the full "
            f"list {_s(full['p50'])} / {_s(full['p95'])}"
        )
    return lines


def _quote_cache(r: dict[str, Any]) -> list[str]:
    q, ours = r["quote_cache"], r["quote_cache"]["ours"]
    w = ours["final_turn_wait_s"] or {}
    rate = q["quote_hit_rate"]
    lines = [
        f"The same conversations with the quote cache on ({q['quote_cache_s']} s): hit rate "
        f"{'-' if rate is None else f'{rate:.0%}'} of supplier answers",
        f"  {'final-turn wait p50 / p95 / p99':<32}{_s(w.get('p50'))} / {_s(w.get('p95'))} / {_s(w.get('p99'))}",
        *_limit_lines(ours),
        f"  {'needed a still-searching turn':<32}{ours['still_searching_share']:>15.1%}; turns over 8 s "
        f"{_of(ours['turns_over_8s'], ours['turns'])}",
    ]
    return lines


def _adversarial(r: dict[str, Any]) -> list[str]:
    a = r["adversarial"]
    lines = [f"The last turn against an adversarial API (fake clock, tests/skill/test_turn_deadline.py): worst turn "
             f"{a['worst_turn_s']:.2f} s, deadline {a['deadline_s']:.1f} s"]  # fmt: skip
    lines += [f"  {case:<58}{took:.2f} s  {said}" for case, (took, said) in a["cases"].items()]
    return lines


def _stack_health(stacks: list[dict[str, Any]]) -> str:
    """What the stacks did wrong themselves, from their own counts: 5xx answers and log lines."""
    logs = [s["log"] for s in stacks if s.get("log")]
    total = {key: sum(log[key] for log in logs) for key in logs[0]} if logs else {}
    api_5xx = sum(s.get("api_5xx", 0) for s in stacks)
    return (
        f"{api_5xx} 5xx from the search API; {total.get('lines', 0)} search log lines, "
        f"{total.get('wrong_function', 0)} naming another function, {total.get('without_search', 0)} without their "
        f"search, {total.get('not_json', 0)} broken; {total.get('searches_not_finished', 0)} of "
        f"{total.get('searches_started', 0)} searches without a 'search finished' line"
    )


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


def _of(count: int, total: int) -> str:
    return f"{count} of {total}"


def _outcomes(outcomes: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items(), key=lambda item: -item[1]))


def _shares(stats: list[dict[str, Any]]) -> str:
    return "+".join(f"{s['cpu_share']:.0%}" for s in stats if s) or "-"


def _lag(stats: list[dict[str, Any]]) -> str:
    return f"{max((s['lag_ms']['p99'] for s in stats if s), default=0):.0f}"


def _api_latency(r: dict[str, Any]) -> list[str]:
    lines = [
        "API latency, in-process against moto S3 (ms; p50 / p99 of one run)",
        f"{'offers':>7}  {'POST start':>15}  {'GET Limit=500':>15}  {'GET CarSize':>15}  "
        f"{'search job':>10}  {'GET body':>9}  {'first POST/GET':>15}  {'full GCs':>9}",
    ]
    for size, s in r["api_latency"].items():
        lines.append(
            f"{size:>7}  {_pp(s['start_ms']):>15}  {_pp(s['get_ms']):>15}  {_pp(s['get_car_size_ms']):>15}  "
            f"{s['search_job_ms']['p50']:>10.1f}  {s['get_body_kb']:>6.1f} KB  "
            f"{s['start_first_ms']:>6.1f} / {s['get_first_ms']:<6.1f}  "
            f"{s['get_full_gc']['count']:>2} x {s['get_full_gc']['max_ms']:>3.0f}"
        )
    sizes = list(r["api_latency"])
    small, large = r["api_latency"][sizes[0]], r["api_latency"][sizes[-1]]
    lines += [
        f"{'':>7}  GET p50 at {sizes[-1]} offers is {large['get_ms']['p50'] / small['get_ms']['p50']:.1f}x "
        f"the one at {sizes[0]}; {large['get_ms']['p50'] / large['start_ms']['p50']:.1f}x a start. "
        f"n={small['start_ms']['n']} per figure, search job n={small['search_job_ms']['n']}; "
        "full GCs: count x longest pause (ms) during the timed GETs",
    ]
    return lines


def _spike(r: dict[str, Any]) -> list[str]:
    s = r["spike"]
    title = (f"Spike, simulated (seed {s['seed']}): {s['spike_factor']:g}x the sustainable "
             f"{s['sustainable_per_s']:.2f} starts/s for a minute; invoke = async invoke, queue = SQS")  # fmt: skip
    return [title, *("  " + line for line in spike.table(s).splitlines())]


def _fan_out(r: dict[str, Any]) -> list[str]:
    f = r["fan_out"]
    return [
        f"Fan-out: {f['searches']} searches x {f['suppliers_p50']:.0f} simulated suppliers "
        f"(SUPPLIER_LATENCY_SCALE={f['latency_scale']}), medians",
        f"  search wall {f['wall_ms_p50']:.0f} ms, "
        f"sum of supplier latencies {f['supplier_latency_sum_ms_p50']:.0f} ms, fan-out {f['fan_out_p50']:.1f}x; "
        f"the search adds {f['overhead_ms_p50']:.0f} ms to its slowest supplier",
    ]


def _long_poll(r: dict[str, Any]) -> list[str]:
    p = r["long_poll"]
    lines = [
        f"Waiting for one company's answer (SUPPLIER_LATENCY_SCALE={long_poll.SCALE}, {long_poll.SEARCHES} searches "
        "each): GETs per search, delay from its answer to the client (p50, p99), S3 GETs, $ per 1,000 searches"
    ]
    for how in ("retry_after", "skill_interval", "long_poll", "callback"):
        if how not in p:
            continue
        w = p[how]
        pushed = f"  {w['pushes_mean']:.1f} events pushed" if w.get("pushes_mean") else ""
        lines.append(
            f"  {how:<16}{w['requests_mean']:>6.2f} GETs"
            f"  delay {w['delay_s']['p50']:.2f} s, {w['delay_s']['p99']:.2f} s"
            f"  {w['s3_gets_per_search']:>5.1f} S3 GETs  results Lambda {w['lambda_s_mean']:.2f} s"
            f"  ${w['usd_per_1000_searches']:.4f}{pushed}"
        )
    return lines


def _cold_start(r: dict[str, Any]) -> list[str]:
    cold = {name: c for name, c in r["cold_start"].items() if name not in ("skill_vs_ask_sdk", "skill_stores")}
    ratio = r["cold_start"]["skill_vs_ask_sdk"]
    runs = next(iter(cold.values()))["runs"]
    sdk = cold["ask_sdk_core.skill_builder"]
    lines = [
        f"Cold start (ms, median of {runs}; .pyc cached unless said). fresh: a bare interpreter; in Lambda: after",
        "the modules Lambda's Python runtime has already imported. first call: the skill's LaunchRequest, the start",
        "Lambda's POST /search, the results Lambda's GET (S3 and Lambda's Invoke API on 127.0.0.1). cold: fresh +",
        "first call in the same process. RSS MB: resident after the import / peak",
        f"{'module':<36} {'fresh':>6} {'vs SDK':>7} {'in Lambda':>9} {'vs SDK':>7} {'first call':>10} {'cold':>6} "
        f"{'no .pyc':>8} {'RSS MB':>12} {'full GC':>8}",
    ]
    for module, c in cold.items():
        fresh_ratio = c["import_ms_p50"] / sdk["import_ms_p50"] if c["import_ms_p50"] >= 1 else None
        lambda_ratio = c["import_in_lambda_ms_p50"] / sdk["import_in_lambda_ms_p50"] if fresh_ratio else None
        first, total = c["first_invocation_ms_p50"], c["cold_start_ms_p50"]
        rss = f"{c['rss_after_import_mb_p50']:.1f} / {c['rss_mb_p50']:.1f}"
        lines.append(
            f"{module:<36} {c['import_ms_p50']:>6.0f} {_x(fresh_ratio):>7} {c['import_in_lambda_ms_p50']:>9.0f} "
            f"{_x(lambda_ratio):>7} {('-' if first is None else f'{first:.0f}'):>10} "
            f"{('-' if total is None else f'{total:.0f}'):>6} "
            f"{c['import_no_pyc_ms_p50']:>8.0f} {rss:>12} {c['full_gc_ms_p50']:>8.1f}"
        )
    lines.append(
        f"the skill's import is {ratio['fresh']:.2f}x the ASK SDK's fresh, {ratio['in_lambda']:.2f}x in Lambda "
        f"(budget {ratio['budget']}x)"
    )
    lines.append("largest own import costs in Lambda (ms, self time per package):")
    for module, top in ((m, c["top_imports_ms"]) for m, c in cold.items() if c["top_imports_ms"]):
        lines.append(f"  {module:<34} " + ", ".join(f"{name} {ms:.1f}" for name, ms in top.items()))
    return lines + _skill_stores(r["cold_start"]["skill_stores"])


def _skill_stores(stores: dict[str, Any]) -> list[str]:
    lines = [
        "The skill keeping a user's last trip (docs/persistence.md): a returning user's LaunchRequest, in Lambda's",
        "condition (ms, median); first call reads the kept record, second call: the same warm",
        f"{'store':<32} {'import':>6} {'first call':>10} {'cold':>6} {'second call':>11} {'peak RSS MB':>11}",
    ]
    for name, c in stores.items():
        if isinstance(c, dict):
            lines.append(
                f"{name:<32} {c['import_ms_p50']:>6.0f} {c['first_invocation_ms_p50']:>10.1f} "
                f"{c['cold_start_ms_p50']:>6.0f} {c['second_invocation_ms_p50']:>11.1f} {c['rss_mb_p50']:>11.1f}"
            )
    lines.append(f"in AWS, HTTPS adds a TLS context to each: {stores['tls_context_ms']:.1f} ms, and the round trips")
    return lines


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def _pp(summary: dict[str, float]) -> str:
    return f"{summary['p50']:.1f} / {summary['p99']:.1f}"


if __name__ == "__main__":
    main()
