"""The search API as slow as a test scripts it, on a fake clock: a turn's worst case is measured without waiting for
it, and on any machine. KeptAliveConnection's own clipping is tested against real sockets in
tests/functional/test_skill_search_client.py; this fake follows the same rules: no attempt outlasts the connection's
timeouts or the time the caller has left, a dropped connection is tried once more if time is left, and a call cut by
the time left is OutOfTime, one cut by the timeouts Unreachable."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from skill.http_connection import MIN_CALL_S, OutOfTime, Unreachable

CONNECT_AND_READ_S = 1.0 + 2.5  # SkillSettings' connect and read timeouts: the most an attempt can take


class FakeTime:
    """The skill's clock and sleep: time passes only when a call or a sleep says it does."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    takes_s: float = 0.05  # from sending the request to having its whole answer
    dropped_after_s: float | None = None  # the kept-alive connection was closed: noticed this late, then sent again


@dataclass
class ScriptedApi:
    """`script(method, n)`: the answer to the n-th call (from 0) of that method."""

    time: FakeTime
    script: Callable[[str, int], Answer]
    calls: list[tuple[str, float, float]] = field(default_factory=list)  # method, started, ended (fake clock)
    targets: list[str] = field(default_factory=list)  # each call's path and query, in order

    def request(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str], within_s: float | None = None
    ) -> tuple[int, bytes]:
        started = self.time.now
        self.targets.append(f"{method} {target}")
        answer = self.script(method, sum(1 for call in self.calls if call[0] == method))
        ends = None if within_s is None else started + within_s
        attempts = [answer.dropped_after_s, answer.takes_s] if answer.dropped_after_s is not None else [answer.takes_s]
        try:
            for number, takes in enumerate(attempts):
                left = float("inf") if ends is None else ends - self.time.now
                if left < MIN_CALL_S:
                    raise OutOfTime(f"{method} not sent")
                if takes > min(CONNECT_AND_READ_S, left):
                    self.time.sleep(min(CONNECT_AND_READ_S, left))
                    raise OutOfTime(method) if left < CONNECT_AND_READ_S else Unreachable(f"{method} timed out")
                self.time.sleep(takes)
                if number + 1 == len(attempts):
                    return answer.status, json.dumps(answer.body).encode()
            raise AssertionError("the last attempt returns")
        finally:
            self.calls.append((method, started, self.time.now))


@dataclass
class SlowProgressive:
    """Alexa's Progressive Response API taking `takes_s`, cut at the time the turn gives it, as ProgressiveResponder's
    timeout is."""

    time: FakeTime
    takes_s: float
    sent: list[tuple[float, float]] = field(default_factory=list)

    def send(self, api_endpoint: str | None, api_access_token: str | None, request_id: str, ssml: str,
             within_s: float | None = None) -> bool:  # fmt: skip
        started = self.time.now
        self.time.sleep(min(self.takes_s, 1.0 if within_s is None else max(0.0, min(1.0, within_s))))
        self.sent.append((started, self.time.now))
        return self.time.now - started >= self.takes_s


# --- the API's answers -------------------------------------------------------------------------------------------

CITY_SUPPLIERS = ["enterprise", "national", "alamo", "hertz", "avis", "budget", "sixt"]
NAMES = {"enterprise": "Enterprise", "national": "National", "alamo": "Alamo", "hertz": "Hertz", "avis": "Avis",
         "budget": "Budget", "sixt": "Sixt"}  # fmt: skip


def accepted() -> Answer:
    search = {"city": "Denver, CO", "pickupDate": "2026-12-05", "returnDate": "2026-12-07"}
    return Answer(202, {"token": "T" * 32, "status": "pending", "search": search})


def offer(supplier: str, price: float, car: str = "compact") -> dict[str, Any]:
    return {"supplier": supplier, "supplierName": NAMES[supplier], "carClass": car, "carClassName": car,
            "exampleModel": "Nissan Versa", "totalPrice": price, "dailyRate": price / 2, "days": 2,
            "location": {"name": "Denver International Airport"}}  # fmt: skip


def results(
    searching: dict[str, float | None],
    offers: list[dict[str, Any]] = (),  # type: ignore[assignment]
    company: str | None = None,
    takes_s: float = 0.05,
) -> Answer:
    """A GET's answer: the companies still searching (code -> expectedInSeconds) and the offers so far."""
    wanted = [company] if company else CITY_SUPPLIERS
    suppliers = [{"supplier": code, "name": NAMES[code], "state": "searching" if code in searching else "complete",
                  "expectedInSeconds": searching.get(code)} for code in wanted]  # fmt: skip
    status = ("partial" if offers else "pending") if searching else "complete"
    body = {"status": status, "offers": list(offers), "offerCount": len(offers), "suppliers": suppliers,
            "filters": {"supplier": company}, "search": {"suppliers": CITY_SUPPLIERS}}  # fmt: skip
    return Answer(202 if status == "pending" else 200, body, takes_s)
