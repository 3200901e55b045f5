"""The API Gateway REST proxy event, shaped as AWS sends it to a Lambda: one builder for the tests, the
benchmarks and the local stack, so all three drive the handlers with what AWS would really send."""

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
) -> dict[str, Any]:
    headers = {"Accept": "application/json", **(headers or {})}
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
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
