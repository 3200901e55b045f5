"""What infrastructure/template.yaml says of its API Gateway APIs, read for the local stack's stand-ins
(local_stack.search_api for the REST API, local_stack.http_api for the HTTP API), so that the routes served here, their
authorization, request validation, stage and throttles are AWS's and cannot drift from them.

The template is SAM: a function's `Api` events declare the REST API's routes, and the API resource its stage, default
authorizer, models, gateway responses and method settings. `RestApiSpec.from_template` reads them as the SAM transform
does (tests/local_stack/test_gateway_spec.py holds it to the transformed template): a method validates its parameters
and body only when its RequestModel names a validator, so a parameter declared `Required` on a route without one is
not checked by API Gateway either. What the local gateway could not honour (an authorizer other than AWS_IAM, API keys,
path parameters) is refused here, loudly, rather than served differently."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "infrastructure" / "template.yaml"
REST_API = "SearchApi"
# The local functions behind the template's: local_stack.search_api's LambdaFunctions by these names.
FUNCTIONS = {"StartFunction": "start", "ResultsFunction": "results"}
LOCATIONS = ("path", "querystring", "header")  # method.request.<location>.<name>
# API Gateway's default gateway responses, when the API declares none of its own for the type.
DEFAULT_RESPONSES = {
    "BAD_REQUEST_PARAMETERS": (400, '{"message": "$context.error.validationErrorString"}'),
    "BAD_REQUEST_BODY": (400, '{"message": "Invalid request body"}'),
}

Template = dict[str, Any]


class Unsupported(ValueError):
    """The template asks for what the local gateway cannot do as API Gateway would."""


def load_template(template: Path = TEMPLATE) -> Template:
    """The template as data: CloudFormation's short tags (!Ref, !Sub, ...) read as their long form."""
    import yaml  # type: ignore[import-untyped]  # pyyaml: the dev dependencies

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    Loader.add_multi_constructor("!", tagged)
    return dict(yaml.load(template.read_text(encoding="utf-8"), Loader=Loader))  # a SafeLoader


