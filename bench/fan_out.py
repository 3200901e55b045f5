"""Fan-out: a search asks every supplier at once, so it takes about as long as the slowest one, not the sum.

Runs searches with the simulated suppliers (at a reduced latency scale) through RunSearch, the search
Lambda's async job, against moto S3.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench.harness import build_stack, moto_s3, trip
from search_service.config import Settings
from search_service.domain.cities import CityCatalog
from search_service.providers.simulated import simulated_providers
from search_service.wiring import run_search

LATENCY_SCALE = 0.05  # the typical 2.5-11 s of the simulated suppliers become 0.125-0.55 s
TRIPS = (("New York", 20), ("Chicago", 27), ("Los Angeles", 34), ("Denver", 41), ("Boston", 48), ("Seattle", 55))


def run() -> dict[str, Any]:
    settings = Settings(supplier_latency_scale=LATENCY_SCALE, quote_cache_s=0)  # every supplier really asked
    providers = simulated_providers(CityCatalog(), LATENCY_SCALE)
    rows = []
    with moto_s3():
        stack = build_stack(providers, settings)
        run_job = run_search(stack.services)
        for city, days_ahead in TRIPS:
            stack.post(city, *trip(days_ahead))
            search_id = stack.launcher.launched[-1]
            report = run_job(search_id)
            if report.failed or report.skipped:
                raise RuntimeError(f"the search in {city} did not complete: {report}")
            job = stack.services.cache.load_job(search_id)
            assert job is not None
            slowest = max(providers[code].latency_s(job.query) for code in report.completed)
            rows.append((report.duration_s, report.supplier_latency_s, slowest, len(report.completed)))
    wall = [row[0] for row in rows]
    total = [row[1] for row in rows]
    return {
        "latency_scale": LATENCY_SCALE,
        "searches": len(rows),
        "suppliers_p50": statistics.median(row[3] for row in rows),
        "wall_ms_p50": round(statistics.median(wall) * 1000, 1),
        "supplier_latency_sum_ms_p50": round(statistics.median(total) * 1000, 1),
        "fan_out_p50": round(statistics.median(t / w for w, t in zip(wall, total, strict=True)), 2),
        # What the search adds to its slowest supplier: threads, S3 reads and one write per supplier.
        "overhead_ms_p50": round(statistics.median((row[0] - row[2]) * 1000 for row in rows), 1),
    }
