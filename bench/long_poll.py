"""Long polls against short polls: requests per search, and how late a client learns of the answer it waits for.

Through the local stack over HTTP on 127.0.0.1 (the search API, its Lambdas, the searches in their own process, the
embedded S3), suppliers at a fraction of their realistic latency, the quote cache off so that every search asks them.
Each client waits for one company's compact cars, as the skill's last turn does (CarSize and Supplier), until the
filtered answer is final, in one of three ways, each on its own searches:

- `retry_after`: a client that polls again after each answer's Retry-After, as the API tells it to;
- `skill_interval`: the skill's last turn, which polls every POLL_INTERVAL_S (lambda/skill/config.py);
- `long_poll`: `Prefer: wait=20` with If-None-Match (the ETag it has): one request that answers when it changes;
- `callback`: a client that asks no question until told: it starts the search with a `callbackUrl` (a receiver of its
  own on 127.0.0.1) and `supplier.answered` events, and GETs once when its company's event arrives.

`delay_s` is, for each search, the time from the chosen company's answer (its `answeredAt`) to the moment the client
held it; `requests` the client's GETs; `s3_gets` the S3 GetObject calls the HTTP Lambdas made for them; `lambda_s`
the time the client's requests spent in the results function (what AWS bills, at its 512 MB); for `callback`,
`pushes` the events POSTed to its receiver (each a delivery Lambda invocation and SQS's send, receive and delete in
AWS), and its S3 GETs include the delivery Lambda's (the user's secret and the event's delivery record, per event).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import client as httpc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
# A callback event in AWS: the delivery Lambda (256 MB, ~0.1 s: a sign and a POST) and SQS send, receive and delete.
SQS_REQUEST_USD = 0.0000004
DELIVERY_MEMORY_GB = 0.25
DELIVERY_S = 0.1
CALLBACK_EVENTS = ["supplier.answered", "search.completed", "search.failed"]


@dataclass
class Waited:
    requests: int = 0
    lambda_s: float = 0.0
    delay_s: float = 0.0
    s3_gets: int = 0
    pushes: int = 0


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


@dataclass
class Receiver:
    """The callback client's own endpoint on 127.0.0.1: keeps each event by search, and wakes who waits for one."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""

    def take(self, event: dict[str, Any]) -> None:
        with self.arrived:
            self.events.setdefault(event["data"]["searchId"], []).append(event)
            self.arrived.notify_all()

    def wait_for(self, search: str, seen: int, timeout_s: float) -> list[dict[str, Any]]:
        """The search's events once there are more than `seen`."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.events.get(search, [])) > seen, timeout_s):
                raise RuntimeError(f"no callback event for {search} within {timeout_s} s")
            return list(self.events[search])


@contextmanager
def _receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver.take(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def _told(api: Api, receiver: Receiver, started: dict[str, Any], user: str, company: str) -> Waited:
    """Waits for its company's supplier.answered (or the search's end), then GETs; again at the next event if the
    answer is not final yet (it is, for a filter on that company, once the company answered)."""
    target = f"/search?CarSize=compact&Supplier={company}"
    bearer = {"Search-Token": started["token"], "Search-User": user}
    waited, seen = Waited(), 0
    while True:
        events = receiver.wait_for(started["searchId"], seen, 60)
        news, seen = events[seen:], len(events)
        if not any(e["type"] != "supplier.answered" or e["data"]["supplier"] == company for e in news):
            continue
        sent = time.monotonic()
        status, _, body = api.call("GET", target, None, bearer)
        waited.lambda_s += time.monotonic() - sent
        waited.requests += 1
        if status != 200:
            raise RuntimeError(f"GET answered {status}: {body}")
        if _final(body):
            held_at = api.now()
            break
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
    with _stack() as stack, _receiver() as receiver:
        api = Api(stack.api_url, stack.options.clock.now)
        gets = S3Gets(stack.api.s3)
        day = stack.options.clock.now().date() + timedelta(days=20)
        for round_, how in enumerate(("retry_after", "skill_interval", "long_poll", "callback")):
            tokens: list[tuple[dict[str, Any], str, str]] = []
            for n in range(SEARCHES):
                # A trip of its own per search (city and dates), so no search reuses another's answers.
                pickup = day + timedelta(days=round_ * SEARCHES + n)
                trip: dict[str, Any] = {"city": CITIES[n % len(CITIES)], "pickupDate": str(pickup),
                        "returnDate": str(pickup + timedelta(days=2)), "user": f"bench-{how}-{n}"}  # fmt: skip
                if how == "callback":
                    trip |= {"callbackUrl": receiver.url, "callbackEvents": CALLBACK_EVENTS}
                status, _, started = api.call("POST", "/search", json.dumps(trip).encode(),
                                              {"Content-Type": "application/json"})  # fmt: skip
                assert status == 202, started
                tokens.append((started, trip["user"], COMPANIES[n % len(COMPANIES)]))
            before = gets.count

            def wait(t: tuple[dict[str, Any], str, str], how: str = how) -> Waited:
                if how == "callback":
                    return _told(api, receiver, t[0], t[1], t[2])
                return _wait(api, t[0]["token"], t[1], t[2], how)

            with ThreadPoolExecutor(AT_ONCE) as pool:
                waits = list(pool.map(wait, tokens))
            if how == "callback":
                # Every event of its searches, the ones after the company's too: they are sent all the same.
                for (begun, _user, _company), waited in zip(tokens, waits, strict=True):
                    receiver.wait_for(begun["searchId"], len(begun["search"]["suppliers"]), 60)
                    waited.pushes = len(receiver.events[begun["searchId"]])
            s3_per_search = (gets.count - before) / len(waits)
            results[how] = _figures(waits, s3_per_search)
    results["callback_vs_retry_after_requests"] = round(
        results["retry_after"]["requests_mean"] / max(results["callback"]["requests_mean"], 1), 2
    )
    results["long_poll_vs_retry_after_requests"] = round(
        results["retry_after"]["requests"]["p50"] / max(results["long_poll"]["requests"]["p50"], 1), 2
    )
    return results


def _figures(waits: list[Waited], s3_per_search: float) -> dict[str, Any]:
    requests = [w.requests for w in waits]
    lambda_s = [w.lambda_s for w in waits]
    mean_requests = sum(requests) / len(requests)
    mean_lambda_s = sum(lambda_s) / len(lambda_s)
    mean_pushes = sum(w.pushes for w in waits) / len(waits)
    cost = (
        mean_requests * (API_REQUEST_USD + LAMBDA_REQUEST_USD)
        + mean_lambda_s * RESULTS_MEMORY_GB * LAMBDA_GB_S_USD
        + s3_per_search * S3_GET_USD
        + mean_pushes * (LAMBDA_REQUEST_USD + DELIVERY_S * DELIVERY_MEMORY_GB * LAMBDA_GB_S_USD + 3 * SQS_REQUEST_USD)
    )
    return {
        "requests": summary([float(r) for r in requests]),
        "requests_mean": round(mean_requests, 2),
        "delay_s": summary([w.delay_s for w in waits]),
        "lambda_s_mean": round(mean_lambda_s, 2),
        "s3_gets_per_search": round(s3_per_search, 1),
        "pushes_mean": round(mean_pushes, 2),
        "usd_per_1000_searches": round(cost * 1000, 4),
    }


if __name__ == "__main__":
    from bench.harness import offline, quiet

    offline()
    with quiet():
        figures = run()
    print(json.dumps(figures, indent=2))
