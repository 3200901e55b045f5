"""The WebSocket API on 127.0.0.1: what API Gateway's WebSocket API (infrastructure/template.yaml's PushApi) does in
front of its authorizer and route functions, for pages that want each company's answer pushed as it lands.

- Its routes, its route selection expression, the routes that answer, and the authorizer's identity source are read
  from the template (`WebSocketSpec.from_template`), so the two cannot drift.
- $connect: the REQUEST authorizer's Lambda (search_service.entry.ws_authorizer) gets the event API Gateway sends it
  and verifies the local issuer's token (local_stack.jwt_issuer) with the same code as in AWS, reading the issuer's
  JWKS over HTTP; a handshake without the token gets 401, one the authorizer denies 403, as API Gateway answers.
- Each message goes to the route its `action` selects ($default otherwise), as a WebSocket event to the route Lambda
  (search_service.entry.websocket), whose `body` comes back on the connection for routes with a route response.
  Closing the connection runs $disconnect.
- The management API the run posts to: POST, GET and DELETE /@connections/{id} on a port of its own (websockets
  answers only the GETs of handshakes), 410 GoneException for a connection that is not there, as API Gateway's
  https://{api}.execute-api.{region}.amazonaws.com/{stage}/@connections. The run uses the same boto3 adapter as in
  AWS (search_service.adapters.push), with this endpoint_url.

websockets (a dev dependency, as everything of the local stack's): the handshake, framing, ping and close of RFC 6455,
which http.server does not do. Its threading server keeps this module in the stack's style (threads, no event loop)."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from local_stack.gateway_spec import TEMPLATE
from local_stack.http_server import JsonHandler, LocalServer
from search_service.adapters.local_context import LocalLambdaContext

if TYPE_CHECKING:
    from websockets.http11 import Request, Response
    from websockets.sync.server import Server, ServerConnection

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
API_RESOURCE = "PushApi"
STAGE = "push"  # the template's PushStage
API_ID = "local"
ACCOUNT = "000000000000"
TIMEOUT_S = 10.0  # the route and authorizer functions' Timeout in the template
CONNECTIONS_PATH = "/@connections/"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebSocketSpec:
    """What the template says of the WebSocket API: its route keys, which of them answer (a route response), the
    route selection expression's body field, and the query parameter the authorizer's identity source names."""

    routes: frozenset[str]
    answering: frozenset[str]
    selection_field: str
    token_parameter: str

    @classmethod
    def from_template(cls, template: Path = TEMPLATE) -> WebSocketSpec:
        from local_stack.gateway_spec import load_template

        resources = load_template(template)["Resources"]
        api = resources[API_RESOURCE]["Properties"]
        props = [resource.get("Properties") or {} for resource in resources.values()]
        mine = [p for p in props if p.get("ApiId") == {"Ref": API_RESOURCE}]
        routes = [props for props in mine if "RouteKey" in props]
        (authorizer,) = [props for props in mine if "IdentitySource" in props]
        (source,) = authorizer["IdentitySource"]
        return cls(
            routes=frozenset(props["RouteKey"] for props in routes),
            answering=frozenset(p["RouteKey"] for p in routes if p.get("RouteResponseSelectionExpression")),
            selection_field=api["RouteSelectionExpression"].removeprefix("$request.body."),
            token_parameter=source.removeprefix("route.request.querystring."),
        )


@dataclass
class _Connection:
    socket: ServerConnection
    principal: dict[str, Any]
    connected_at: float = field(default_factory=time.time)
    last_active_at: float = field(default_factory=time.time)


class WebSocketApi:
    """Made in two steps, as the stack needs: the management endpoint first (the search runtime is started with its
    URL), then, once the functions exist, the WebSocket server itself (`serve`)."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.spec = WebSocketSpec.from_template()
        self._region = region
        self._connections: dict[str, _Connection] = {}
        self._lock = threading.Lock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._on_stop: list[Callable[[], None]] = []
        self.management = LocalServer(_management_handler(self), 0)
        self.management.start()

    @property
    def management_url(self) -> str:
        """The PUSH_ENDPOINT_URL of the run: the stage's management endpoint."""
        return f"http://127.0.0.1:{self.management.port}/{STAGE}"

    @property
    def url(self) -> str:
        assert self._server is not None, "serve() first"
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/"

    def connected(self) -> list[str]:
        with self._lock:
            return list(self._connections)

    def on_stop(self, done: Callable[[], None]) -> None:
        """Called at `stop`, once the connections are closed (what the route functions hold: their S3 readers)."""
        self._on_stop.append(done)

    def serve(self, authorizer: LambdaHandler, routes: LambdaHandler, port: int = 0) -> None:
        from websockets.sync.server import serve

        def handshake(socket: ServerConnection, request: Request) -> Response | None:
            return self._connect(socket, request, authorizer, routes)

        self._server = serve(lambda socket: self._session(socket, routes), "127.0.0.1", port,
                             process_request=handshake, server_header=None, compression=None)  # fmt: skip
        self._thread = threading.Thread(target=self._server.serve_forever, name="websocket-api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join(5)
        with self._lock:
            open_ones = [connection.socket for connection in self._connections.values()]
        for socket in open_ones:
            socket.close()
        self.management.stop()
        for done in self._on_stop:
            done()

    # --- API Gateway's side of a connection ---------------------------------------------------------------------

    def _connect(
        self, socket: ServerConnection, request: Request, authorizer: LambdaHandler, routes: LambdaHandler
    ) -> Response | None:
        connection_id = _connection_id()
        query = {name: values[-1] for name, values in parse_qs(urlsplit(request.path).query).items()}
        token = query.get(self.spec.token_parameter)
        if not token:
            return socket.respond(401, "Unauthorized\n")  # the identity source is missing: no authorizer runs
        arn = f"arn:aws:execute-api:{self._region}:{ACCOUNT}:{API_ID}/{STAGE}/$connect"
        context = self._context("$connect", "CONNECT", connection_id)
        event = {"type": "REQUEST", "methodArn": arn, "headers": dict(request.headers.raw_items()),
                 "queryStringParameters": query, "requestContext": context}  # fmt: skip
        try:
            decision = authorizer(event, LocalLambdaContext("push-authorizer", timeout_s=TIMEOUT_S))
        except Exception as error:
            if str(error) == "Unauthorized":
                return socket.respond(401, "Unauthorized\n")
            log.exception("the authorizer failed")
            return socket.respond(500, "Internal Server Error\n")
        if not _allows(decision, arn):
            return socket.respond(403, "Forbidden\n")
        principal = {"principalId": decision["principalId"], **(decision.get("context") or {})}
        answer = self._invoke(routes, "$connect", "CONNECT", connection_id, principal, None)
        if answer is None or not 200 <= int(answer.get("statusCode", 200)) < 300:
            return socket.respond(500 if answer is None else int(answer["statusCode"]), "Forbidden\n")
        socket.connection_id = connection_id  # type: ignore[attr-defined]  # read by _session, on this socket
        with self._lock:
            self._connections[connection_id] = _Connection(socket, principal)
        return None

    def _session(self, socket: ServerConnection, routes: LambdaHandler) -> None:
        from websockets.exceptions import ConnectionClosed

        connection_id: str = socket.connection_id  # type: ignore[attr-defined]
        with self._lock:
            principal = self._connections[connection_id].principal
        try:
            for frame in socket:
                body = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                with self._lock:
                    if connection_id in self._connections:
                        self._connections[connection_id].last_active_at = time.time()
                route = self._route(body)
                answer = self._invoke(routes, route, "MESSAGE", connection_id, principal, body)
                if answer is None:
                    socket.send(json.dumps({"message": "Internal server error", "connectionId": connection_id}))
                elif route in self.spec.answering and answer.get("body"):
                    socket.send(str(answer["body"]))
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.pop(connection_id, None)
            self._invoke(routes, "$disconnect", "DISCONNECT", connection_id, principal, None)

    def _route(self, body: str) -> str:
        try:
            sent = json.loads(body)
        except (ValueError, RecursionError):  # as API Gateway: a body it cannot read goes to $default
            sent = None
        action = sent.get(self.spec.selection_field) if isinstance(sent, dict) else None
        if isinstance(action, str) and action in self.spec.routes and not action.startswith("$"):
            return action
        return "$default"

    def _invoke(
        self, routes: LambdaHandler, route: str, kind: str, connection_id: str, principal: dict[str, Any],
        body: str | None,
    ) -> dict[str, Any] | None:  # fmt: skip
        event: dict[str, Any] = {
            "requestContext": {**self._context(route, kind, connection_id), "authorizer": principal},
            "isBase64Encoded": False,
        }
        if body is not None:
            event["body"] = body
        try:
            return routes(event, LocalLambdaContext("push", timeout_s=TIMEOUT_S))
        except Exception:
            log.exception("the WebSocket route %s failed", route)
            return None

    def _context(self, route: str, kind: str, connection_id: str) -> dict[str, Any]:
        return {"routeKey": route, "eventType": kind, "connectionId": connection_id, "stage": STAGE, "apiId": API_ID,
                "domainName": "127.0.0.1", "requestTimeEpoch": int(time.time() * 1000)}  # fmt: skip

    # --- the management API -------------------------------------------------------------------------------------

    def post(self, connection_id: str, data: bytes) -> bool:
        """Sends `data` as one text frame; False when there is no such connection (410)."""
        with self._lock:
            connection = self._connections.get(connection_id)
        if connection is None:
            return False
        from websockets.exceptions import ConnectionClosed

        try:
            connection.socket.send(data.decode("utf-8", "replace"))
        except ConnectionClosed:
            return False
        return True

    def describe(self, connection_id: str) -> dict[str, Any] | None:
        with self._lock:
            connection = self._connections.get(connection_id)
        if connection is None:
            return None
        return {"connectedAt": _iso(connection.connected_at), "lastActiveAt": _iso(connection.last_active_at),
                "identity": {"sourceIp": "127.0.0.1", "userAgent": ""}}  # fmt: skip

    def disconnect(self, connection_id: str) -> bool:
        with self._lock:  # gone at once for the management API; $disconnect follows the close
            connection = self._connections.pop(connection_id, None)
        if connection is None:
            return False
        connection.socket.close()
        return True


def _management_handler(api: WebSocketApi) -> type[JsonHandler]:
    class Management(JsonHandler):
        def do_POST(self) -> None:
            body = self.read_body()
            connection_id = self._connection()
            if body is None or connection_id is None:
                return
            if api.post(connection_id, body):
                self.respond(200, None)
            else:
                self._gone()

        def do_GET(self) -> None:
            connection_id = self._connection()
            if connection_id is None:
                return
            described = api.describe(connection_id)
            if described is None:
                self._gone()
            else:
                self.respond(200, described)

        def do_DELETE(self) -> None:
            connection_id = self._connection()
            if connection_id is None:
                return
            if api.disconnect(connection_id):
                self.respond(204, None)
            else:
                self._gone()

        def _connection(self) -> str | None:
            path = self.path.split("?", 1)[0].removeprefix(f"/{STAGE}")
            if not path.startswith(CONNECTIONS_PATH) or len(path) == len(CONNECTIONS_PATH):
                self.respond(403, {"message": "Forbidden"})
                return None
            return unquote(path[len(CONNECTIONS_PATH) :])

        def _gone(self) -> None:
            # API Gateway's answer for a connection that is not there, which botocore reads as GoneException.
            self.respond(410, {"message": None}, {"x-amzn-ErrorType": "GoneException"})

    return Management


def _allows(decision: Any, arn: str) -> bool:
    """What API Gateway makes of the authorizer's answer: an Allow of execute-api:Invoke on the $connect route."""
    if not isinstance(decision, dict) or not isinstance(decision.get("principalId"), str):
        return False
    statements = (decision.get("policyDocument") or {}).get("Statement") or []
    effects = {s.get("Effect") for s in statements if s.get("Resource") in (arn, "*") and
               s.get("Action") in ("execute-api:Invoke", "execute-api:*")}  # fmt: skip
    return effects == {"Allow"}


def _connection_id() -> str:
    """Shaped as API Gateway's (e.g. L0SM9cOFvHcCIhw=): base64, with its '=' and at times a '/' keys must encode."""
    import base64

    return base64.b64encode(secrets.token_bytes(11)).decode()


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + "Z"
