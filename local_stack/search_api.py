"""The search service on 127.0.0.1: both Lambdas' real handlers, wired to the embedded S3, behind an HTTP
server that does what API Gateway does in AWS.

- Each request becomes the REST proxy event AWS would send (`search_service.api.gateway`), and the Lambda's
  answer goes back as the HTTP response.
- The API key is checked as API Gateway checks it: a missing or wrong `x-api-key` gets 403 before any
  Lambda runs. The skill sends the same header from SEARCH_API_KEY in AWS and here.
- A path or method the API does not have gets API Gateway's own 403 "Missing Authentication Token".
- The request validator of infrastructure/template.yaml: a GET without `token` or `User`, or a POST whose
  body is not a JSON object, gets a 400 before any Lambda runs, with the template's message.
- The start Lambda's asynchronous invoke of the search Lambda runs on a background executor: the caller gets
  its 202 at once, and an invocation that raises is tried again, like Lambda's async retries.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from local_stack.http_server import JsonHandler, LocalServer
from local_stack.s3 import s3_client
from search_service.adapters.local_context import LocalLambdaContext
from search_service.adapters.s3_cache import S3ResultCache
from search_service.adapters.thread_launcher import ThreadLauncher
from search_service.api.gateway import event_from_http, http_from_response
from search_service.config import Settings

STAGE = "beta"
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
# What the template's request validator requires (a test holds them equal).
REQUIRED_QUERY = {"GET": ("token", "User"), "POST": ()}
BODY_MUST_BE_OBJECT = {"POST"}
SEARCH_TIMEOUT_S = 30.0  # the search Lambda's Timeout in infrastructure/template.yaml (a test keeps them equal)


@dataclass
class SearchApi:
    server: LocalServer
    launcher: ThreadLauncher
    cache: S3ResultCache
    settings: Settings

    @property
    def url(self) -> str:
        """The base URL the skill is configured with, e.g. http://127.0.0.1:3000/beta."""
        return f"http://127.0.0.1:{self.server.port}/{STAGE}"

    def stop(self, grace_s: float = 5.0) -> None:
        self.server.stop()
        self.launcher.shutdown()
        self.launcher.wait_idle(grace_s)  # a search still running may finish its S3 writes before S3 goes away
        self.cache.close()


def start_search_api(
    s3_endpoint: str, api_key: str, port: int = 0, retry_delays_s: tuple[float, ...] = (1.0, 2.0), **settings: Any
) -> SearchApi:
    from search_service import search_handler, start_handler
    from search_service.adapters.clock import SystemClock
    from search_service.domain.cities import CityCatalog
    from search_service.providers.simulated import simulated_providers
    from search_service.wiring import Services

    config = replace(Settings.from_env(), s3_endpoint_url=s3_endpoint, **settings)
    client = s3_client(s3_endpoint, config)
    client.create_bucket(Bucket=config.results_bucket)
    catalog = CityCatalog()
    cache = S3ResultCache(client, config.results_bucket, config.results_prefix)
    services = Services(
        settings=config,
        catalog=catalog,
        cache=cache,
        providers=simulated_providers(catalog, config.supplier_latency_scale, config.supplier_failure_rate),
        clock=SystemClock(),
    )
    search = search_handler.build_handler(services)
    launcher = ThreadLauncher(
        lambda event, _: search(event, LocalLambdaContext("search", timeout_s=SEARCH_TIMEOUT_S)), retry_delays_s
    )
    start = start_handler.build_handler(services, launcher)
    server = start_gateway(start, search, api_key, port)
    return SearchApi(server, launcher, cache, config)


def start_gateway(start: LambdaHandler, search: LambdaHandler, api_key: str, port: int = 0) -> LocalServer:
    """What API Gateway does in front of the two Lambdas: POST and GET /search, the API key, proxy events."""
    routes = {("POST", "/search"): (start, "start"), ("GET", "/search"): (search, "search")}
    key = api_key.encode()

    class Gateway(JsonHandler):
        def do_POST(self) -> None:
            self._forward()

        def do_GET(self) -> None:
            self._forward()

        def do_PUT(self) -> None:
            self._forward()

        def do_DELETE(self) -> None:
            self._forward()

        def _forward(self) -> None:
            body = self.read_body()
            if body is None:
                return
            # The stage prefix is optional here, so http://127.0.0.1:3000/search works as well as /beta/search.
            route = routes.get((self.command, self.path.split("?", 1)[0].removeprefix(f"/{STAGE}")))
            if route is None:
                self.respond(403, {"message": "Missing Authentication Token"})
                return
            if not hmac.compare_digest((self.headers.get("x-api-key") or "").encode(), key):
                self.respond(403, {"message": "Forbidden"})
                return
            problem = _invalid(self.command, self.path, body)
            if problem:
                self.respond(400, {"message": problem})
                return
            handler, name = route
            event = event_from_http(self.command, self.path, dict(self.headers), body, stage=STAGE)
            status, headers, payload = http_from_response(handler(event, LocalLambdaContext(name)))
            self.respond(status, payload, headers)

    server = LocalServer(Gateway, port)
    server.start()
    return server


def _invalid(method: str, path: str, body: bytes) -> str | None:
    """API Gateway's request validation: required query parameters present and not blank, body a JSON object."""
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(path).query)
    missing = [name for name in REQUIRED_QUERY.get(method, ()) if not any(v.strip() for v in query.get(name, []))]
    if missing:
        return f"Missing required request parameters: [{', '.join(missing)}]"
    if method in BODY_MUST_BE_OBJECT:
        try:
            parsed = json.loads(body or b"")
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            return "The request body must be a JSON object."
    return None
