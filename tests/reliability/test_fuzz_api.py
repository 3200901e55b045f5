"""The search API fuzzed from its own OpenAPI document (docs/openapi.json), over HTTP against the local stack:
the API Gateway stand-in with its API key and request validator, both Lambdas' real handlers, embedded S3.

Schemathesis sends what the document allows (positive) and what it forbids (negative): the document's
examples, the coverage phase's boundary values and the fuzzing phase's random ones. For every request:

- never a 5xx (`not_a_server_error`);
- every 4xx is JSON with a message a person can read (`error_has_a_message`);
- the status is documented and the body matches the documented schema for it (`status_code_conformance`,
  `response_schema_conformance`, and the header and content-type checks);
- a request the document forbids is refused (`negative_data_rejection`);
- every operation refuses a request unsigned or mis-signed, as its `sigv4` security scheme says (`ignored_auth`:
  once per operation, the request sent again without the signature, then with a made-up one);
- a request the document allows is refused only for what the document cannot say (`refused_only_for_the_rules`).

Two built-in checks are left out, for reasons of the platform rather than of this API:

- `positive_data_acceptance` expects every schema-valid request to succeed. The document cannot say which
  cities have rental counters, which car sizes and companies exist (matched loosely: "Full-Size", "hertz"),
  nor the date rules (pickup from today to 330 days ahead, return after it, at most 30 days), so a
  schema-valid request may rightly get a 400 naming the problem; `refused_only_for_the_rules` checks that.
- `unsupported_method` expects 405 for an undeclared method. API Gateway answers those with its own 403
  "Missing Authentication Token", and nothing in the API can change that.

A second test posts what no schema describes (bodies that are not JSON, not UTF-8, not an object, too big, under
any Content-Type) with the same two properties: below 500, and every 4xx with a message.

Deterministic (derandomized, no example database: the same requests on every run) and bounded: about 390
schema-driven requests (MAX_EXAMPLES per operation in the fuzzing phase, ~190 from the examples and coverage
phases) and MAX_EXAMPLES hostile bodies, about 10 s on two cores.

The tests at the end hold what the fuzzing found in the local stack itself (a deeply nested body, undeclared
methods), so that it keeps answering as API Gateway does.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from local_stack.stack import LocalStack
from tests.builders.signing import SigV4Auth, signed
from tests.builders.today import day
from tests.builders.waiting import PATIENCE_S, wait_until

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
MAX_EXAMPLES = 100  # per operation, in the fuzzing phase
USER = "fuzz-user"

schema = schemathesis.openapi.from_path(DOCUMENT, config=schemathesis.Config())
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,  # Hypothesis' derandomize: the same requests on every run and in CI
    database="none",  # no .hypothesis/ directory in the work tree
    # The Authorization header is a SigV4 signature that SigV4Auth computes for each request as sent, not a value to
    # generate; ignored_auth still checks, per operation, that the gateway refuses the request unsigned or mis-signed.
    with_security_parameters=False,
)

# What a schema-valid request may be refused for: the rules the document cannot express.
DOMAIN_PROBLEMS = {
    "unknown_city",
    "ambiguous_city",
    "past_date",
    "too_far_ahead",
    "return_before_pickup",
    "too_long",
    "required",  # a user of blanks: "user must name who is searching"; or no token (nor user) in either form
    "conflicting",  # the token (or user) in a header and in the query, differing
    "unknown_value",  # CarSize or Supplier not one the API knows
}


def error_has_a_message(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx says, in JSON, what went wrong."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"a {response.status_code} whose body is not JSON: {response.content[:200]!r}") from None
    message = body.get("message") if isinstance(body, dict) else None
    assert isinstance(message, str) and message.strip(), f"a {response.status_code} without a message: {body!r}"


def refused_only_for_the_rules(ctx: Any, response: Any, case: Any) -> None:
    """A request the document allows is never refused for its shape, only for the rules the document cannot say."""
    if response.status_code != 400 or case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    body = json.loads(response.content)
    codes = {problem.get("code") for problem in body.get("errors") or []}
    assert codes and codes <= DOMAIN_PROBLEMS, f"a schema-valid request refused for its shape: {body!r}"


@pytest.fixture(scope="module")
def finished_search(local_stack: LocalStack) -> dict[str, str]:
    """A search that has all its results, so that fuzzed filters reach the code that applies them."""
    status, body = _request(local_stack, "POST", "/search", {
        "city": "Denver", "pickupDate": day(7), "returnDate": day(10), "user": USER,
    })  # fmt: skip
    assert status == 202, body
    url = f"/search?token={body['token']}&User={USER}"

    def complete() -> bool:
        status, results = _request(local_stack, "GET", url)
        return status == 200 and results["status"] == "complete"

    assert wait_until(complete, PATIENCE_S), "the search did not finish"
    return {"token": body["token"], "User": USER}


@schema.parametrize()
def test_the_api_answers_every_request_as_documented(
    case: Any, local_stack: LocalStack, finished_search: dict[str, str]
) -> None:
    # Random tokens name no search (404). The fuzzing phase's valid GETs ask about a real one instead, so their
    # filters are applied to real offers; the coverage phase keeps the generated tokens and users.
    fuzzing = case.meta is not None and case.meta.phase.name.value == "fuzzing"
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if case.method == "GET" and fuzzing and positive and isinstance(case.query, dict):
        case.query.update(finished_search)
    case.call_and_validate(
        base_url=local_stack.api_url,
        auth=SigV4Auth(),
        excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.unsupported_method],
        additional_checks=[error_has_a_message, refused_only_for_the_rules],
    )


# What the document cannot describe: bodies that are not JSON, not UTF-8, not an object, too big, sent under any
# Content-Type. Nesting too deep to parse is in test_body_nested_too_deeply_gets_a_400 below.
hostile_body = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b'"x"',
            b"{",
            b"\xff\xfe{\x00}\x00",
            b'{"city": "\\ud800"}',
            b"[" * 500 + b"]" * 500,
            b'{"city": "' + b"x" * 20_000 + b'"}',
            b'{"city": "Denver"} trailing',
        ]
    ),
    st.dictionaries(
        st.sampled_from(["city", "pickupDate", "returnDate", "user", "User", "token"]) | st.text(max_size=8),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=30)
        | st.lists(st.integers(), max_size=3),
        max_size=6,
    ).map(lambda body: json.dumps(body).encode()),
)
content_type = st.sampled_from([
    "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/xml",
    "multipart/form-data", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", None,
])  # fmt: skip
idempotency_key = st.none() | st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=300)


# Powertools warns that API Gateway should base64-encode multipart bodies: the API takes JSON only, so it answers them
# with a 400 or 415 anyway.
@pytest.mark.filterwarnings("ignore:Received multipart/form-data without base64 encoding")
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None)
@given(body=hostile_body, kind=content_type, key=idempotency_key)
def test_the_api_answers_any_body_with_a_status_below_500_and_4xx_with_a_message(
    local_stack: LocalStack, body: bytes, kind: str | None, key: str | None
) -> None:
    headers = {"Content-Type": kind} if kind is not None else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    status, answer = _request(local_stack, "POST", "/search", body, headers)
    assert status < 500, (status, answer)
    if status >= 400:
        assert isinstance(answer, dict) and isinstance(answer.get("message"), str) and answer["message"], answer


def test_body_nested_too_deeply_gets_a_400(local_stack: LocalStack) -> None:
    status, answer = _request(local_stack, "POST", "/search", b"[" * 5_000)
    assert status == 400 and answer["message"], answer


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "TRACE", "QUERY"])
def test_undeclared_methods_get_api_gateways_403(local_stack: LocalStack, method: str) -> None:
    status, body = _request(local_stack, method, "/search")
    assert (status, body) == (403, {"message": "Missing Authentication Token"})


def test_head_gets_the_403_without_a_body(local_stack: LocalStack) -> None:
    assert _request(local_stack, "HEAD", "/search") == (403, None)


def _request(
    stack: LocalStack, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One request signed by the stack's role; `body` as JSON, or bytes as they are. A dropped connection raises."""
    host, port = stack.api_url.removeprefix("http://").split("/", 1)[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        payload = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json"} if headers is None else headers
        target = f"/beta{path}"
        connection.request(
            method, target, body=payload, headers=signed(method, f"http://{host}:{port}{target}", payload, sent)
        )
        answer = connection.getresponse()
        raw = answer.read()
    finally:
        connection.close()
    try:
        return answer.status, json.loads(raw) if raw else None
    except ValueError:
        return answer.status, raw.decode(errors="replace")
