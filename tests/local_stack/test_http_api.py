"""The browser API of the local stack, driven over HTTP on 127.0.0.1 as a page in a browser would drive the HTTP API:
a token from the local issuer, the CORS preflight, then the calls with `Authorization: Bearer` and the search token
in the Search-Token header (never in a URL)."""

from __future__ import annotations

import http.client
import json
from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from local_stack.http_api import BrowserApiSpec, default_origins, start_http_api
from local_stack.jwt_issuer import LocalIssuer
from local_stack.stack import LocalStack
from tests.builders.today import trip
from tests.builders.waiting import PATIENCE_S

ORIGIN = "http://127.0.0.1:8081"  # the workshop console's, allowed by default
ELSEWHERE = "https://attacker.example"
TRIP = {name: value for name, value in trip("ignored").items() if name != "user"}  # the user is the token's subject
JSON = {"Content-Type": "application/json"}


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case
    body: Any


def call(stack: LocalStack, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    return call_port(stack.http_api.server.port, method, path, body, headers)


def call_port(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE_S)
    try:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()  # bytes: as they are
        connection.request(method, path, body=data, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        headers_out = {name.lower(): value for name, value in response.getheaders()}
        return Answer(response.status, headers_out, json.loads(raw) if raw else None)
    finally:
        connection.close()


def token_for(stack: LocalStack, user: str) -> str:
    answer = call(stack, "POST", "/local/token", {"user": user}, {**JSON, "Origin": ORIGIN})
    assert answer.status == 200 and answer.body["token_type"] == "Bearer"
    return str(answer.body["access_token"])


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Origin": ORIGIN, **headers}


def start(stack: LocalStack, token: str) -> str:
    started = call(stack, "POST", "/search", TRIP, bearer(token, **JSON))
    assert started.status == 202, started.body
    return str(started.body["token"])


def read_until_final(stack: LocalStack, token: str, search_token: str, path: str) -> Answer:
    """GETs as a page polls: each a long poll that answers when the results change; a bounded number of them."""
    headers = bearer(token, **{"Search-Token": search_token, "Prefer": "wait=5"})
    for _ in range(20):  # nine companies: a change each at most, then the end
        results = call(stack, "GET", path, headers=headers)
        if results.body["status"] in ("complete", "failed"):
            return results
        headers["If-None-Match"] = results.headers["etag"]
    raise AssertionError(f"the search did not end: {results.body['status']}")


def cors_headers(answer: Answer) -> dict[str, str]:
    return {name: value for name, value in answer.headers.items() if name.startswith("access-control-")}


def test_a_browser_gets_a_token_passes_the_preflight_and_starts_reads_and_cancels_a_search(
    local_stack: LocalStack,
) -> None:
    # GIVEN a token from the local issuer
    token = token_for(local_stack, "alice@example.com")

    # WHEN the page's preflight comes, with no token (browsers never send one with it)
    preflight = call(local_stack, "OPTIONS", "/search", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    })  # fmt: skip

    # THEN the gateway answers it itself: 204, the origin allowed, the method and both headers too
    assert preflight.status == 204 and preflight.body is None
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"].split(",")
    assert {"authorization", "content-type"} <= set(preflight.headers["access-control-allow-headers"].split(","))
    assert int(preflight.headers["access-control-max-age"]) > 0

    # WHEN it starts a search with the token: 202, readable by the page (CORS), with where to poll
    started = call(local_stack, "POST", "/search", TRIP, bearer(token, **JSON))
    assert started.status == 202, started.body
    assert started.headers["access-control-allow-origin"] == ORIGIN
    assert "location" in started.headers["access-control-expose-headers"].split(",")
    assert started.headers["location"] == "/search"  # the token is not in it: it goes in a header
    search_token = started.body["token"]

    # THEN GET with the search token in a header reads its results, complete (long polls wait for each change)
    results = read_until_final(local_stack, token, search_token, "/search?CarSize=compact")
    assert results.status == 200 and results.body["status"] == "complete"
    assert results.body["offers"] and {o["carClass"] for o in results.body["offers"]} == {"compact"}
    assert results.headers["access-control-allow-origin"] == ORIGIN

    # AND DELETE reaches the cancel: the search had ended, so there is nothing left to stop
    cancelled = call(local_stack, "DELETE", "/search", headers=bearer(token, **{"Search-Token": search_token}))
    assert cancelled.status == 409 and "already complete" in cancelled.body["message"]


def test_another_users_token_cannot_read_or_cancel_the_search(local_stack: LocalStack) -> None:
    search_token = start(local_stack, token_for(local_stack, "alice@example.com"))
    mallory = token_for(local_stack, "mallory@example.com")

    read = call(local_stack, "GET", "/search", headers=bearer(mallory, **{"Search-Token": search_token}))
    cancel = call(local_stack, "DELETE", "/search", headers=bearer(mallory, **{"Search-Token": search_token}))

    assert read.status == cancel.status == 404
    assert "No search matches" in read.body["message"]


def test_a_user_sent_by_the_page_is_refused_the_user_is_the_tokens_subject(local_stack: LocalStack) -> None:
    token = token_for(local_stack, "alice@example.com")

    in_body = call(local_stack, "POST", "/search", {**TRIP, "user": "bob"}, bearer(token, **JSON))
    in_header = call(local_stack, "GET", "/search", headers=bearer(token, **{"Search-Token": "0" * 32,
                                                                            "Search-User": "bob"}))  # fmt: skip

    assert in_body.status == in_header.status == 400
    assert in_body.body["errors"][0]["code"] == in_header.body["errors"][0]["code"] == "user_from_sign_in"


def _foreign_token(stack: LocalStack) -> str:
    """Signed by another key than the stack's, with claims that would otherwise pass."""
    issuer = stack.http_api.issuer
    other = LocalIssuer(issuer.issuer, stack.options.clock.now)
    return other.token("alice@example.com")


@pytest.mark.parametrize(
    ("case", "authorization", "description"),
    [
        ("missing", lambda s: None, None),
        ("not a JWT", lambda s: "Bearer not-a-token", "the token could not be verified"),
        ("expired", lambda s: "Bearer " + s.http_api.issuer.token("alice", lifetime_s=-1), "the token has expired"),
        ("bad signature", lambda s: "Bearer " + _foreign_token(s), "the token could not be verified"),
        ("wrong audience", lambda s: "Bearer " + s.http_api.issuer.token("alice", client_id="another-app"),
         "the token does not have a valid audience"),
        ("wrong issuer", lambda s: "Bearer " + s.http_api.issuer.token("alice", iss="https://elsewhere.example"),
         "the token does not have a valid issuer"),
    ],
)  # fmt: skip
def test_without_a_valid_token_the_gateway_answers_401_and_no_lambda_runs(
    local_stack: LocalStack, case: str, authorization: Any, description: str | None
) -> None:
    value = authorization(local_stack)
    headers = {**JSON, "Origin": ORIGIN, **({"Authorization": value} if value else {})}
    answer = call(local_stack, "POST", "/search", TRIP, headers)

    # API Gateway's own body, not the Lambda's (an ErrorBody, with errors): no Lambda ran
    assert answer.status == 401 and answer.body == {"message": "Unauthorized"}, case
    challenge = answer.headers["www-authenticate"]
    assert challenge == "Bearer" if description is None else f'error_description="{description}"' in challenge
    assert answer.headers["access-control-allow-origin"] == ORIGIN  # the page can read why


def test_a_token_expires_on_the_stacks_clock(local_stack: LocalStack) -> None:
    issuer = local_stack.http_api.issuer
    soon = issuer.token("alice", lifetime_s=60)
    moved = LocalIssuer(issuer.issuer, lambda: local_stack.options.clock.now() + timedelta(seconds=61))
    moved._keys = issuer._keys  # the same key, another time: a minute and a second later

    assert isinstance(issuer.verify(f"Bearer {soon}"), dict)
    assert moved.verify(f"Bearer {soon}").description == "the token has expired"  # type: ignore[union-attr]


def test_a_disallowed_origin_gets_no_cors_headers(local_stack: LocalStack) -> None:
    token = token_for(local_stack, "alice@example.com")

    preflight = call(local_stack, "OPTIONS", "/search", headers={
        "Origin": ELSEWHERE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    })  # fmt: skip
    actual = call(local_stack, "POST", "/search", TRIP, {**bearer(token, **JSON), "Origin": ELSEWHERE})

    assert preflight.status == 204 and cors_headers(preflight) == {}
    # The request itself is served (CORS is the browser's to enforce), but its page may not read the answer
    assert actual.status == 202 and cors_headers(actual) == {}


def test_routes_the_api_does_not_have_get_404_even_with_a_token(local_stack: LocalStack) -> None:
    token = token_for(local_stack, "alice@example.com")

    assert call(local_stack, "PATCH", "/search", headers=bearer(token)).status == 404
    assert call(local_stack, "GET", "/nowhere", headers=bearer(token)).body == {"message": "Not Found"}
    # The webhook signing secret stays on the REST API: it belongs on a server, not in a page
    assert call(local_stack, "GET", "/webhook-secret", headers=bearer(token)).status == 404


def test_the_issuers_jwks_verifies_its_tokens(local_stack: LocalStack) -> None:
    token = token_for(local_stack, "alice@example.com")

    config = call(local_stack, "GET", "/.well-known/openid-configuration").body
    jwks = call(local_stack, "GET", config["jwks_uri"].removeprefix(local_stack.http_api.url)).body

    assert config["issuer"] == local_stack.http_api.url
    assert all("d" not in key for key in jwks["keys"])  # the public half only
    claims = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims
    assert claims["sub"] == "alice@example.com" and claims["iss"] == config["issuer"]


def test_the_local_token_endpoint_takes_json_with_a_user(local_stack: LocalStack) -> None:
    as_form = call(local_stack, "POST", "/local/token", None, {"Content-Type": "text/plain"})
    no_user = call(local_stack, "POST", "/local/token", {"user": ""}, JSON)
    nested = call(local_stack, "POST", "/local/token", b"[" * 5000, JSON)  # deeper than the JSON parser recurses

    assert as_form.status == 415 and no_user.status == 400 and nested.status == 400


def test_the_local_api_has_the_templates_routes_and_cors(local_stack: LocalStack) -> None:
    from tests.infrastructure.cloudformation import SEARCH_STACK, load, resolved, resources, sam_transform

    apis = resources(resolved(sam_transform(load(SEARCH_STACK))), "AWS::ApiGatewayV2::Api")
    (api,) = [resource for name, resource in apis.items() if name != "PushApi"]  # the WebSocket API's are its own
    body = api["Properties"]["Body"]
    deployed = {(method.upper(), path) for path, item in body["paths"].items() for method in item}
    spec = local_stack.http_api.spec

    assert set(spec.routes) == deployed
    cors = body["x-amazon-apigateway-cors"]
    assert list(spec.cors.allow_headers) == cors["allowHeaders"] and spec.cors.max_age_s == cors["maxAge"]
    assert spec == BrowserApiSpec.from_template(spec.cors.allow_origins)


def test_the_allowed_origins_default_to_the_consoles_and_refuse_a_wildcard() -> None:
    assert default_origins({}) == ("http://127.0.0.1:8081", "http://localhost:8081")
    assert default_origins({"CONSOLE_PORT": "9000"})[0] == "http://127.0.0.1:9000"
    assert default_origins({"HTTP_API_ALLOWED_ORIGINS": "https://a.example, http://127.0.0.1:5173/"}) == (
        "https://a.example",
        "http://127.0.0.1:5173",
    )
    with pytest.raises(ValueError, match="wildcard"):
        default_origins({"HTTP_API_ALLOWED_ORIGINS": "*"})


def test_the_local_api_has_the_templates_route_throttles(local_stack: LocalStack) -> None:
    from tests.infrastructure.cloudformation import SEARCH_STACK, load, resolved, resources, sam_transform

    template = resolved(sam_transform(load(SEARCH_STACK)))
    stages = resources(template, "AWS::ApiGatewayV2::Stage").values()
    (settings,) = [stage["Properties"] for stage in stages if stage["Properties"]["ApiId"] == {"Ref": "BrowserApi"}]
    defaults = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
    default = settings["DefaultRouteSettings"]
    spec = local_stack.http_api.spec

    for (method, path), limit in spec.throttles.items():
        own = settings.get("RouteSettings", {}).get(f"{method} {path}", default)
        deployed = [defaults[own[name]["Ref"]] for name in ("ThrottlingRateLimit", "ThrottlingBurstLimit")]
        assert (limit.rate_per_s, limit.burst) == (float(deployed[0]), int(deployed[1]))
    assert set(spec.throttles) == set(spec.routes)
    assert spec.throttles[("POST", "/search")].burst < spec.throttles[("GET", "/search")].burst  # its own, lower


def test_with_throttles_on_a_route_past_its_burst_gets_429_until_its_rate_refills_it(local_stack: LocalStack) -> None:
    clock = ManualClock()
    origins = local_stack.http_api.spec.cors.allow_origins
    throttled = start_http_api(
        local_stack.api.functions, local_stack.options.clock.now, origins, throttled=True, throttle_clock=clock
    )
    try:
        token = throttled.issuer.token("alice@example.com")
        limit = throttled.spec.throttles[("POST", "/search")]

        def post() -> Answer:
            return call_port(throttled.server.port, "POST", "/search", TRIP, bearer(token, **JSON))

        # WHEN a page starts its burst's worth of searches at once, and one more
        assert [post().status for _ in range(limit.burst)] == [202] * limit.burst
        refused = post()
        # THEN API Gateway's 429, readable by the page (CORS), before any Lambda
        assert (refused.status, refused.body) == (429, {"message": "Too Many Requests"})
        assert refused.headers["access-control-allow-origin"] == ORIGIN
        # AND GET keeps its own bucket; a POST comes back after 1/rate seconds, one request's worth
        assert (
            call_port(
                throttled.server.port, "GET", "/search", headers=bearer(token, **{"Search-Token": "0" * 32})
            ).status
            == 404
        )
        clock.at += 1 / limit.rate_per_s
        assert [post().status for _ in range(2)] == [202, 429]
    finally:
        throttled.stop()


class ManualClock:
    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at
