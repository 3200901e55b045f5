"""The start, results and run Lambdas wired in-process against moto S3, driven by the events AWS sends them.

The events come from search_service.api.gateway, the same builder the tests and the local stack use.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from search_service.adapters.clock import SystemClock
from search_service.adapters.local_context import LocalLambdaContext
from search_service.adapters.s3_cache import S3ResultCache
from search_service.api.gateway import rest_event
from search_service.config import Settings
from search_service.domain.cities import CityCatalog
from search_service.domain.ports import SupplierProvider
from search_service.entry import results, run, start
from search_service.wiring import Services, boto3_client

USER = "amzn1.ask.account.BENCH"
Handler = Any


class DeferredLauncher:
    """Keeps the searches the start Lambda hands off until `Stack.run` runs one, so that a start's
    timing is the start Lambda's own work, not a background search competing for the GIL."""

    def __init__(self) -> None:
        self.launched: list[str] = []

    def launch(self, search_id: str) -> None:
        self.launched.append(search_id)


@dataclass
class Stack:
    services: Services
    start: Handler
    results: Handler
    run_search: Handler
    launcher: DeferredLauncher

    def post(self, city: str, pickup: str, dropoff: str) -> dict[str, Any]:
        body = {"city": city, "pickupDate": pickup, "returnDate": dropoff, "user": USER}
        return expect(self.start(rest_event("POST", body=body), LocalLambdaContext("start")), 202)

    def get(self, token: str, **filters: str) -> dict[str, Any]:
        query = {"token": token, "User": USER, **filters}
        return expect(self.results(rest_event("GET", query=query), LocalLambdaContext("results")), 200)

    def run(self, search_id: str) -> dict[str, Any]:
        """The search Lambda's async job, from the event the start Lambda sends."""
        return self.run_search({"action": "run-search", "searchId": search_id}, LocalLambdaContext("search"))


def build_stack(providers: Mapping[str, SupplierProvider], settings: Settings | None = None) -> Stack:
    """Like wiring.aws_services, with these providers; call it inside `moto_s3()`. The quote cache is off unless
    `settings` turns it on: the stacks share one bucket, and a search must measure its own suppliers, not the answers
    another stack's suppliers gave for the same trip."""
    settings = settings or Settings(quote_cache_s=0)
    services = Services(
        settings=settings,
        catalog=CityCatalog(),
        cache=S3ResultCache(boto3_client("s3", settings), settings.results_bucket, settings.results_prefix),
        providers=providers,
        clock=SystemClock(),
    )
    launcher = DeferredLauncher()
    return Stack(
        services,
        start.build_handler(services, launcher),
        results.build_handler(services),
        run.build_handler(services),
        launcher,
    )


def expect(response: dict[str, Any], status: int) -> dict[str, Any]:
    if response["statusCode"] != status:
        raise RuntimeError(f"expected HTTP {status}, got {response['statusCode']}: {response.get('body', '')[:300]}")
    return response


def trip(days_ahead: int, days: int = 3) -> tuple[str, str]:
    pickup = datetime.now(UTC).date() + timedelta(days=days_ahead)
    return pickup.isoformat(), (pickup + timedelta(days=days)).isoformat()


@contextlib.contextmanager
def moto_s3() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        settings = Settings()
        boto3_client("s3", settings).create_bucket(Bucket=settings.results_bucket)
        yield


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Powertools prints one EMF metric line per invocation to stdout: send it to /dev/null."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def offline() -> None:
    """Fail loudly if anything in this process tries to leave the machine."""
    from local_stack.offline import stay_offline

    stay_offline("the benchmark")
