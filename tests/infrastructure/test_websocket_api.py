"""The WebSocket API of infrastructure/template.yaml (issue 19, part 2), as the SAM transform deploys it: its routes
on one function, a REQUEST authorizer on $connect that verifies the user pool's tokens, the run's right to post to
that API's connections and nothing wider, least privilege for the push and authorizer functions, and access logs
that cannot hold the token (it comes in the query string)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_stack.websocket_api import STAGE, WebSocketSpec
from tests.infrastructure.cloudformation import (
    BUCKET_ARN,
    SEARCH_STACK,
    allows,
    load,
    resolved,
    resources,
    sam_transform,
    statements,
)

Template = dict[str, Any]
API_ID = "wsapi123"
ACCOUNT = "123456789012"
NAMES = {
    "ResultsBucket.Arn": BUCKET_ARN,
    "ResultsPrefix": "results/",
    "PushApi": API_ID,
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": ACCOUNT,
    "PushLogGroup.Arn": "arn:aws:logs:us-east-1:123456789012:log-group:push:*",
    "PushAuthorizerLogGroup.Arn": "arn:aws:logs:us-east-1:123456789012:log-group:push-authorizer:*",
    "SearchLogGroup.Arn": "arn:aws:logs:us-east-1:123456789012:log-group:search:*",
}
CONNECTIONS = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/POST/@connections/abc%3D"


@pytest.fixture(scope="module")
def deployed() -> Template:
    return resolved(sam_transform(load(SEARCH_STACK)))


def _props(deployed: Template, name: str) -> dict[str, Any]:
    return dict(deployed["Resources"][name]["Properties"])


def _role_of(deployed: Template, function: str) -> dict[str, Any]:
    role = _props(deployed, function)["Role"]["Fn::GetAtt"]
    return dict(deployed["Resources"][role[0] if isinstance(role, list) else role.split(".")[0]])


def _routes(deployed: Template) -> dict[str, dict[str, Any]]:
    found = resources(deployed, "AWS::ApiGatewayV2::Route").values()
    return {
        r["Properties"]["RouteKey"]: r["Properties"] for r in found if r["Properties"]["ApiId"] == {"Ref": "PushApi"}
    }


def test_a_websocket_api_routes_on_the_action_to_one_function(deployed: Template) -> None:
    api = _props(deployed, "PushApi")
    assert api["ProtocolType"] == "WEBSOCKET" and api["RouteSelectionExpression"] == "$request.body.action"
    routes = _routes(deployed)
    assert set(routes) == {"$connect", "$disconnect", "subscribe", "$default"}
    for route in routes.values():
        assert route["Target"] == {"Fn::Sub": "integrations/${PushIntegration}"}
    integration = _props(deployed, "PushIntegration")
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert "${PushFunction.Arn}" in integration["IntegrationUri"]["Fn::Sub"]
    assert _props(deployed, "PushFunction")["Handler"] == "search_service.entry.websocket.lambda_handler"
    # subscribe and $default answer on the connection: a route response each
    answering = {
        r["Properties"]["RouteId"]["Ref"] for r in resources(deployed, "AWS::ApiGatewayV2::RouteResponse").values()
    }
    assert answering == {"PushSubscribeRoute", "PushDefaultRoute"}
    assert {key for key, route in routes.items() if route.get("RouteResponseSelectionExpression")} == {
        "subscribe",
        "$default",
    }


def test_the_local_stack_reads_the_same_routes_and_token_parameter(deployed: Template) -> None:
    spec = WebSocketSpec.from_template()
    assert spec.routes == set(_routes(deployed))
    assert spec.answering == {"subscribe", "$default"}
    assert spec.selection_field == "action" and spec.token_parameter == "token"
    assert _props(deployed, "PushStage")["StageName"] == STAGE


def test_connect_needs_a_user_pool_token_checked_by_a_request_authorizer(deployed: Template) -> None:
    routes = _routes(deployed)
    connect = routes["$connect"]
    assert connect["AuthorizationType"] == "CUSTOM" and connect["AuthorizerId"] == {"Ref": "PushAuthorizer"}
    # The other routes cannot have one: a WebSocket API authorizes the connection once, at $connect.
    assert all("AuthorizerId" not in route for key, route in routes.items() if key != "$connect")
    authorizer = _props(deployed, "PushAuthorizer")
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == ["route.request.querystring.token"]  # no token: API Gateway's own 401
    assert "${PushAuthorizerFunction.Arn}" in authorizer["AuthorizerUri"]["Fn::Sub"]
    function = _props(deployed, "PushAuthorizerFunction")
    assert function["Handler"] == "search_service.entry.ws_authorizer.lambda_handler"
    # The same issuer and audience as the browser API's JWT authorizer
    (http_api,) = [a for name, a in resources(deployed, "AWS::ApiGatewayV2::Api").items() if name != "PushApi"]
    (jwt,) = [a for a in http_api["Properties"]["Body"]["components"]["securitySchemes"].values()]
    configuration = jwt["x-amazon-apigateway-authorizer"]["jwtConfiguration"]
    variables = function["Environment"]["Variables"]
    assert variables["JWT_ISSUER"] == configuration["issuer"]
    assert [variables["JWT_AUDIENCE"]] == configuration["audience"]


def test_only_the_run_may_post_to_connections_and_only_this_apis(deployed: Template) -> None:
    run = _role_of(deployed, "SearchFunction")
    assert allows(run, "execute-api:ManageConnections", CONNECTIONS, NAMES)
    (statement,) = [s for s in statements(run) if "execute-api:ManageConnections" in json.dumps(s["Action"])]
    resource = statement["Resource"]["Fn::Sub"]
    assert resource.endswith("${PushApi}/push/POST/@connections/*")  # this API's stage, POST only
    assert not allows(run, "execute-api:ManageConnections", CONNECTIONS.replace(API_ID, "otherapi"), NAMES)
    assert not allows(run, "execute-api:ManageConnections", CONNECTIONS.replace("/POST/", "/DELETE/"), NAMES)
    roles = resources(deployed, "AWS::IAM::Role")
    assert {name for name, role in roles.items() if "ManageConnections" in json.dumps(role)} == {"SearchRole"}
    endpoint = _props(deployed, "SearchFunction")["Environment"]["Variables"]["PUSH_ENDPOINT_URL"]
    assert endpoint == {"Fn::Sub": "https://${PushApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/push"}
    # The run forgets a gone connection's subscription, and nothing else of the push objects
    assert allows(run, "s3:DeleteObject", f"{BUCKET_ARN}/results/abc/subscribers/c%3D.json", NAMES)
    assert not allows(run, "s3:DeleteObject", f"{BUCKET_ARN}/results/abc/job.json", NAMES)


@pytest.mark.parametrize(
    ("action", "key", "allowed"),
    [
        ("s3:GetObject", "results/abc/job.json", True),
        ("s3:GetObject", "results/abc/suppliers/hertz.json", True),
        ("s3:GetObject", "results/abc/cancelled.json", True),
        ("s3:PutObject", "results/abc/subscribers/c%3D.json", True),
        ("s3:DeleteObject", "results/abc/subscribers/c%3D.json", True),
        ("s3:PutObject", "results/connections/c%3D/abc.json", True),
        ("s3:DeleteObject", "results/connections/c%3D/abc.json", True),
        # Nothing of a search is written, no secret or idempotency record read, nothing outside the results prefix
        ("s3:PutObject", "results/abc/job.json", False),
        ("s3:PutObject", "results/abc/suppliers/hertz.json", False),
        ("s3:PutObject", "results/abc/cancelled.json", False),
        ("s3:GetObject", "webhook-secrets/o.json", False),
        ("s3:GetObject", "results/idempotency/k.json", False),
        ("s3:GetObject", "results/abc/callbacks/msg_1.json", False),
    ],
)
def test_push_function_role(deployed: Template, action: str, key: str, allowed: bool) -> None:
    assert allows(_role_of(deployed, "PushFunction"), action, f"{BUCKET_ARN}/{key}", NAMES) is allowed


def test_the_push_function_and_the_authorizer_cannot_post_and_the_authorizer_reads_nothing(deployed: Template) -> None:
    push, authorizer = _role_of(deployed, "PushFunction"), _role_of(deployed, "PushAuthorizerFunction")
    assert not allows(push, "execute-api:ManageConnections", CONNECTIONS, NAMES)
    actions = {action for statement in statements(authorizer) for action in json.loads(json.dumps(statement["Action"]))}
    assert actions == {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_api_gateway_may_invoke_the_two_functions_from_this_api_only(deployed: Template) -> None:
    push = _props(deployed, "PushPermission")
    assert push["FunctionName"] == {"Fn::GetAtt": ["PushFunction", "Arn"]}
    assert push["Principal"] == "apigateway.amazonaws.com"
    assert push["SourceArn"]["Fn::Sub"].endswith(":${PushApi}/push/*")
    authorizer = _props(deployed, "PushAuthorizerPermission")
    assert authorizer["FunctionName"] == {"Fn::GetAtt": ["PushAuthorizerFunction", "Arn"]}
    assert authorizer["SourceArn"]["Fn::Sub"].endswith(":${PushApi}/authorizers/${PushAuthorizer}")


def test_access_logs_leave_out_the_token_the_caller_and_the_connection(deployed: Template) -> None:
    stage = _props(deployed, "PushStage")
    log_format = stage["AccessLogSettings"]["Format"]
    fields = json.loads(log_format)
    assert {"requestId", "routeKey", "status", "authorizerError"} <= set(fields)
    logged = {value.removeprefix("$context.") for value in fields.values()}
    assert logged == {"requestId", "routeKey", "eventType", "status", "integrationLatency", "error.message",
                      "authorizer.error", "integrationErrorMessage"}  # fmt: skip
    assert stage["DefaultRouteSettings"]["DataTraceEnabled"] is False  # execution logs would hold the messages
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert stage["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": ["PushApiAccessLogGroup", "Arn"]}


def test_the_output_names_the_websocket_url(deployed: Template) -> None:
    assert deployed["Outputs"]["PushApiUrl"]["Value"] == {
        "Fn::Sub": "wss://${PushApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/push"
    }
