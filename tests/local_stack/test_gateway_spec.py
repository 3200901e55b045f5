"""The local REST gateway against the SAM-transformed template (issue 19, part 3): what API Gateway deploys from
infrastructure/template.yaml is what the local stack serves, route by route (the method, the function, AWS_IAM, the
validators, the stage), and nothing else. The same checks run on copies of the template changed as a developer would
change it (a route removed, a required parameter added, the stage renamed, a route opened, a throttle lowered): the
local gateway follows each change, so it cannot drift from AWS. The browser API's routes and CORS are held to the
transformed template by tests/local_stack/test_http_api.py."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from local_stack import throttle
from local_stack.gateway_spec import FUNCTIONS, TEMPLATE, RestApiSpec, Throttle, load_template, rest_api_spec
from local_stack.iam_auth import MISSING, local_role
from local_stack.search_api import start_gateway
from tests.fakes.handlers import RecordingHandler
from tests.infrastructure.cloudformation import load, resources, sam_transform
from tests.local_stack.conftest import http

Template = dict[str, Any]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
JSON = {"Content-Type": "application/json"}


class Deployed(NamedTuple):
    """A method of the REST API as the transformed template deploys it."""

    function: str
    auth: str
    required: frozenset[tuple[str, str]]  # (header or querystring, name) that the validator checks
    validate_body: bool
    body_schema: dict[str, Any] | None


def deployed_api(template: Template) -> tuple[str, dict[tuple[str, str], Deployed], dict[tuple[str, str], Throttle]]:
    """The stage, methods and throttles of the transformed template's REST API, with the parameters' defaults."""
    (api,) = resources(template, "AWS::ApiGateway::RestApi").values()
    body = api["Properties"]["Body"]
    validators = body.get("x-amazon-apigateway-request-validators", {})
    methods = {}
    for path, items in body["paths"].items():
        for method, spec in items.items():
            validator = validators.get(spec.get("x-amazon-apigateway-request-validator"), {})
            parameters = spec.get("parameters", [])
            (auth,) = spec.get("security", [{"NONE": []}])[0]
            [schema] = [body["definitions"][p["schema"]["$ref"].split("/")[-1]] for p in parameters
                        if p["in"] == "body"] or [None]  # fmt: skip
            required = frozenset(
                ("querystring" if p["in"] == "query" else p["in"], p["name"])
                for p in parameters
                if p["in"] in ("query", "header") and p["required"] and validator.get("validateRequestParameters")
            )
            function = spec["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"].split("${")[-1].split(".Arn")[0]
            methods[(method.upper(), path)] = Deployed(
                function, auth, required, bool(validator.get("validateRequestBody")), schema
            )
    (stage,) = resources(template, "AWS::ApiGateway::Stage").values()
    defaults = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
    value = lambda v: defaults[v["Ref"]] if isinstance(v, dict) else v  # noqa: E731
    throttles = {
        (s["ResourcePath"], s["HttpMethod"]): Throttle(
            float(value(s["ThrottlingRateLimit"])), int(value(s["ThrottlingBurstLimit"]))
        )
        for s in stage["Properties"]["MethodSettings"]
    }
    return str(value(stage["Properties"]["StageName"])), methods, throttles


def local_api(spec: RestApiSpec) -> tuple[str, dict[tuple[str, str], Deployed], dict[tuple[str, str], Throttle]]:
    """The same, as the local gateway's spec has it (method settings' paths encoded as API Gateway encodes them)."""
    methods = {
        route_key: Deployed(
            route.function,
            route.auth,
            frozenset((p.location, p.name) for p in route.parameters if p.required and route.validate_parameters),
            route.validate_body,
            route.body_schema,
        )
        for route_key, route in spec.routes.items()
    }
    encoded = {(p if p == "/*" else "/" + p.replace("/", "~1"), m): t for (p, m), t in spec.throttles.items()}
    return spec.stage, methods, encoded


# --- the template, changed as a developer would change it ----------------------------------------------------------


def _as_is(template: Template) -> None:
    pass


def _cancel_removed(template: Template) -> None:
    del _events(template, "ResultsFunction")["Cancel"]


def _required_query_added(template: Template) -> None:
    parameters = _events(template, "ResultsFunction")["Results"]["Properties"]["RequestParameters"]
    parameters.append({"method.request.querystring.Limit": {"Required": True, "Caching": False}})


def _stage_renamed(template: Template) -> None:
    template["Parameters"]["Stage"]["Default"] = "gamma"


def _secret_opened(template: Template) -> None:
    _events(template, "StartFunction")["WebhookSecret"]["Properties"]["Auth"] = {"Authorizer": "NONE"}


def _start_throttled_harder(template: Template) -> None:
    template["Parameters"]["StartBurstLimit"]["Default"] = 2


def _events(template: Template, function: str) -> dict[str, Any]:
    events: dict[str, Any] = template["Resources"][function]["Properties"]["Events"]
    return events


MUTATIONS: dict[str, Callable[[Template], None]] = {
    "as is": _as_is,
    "DELETE /search removed": _cancel_removed,
    "a required query parameter added": _required_query_added,
    "the stage renamed": _stage_renamed,
    "a route without AWS_IAM": _secret_opened,
    "POST /search's burst lowered": _start_throttled_harder,
}


@pytest.fixture(scope="module")
def source() -> Template:
    return load_template(TEMPLATE)


def changed(source: Template, mutation: str, folder: Path) -> Path:
    template = copy.deepcopy(source)
    MUTATIONS[mutation](template)
    path = folder / "template.yaml"
    path.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(params=list(MUTATIONS))
def mutation(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def template(mutation: str, source: Template, tmp_path: Path) -> Path:
    return changed(source, mutation, tmp_path)


def test_the_spec_reads_the_templates_rest_api_as_the_sam_transform_deploys_it(template: Path, mutation: str) -> None:
    spec = RestApiSpec.from_template(template)

    assert local_api(spec) == deployed_api(sam_transform(load(template)))
    assert (spec == rest_api_spec()) is (mutation == "as is")  # each change is one the spec sees
    (api,) = resources(sam_transform(load(template)), "AWS::ApiGateway::RestApi").values()
    responses = api["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    for kind, response in responses.items():
        assert spec.responses[kind] == (int(response["statusCode"]), response["responseTemplates"]["application/json"])


def test_the_local_gateway_serves_every_deployed_method_with_its_auth_and_validation_and_nothing_else(
    template: Path,
) -> None:
    stage, methods, _ = deployed_api(sam_transform(load(template)))
    with gateway(RestApiSpec.from_template(template)) as (base, handlers):
        for (method, path), deployed in methods.items():
            url = f"{base}/{stage}{path}"
            body = b"{}" if deployed.validate_body else None
            query = "?" + "&".join(f"{name}=x" for kind, name in deployed.required if kind == "querystring")
            headers = {**JSON, **{name: "x" for kind, name in deployed.required if kind == "header"}}
            # THEN a signed request with what the validator requires reaches the template's function
            assert http(method, url + query, body, headers, sign=True) == (200, _ok(deployed.function)), (method, path)
            # ...an unsigned one reaches it only when the method has no AWS_IAM
            unsigned = http(method, url + query, body, headers)
            assert unsigned == (
                (403, {"message": MISSING}) if deployed.auth == "AWS_IAM" else (200, _ok(deployed.function))
            )
            # ...and a request without each required parameter, or with a body not of the model, gets the 400
            for kind, name in deployed.required:
                target = url if kind == "querystring" else url + query
                others = {k: v for k, v in headers.items() if k != name}
                assert http(method, target, body, others, sign=True) == (
                    400,
                    {"message": f"Missing required request parameters: [{name}]"},
                )
            if deployed.validate_body:
                assert http(method, url + query, b"[]", headers, sign=True) == (
                    400,
                    {"message": "The request body must be a JSON object."},
                )
        # THEN every other method of these paths, and any other path, gets API Gateway's 403, signed or not
        paths = {path for _, path in methods} | {"/nowhere", "/"}
        for path in paths:
            for method in METHODS:
                if (method, path) not in methods:
                    expected = (403, None) if method == "HEAD" else (403, {"message": MISSING})
                    assert http(method, f"{base}/{stage}{path}", None, JSON, sign=True) == expected, (method, path)
        assert sum(len(handler.events) for handler in handlers.values()) == len(methods) + sum(
            1 for deployed in methods.values() if deployed.auth == "NONE"
        )


def test_the_local_gateway_follows_each_change_of_the_template(source: Template, tmp_path: Path) -> None:
    def spec_of(mutation: str) -> RestApiSpec:
        folder = tmp_path / mutation.replace(" ", "-").replace("/", "")
        folder.mkdir()
        return RestApiSpec.from_template(changed(source, mutation, folder))

    with gateway(spec_of("DELETE /search removed")) as (base, _):
        assert http("DELETE", f"{base}/beta/search?token=t&User=u", None, JSON, sign=True) == (
            403,
            {"message": MISSING},
        )
        assert http("GET", f"{base}/beta/search?token=t&User=u", None, JSON, sign=True)[0] == 200
    with gateway(spec_of("a required query parameter added")) as (base, _):
        refused = http("GET", f"{base}/beta/search?token=t&User=u", None, JSON, sign=True)
        assert refused == (400, {"message": "Missing required request parameters: [Limit]"})
        assert http("GET", f"{base}/beta/search?token=t&User=u&Limit=5", None, JSON, sign=True)[0] == 200
    with gateway(spec_of("the stage renamed")) as (base, _):
        assert http("GET", f"{base}/gamma/search?token=t", None, JSON, sign=True)[0] == 200
        assert http("GET", f"{base}/beta/search?token=t", None, JSON, sign=True) == (403, {"message": MISSING})
    with gateway(spec_of("a route without AWS_IAM")) as (base, _):
        assert http("GET", f"{base}/beta/webhook-secret", None, JSON) == (200, _ok("StartFunction"))
        assert http("POST", f"{base}/beta/webhook-secret/rotate", None, JSON) == (403, {"message": MISSING})


def test_a_required_header_on_a_method_without_a_validator_is_not_checked_as_in_aws() -> None:
    # GIVEN the template's webhook-secret routes: Search-User declared Required, but no RequestModel names a validator
    route = rest_api_spec().routes["GET", "/webhook-secret"]
    assert [(p.name, p.required) for p in route.parameters] == [("Search-User", True)]
    # THEN API Gateway does not check it (the transformed method has no validator), and neither does the local one:
    # the Lambda answers for it
    with gateway(rest_api_spec()) as (base, _):
        assert http("GET", f"{base}/beta/webhook-secret", None, JSON, sign=True) == (200, _ok("StartFunction"))


# --- throttles ---------------------------------------------------------------------------------------------------


class ManualClock:
    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at


def test_with_throttles_on_a_method_past_its_burst_gets_api_gateways_429_until_its_rate_refills_it() -> None:
    spec = rest_api_spec()
    limit = spec.throttle("POST", "/search")
    assert limit is not None and limit != spec.throttle("GET", "/search")  # POST /search's own, lower
    clock = ManualClock()
    with gateway(spec, throttle.Throttles.of(spec, clock)) as (base, _):

        def post() -> tuple[int, Any]:
            return http("POST", f"{base}/beta/search", b"{}", JSON, sign=True)

        # WHEN a client starts its burst's worth of searches at once, and one more
        assert [post()[0] for _ in range(limit.burst)] == [200] * limit.burst
        assert post() == (429, throttle.TOO_MANY_REQUESTS)
        # THEN the other methods keep their own buckets
        assert http("GET", f"{base}/beta/search?token=t", None, JSON, sign=True)[0] == 200
        # ...and a token comes back after 1/rate seconds, one request's worth
        clock.at += 1 / limit.rate_per_s
        assert [post()[0] for _ in range(2)] == [200, 429]


def test_a_lowered_burst_in_the_template_is_the_local_buckets(source: Template, tmp_path: Path) -> None:
    spec = RestApiSpec.from_template(changed(source, "POST /search's burst lowered", tmp_path))
    with gateway(spec, throttle.Throttles.of(spec, ManualClock())) as (base, _):
        answers = [http("POST", f"{base}/beta/search", b"{}", JSON, sign=True)[0] for _ in range(3)]
    assert answers == [200, 200, 429]


def test_throttles_are_off_unless_asked_for() -> None:
    assert throttle.wanted({}) is False and throttle.wanted({throttle.VARIABLE: "off"}) is False
    assert throttle.wanted({throttle.VARIABLE: "ON"}) is True
    with pytest.raises(ValueError, match=throttle.VARIABLE):
        throttle.wanted({throttle.VARIABLE: "yes"})


# --- helpers -------------------------------------------------------------------------------------------------------


def _ok(function: str) -> dict[str, str]:
    return {"function": function}


@contextmanager
def gateway(
    spec: RestApiSpec, throttles: throttle.Throttles | None = None
) -> Iterator[tuple[str, dict[str, RecordingHandler]]]:
    """The local gateway on `spec`, in front of functions that answer 200 with their template name."""
    handlers = {
        local: RecordingHandler({"statusCode": 200, "headers": JSON, "body": f'{{"function": "{logical}"}}'})
        for logical, local in FUNCTIONS.items()
    }
    server = start_gateway(handlers["start"], handlers["results"], local_role(), spec=spec, throttles=throttles)
    try:
        yield f"http://127.0.0.1:{server.port}", handlers
    finally:
        server.stop()
