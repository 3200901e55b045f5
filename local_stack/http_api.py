"""The browser API on 127.0.0.1: what API Gateway's HTTP API (infrastructure/template.yaml's BrowserApi) does in front
of the same start and results Lambdas as the REST API's stand-in (local_stack.search_api), for pages in a browser.

- Its routes, its CORS settings and its JWT authorizer's identity source are read from the template
  (`BrowserApiSpec.from_template`), so the two cannot drift; the allowed origins, a deploy-time parameter there, come
  from HTTP_API_ALLOWED_ORIGINS here (by default the console's and 127.0.0.1's).
- CORS as the HTTP API answers it: a preflight (OPTIONS with Origin and Access-Control-Request-Method) gets 204 at
  once, before any authorizer, with the Access-Control-Allow-* headers when its origin is allowed and none when it
  is not; every other answer to an allowed origin carries Access-Control-Allow-Origin and -Expose-Headers.
- The JWT authorizer: a request without a token that the local issuer (local_stack.jwt_issuer, Cognito's stand-in)
  signed for this issuer and audience, unexpired, gets API Gateway's 401 {"message":"Unauthorized"} with its
  www-authenticate header, and no Lambda runs.
- The Lambda gets the payload format 2.0 event with the verified claims (search_service.api.gateway.http_api_event).
- A route the API does not have: 404 {"message":"Not Found"}, as the HTTP API answers.
- The stage's route throttles (DefaultRouteSettings, RouteSettings) when SEARCH_API_THROTTLES=on, as the REST API's
  stand-in: 429 {"message":"Too Many Requests"} before the authorizer, a bucket per route.
- The issuer's own endpoints, on the same port: GET /.well-known/jwks.json and /.well-known/openid-configuration,
  and POST /local/token {"user": "..."} for a developer's or a test's token (this stack only: it listens on
  127.0.0.1, and in AWS a user signs in to the user pool instead)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from local_stack import throttle
from local_stack.gateway_spec import FUNCTIONS, TEMPLATE, Throttle, api_events, load_template, parameter_value
from local_stack.http_server import JsonHandler, LocalServer
from local_stack.jwt_issuer import TOKEN_LIFETIME_S, Denied, LocalIssuer
from search_service.adapters.local_context import LocalLambdaContext
from search_service.api.gateway import http_api_event_from_http, http_from_response

API_RESOURCE = "BrowserApi"
HTTP_API_TIMEOUT_S = 30.0  # the HTTP API's integration timeout, beyond both functions' own
ORIGINS_VARIABLE = "HTTP_API_ALLOWED_ORIGINS"
TOKEN_PATH = "/local/token"
MAX_USER_LENGTH = 128  # Cognito's username limit
UNAUTHORIZED = {"message": "Unauthorized"}
NOT_FOUND = {"message": "Not Found"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cors:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age_s: int
    allow_credentials: bool

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.allow_origins

    def preflight(self, origin: str | None) -> dict[str, str]:
        if not self.allows(origin):
            return {}
        assert origin is not None
        headers = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ",".join(self.allow_methods),
            "Access-Control-Allow-Headers": ",".join(self.allow_headers),
            "Access-Control-Max-Age": str(self.max_age_s),
        }
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def actual(self, origin: str | None) -> dict[str, str]:
        if not self.allows(origin):
            return {}
        assert origin is not None
        headers = {"Access-Control-Allow-Origin": origin}
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers


@dataclass(frozen=True)
class BrowserApiSpec:
    """What the template says of the browser API: (method, path) -> function logical id, CORS, the token's header,
    and each route's throttle (its RouteSettings' or else the stage's DefaultRouteSettings')."""

    routes: dict[tuple[str, str], str]
    cors: Cors
    identity_header: str
    throttles: dict[tuple[str, str], Throttle]

    @classmethod
    def from_template(cls, origins: tuple[str, ...], template: Path = TEMPLATE) -> BrowserApiSpec:
        data = load_template(template)
        api = data["Resources"][API_RESOURCE]["Properties"]
        routes = {
            (props["Method"].upper(), props["Path"]): name for name, props in api_events(data, "HttpApi", API_RESOURCE)
        }
        cors = api["DefinitionBody"]["x-amazon-apigateway-cors"]
        (authorizer,) = api["Auth"]["Authorizers"].values()
        source = authorizer["IdentitySource"]  # $request.header.Authorization

        def limit(settings: dict[str, Any] | None) -> Throttle | None:
            if not settings or "ThrottlingRateLimit" not in settings:
                return None
            rate, burst = (
                parameter_value(data, settings[name]) for name in ("ThrottlingRateLimit", "ThrottlingBurstLimit")
            )
            return Throttle(float(rate), int(burst))

        stage = limit(api.get("DefaultRouteSettings"))
        own = {key: limit(value) for key, value in (api.get("RouteSettings") or {}).items()}
        throttles = {route: found for route in routes if (found := own.get(" ".join(route)) or stage) is not None}
        return cls(
            routes=routes,
            cors=Cors(
                allow_origins=origins,
                allow_methods=tuple(cors["allowMethods"]),
                allow_headers=tuple(cors["allowHeaders"]),
                expose_headers=tuple(cors.get("exposeHeaders") or ()),
                max_age_s=int(cors["maxAge"]),
                allow_credentials=bool(cors.get("allowCredentials")),
            ),
            identity_header=source.removeprefix("$request.header."),
            throttles=throttles,
        )


def default_origins(env: dict[str, str]) -> tuple[str, ...]:
    """HTTP_API_ALLOWED_ORIGINS (comma-separated), or the workshop console's origins on 127.0.0.1 and localhost."""
    listed = [origin.strip().rstrip("/") for origin in env.get(ORIGINS_VARIABLE, "").split(",") if origin.strip()]
    if listed:
        if "*" in listed:
            raise ValueError(f"{ORIGINS_VARIABLE}: name each origin; the template allows no wildcard either")
        return tuple(listed)
    port = env.get("CONSOLE_PORT", "").strip() or "8081"
    return (f"http://127.0.0.1:{port}", f"http://localhost:{port}")


