"""The composition root: builds each Lambda's app from settings and adapters, in one place."""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from search_service.adapters.clock import SystemSleeper
from search_service.config import Settings
from search_service.domain.cities import CityCatalog
from search_service.domain.ports import (
    CallbackQueue,
    CallbackTransport,
    Clock,
    PushChannel,
    SearchLauncher,
    SearchStore,
    Sleeper,
    Subscribers,
    SupplierProvider,
)
from search_service.observability import Telemetry

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.api_gateway import Router
    from botocore.session import Session

    from search_service.adapters.callback_http import UrlPolicy
    from search_service.domain.callbacks import DeliverCallback, Outbox
    from search_service.domain.run import RunSearch

T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    settings: Settings
    catalog: CityCatalog
    cache: SearchStore
    providers: Mapping[str, SupplierProvider]
    clock: Clock
    sleeper: Sleeper = field(default_factory=SystemSleeper)  # a long poll's, between two reads
    subscribers: Subscribers | None = None  # the WebSocket API's subscriptions (adapters.push)


def long_lived(build: Callable[[], T]) -> T:
    """Builds what lives as long as the Lambda: its handler. The garbage collector has nothing to find in it, yet
    each of its full passes walks all of it: while it is built (botocore's endpoint and service data alone are
    tens of thousands of objects, some 40 ms of a cold start), and on warm requests, where they show up as pauses.
    So the collector is paused while it is built, and what was built is then kept out of its passes."""
    gc.disable()
    try:
        return build()
    finally:
        gc.freeze()
        gc.enable()


def boto3_client(
    service: str,
    settings: Settings,
    endpoint_url: str | None = None,
    *,
    session: Session | None = None,
    **credentials: str,
) -> Any:
    """Clients with short timeouts: a stuck S3 call must fail fast enough to tell the caller. `credentials`
    (aws_access_key_id, ...) only for the local stack; in AWS they come from the Lambda's role. `session`: one
    Lambda's clients share it, so the SDK's endpoint data is read once per cold start, not once per client.

    The client boto3.client would make, made by botocore itself: importing boto3 (and s3transfer, which it
    imports) costs a cold start about 50 ms for what no Lambda here uses (resources, upload_file)."""
    import botocore.session
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
    return (session or botocore.session.get_session()).create_client(
        service, region_name=settings.region, endpoint_url=endpoint_url, config=config, **credentials
    )


def aws_services(
    settings: Settings, s3: Any = None, clock: Clock | None = None, session: Session | None = None
) -> Services:
    """`s3`: an S3 client made elsewhere (the local stack's, with its own credentials); by default one from
    the settings, made in `session` when given. `clock`: the local stack's; by default, in Lambda, the system
    clock."""
    from search_service.adapters.clock import SystemClock
    from search_service.adapters.push import S3Subscribers
    from search_service.adapters.s3_cache import S3ResultCache
    from search_service.providers.simulated import simulated_providers

    catalog = CityCatalog()
    if s3 is None:
        s3 = boto3_client("s3", settings, settings.s3_endpoint_url, session=session)
    return Services(
        settings=settings,
        catalog=catalog,
        cache=S3ResultCache(
            s3, settings.results_bucket, settings.results_prefix, secrets_prefix=settings.webhook_secrets_prefix
        ),
        providers=simulated_providers(catalog, settings.supplier_latency_scale, settings.supplier_failure_rate),
        clock=clock or SystemClock(),
        subscribers=S3Subscribers(s3, settings.results_bucket, settings.results_prefix),
    )


def search_launcher(settings: Settings, session: Session | None = None) -> SearchLauncher:
    """How the start Lambda hands a search over, as the template's Handover parameter says (settings.handover): an
    async invoke of the search Lambda, or a message on the search queue that its event source pulls."""
    if settings.handover == "queue":
        from search_service.adapters.sqs_launcher import SqsLauncher

        if not settings.search_queue_url:
            raise ValueError("HANDOVER=queue needs SEARCH_QUEUE_URL, the search queue's URL")
        return SqsLauncher(boto3_client("sqs", settings, session=session), settings.search_queue_url)
    from search_service.adapters.lambda_launcher import LambdaLauncher

    return LambdaLauncher(boto3_client("lambda", settings, session=session), settings.search_function_name)


class Apps:
    """A Lambda's routes behind either API: the REST API's resolver (the skill's, SigV4; payload format 1.0) is built
    with the handler, the HTTP API's (browsers', JWT; 2.0) at its first request, so a Lambda that only the skill
    calls never builds it. Each resolver gets Routers of its own: Powertools' Router reads the request from the last
    resolver that included it, so one Router shared by two would answer one API's request with the other's event."""

    def __init__(self, routers: Callable[[], list[Router]], telemetry: Telemetry) -> None:
        self._routers = routers
        self._telemetry = telemetry
        self.rest: APIGatewayRestResolver = self._build(http_api=False)
        self._http: APIGatewayHttpResolver | None = None

    @property
    def http(self) -> APIGatewayHttpResolver:
        if self._http is None:
            self._http = self._build(http_api=True)
        return self._http

    def _build(self, http_api: bool) -> Any:
        from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, APIGatewayRestResolver

        from search_service.api.errors import register_error_handlers

        resolver = APIGatewayHttpResolver if http_api else APIGatewayRestResolver
        # A response that breaks its own model is our bug: 500, never a misleading 4xx.
        app = resolver(enable_validation=True, response_validation_error_http_code=500)
        for router in self._routers():
            app.include_router(router)
        register_error_handlers(app, self._telemetry)
        return app


