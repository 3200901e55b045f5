"""Long polls against short polls: requests per search, and how late a client learns of the answer it waits for.

Through the local stack over HTTP on 127.0.0.1 (the search API, its Lambdas, the searches in their own process, the
embedded S3), suppliers at a fraction of their realistic latency, the quote cache off so that every search asks them.
Each client waits for one company's compact cars, as the skill's last turn does (CarSize and Supplier), until the
filtered answer is final, in one of three ways, each on its own searches:

- `retry_after`: a client that polls again after each answer's Retry-After, as the API tells it to;
- `skill_interval`: the skill's last turn, which polls every POLL_INTERVAL_S (lambda/skill/config.py);
- `long_poll`: `Prefer: wait=20` with If-None-Match (the ETag it has): one request that answers when it changes.

`delay_s` is, for each search, the time from the chosen company's answer (its `answeredAt`) to the moment the client
held it; `requests` the client's GETs; `s3_gets` the S3 GetObject calls the HTTP Lambdas made for them; `lambda_s`
the time the client's requests spent in the results function (what AWS bills, at its 512 MB).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import client as httpc
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.stats import summary

SCALE = 0.5  # suppliers answer in 1 to 6 s rather than 2 to 12 s
SEARCHES = 18  # per way of waiting: each of the nine companies twice
AT_ONCE = 6  # searches run at once
POLL_INTERVAL_S = 0.5  # the skill's (lambda/skill/config.py)
WAIT_S = 20
CITIES = ("Chicago", "Denver", "Boston", "Seattle", "Atlanta", "Miami", "Dallas", "Phoenix", "Austin")
COMPANIES = ("enterprise", "national", "alamo", "hertz", "avis", "budget", "sixt", "dollar", "thrifty")
# AWS prices (us-east-1, arm64), to turn the counts into money: Lambda per GB-second and per request, API Gateway REST
# per request, S3 GET per request.
LAMBDA_GB_S_USD = 0.0000133334
LAMBDA_REQUEST_USD = 0.0000002
API_REQUEST_USD = 0.0000035
S3_GET_USD = 0.0000004
RESULTS_MEMORY_GB = 0.5


@dataclass
class Waited:
    requests: int = 0
    lambda_s: float = 0.0
    delay_s: float = 0.0
    s3_gets: int = 0


@dataclass
class Api:
    """The search API over HTTP, each request SigV4-signed with the stack's role, as the skill signs them."""

    base: str  # http://127.0.0.1:port/beta
    now: Callable[[], datetime]  # the stack's clock

    def call(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        from skill.sigv4 import Request, sign

        from local_stack.iam_auth import local_role

        url = urlsplit(self.base + target)
        pairs = tuple(parse_qsl(url.query, keep_blank_values=True))
        request = Request(method, url.netloc, url.path, pairs, tuple(headers.items()),
                          hashlib.sha256(body or b"").hexdigest())  # fmt: skip
        signed = sign(request, local_role(), "us-east-1", "execute-api", datetime.now(UTC))
        connection = httpc.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
        try:
            connection.request(method, url.path + (f"?{url.query}" if url.query else ""), body=body, headers=signed)
            response = connection.getresponse()
            raw = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw) if raw else None
        finally:
            connection.close()


def _final(body: dict[str, Any]) -> bool:
    return body["status"] in ("complete", "failed", "cancelled")