@dataclass
class HttpApi:
    server: LocalServer
    issuer: LocalIssuer
    _current: list[BrowserApiSpec]  # the one the gateway reads, for each request

    @property
    def spec(self) -> BrowserApiSpec:
        return self._current[0]

    def allow_origins(self, origins: tuple[str, ...]) -> None:
        """Another set of allowed origins from now on: the console's, once it knows the port it was given."""
        self._current[0] = replace(self.spec, cors=replace(self.spec.cors, allow_origins=origins))

    @property
    def url(self) -> str:
        """The base URL, as the template's BrowserApiUrl output (the $default stage has no stage in the path)."""
        return f"http://127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        self.server.stop()


def start_http_api(
    functions: dict[str, Any],
    now: Callable[[], datetime],
    origins: tuple[str, ...],
    port: int = 0,
    throttled: bool | None = None,
    throttle_clock: Callable[[], float] = time.monotonic,
) -> HttpApi:
    """`functions`: the local Lambdas by name ("start", "results"); `now`: the stack's clock (tokens are issued and
    expire on it). `throttled`: the template's route throttles enforced (None: as SEARCH_API_THROTTLES says), their
    buckets refilled on `throttle_clock`."""
    from local_stack.search_api import _requests_per_thread

    current = [BrowserApiSpec.from_template(origins)]
    spec = current[0]  # what allow_origins does not change
    if throttled is None:
        throttled = throttle.wanted(os.environ)
    limits = throttle.Throttles(spec.throttles, throttle_clock) if throttled else None
    # As the REST API's stand-in: concurrent requests only when Powertools keeps each one per thread.
    serial: Any = contextlib.nullcontext() if _requests_per_thread() else threading.Lock()
    issuer_box: list[LocalIssuer] = []

    class BrowserGateway(JsonHandler):
        def do_OPTIONS(self) -> None:
            origin = self.headers.get("Origin")
            if origin is not None and self.headers.get("Access-Control-Request-Method"):
                self.read_body()
                self.respond(204, None, current[0].cors.preflight(origin))
                return
            self._forward()

        def __getattr__(self, name: str) -> Any:
            if name.startswith("do_"):
                return self._forward
            raise AttributeError(name)

        def _forward(self) -> None:
            body = self.read_body()
            if body is None:
                return
            cors = current[0].cors.actual(self.headers.get("Origin"))
            path = self.path.split("?", 1)[0]
            local = self._issuer_endpoint(path, body)
            if local is not None:
                status, answer = local
                self.respond(status, answer, cors)
                return
            route = spec.routes.get((self.command, path))
            if route is None:
                self.respond(404, NOT_FOUND, cors)
                return
            if limits is not None and not limits.admit(self.command, path):
                self.respond(429, throttle.TOO_MANY_REQUESTS, cors)
                return
            verdict = issuer_box[0].verify(self.headers.get(spec.identity_header))
            if isinstance(verdict, Denied):
                self.respond(401, UNAUTHORIZED, {**cors, "www-authenticate": verdict.challenge})
                return
            name = FUNCTIONS[route]
            event = http_api_event_from_http(self.command, self.path, list(self.headers.items()), body, verdict)
            try:
                with serial:
                    answer = functions[name](event, LocalLambdaContext(name, timeout_s=HTTP_API_TIMEOUT_S))
                status, headers, payload = http_from_response(answer)
            except Exception:
                log.exception("the %s Lambda failed", name)
                self.respond(500, {"message": "Internal Server Error"}, cors)
                return
            self.respond(status, payload, {**headers, **cors})

        def _issuer_endpoint(self, path: str, body: bytes) -> tuple[int, dict[str, Any]] | None:
            issuer = issuer_box[0]
            if self.command == "GET" and path == "/.well-known/jwks.json":
                return 200, issuer.jwks()
            if self.command == "GET" and path == "/.well-known/openid-configuration":
                return 200, {"issuer": issuer.issuer, "jwks_uri": f"{issuer.issuer}/.well-known/jwks.json",
                             "id_token_signing_alg_values_supported": ["RS256"]}  # fmt: skip
            if path == TOKEN_PATH and self.command == "POST":
                return _local_token(issuer, self.headers.get("Content-Type"), body)
            return None

    server = LocalServer(BrowserGateway, port)
    issuer_box.append(LocalIssuer(f"http://127.0.0.1:{server.port}", now))
    server.start()
    return HttpApi(server, issuer_box[0], current)


def _local_token(issuer: LocalIssuer, content_type: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
    """JSON only, so that a page elsewhere cannot post a form here without a preflight."""
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        return 415, {"message": 'Send {"user": "..."} as application/json.'}
    try:
        user = json.loads(body or b"").get("user")
    except (ValueError, AttributeError, RecursionError):
        user = None
    if not isinstance(user, str) or not user.strip() or len(user) > MAX_USER_LENGTH:
        return 400, {"message": f'Send {{"user": "..."}}: a name of 1 to {MAX_USER_LENGTH} characters.'}
    token = issuer.token(user.strip())
    return 200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_S}
