"""The browser API of infrastructure/template.yaml (issue 19, part 1), as the SAM transform deploys it: an HTTP API on
the same functions and routes as the REST API, a Cognito JWT authorizer on every route, CORS that API Gateway answers
itself, throttles, access logs without personal data, and Lambda permissions scoped to each route."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.cloudformation import SEARCH_STACK, load, resolved, resources, sam_transform

Template = dict[str, Any]


@pytest.fixture(scope="module")
def source() -> Template:
    return load(SEARCH_STACK)


@pytest.fixture(scope="module")
def deployed(source: Template) -> Template:
    return resolved(sam_transform(source))


def _body(deployed: Template) -> dict[str, Any]:
    (api,) = _http(resources(deployed, "AWS::ApiGatewayV2::Api"))
    return dict(api["Properties"]["Body"])


def _http(found: dict[str, Any]) -> list[Any]:
    """The browser API's resources of a kind, not the WebSocket API's (its own tests: test_websocket_api.py)."""
    return [resource for name, resource in found.items() if not name.startswith("Push")]


def _rest_routes(deployed: Template) -> dict[tuple[str, str], str]:
    (api,) = resources(deployed, "AWS::ApiGateway::RestApi").values()
    return _routes(api["Properties"]["Body"]["paths"])


def _routes(paths: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> the function its integration invokes."""
    found = {}
    for path, methods in paths.items():
        for method, spec in methods.items():
            uri = spec["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            found[(method.upper(), path)] = uri.split("${")[-1].split(".Arn")[0]
    return found


def test_the_browser_api_has_the_rest_apis_search_routes_on_the_same_functions(deployed: Template) -> None:
    browser = _routes(_body(deployed)["paths"])
    rest = _rest_routes(deployed)

    assert browser == {route: function for route, function in rest.items() if route[1] == "/search"}
    assert browser == {("POST", "/search"): "StartFunction", ("GET", "/search"): "ResultsFunction",
                       ("DELETE", "/search"): "ResultsFunction"}  # fmt: skip
    for methods in _body(deployed)["paths"].values():
        for spec in methods.values():
            assert spec["x-amazon-apigateway-integration"]["payloadFormatVersion"] == "2.0"


def test_every_route_needs_a_jwt_from_the_user_pool_for_the_app_client(deployed: Template) -> None:
    body = _body(deployed)
    schemes = body["components"]["securitySchemes"]
    ((name, scheme),) = schemes.items()
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "jwt"
    assert authorizer["identitySource"] == "$request.header.Authorization"
    config = authorizer["jwtConfiguration"]
    assert config["issuer"] == {"Fn::Sub": "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${BrowserUserPool}"}
    assert config["audience"] == [{"Ref": "BrowserAppClient"}]
    for methods in body["paths"].values():
        for spec in methods.values():
            assert spec["security"] == [{name: []}]


def test_the_preflight_never_reaches_the_authorizer_no_options_or_any_route(deployed: Template) -> None:
    # API Gateway answers OPTIONS itself when CORS is configured and no route takes it
    methods = {method.lower() for item in _body(deployed)["paths"].values() for method in item}
    assert not methods & {"options", "x-amazon-apigateway-any-method", "any"}
    assert not [path for path in _body(deployed)["paths"] if "{proxy+}" in path or path == "$default"]


def test_cors_allows_the_parameters_origins_and_what_the_routes_read(deployed: Template, source: Template) -> None:
    cors = _body(deployed)["x-amazon-apigateway-cors"]
    assert cors["allowOrigins"] == {"Ref": "AllowedOrigins"}
    origins = source["Parameters"]["AllowedOrigins"]
    assert origins["Type"] == "CommaDelimitedList" and "Default" not in origins  # named at deploy, never "*"
    assert set(cors["allowMethods"]) == {method for method, _ in _routes(_body(deployed)["paths"])}
    # The headers the routes read (search_routes, start_routes), and Authorization for the token
    assert {"authorization", "content-type", "search-token", "idempotency-key", "prefer", "if-none-match"} == set(
        cors["allowHeaders"]
    )
    assert {"location", "retry-after", "etag"} <= set(cors["exposeHeaders"])
    assert cors["allowCredentials"] is False and 0 < cors["maxAge"] <= 7200


def test_routes_are_throttled_and_post_search_more_tightly(deployed: Template) -> None:
    (stage,) = _http(resources(deployed, "AWS::ApiGatewayV2::Stage"))
    props = stage["Properties"]
    assert props["StageName"] == "$default" and props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] == {"Ref": "ApiBurstLimit"}
    post = props["RouteSettings"]["POST /search"]
    assert post["ThrottlingRateLimit"] == {"Ref": "BrowserStartRateLimit"}
    assert post["ThrottlingBurstLimit"] == {"Ref": "BrowserStartBurstLimit"}
    parameters = deployed["Parameters"]
    assert parameters["BrowserStartRateLimit"]["Default"] < parameters["StartRateLimit"]["Default"]


def test_access_logs_are_kept_a_while_and_hold_no_personal_data(deployed: Template) -> None:
    (stage,) = _http(resources(deployed, "AWS::ApiGatewayV2::Stage"))
    log = stage["Properties"]["AccessLogSettings"]
    assert log["DestinationArn"] == {"Fn::GetAtt": ["BrowserApiAccessLogGroup", "Arn"]}
    group = deployed["Resources"]["BrowserApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    fields = json.loads(log["Format"])
    assert {"requestId", "routeKey", "status"} <= set(fields)
    values = " ".join(fields.values())
    # No IP, no token subject or claim, no query string, path parameters or body
    for personal in ("sourceIp", "identity", "authorizer.claims", "authorizer.principalId", "querystring",
                     "path", "body", "userAgent"):  # fmt: skip
        assert f"$context.{personal}" not in values and "$request" not in values, personal


def test_the_user_pool_and_its_client_suit_a_browser(deployed: Template) -> None:
    pool = deployed["Resources"]["BrowserUserPool"]
    assert pool["DeletionPolicy"] == pool["UpdateReplacePolicy"] == "Retain"
    props = pool["Properties"]
    assert props["DeletionProtection"] == "ACTIVE"
    assert props["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    client = deployed["Resources"]["BrowserAppClient"]["Properties"]
    assert client["GenerateSecret"] is False  # a page cannot keep a secret
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert client["PreventUserExistenceErrors"] == "ENABLED" and client["EnableTokenRevocation"] is True
    assert client["AccessTokenValidity"] <= 60 and client["TokenValidityUnits"]["AccessToken"] == "minutes"


def test_the_browser_api_may_invoke_its_functions_on_its_own_routes_only(deployed: Template) -> None:
    granted = set()
    for name, permission in resources(deployed, "AWS::Lambda::Permission").items():
        if name.startswith("Push"):  # the WebSocket API's: test_websocket_api.py
            continue
        props = permission["Properties"]
        arn, names = props["SourceArn"]["Fn::Sub"]
        if names["__ApiId__"] != {"Ref": "BrowserApi"}:
            continue
        assert props["Principal"] == "apigateway.amazonaws.com" and props["Action"] == "lambda:InvokeFunction"
        route = arn.split("${__ApiId__}/${__Stage__}/", 1)[1]
        granted.add((props["FunctionName"]["Ref"], route))
    assert granted == {("StartFunction", "POST/search"), ("ResultsFunction", "GET/search"),
                       ("ResultsFunction", "DELETE/search")}  # fmt: skip


def test_outputs_name_what_a_page_needs(deployed: Template) -> None:
    outputs = deployed["Outputs"]
    assert outputs["BrowserApiUrl"]["Value"] == {
        "Fn::Sub": "https://${BrowserApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    }
    assert outputs["BrowserUserPoolId"]["Value"] == {"Ref": "BrowserUserPool"}
    assert outputs["BrowserAppClientId"]["Value"] == {"Ref": "BrowserAppClient"}
