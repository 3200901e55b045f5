"""Who calls on the HTTP API: the subject (`sub`) of the JWT that API Gateway's authorizer verified, never a value
the request carries. The routes read the user where the REST API's callers put it (`user` in POST's body, the
Search-User header elsewhere); for an HTTP API request this module puts the subject there before they run, so the same
route code serves both APIs and a search stays bound to its user: its id is sha256(token, user), and another
subject's token names a search that does not exist (the same 404 as on the REST API).

A request that also sends a user of its own (a body `user`, a Search-User header, a User query parameter) is refused
with a 400 that says where the user comes from, rather than one of the two being ignored: a client that sends one
believes it chooses the user, and would read another user's results if it could."""

from __future__ import annotations

import base64
import json
from typing import Any

from search_service.api.models import ErrorBody, Problem

USER_HEADER = "Search-User"  # search_routes.USER_HEADER; the HTTP API's event has header names in lower case
USER_QUERY = "User"
USER_FIELD = "user"
FROM_SIGN_IN = (
    "The user comes from your sign-in (the access token's subject) on this API: leave out {what}. "
    "Each search is bound to the user who started it."
)


class Refused(Exception):
    """The request cannot be answered for the signed-in user: `response` is the proxy response to send."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(response["statusCode"])
        self.response = response


def as_signed_in(event: dict[str, Any]) -> dict[str, Any]:
    """The HTTP API event with the JWT's subject as the user where the routes read it. Raises Refused for a request
    that names a user itself (400), or that has no verified subject (401: only a route without the authorizer,
    a template error, lets one through)."""
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims") or {}
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Refused(_error(401, "Sign in: this API needs a bearer token whose subject is the user."))
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    query = event.get("queryStringParameters") or {}
    body = _json_object(event)
    sent = [
        what
        for what, present in (
            (f"the {USER_HEADER} header", USER_HEADER.lower() in headers),
            (f"the {USER_QUERY} query parameter", USER_QUERY in query),
            (f"the body's {USER_FIELD}", body is not None and USER_FIELD in body),
        )
        if present
    ]
    if sent:
        message = FROM_SIGN_IN.format(what=" and ".join(sent))
        problem = Problem(field=USER_FIELD, code="user_from_sign_in", message=message)
        raise Refused(_error(400, problem.message, [problem]))
    bound = {**event, "headers": {**headers, USER_HEADER.lower(): subject}}
    if body is not None:
        # A body that is not a JSON object is left as it came: the route answers it with its own 400.
        bound["body"] = json.dumps({**body, USER_FIELD: subject})
        bound["isBase64Encoded"] = False
    return bound


def _json_object(event: dict[str, Any]) -> dict[str, Any] | None:
    text = event.get("body")
    if not text:
        return None
    try:
        if event.get("isBase64Encoded"):
            text = base64.b64decode(text).decode("utf-8")
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _error(status: int, message: str, problems: list[Problem] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": ErrorBody(message=message, errors=problems or []).model_dump_json(by_alias=True),
        "isBase64Encoded": False,
    }