# Each app imports its own routes and use case when it is built: a Lambda's cold start imports only its own, and
# the functions without HTTP (the search runs, the lost searches) never import Powertools' event handler.
def start_app(services: Services, launcher: SearchLauncher, telemetry: Telemetry) -> Apps:
    from search_service.adapters.callback_http import CheckedUrls
    from search_service.api.secret_routes import secret_routes
    from search_service.api.start_routes import start_routes
    from search_service.domain.callbacks import SigningSecrets
    from search_service.domain.start import CallbackSetup, StartSearch

    settings = services.settings
    secrets = SigningSecrets(services.cache, services.clock, settings.webhook_secret_grace_s)
    # Callbacks are on where there is a queue to deliver them (CALLBACK_QUEUE_URL).
    callbacks = CallbackSetup(CheckedUrls(url_policy(settings)), secrets) if settings.callback_queue_url else None
    start = StartSearch(
        services.catalog, services.providers, services.cache, launcher, services.clock, settings.policy(), callbacks
    )

    def routers() -> list[Router]:
        return [
            start_routes(start, services.catalog, settings.result_max_age_s, settings.retry_after_s, telemetry),
            secret_routes(secrets, telemetry),
        ]

    return Apps(routers, telemetry)


def url_policy(settings: Settings) -> UrlPolicy:
    from search_service.adapters.callback_http import UrlPolicy

    return UrlPolicy(allow_http=settings.callback_allow_http, allow_loopback=settings.callback_allow_loopback)


def search_app(services: Services, telemetry: Telemetry, callbacks: CallbackQueue | None = None) -> Apps:
    """`callbacks`: the delivery queue a cancelled search's search.cancelled event goes to."""
    from search_service.api.search_routes import search_routes
    from search_service.domain.cancel import CancelSearch
    from search_service.domain.latency import SupplierLatencies
    from search_service.domain.long_poll import LongPoll
    from search_service.domain.results import GetResults

    settings = services.settings
    results = GetResults(
        services.cache, services.clock, settings.policy(), SupplierLatencies(services.cache), services.cache
    )
    cancel = CancelSearch(services.cache, services.clock, results, outbox(services, callbacks))
    long_poll = LongPoll(services.clock, services.sleeper, settings.long_poll_interval_s)

    def routers() -> list[Router]:
        return [
            search_routes(
                results,
                cancel,
                long_poll,
                services.catalog,
                settings.result_max_age_s,
                settings.retry_after_s,
                settings.long_poll_max_s,
                telemetry,
            )
        ]

    return Apps(routers, telemetry)


def run_search(
    services: Services, callbacks: CallbackQueue | None = None, channel: PushChannel | None = None
) -> RunSearch:
    """`callbacks`: the delivery queue the events of searches with a callbackUrl go to. `channel`: where the events
    for WebSocket subscribers are posted; by default API Gateway's management API at PUSH_ENDPOINT_URL, if set."""
    from search_service.domain.latency import SupplierLatencies
    from search_service.domain.push import Push
    from search_service.domain.run import QuoteReuse, RunSearch

    settings = services.settings
    return RunSearch(
        services.cache,
        services.providers,
        services.clock,
        settings.policy(),
        settings.supplier_timeout_s,
        SupplierLatencies(services.cache),
        QuoteReuse(services.cache, settings.quote_cache_s),
        settings.cancel_recheck_s,
        outbox(services, callbacks),
        Push(services.subscribers, channel) if channel is not None and services.subscribers is not None else None,
    )


def push_channel(settings: Settings, session: Session | None = None, **credentials: str) -> PushChannel | None:
    """API Gateway's management API of the WebSocket API's stage (PUSH_ENDPOINT_URL), its client made at the first
    post; None without one. `credentials`: the local stack's, as for boto3_client."""
    if not settings.push_endpoint_url:
        return None
    from search_service.adapters.push import ManagementApiChannel

    endpoint = settings.push_endpoint_url
    return ManagementApiChannel(
        lambda: boto3_client("apigatewaymanagementapi", settings, endpoint, session=session, **credentials)
    )


def outbox(services: Services, callbacks: CallbackQueue | None) -> Outbox | None:
    """Where a search's callback events go; none without a delivery queue."""
    if callbacks is None:
        return None
    from search_service.adapters.webhooks import render
    from search_service.domain.callbacks import Outbox

    return Outbox(services.cache, callbacks, services.clock, render)


def deliver_callback(
    services: Services, queue: CallbackQueue, transport: CallbackTransport | None = None
) -> DeliverCallback:
    """`transport`: by default the SSRF-safe one, with the settings' URL policy."""
    from search_service.adapters.callback_http import SafeTransport
    from search_service.adapters.clock import SystemClock
    from search_service.adapters.webhooks import StandardWebhooksSigner
    from search_service.domain.callbacks import DeliverCallback

    settings = services.settings
    return DeliverCallback(
        services.cache,
        queue,
        transport or SafeTransport(url_policy(settings)),
        StandardWebhooksSigner(),
        services.clock,
        SystemClock(),
        settings.retry_policy(),
    )


def callback_queue(settings: Settings, session: Session | None = None) -> CallbackQueue | None:
    """The SQS delivery queue, when CALLBACK_QUEUE_URL names one."""
    if not settings.callback_queue_url:
        return None
    from search_service.adapters.webhooks import SqsCallbackQueue

    return SqsCallbackQueue(boto3_client("sqs", settings, session=session), settings.callback_queue_url)
