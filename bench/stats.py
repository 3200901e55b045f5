"""Timing and the figures reported from it."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any


def timed_ms(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def summary(samples: list[float]) -> dict[str, float]:
    """Median and 99th percentile (inclusive interpolation), in the samples' unit, from one run."""
    p99 = statistics.quantiles(samples, n=100, method="inclusive")[98] if len(samples) > 1 else samples[0]
    return {"n": len(samples), "p50": round(statistics.median(samples), 3), "p99": round(p99, 3)}


def percentiles(samples: list[float], which: tuple[int, ...] = (50, 95, 99)) -> dict[str, float]:
    """{"p50": ..., "p95": ...} (inclusive interpolation), in the samples' unit, not rounded."""
    if len(samples) == 1:
        return {f"p{p}": samples[0] for p in which}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {f"p{p}": (statistics.median(samples) if p == 50 else cuts[p - 1]) for p in which}


class FullCollections:
    """Records the pauses of the garbage collector's full (generation 2) collections while active, under
    the `label` of the work that was running."""

    def __init__(self) -> None:
        self.label: Any = None
        self.pauses_ms: list[tuple[Any, float]] = []
        self._started = 0.0

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._observe)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses_ms.append((self.label, (time.perf_counter() - self._started) * 1000))

    def by_label(self) -> dict[Any, list[float]]:
        grouped: dict[Any, list[float]] = {}
        for label, ms in self.pauses_ms:
            grouped.setdefault(label, []).append(ms)
        return grouped

    @staticmethod
    def summarise(pauses_ms: list[float]) -> dict[str, float]:
        return {"count": len(pauses_ms), "max_ms": round(max(pauses_ms, default=0.0), 1)}