def _wait(api: Api, token: str, user: str, company: str, how: str) -> Waited:
    target = f"/search?CarSize=compact&Supplier={company}"
    bearer = {"Search-Token": token, "Search-User": user}
    waited = Waited()
    etag = ""
    body: dict[str, Any] | None = None
    while True:
        headers = dict(bearer)
        if how == "long_poll":
            headers["Prefer"] = f"wait={WAIT_S}"
            if etag:
                headers["If-None-Match"] = etag
        sent = time.monotonic()
        status, answer_headers, answered = api.call("GET", target, None, headers)
        waited.lambda_s += time.monotonic() - sent
        waited.requests += 1
        if status not in (200, 202, 304):
            raise RuntimeError(f"GET answered {status}: {answered}")
        etag = answer_headers.get("etag", etag)
        if answered is not None:
            body = answered
        assert body is not None
        if _final(body):
            held_at = api.now()
            break
        if how == "retry_after":
            time.sleep(int(answer_headers.get("retry-after", "1")))
        elif how == "skill_interval":
            time.sleep(POLL_INTERVAL_S)
    answered_at = next(s["answeredAt"] for s in body["suppliers"] if s["supplier"] == company)
    waited.delay_s = (held_at - datetime.fromisoformat(answered_at)).total_seconds()
    return waited


@contextmanager
def _stack() -> Iterator[Any]:
    from local_stack.stack import LocalStack, StackOptions

    stack = LocalStack(StackOptions(skill_port=0, api_port=0, latency_scale=SCALE, quote_cache_s=0)).start()
    try:
        yield stack
    finally:
        stack.stop()


class S3Gets:
    """GetObject calls of the HTTP Lambdas' S3 client (the runs have their own, in their process)."""

    def __init__(self, client: Any) -> None:
        self.count = 0
        client.meta.events.register("before-call.s3.GetObject", self._count)

    def _count(self, **_: Any) -> None:
        self.count += 1


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with _stack() as stack:
        api = Api(stack.api_url, stack.options.clock.now)
        gets = S3Gets(stack.api.s3)
        day = stack.options.clock.now().date() + timedelta(days=20)
        for round_, how in enumerate(("retry_after", "skill_interval", "long_poll")):
            tokens: list[tuple[str, str, str]] = []
            for n in range(SEARCHES):
                # A trip of its own per search (city and dates), so no search reuses another's answers.
                pickup = day + timedelta(days=round_ * SEARCHES + n)
                trip = {"city": CITIES[n % len(CITIES)], "pickupDate": str(pickup),
                        "returnDate": str(pickup + timedelta(days=2)), "user": f"bench-{how}-{n}"}  # fmt: skip
                status, _, started = api.call("POST", "/search", json.dumps(trip).encode(),
                                              {"Content-Type": "application/json"})  # fmt: skip
                assert status == 202, started
                tokens.append((started["token"], trip["user"], COMPANIES[n % len(COMPANIES)]))
            before = gets.count
            with ThreadPoolExecutor(AT_ONCE) as pool:
                waits = list(pool.map(lambda t, how=how: _wait(api, t[0], t[1], t[2], how), tokens))
            s3_per_search = (gets.count - before) / len(waits)
            results[how] = _figures(waits, s3_per_search)
    results["long_poll_vs_retry_after_requests"] = round(
        results["retry_after"]["requests"]["p50"] / max(results["long_poll"]["requests"]["p50"], 1), 2
    )
    return results


def _figures(waits: list[Waited], s3_per_search: float) -> dict[str, Any]:
    requests = [w.requests for w in waits]
    lambda_s = [w.lambda_s for w in waits]
    mean_requests = sum(requests) / len(requests)
    mean_lambda_s = sum(lambda_s) / len(lambda_s)
    cost = (
        mean_requests * (API_REQUEST_USD + LAMBDA_REQUEST_USD)
        + mean_lambda_s * RESULTS_MEMORY_GB * LAMBDA_GB_S_USD
        + s3_per_search * S3_GET_USD
    )
    return {
        "requests": summary([float(r) for r in requests]),
        "requests_mean": round(mean_requests, 2),
        "delay_s": summary([w.delay_s for w in waits]),
        "lambda_s_mean": round(mean_lambda_s, 2),
        "s3_gets_per_search": round(s3_per_search, 1),
        "usd_per_1000_searches": round(cost * 1000, 4),
    }


if __name__ == "__main__":
    from bench.harness import offline, quiet

    offline()
    with quiet():
        figures = run()
    print(json.dumps(figures, indent=2))
