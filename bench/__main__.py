"""`make bench`: runs every benchmark once, prints a table and writes bench/results/latest.json."""

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

from bench import ENV, api_latency, cold_start, fan_out
from bench.harness import offline, quiet

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per API figure (default 200)")
    args = parser.parse_args()

    offline()
    results: dict[str, Any] = {"machine": machine(), "environment": ENV}
    seconds = {}
    for name, run in (
        ("cold_start", cold_start.run),
        ("api_latency", lambda: api_latency.run(args.repeat)),
        ("fan_out", fan_out.run),
    ):
        started = time.perf_counter()
        with quiet():
            results[name] = run()
        seconds[name] = round(time.perf_counter() - started, 1)
    results["bench_s"] = seconds
    print(table(results))
    RESULTS.parent.mkdir(exist_ok=True)
    partial = RESULTS.with_suffix(".tmp")
    partial.write_text(json.dumps(results, indent=2) + "\n")
    partial.replace(RESULTS)
    print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


def machine() -> dict[str, Any]:
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "packages": {name: version(name) for name in ("boto3", "moto", "aws-lambda-powertools", "pydantic")},
    }


def table(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"Car Search benchmarks  {m['timestamp']}  {m['platform']}  Python {m['python']}  {m['cpus']} CPUs",
        "",
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
        "",
    ]
    f = r["fan_out"]
    lines += [
        f"Fan-out: {f['searches']} searches x {f['suppliers_p50']:.0f} simulated suppliers "
        f"(SUPPLIER_LATENCY_SCALE={f['latency_scale']}), medians",
        f"  search wall {f['wall_ms_p50']:.0f} ms, "
        f"sum of supplier latencies {f['supplier_latency_sum_ms_p50']:.0f} ms, fan-out {f['fan_out_p50']:.1f}x; "
        f"the search adds {f['overhead_ms_p50']:.0f} ms to its slowest supplier",
        "",
    ]
    cold = {name: c for name, c in r["cold_start"].items() if name != "skill_vs_ask_sdk"}
    ratio = r["cold_start"]["skill_vs_ask_sdk"]
    runs = next(iter(cold.values()))["runs"]
    sdk = cold["ask_sdk_core.skill_builder"]
    lines += [
        f"Cold start (ms, median of {runs}; .pyc cached unless said). fresh: a bare interpreter; in Lambda: after",
        "the modules Lambda's Python runtime has already imported. first call: the skill's LaunchRequest",
        f"{'module':<32} {'fresh':>6} {'vs SDK':>7} {'in Lambda':>9} {'vs SDK':>7} {'first call':>10} "
        f"{'no .pyc':>8} {'RSS MB':>7} {'full GC':>8}",
    ]
    for module, c in cold.items():
        fresh_ratio = c["import_ms_p50"] / sdk["import_ms_p50"] if c["import_ms_p50"] >= 1 else None
        lambda_ratio = c["import_in_lambda_ms_p50"] / sdk["import_in_lambda_ms_p50"] if fresh_ratio else None
        first = c["first_invocation_ms_p50"]
        lines.append(
            f"{module:<32} {c['import_ms_p50']:>6.0f} {_x(fresh_ratio):>7} {c['import_in_lambda_ms_p50']:>9.0f} "
            f"{_x(lambda_ratio):>7} {('-' if first is None else f'{first:.0f}'):>10} "
            f"{c['import_no_pyc_ms_p50']:>8.0f} {c['rss_mb_p50']:>7.1f} {c['full_gc_ms_p50']:>8.1f}"
        )
    lines.append(
        f"the skill's import is {ratio['fresh']:.2f}x the ASK SDK's fresh, {ratio['in_lambda']:.2f}x in Lambda "
        f"(budget {ratio['budget']}x)"
    )
    lines.append("largest own import costs in Lambda (ms, self time per package):")
    for module, top in ((m, c["top_imports_ms"]) for m, c in cold.items() if c["top_imports_ms"]):
        lines.append(f"  {module:<30} " + ", ".join(f"{name} {ms:.1f}" for name, ms in top.items()))
    took = ", ".join(f"{name} {s:.0f} s" for name, s in r["bench_s"].items())
    lines += ["", f"took {sum(r['bench_s'].values()):.0f} s ({took})"]
    return "\n".join(lines)


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def _pp(summary: dict[str, float]) -> str:
    return f"{summary['p50']:.1f} / {summary['p99']:.1f}"


if __name__ == "__main__":
    sys.exit(main())