def api_events(template: Template, kind: str, api: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(function logical id, event properties) of each `kind` event ("Api", "HttpApi") of the functions on `api`."""
    key = "RestApiId" if kind == "Api" else "ApiId"
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            props = event.get("Properties") or {}
            if event.get("Type") == kind and props.get(key) == {"Ref": api}:
                yield name, props


def parameter_value(template: Template, value: Any) -> Any:
    """A property's value as deployed with the parameters' defaults: a `Ref` to a parameter is its default."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        parameter = template.get("Parameters", {}).get(value["Ref"])
        if parameter is None or "Default" not in parameter:
            raise Unsupported(f"{value['Ref']}: not a parameter with a default")
        return parameter["Default"]
    return value


@dataclass(frozen=True)
class RequestParameter:
    location: str  # path, querystring or header
    name: str
    required: bool


@dataclass(frozen=True)
class RestRoute:
    """One method of the REST API: the function it proxies to and what API Gateway checks before invoking it."""

    function: str  # the function's logical id
    auth: str  # AWS_IAM or NONE
    parameters: tuple[RequestParameter, ...]
    validate_parameters: bool
    validate_body: bool
    body_schema: dict[str, Any] | None  # the RequestModel's model (a JSON schema, draft 4), if any

    def missing(self, query: Mapping[str, list[str]], headers: Mapping[str, str]) -> list[str]:
        """The required parameters absent or blank, as API Gateway's validator names them."""
        if not self.validate_parameters:
            return []
        lowered = {name.lower(): value for name, value in headers.items()}
        missing = []
        for parameter in self.parameters:
            if not parameter.required:
                continue
            if parameter.location == "querystring":
                present = any(value.strip() for value in query.get(parameter.name, []))
            else:  # header: names in any case
                present = bool(lowered.get(parameter.name.lower(), "").strip())
            if not present:
                missing.append(parameter.name)
        return missing

    def body_problem(self, body: bytes) -> bool:
        """Whether the body fails the model, when the method's validator checks bodies."""
        if not self.validate_body or self.body_schema is None:
            return False
        import jsonschema  # type: ignore[import-untyped]  # the dev dependencies; API Gateway's models are draft 4

        try:
            parsed = json.loads(body or b"")
        except (ValueError, RecursionError):  # RecursionError: nested too deeply for json to parse
            return True
        return not jsonschema.Draft4Validator(self.body_schema).is_valid(parsed)


@dataclass(frozen=True)
class Throttle:
    rate_per_s: float
    burst: int


@dataclass(frozen=True)
class RestApiSpec:
    """The REST API of the template: stage, (METHOD, path) -> route, the gateway responses for refused requests, and
    the throttles of its method settings ((resource path, METHOD) as MethodSettings name them: ("/*", "*") is the
    stage's default, for each method)."""

    stage: str
    routes: dict[tuple[str, str], RestRoute]
    responses: dict[str, tuple[int, str]]  # gateway response type -> status, application/json template
    throttles: dict[tuple[str, str], Throttle]

    @classmethod
    def from_template(cls, template: Path = TEMPLATE, api: str = REST_API) -> RestApiSpec:
        return cls.from_data(load_template(template), api)

    @classmethod
    def from_data(cls, template: Template, api: str = REST_API) -> RestApiSpec:
        props = template["Resources"][api]["Properties"]
        auth = props.get("Auth") or {}
        if auth.get("ApiKeyRequired") or auth.get("Authorizers") or auth.get("ResourcePolicy"):
            raise Unsupported(f"{api}: the local gateway checks AWS_IAM only (no API keys, authorizers or policies)")
        default_auth = auth.get("DefaultAuthorizer", "NONE")
        models = props.get("Models") or {}
        routes = {}
        for function, event in api_events(template, "Api", api):
            method, path = event["Method"].upper(), event["Path"]
            if "{" in path or method == "ANY":
                raise Unsupported(f"{method} {path}: the local gateway serves literal paths and methods only")
            event_auth = event.get("Auth") or {}
            if set(event_auth) - {"Authorizer"}:
                raise Unsupported(f"{method} {path}: {sorted(event_auth)}")
            route_auth = event_auth.get("Authorizer", default_auth)
            if route_auth not in ("AWS_IAM", "NONE"):
                raise Unsupported(f"{method} {path}: authorizer {route_auth}")
            model = event.get("RequestModel") or {}
            validated = "ValidateBody" in model or "ValidateParameters" in model  # as the SAM transform decides
            routes[(method, path)] = RestRoute(
                function=function,
                auth=route_auth,
                parameters=tuple(_parameter(item) for item in event.get("RequestParameters") or ()),
                validate_parameters=validated and bool(model.get("ValidateParameters")),
                validate_body=validated and bool(model.get("ValidateBody")),
                body_schema=models[model["Model"]] if model.get("Model") else None,
            )
        responses = dict(DEFAULT_RESPONSES)
        for kind, response in (props.get("GatewayResponses") or {}).items():
            status = int(response.get("StatusCode", DEFAULT_RESPONSES.get(kind, (500, ""))[0]))
            responses[kind] = (status, response["ResponseTemplates"]["application/json"])
        throttles = {}
        for setting in props.get("MethodSettings") or ():
            if "ThrottlingRateLimit" in setting or "ThrottlingBurstLimit" in setting:
                key = (_resource_path(setting["ResourcePath"]), setting["HttpMethod"].upper())
                throttles[key] = Throttle(
                    float(parameter_value(template, setting["ThrottlingRateLimit"])),
                    int(parameter_value(template, setting["ThrottlingBurstLimit"])),
                )
        return cls(str(parameter_value(template, props["StageName"])), routes, responses, throttles)

    def answer(self, kind: str, validation_error: str = "") -> tuple[int, dict[str, Any]]:
        """The gateway response of `kind` as the template (or API Gateway's default) renders it."""
        status, body = self.responses[kind]
        return status, json.loads(body.replace("$context.error.validationErrorString", validation_error))

    def throttle(self, method: str, path: str) -> Throttle | None:
        """The most specific method setting's throttle for the method (API Gateway keeps one bucket per method)."""
        return self.throttles.get((path, method)) or self.throttles.get(("/*", "*"))

    def without_stage(self, path: str) -> str:
        """The resource path: `path` without the stage in front, when it is there."""
        prefix = f"/{self.stage}"
        if path == prefix or path.startswith(prefix + "/"):
            return path.removeprefix(prefix) or "/"
        return path


@functools.cache
def rest_api_spec() -> RestApiSpec:
    """The template's REST API, read once a process: every local gateway serves the same."""
    return RestApiSpec.from_template()


def _parameter(item: Any) -> RequestParameter:
    """One of SAM's RequestParameters: "method.request.header.X" or {"method.request.header.X": {Required: true}}."""
    name, settings = next(iter(item.items())) if isinstance(item, dict) else (item, {})
    _, _, location, parameter = name.split(".", 3)
    if location not in LOCATIONS or location == "path":
        raise Unsupported(f"{name}: the local gateway validates query strings and headers")
    return RequestParameter(location, parameter, bool(settings.get("Required", False)))


def _resource_path(setting: str) -> str:
    """A method setting's ResourcePath as the path it names: "/~1search" is /search ("~1" encodes "/"); "/*" is
    every path, kept as it is."""
    return setting if setting == "/*" else setting.removeprefix("/").replace("~1", "/")
