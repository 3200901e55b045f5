"""The search service's Lambdas wired in-process against moto S3, driven by the events AWS would send them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from local_stack.search_api import SEARCH_QUEUE_MAX_RECEIVES, LambdaFunction
from local_stack.search_queue import LocalSearchQueue, sqs_record
from search_service.adapters.local_context import LocalLambdaContext
from search_service.adapters.s3_cache import S3ResultCache
from search_service.adapters.sqs_launcher import SqsLauncher
from search_service.adapters.thread_launcher import ThreadLauncher
from search_service.api.gateway import rest_event
from search_service.config import Settings
from search_service.domain.cities import CityCatalog
from search_service.domain.ports import SearchLauncher, SupplierProvider
from search_service.entry import lost_searches, results, run, start
from search_service.providers.simulated import simulated_providers
from search_service.wiring import Services
from tests.builders.waiting import PATIENCE_S
from tests.fakes.clock import FixedClock, TickingSleeper

USER = "amzn1.ask.account.TESTUSER"
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Stack:
    services: Services
    start: Handler  # POST /search
    results: Handler  # GET /search
    run: Handler  # the async search runs
    lost_searches: Handler  # the lost-search queue's batches
    launcher: SearchLauncher
    clock: FixedClock
    user: str = USER
    queue: LocalSearchQueue | None = None  # Handover: queue, the search queue the launcher sends to

    def post(self, body: Any = None, headers: dict[str, str] | None = None) -> HttpResult:
        return _result(self.start(rest_event("POST", body=body, headers=headers), LocalLambdaContext("start")))

    def start_search(
        self,
        city: str = "New York",
        pickup: str = "2026-11-28",
        dropoff: str = "2026-11-30",
        user: str | None = None,
        **headers: str,
    ) -> HttpResult:
        body = {"city": city, "pickupDate": pickup, "returnDate": dropoff, "user": self.user if user is None else user}
        return self.post(body, headers)

    def get(self, token: str, user: str | None = None, **filters: Any) -> HttpResult:
        query = {"token": token, "User": self.user if user is None else user, **{k: str(v) for k, v in filters.items()}}
        return _result(self.results(rest_event("GET", query=query), LocalLambdaContext("results")))

    def get_with_headers(
        self, token: str | None, user: str | None = None, query: dict[str, str] | None = None, **filters: Any
    ) -> HttpResult:
        """GET as the skill sends it: the token and the user in the Search-Token and Search-User headers."""
        headers = {"Search-User": self.user if user is None else user}
        if token is not None:
            headers["Search-Token"] = token
        params = {**(query or {}), **{k: str(v) for k, v in filters.items()}}
        event = rest_event("GET", query=params or None, headers=headers)
        return _result(self.results(event, LocalLambdaContext("results")))

    def settle(self) -> None:
        handover = self.queue or self.launcher
        assert isinstance(handover, ThreadLauncher | LocalSearchQueue)
        assert handover.wait_idle(PATIENCE_S), "the async searches did not finish"


def _result(response: dict[str, Any]) -> HttpResult:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), values[0])
    return HttpResult(response["statusCode"], headers, json.loads(response["body"]) if response.get("body") else {})


# Every stack's launcher, so that the s3 fixture can end their searches while moto still stands in for S3: a
# search still running after the test would otherwise send its S3 calls to AWS's real endpoint.
LAUNCHERS: list[ThreadLauncher | LocalSearchQueue] = []


def stop_searches(wait_s: float = PATIENCE_S) -> None:
    while LAUNCHERS:
        launcher = LAUNCHERS.pop()
        launcher.wait_idle(wait_s)
        launcher.shutdown()  # what still waits for a retry is dropped


def build_stack(
    s3: Any,
    clock: FixedClock,
    providers: Mapping[str, SupplierProvider] | None = None,
    launcher: SearchLauncher | None = None,
    wrap_launcher: Callable[[SearchLauncher], SearchLauncher] | None = None,
    handover: str = "invoke",
    **settings: Any,
) -> Stack:
    """`handover`: "invoke", searches handed over as Lambda's async invoke (ThreadLauncher, retried at once), or
    "queue", through the search queue (SqsLauncher to a LocalSearchQueue, redelivered at once, then dead-lettered to
    the lost-search Lambda), as the template's Handover parameter says."""
    config = replace(Settings(supplier_latency_scale=0, supplier_timeout_s=5), **settings)
    catalog = CityCatalog()
    services = Services(
        settings=config,
        catalog=catalog,
        cache=S3ResultCache(s3, config.results_bucket, config.results_prefix),
        providers=providers if providers is not None else simulated_providers(catalog, 0),
        clock=clock,
        sleeper=TickingSleeper(clock),  # a long poll's wait passes on the FixedClock
    )
    # Each concurrent invocation gets a Lambda instance of its own, as in Lambda and the local stack.
    runs = LambdaFunction(lambda: run.build_handler(services))
    marker = LambdaFunction(lambda: lost_searches.build_handler(services))
    queue = None
    if handover == "queue":

        def dead_letter(body: dict[str, Any]) -> None:
            record = sqs_record("dead", json.dumps(body), 1, clock.now(), "arn:aws:sqs:us-east-1:0:lost", "lambda")
            marker({"Records": [record]}, LocalLambdaContext("lost-searches"))

        queue = LocalSearchQueue(lambda event, _: runs(event, LocalLambdaContext("search")), clock.now, 50, 0.0,
                                 SEARCH_QUEUE_MAX_RECEIVES, dead_letter)  # fmt: skip
        LAUNCHERS.append(queue)
        handing: SearchLauncher = SqsLauncher(queue, queue.url)
    else:
        threads = ThreadLauncher(lambda event, _: runs(event, LocalLambdaContext("search")), (0, 0))
        LAUNCHERS.append(threads)
        handing = threads
    launcher = launcher or handing
    launched = wrap_launcher(launcher) if wrap_launcher else launcher
    starter = LambdaFunction(lambda: start.build_handler(services, launched))
    reader = LambdaFunction(lambda: results.build_handler(services))
    return Stack(services, starter, reader, runs, marker, launcher, clock, queue=queue)
