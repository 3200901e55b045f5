"""How long each supplier takes to answer, learned from the answers the searches store, so that a pending answer
can say when each missing company is expected (and its Retry-After can follow from that).

The estimate is a moving average, as TCP's smoothed round-trip time is (RFC 6298): each real answer moves it a
quarter of the way, so it follows a supplier that slows down within a few searches and forgets a one-off. Answers
served from the quote cache say nothing about the supplier and are not learned from.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from search_service.domain.errors import CacheUnavailable
from search_service.domain.ports import LatencyStore

log = logging.getLogger(__name__)

WEIGHT = 0.25  # the newest answer's share of the estimate
REFRESH_S = 30.0  # a reader re-reads the estimates at most this often


def learn(known: Mapping[str, float], latest: Mapping[str, float]) -> dict[str, float]:
    """The estimates after these answers: a supplier's first answer is its estimate, later ones move it."""
    merged = dict(known)
    for code, seconds in latest.items():
        before = known.get(code)
        merged[code] = round(seconds if before is None else before + WEIGHT * (seconds - before), 3)
    return merged


class SupplierLatencies:
    """The stored estimates, read at most every `refresh_s` by each Lambda instance. A store that cannot be read
    or written costs the estimate, never a search or an answer."""

    def __init__(
        self,
        store: LatencyStore,
        refresh_s: float = REFRESH_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._refresh_s = refresh_s
        self._monotonic = monotonic
        self._known: Mapping[str, float] = {}
        self._read_at: float | None = None

    def expected(self) -> Mapping[str, float]:
        """Seconds each supplier usually takes to answer a search; a supplier never seen is missing."""
        now = self._monotonic()
        if self._read_at is None or now - self._read_at >= self._refresh_s:
            self._read_at = now
            try:
                self._known = self._store.load_latencies()
            except CacheUnavailable as error:
                log.warning("supplier latencies not read: %s", error)
        return self._known

    def record(self, latest: Mapping[str, float]) -> None:
        """Learns from one search's answers (supplier code -> seconds). Two searches that end at once may both
        read the same estimates, and one's answers are then lost: an estimate can afford that, and it costs one
        read and one write per search rather than one per supplier."""
        if not latest:
            return
        try:
            self._known = learn(self._store.load_latencies(), latest)
            self._store.save_latencies(self._known)
            self._read_at = self._monotonic()
        except CacheUnavailable as error:
            log.warning("supplier latencies not saved: %s", error)
