"""The API Gateway proxy events, shaped as AWS sends them to a Lambda: the REST API's (payload format 1.0) and the
HTTP API's (2.0). One builder each for the tests, the benchmarks and the local stack, so all three drive the handlers
with what AWS would really send."""

from __future__ import annotations

import json
import uuid
from typing import Any


def rest_event(
    method: str,
    path: str = "/search",
    query: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    stage: str = "beta",
    multi_query: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """`multi_query`: every value of each query parameter, when a name is repeated (`query` then has the last)."""
    headers = {"Accept": "application/json", **(headers or {})}
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    if multi_query is None and query:
        multi_query = {name: [value] for name, value in query.items()}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "pytest"},
            "accountId": "000000000000",
            "apiId": "local",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def event_from_http(
    method: str, target: str, headers: dict[str, str], body: bytes, stage: str = "beta"
) -> dict[str, Any]:
    """An HTTP request as API Gateway hands it to the Lambda: `target` is the path with its query string."""
    from urllib.parse import parse_qsl, urlsplit

    url = urlsplit(target)
    path = url.path.removeprefix(f"/{stage}") or "/"
    # A repeated name, as API Gateway's REST proxy event has it: queryStringParameters holds its last value,
    # multiValueQueryStringParameters all of them in the order sent.
    values: dict[str, list[str]] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        values.setdefault(name, []).append(value)
    query = {name: listed[-1] for name, listed in values.items()}
    text = body.decode("utf-8", errors="replace") if body else None
    return rest_event(method, path, query or None, text, dict(headers), stage, multi_query=values or None)


def http_from_response(response: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """The Lambda's proxy response as API Gateway sends it back: status, headers, body."""
    headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
    headers.update(response.get("headers") or {})
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        import base64

        return response["statusCode"], headers, base64.b64decode(body)
    return response["statusCode"], headers, body.encode()


def http_api_event(
    method: str,
    path: str = "/search",
    query: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
    raw_query: str | None = None,
) -> dict[str, Any]:
    """The HTTP API's (v2) Lambda proxy event, payload format 2.0, as AWS documents it: lower-case header names (a
    repeated one joined with commas), a repeated query parameter joined with commas, cookies apart, and the verified
    JWT's claims (as strings) under requestContext.authorizer.jwt. The $default stage: no stage in the path.
    `raw_query`: the query string as sent, when `query` was parsed from it."""
    import time
    from urllib.parse import urlencode

    lowered = {"accept": "application/json", **{name.lower(): value for name, value in (headers or {}).items()}}
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
        lowered.setdefault("content-type", "application/json")
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": raw_query if raw_query is not None else urlencode(query or {}),
        "headers": lowered,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if body is not None:
        event["body"] = body
    return event


def http_api_event_from_http(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes, claims: dict[str, str] | None
) -> dict[str, Any]:
    """An HTTP request as the HTTP API hands it to the Lambda (payload format 2.0): `target` is the path with its
    query string; `claims`: the JWT's, as the authorizer verified them."""
    from urllib.parse import parse_qsl, urlsplit

    url = urlsplit(target)
    values: dict[str, list[str]] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        values.setdefault(name, []).append(value)
    query = {name: ",".join(listed) for name, listed in values.items()}
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    text = body.decode("utf-8", errors="replace") if body else None
    return http_api_event(method, url.path or "/", query or None, text, joined, claims, raw_query=url.query)
