"""The whole system on 127.0.0.1: embedded S3, the search API and the skill's endpoint, started and stopped
as one. `make chat` and `make serve` both run this; the tests start it on free ports."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local_stack.clock import StackClock
from local_stack.http_api import HttpApi, default_origins, start_http_api
from local_stack.http_server import LocalServer
from local_stack.iam_auth import local_role
from local_stack.s3 import EmbeddedS3
from local_stack.search_api import (
    CALLBACK_DELAY_SCALE,
    DEFAULT_RETRY_DELAYS_S,
    SEARCH_MAX_CONCURRENCY,
    SearchApi,
    start_search_api,
)
from local_stack.skill_endpoint import skill_handler, start_skill_endpoint
from local_stack.websocket_api import WebSocketApi
from search_service.adapters.jwt_verify import JwtVerifier
from search_service.config import Settings

# Where the skill keeps users' last trips: under the results prefix, as in AWS (template.yaml's trips-prefix).
TRIPS = "trips/"


@dataclass(frozen=True)
class StackOptions:
    skill_port: int = 8080
    api_port: int = 3000
    latency_scale: float = 1.0  # SUPPLIER_LATENCY_SCALE: 1 is realistic, so the async design is visible
    verify_requests: bool = False  # Alexa's signature and timestamp: on behind a real HTTPS endpoint
    # SKILL_ID: requests for any other skill are refused, by the endpoint (a 400) and by the skill itself, as in AWS.
    # Required with verify_requests: Alexa signs every skill's requests, so a signature alone proves nothing about
    # which skill a request is for. Unset otherwise: the chat and simulators on 127.0.0.1 send whatever id they have.
    skill_id: str | None = None
    async_retry_delays_s: tuple[float, ...] = DEFAULT_RETRY_DELAYS_S
    # Multiplies the skill's own timing (turn deadline 7 s, poll interval 0.5 s, HTTP timeouts 1 s and 2.5 s): a
    # benchmark that plays time faster scales it with the suppliers' latency. 1 is the skill as deployed.
    skill_time_scale: float = 1.0
    # QUOTE_CACHE_SECONDS of the search Lambdas; None: the search service's own setting (its default, 600 s).
    quote_cache_s: int | None = None
    # What time it is for the whole stack: the skill, both search Lambdas, the search runtime and the chat's NLU.
    clock: StackClock = field(default_factory=StackClock)
    # The file the search runtime's Lambda logs go to; by default where this process's stdout goes, if a file.
    runtime_log: str | None = None
    # CALLBACK_DELAY_SCALE: the callback queue's retry waits against SQS's (1: minutes, as in AWS; tests: 0).
    callback_delay_scale: float = CALLBACK_DELAY_SCALE
    # How the start Lambda hands a search over (HANDOVER, the template's Handover): "invoke", Lambda's async invoke,
    # or "queue", the search queue consumed `search_max_concurrency` at a time (the template's MaximumConcurrency).
    handover: str = "invoke"
    search_max_concurrency: int = SEARCH_MAX_CONCURRENCY
    # --- the browser API (local_stack/http_api.py) ---
    # HTTP_API_PORT; None: 3001, or a free port when api_port is 0 (the tests' stacks).
    http_api_port: int | None = None
    # HTTP_API_ALLOWED_ORIGINS; None: the console's origins (local_stack.http_api.default_origins).
    http_api_origins: tuple[str, ...] | None = None
    # --- end browser API ---
    # WS_PORT, the WebSocket API (local_stack/websocket_api.py); None: 3002, or a free port when api_port is 0.
    ws_port: int | None = None

    def __post_init__(self) -> None:
        if self.verify_requests and not self.skill_id:
            raise ValueError(
                "VERIFY_ALEXA_REQUESTS=true needs SKILL_ID (your skill's amzn1.ask.skill id, from the developer "
                "console): Alexa signs requests for every skill, so without it any skill's requests would be served"
            )

    @classmethod
    def from_env(cls, env: dict[str, str]) -> StackOptions:
        return cls(
            skill_port=int(env.get("SKILL_PORT", "8080")),
            api_port=int(env.get("API_PORT", "3000")),
            latency_scale=float(env.get("SUPPLIER_LATENCY_SCALE", "1")),
            verify_requests=env.get("VERIFY_ALEXA_REQUESTS", "false").strip().lower() in ("1", "true", "yes"),
            skill_id=env.get("SKILL_ID", "").strip() or None,
            clock=StackClock.from_env(env),
            callback_delay_scale=float(env.get("CALLBACK_DELAY_SCALE", str(CALLBACK_DELAY_SCALE))),
            handover=Settings.from_env({"HANDOVER": env.get("HANDOVER", "")}).handover,
            http_api_port=int(env["HTTP_API_PORT"]) if env.get("HTTP_API_PORT", "").strip() else None,
            http_api_origins=default_origins(env),
            ws_port=int(env["WS_PORT"]) if env.get("WS_PORT", "").strip() else None,
        )


class LocalStack:
    def __init__(self, options: StackOptions = StackOptions()) -> None:
        self.options = options
        self.access_token = secrets.token_urlsafe(24)  # what Alexa puts in apiAccessToken, for this stack only
        self._listeners: list[Callable[[str, str], None]] = []
        self._lock = threading.Lock()
        self._s3: EmbeddedS3 | None = None
        self._api: SearchApi | None = None
        self._skill: LocalServer | None = None
        self._http_api: HttpApi | None = None
        self._ws: WebSocketApi | None = None

    @property
    def skill_url(self) -> str:
        assert self._skill is not None, "start() first"
        return f"http://127.0.0.1:{self._skill.port}/"

    @property
    def progressive_endpoint(self) -> str:
        """What the stack's requests carry as context.System.apiEndpoint."""
        assert self._skill is not None, "start() first"
        return f"http://127.0.0.1:{self._skill.port}"

    @property
    def api_url(self) -> str:
        assert self._api is not None, "start() first"
        return self._api.url

    @property
    def api(self) -> SearchApi:
        assert self._api is not None, "start() first"
        return self._api

    @property
    def http_api(self) -> HttpApi:
        """The browser API: its URL, and the local issuer of its tokens."""
        assert self._http_api is not None, "start() first"
        return self._http_api

    @property
    def websocket(self) -> WebSocketApi:
        """The WebSocket API: its ws:// URL, its connections."""
        assert self._ws is not None, "start() first"
        return self._ws

    def on_progressive(self, listener: Callable[[str, str], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def start(self) -> LocalStack:
        try:
            self._s3 = EmbeddedS3(clock=self.options.clock)
            s3_url = self._s3.start()
            # Its management endpoint first: the search runtime posts the subscribers' events there.
            self._ws = WebSocketApi(Settings.from_env().region)
            self._api = start_search_api(
                s3_url,
                local_role(),
                self.options.api_port,
                self.options.async_retry_delays_s,
                self.options.clock,
                self.options.runtime_log,
                self.options.callback_delay_scale,
                self.options.handover,
                self.options.search_max_concurrency,
                supplier_latency_scale=self.options.latency_scale,
                push_endpoint_url=self._ws.management_url,
                **({} if self.options.quote_cache_s is None else {"quote_cache_s": self.options.quote_cache_s}),
            )
            self._http_api = self._start_http_api(self._api)
            self._serve_websocket(self._ws, self._api, self._http_api)
            verifier: Any = None
            if self.options.verify_requests:
                from local_stack.verify import RequestVerifier

                # On the real time, not the stack's clock: Alexa stamps its requests with the real time, and a stack
                # moved to another day (CAR_SEARCH_TODAY) would refuse every one of them as a replay.
                verifier = RequestVerifier()
            results = Settings.from_env()  # the search API's bucket, where the skill keeps users' last trips too
            handler = skill_handler(
                self._api.url,
                self.options.skill_time_scale,
                self.options.clock.now,
                s3_url,
                results.results_bucket,
                results.results_prefix + TRIPS,
                self.options.skill_id,
            )
            self._skill = start_skill_endpoint(
                handler, self.access_token, self._progressive, self.options.skill_port, verifier, self.options.skill_id
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace_s: float = 5.0) -> None:
        """`grace_s`: how long searches still running may go on writing their results."""
        if self._skill is not None:
            self._skill.stop()
        if self._http_api is not None:
            self._http_api.stop()
        if self._ws is not None:
            self._ws.stop()
        if self._api is not None:
            self._api.stop(grace_s)
        if self._s3 is not None:
            self._s3.stop()
        self._skill = self._api = self._s3 = None
        self._http_api = None
        self._ws = None

    def _start_http_api(self, api: SearchApi) -> HttpApi:
        options = self.options
        port = options.http_api_port
        if port is None:
            port = 0 if options.api_port == 0 else 3001
        origins = options.http_api_origins or default_origins({})
        return start_http_api(api.functions, options.clock.now, origins, port)

    def _serve_websocket(self, ws: WebSocketApi, api: SearchApi, http_api: HttpApi) -> None:
        from local_stack.jwt_issuer import CLIENT_ID
        from search_service.entry import websocket, ws_authorizer
        from search_service.wiring import aws_services

        # The authorizer as in AWS (the issuer's JWKS read over HTTP), with the stack's clock for the tokens' expiry.

        port = self.options.ws_port
        if port is None:
            port = 0 if self.options.api_port == 0 else 3002
        clock = self.options.clock
        verifier = JwtVerifier(http_api.issuer.issuer, CLIENT_ID, lambda: clock.now().timestamp())
        services = aws_services(api.settings, api.s3, clock)
        ws.on_stop(services.cache.close)  # type: ignore[attr-defined]  # an S3ResultCache: its reader threads
        ws.serve(ws_authorizer.build_handler(verifier), websocket.build_handler(services), port)

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _progressive(self, request_id: str, ssml: str) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(request_id, ssml)
