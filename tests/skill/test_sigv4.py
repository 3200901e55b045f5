"""The skill's SigV4 signer (skill.sigv4) against AWS's published test vectors, and against botocore's signer for
the S3 requests the skill sends. That S3 understands those requests is tests/contract/test_object_store.py's.

The vectors: AWS's Signature Version 4 test suite (aws-sig-v4-test-suite, service "service", 2015-08-30T12:36:00Z,
the documented example credentials), the cases within what the signer does (S3 does not normalize paths, so the
path-normalization cases are not), and the two examples of S3's own documentation of header-based authentication
(a GET with a Range header and a PUT of a key with "$" in it, 2013-05-24).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials
from skill.sigv4 import EMPTY_SHA256, Credentials, Request, encoded_path, sign

SUITE_TIME = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
SUITE = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SUITE_HOST = "example.amazonaws.com"
STS_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuw"
    "thAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVX"
    "AkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
)
S3_TIME = datetime(2013, 5, 24, tzinfo=UTC)
S3_EXAMPLE = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
S3_HOST = "examplebucket.s3.amazonaws.com"
PUT_PAYLOAD = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"

# name: (request, credentials, its expected signed headers and signature)
SUITE_CASES = {
    "get-vanilla": (Request("GET", SUITE_HOST, "/"), SUITE, "host;x-amz-date",
                    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    "get-vanilla-query-order-key-case": (
        Request("GET", SUITE_HOST, "/", query=(("Param2", "value2"), ("Param1", "value1"))), SUITE, "host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    "get-vanilla-query-order-key": (
        Request("GET", SUITE_HOST, "/", query=(("Param1", "value2"), ("Param1", "Value1"))), SUITE, "host;x-amz-date",
        "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
    "get-header-value-order": (
        Request("GET", SUITE_HOST, "/", headers=tuple(("My-Header1", f"value{n}") for n in (4, 1, 3, 2))), SUITE,
        "host;my-header1;x-amz-date", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
    "get-header-value-trim": (
        Request("GET", SUITE_HOST, "/", headers=(("My-Header1", " value1"), ("My-Header2", ' "a   b   c"'))), SUITE,
        "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    "get-unreserved": (
        Request("GET", SUITE_HOST, "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), SUITE,
        "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    "post-vanilla": (Request("POST", SUITE_HOST, "/"), SUITE, "host;x-amz-date",
                     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    "post-sts-header-before": (
        Request("POST", SUITE_HOST, "/"), SUITE._replace(session_token=STS_TOKEN),
        "host;x-amz-date;x-amz-security-token", "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
}  # fmt: skip
S3_CASES = {
    "s3-get-object": (
        Request("GET", S3_HOST, "/test.txt", headers=(("Range", "bytes=0-9"), ("x-amz-content-sha256", EMPTY_SHA256))),
        "host;range;x-amz-content-sha256;x-amz-date",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    "s3-put-object": (
        Request("PUT", S3_HOST, "/test$file.text", payload_sha256=PUT_PAYLOAD,
                headers=(("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                         ("x-amz-content-sha256", PUT_PAYLOAD))),
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SUITE_CASES))
def test_the_signature_is_the_one_of_aws_test_suite(name: str) -> None:
    request, credentials, names, signature = SUITE_CASES[name]
    signed = sign(request, credentials, "us-east-1", "service", SUITE_TIME)
    assert signed["Authorization"] == (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    assert signed["X-Amz-Date"] == "20150830T123600Z" and signed["Host"] == SUITE_HOST


@pytest.mark.parametrize("name", sorted(S3_CASES))
def test_the_signature_is_the_one_of_s3_documentation_examples(name: str) -> None:
    request, names, signature = S3_CASES[name]
    signed = sign(request, S3_EXAMPLE, "us-east-1", "s3", S3_TIME)
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        f"SignedHeaders={names}, Signature={signature}"
    )


def test_a_session_token_is_sent_and_signed() -> None:
    signed = sign(Request("GET", SUITE_HOST, "/"), SUITE._replace(session_token="token"), "us-east-1", "s", SUITE_TIME)
    assert signed["X-Amz-Security-Token"] == "token"
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in signed["Authorization"]


@pytest.mark.parametrize(
    ("method", "key", "body"),
    [("GET", "results/trips/" + "ab" * 32 + ".json", None), ("PUT", "results/trips/x.json", b'{"version":1}'),
     ("DELETE", "results/trips/x.json", None), ("PUT", "odd key+=$~caf\u00e9.json", b"{}")],
)  # fmt: skip
def test_the_skills_s3_requests_are_signed_as_botocore_signs_them(method: str, key: str, body: bytes | None) -> None:
    # GIVEN the request the skill's S3Objects sends for an object, with a Lambda role's temporary credentials
    now = datetime(2026, 11, 23, 15, 0, 7, tzinfo=UTC)
    credentials = Credentials("ASIAEXAMPLE", "secret/example+key", "session-token")
    payload = hashlib.sha256(body or b"").hexdigest()
    headers = (("x-amz-content-sha256", payload), *((("Content-Type", "application/json"),) if body else ()))
    host = "car-search-results-abc.s3.eu-west-1.amazonaws.com"
    ours = sign(Request(method, host, f"/{key}", headers=headers, payload_sha256=payload), credentials, "eu-west-1",
                "s3", now)  # fmt: skip
    # WHEN botocore signs the same request at the same time
    request = AWSRequest(method=method, url=f"https://{host}{encoded_path('/' + key)}", data=body,
                         headers={name: value for name, value in headers})  # fmt: skip
    request.context["timestamp"] = "20261123T150007Z"
    botocore = S3SigV4Auth(BotocoreCredentials(*credentials), "s3", "eu-west-1")
    botocore._modify_request_before_signing(request)
    signature = botocore.signature(botocore.string_to_sign(request, botocore.canonical_request(request)), request)
    # THEN both sign the same headers to the same signature
    signed_names = botocore.signed_headers(botocore.headers_to_sign(request))
    assert ours["Authorization"].endswith(f"SignedHeaders={signed_names}, Signature={signature}")
