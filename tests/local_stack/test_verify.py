"""Alexa request verification, against a PKI made up here: a root, an intermediate and a signing certificate."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from local_stack.verify import RequestVerifier, VerificationError, fetch_cert_chain
from tests.fakes.clock import FixedClock

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-13.pem"
PATIENCE_S = 30.0  # only a failing test waits this long: every wait below ends at an event
ALEXA = "echo-api.amazon.com"
SERVER_AND_CLIENT = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    not_before: datetime,
    not_after: datetime,
    sans: tuple[str, ...] | None = None,
    ekus: tuple[x509.ObjectIdentifier, ...] | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer is not None else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca and issuer is not None else None), True)
        .add_extension(_key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    if ekus is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(ekus)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


@dataclass(frozen=True)
class Pki:
    root: x509.Certificate
    intermediate: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    leaf_key: rsa.RSAPrivateKey

    def leaf(
        self,
        *,
        sans: tuple[str, ...] | None = (ALEXA,),
        ekus: tuple[x509.ObjectIdentifier, ...] | None = SERVER_AND_CLIENT,
        not_before: datetime = NOW - timedelta(days=30),
        not_after: datetime = NOW + timedelta(days=60),
        self_signed: bool = False,
    ) -> x509.Certificate:
        """A signing certificate like Alexa's, issued by the intermediate unless self-signed."""
        issuer, issuer_key = (None, self.leaf_key) if self_signed else (self.intermediate, self.intermediate_key)
        return _certificate(
            ALEXA, self.leaf_key, issuer, issuer_key, ca=False, not_before=not_before, not_after=not_after,
            sans=sans, ekus=ekus,
        )  # fmt: skip

    def chain(self, leaf: x509.Certificate | None = None) -> bytes:
        """The PEM Amazon publishes: the signing certificate, then the intermediate (the root is the reader's)."""
        return _pem(leaf if leaf is not None else self.leaf(), self.intermediate)


@pytest.fixture(scope="session")
def pki() -> Pki:
    root_key, intermediate_key, leaf_key = _key(), _key(), _key()
    long_ago, far_ahead = NOW - timedelta(days=365), NOW + timedelta(days=3650)
    root = _certificate(
        "Test Root CA", root_key, None, root_key, ca=True, not_before=long_ago, not_after=far_ahead
    )  # fmt: skip
    intermediate = _certificate(
        "Test Intermediate CA", intermediate_key, root, root_key, ca=True, not_before=long_ago, not_after=far_ahead
    )  # fmt: skip
    return Pki(root, intermediate, intermediate_key, leaf_key)


class CountingFetch:
    """The injected download: serves one PEM for any URL and records each URL it was asked for."""

    def __init__(self, pem: bytes, delay_s: float = 0.0) -> None:
        self.pem = pem
        self.delay_s = delay_s
        self.urls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.urls.append(url)
        time.sleep(self.delay_s)
        return self.pem


def _verifier(
    pki: Pki, pem: bytes | None = None, clock: FixedClock | None = None
) -> tuple[RequestVerifier, CountingFetch]:
    fetch = CountingFetch(pem if pem is not None else pki.chain())
    now = (clock or FixedClock(NOW)).now
    return RequestVerifier(fetch=fetch, trust_roots=[pki.root], now=now), fetch


def _body(timestamp: datetime = NOW, request_id: str = "amzn1.echo-api.request.1") -> bytes:
    envelope = {
        "version": "1.0",
        "session": {"new": True, "sessionId": "amzn1.echo-api.session.1", "application": {"applicationId": "app"}},
        "request": {
            "type": "LaunchRequest",
            "requestId": request_id,
            "timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "locale": "en-US",
        },
    }
    return json.dumps(envelope).encode()


def _sign(key: rsa.RSAPrivateKey, body: bytes, algorithm: hashes.HashAlgorithm | None = None) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), algorithm or hashes.SHA256())).decode()


def _headers(signature: str, url: str = CERT_URL) -> dict[str, str]:
    return {"SignatureCertChainUrl": url, "Signature-256": signature, "Content-Type": "application/json"}


def _signed(pki: Pki, body: bytes, url: str = CERT_URL) -> dict[str, str]:
    return _headers(_sign(pki.leaf_key, body), url)


# A genuine request


def test_a_genuine_request_passes(pki: Pki) -> None:
    verifier, fetch = _verifier(pki)
    body = _body()
    verifier.verify(_signed(pki, body), body)
    assert fetch.urls == [CERT_URL]


def test_header_names_are_case_insensitive(pki: Pki) -> None:
    verifier, fetch = _verifier(pki)
    body = _body()
    headers = {"signaturecertchainurl": CERT_URL, "SIGNATURE-256": _sign(pki.leaf_key, body)}
    assert verifier.verify(headers, body) is None  # accepted: a refused request raises VerificationError
    assert fetch.urls == [CERT_URL]  # the chain the lower-case header names


# The certificate chain URL: Amazon's examples, and more ways out of s3.amazonaws.com/echo.api/


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        "HTTPS://S3.AmazonAWS.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/./echo-api-cert.pem",
    ],
)
def test_valid_url_spellings_pass_and_the_normalised_url_is_downloaded(pki: Pki, url: str) -> None:
    verifier, fetch = _verifier(pki)
    body = _body()
    verifier.verify(_signed(pki, body, url), body)
    assert fetch.urls == ["https://s3.amazonaws.com/echo.api/echo-api-cert.pem"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "s3.amazonaws.com"),
        ("https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem", "s3.amazonaws.com"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "port 443"),
        ("https://s3.amazonaws.com:https/echo.api/echo-api-cert.pem", "not a URL"),
        ("https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/..%5cinvalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api", "path"),
        ("https://s3.amazonaws.com//echo.api/echo-api-cert.pem", "path"),
        ("https://someone@s3.amazonaws.com/echo.api/echo-api-cert.pem", "credentials"),
        ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem?versionId=1", "query"),
        ("echo.api/echo-api-cert.pem", "https"),
    ],
)
def test_urls_outside_amazons_rules_are_refused_before_any_download(pki: Pki, url: str, message: str) -> None:
    verifier, fetch = _verifier(pki)
    body = _body()
    with pytest.raises(VerificationError, match=message):
        verifier.verify(_signed(pki, body, url), body)
    assert fetch.urls == []


# The signing certificate and its chain


@pytest.mark.parametrize(
    ("sans", "message"),
    [
        (("example.com",), "not issued to echo-api.amazon.com"),  # the subject's CN is echo-api.amazon.com: not enough
        (("*.amazon.com",), "not issued to echo-api.amazon.com"),  # a TLS client would take it; Amazon's rule does not
        (None, "no SANs"),
    ],
)
def test_the_signing_certificate_must_name_echo_api_among_its_sans(
    pki: Pki, sans: tuple[str, ...] | None, message: str
) -> None:
    verifier, _ = _verifier(pki, pki.chain(pki.leaf(sans=sans)))
    body = _body()
    with pytest.raises(VerificationError, match=message):
        verifier.verify(_signed(pki, body), body)


@pytest.mark.parametrize(
    ("not_before", "not_after", "message"),
    [
        (NOW - timedelta(days=90), NOW - timedelta(seconds=1), "expired"),
        (NOW + timedelta(seconds=1), NOW + timedelta(days=90), "not valid yet"),
    ],
)
def test_the_signing_certificate_must_be_valid_now(
    pki: Pki, not_before: datetime, not_after: datetime, message: str
) -> None:
    verifier, _ = _verifier(pki, pki.chain(pki.leaf(not_before=not_before, not_after=not_after)))
    body = _body()
    with pytest.raises(VerificationError, match=message):
        verifier.verify(_signed(pki, body), body)


def test_a_self_signed_certificate_does_not_chain_to_the_trusted_root(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.leaf(self_signed=True)))
    body = _body()
    with pytest.raises(VerificationError, match="does not chain to a trusted root"):
        verifier.verify(_signed(pki, body), body)


def test_a_chain_without_its_intermediate_does_not_reach_the_root(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.leaf()))
    body = _body()
    with pytest.raises(VerificationError, match="does not chain to a trusted root"):
        verifier.verify(_signed(pki, body), body)


def test_the_default_trust_roots_do_not_trust_a_made_up_root(pki: Pki) -> None:
    # certifi's bundle (or the system's), read from disk: no network.
    fetch = CountingFetch(pki.chain())
    verifier = RequestVerifier(fetch=fetch, now=FixedClock(NOW).now)
    body = _body()
    with pytest.raises(VerificationError, match="does not chain to a trusted root"):
        verifier.verify(_signed(pki, body), body)


@pytest.mark.parametrize(
    ("ekus", "accepted"),
    [
        (SERVER_AND_CLIENT, True),  # what Amazon Trust Services issues today
        ((ExtendedKeyUsageOID.SERVER_AUTH,), True),  # after the web PKI drops clientAuth
        (None, True),  # no EKU extension: no constraint
        ((ExtendedKeyUsageOID.CLIENT_AUTH,), False),  # not a server certificate for echo-api.amazon.com
        ((ExtendedKeyUsageOID.CODE_SIGNING,), False),
    ],
)
def test_extended_key_usage_must_allow_server_auth_when_listed(
    pki: Pki, ekus: tuple[x509.ObjectIdentifier, ...] | None, accepted: bool
) -> None:
    verifier, _ = _verifier(pki, pki.chain(pki.leaf(ekus=ekus)))
    body = _body()
    if accepted:
        verifier.verify(_signed(pki, body), body)
    else:
        with pytest.raises(VerificationError, match="does not chain to a trusted root"):
            verifier.verify(_signed(pki, body), body)


@pytest.mark.parametrize(
    "pem", [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
)
def test_a_download_that_is_not_pem_certificates_is_refused(pki: Pki, pem: bytes) -> None:
    verifier, _ = _verifier(pki, pem)
    body = _body()
    with pytest.raises(VerificationError, match="not PEM certificates"):
        verifier.verify(_signed(pki, body), body)


# The signature


def test_a_tampered_body_is_refused(pki: Pki) -> None:
    verifier, _ = _verifier(pki)
    signed_body = _body(request_id="amzn1.echo-api.request.1")
    tampered = _body(request_id="amzn1.echo-api.request.2")
    with pytest.raises(VerificationError, match="does not match"):
        verifier.verify(_signed(pki, signed_body), tampered)


def test_the_signature_covers_the_raw_bytes_not_the_json_they_encode(pki: Pki) -> None:
    verifier, _ = _verifier(pki)
    body = _body()
    reserialised = json.dumps(json.loads(body), indent=2).encode()
    with pytest.raises(VerificationError, match="does not match"):
        verifier.verify(_signed(pki, body), reserialised)


def test_a_signature_by_another_key_is_refused(pki: Pki) -> None:
    verifier, _ = _verifier(pki)
    body = _body()
    with pytest.raises(VerificationError, match="does not match"):
        verifier.verify(_headers(_sign(pki.intermediate_key, body)), body)


def test_a_sha1_signature_in_signature_256_is_refused(pki: Pki) -> None:
    verifier, _ = _verifier(pki)
    body = _body()
    with pytest.raises(VerificationError, match="does not match"):
        verifier.verify(_headers(_sign(pki.leaf_key, body, hashes.SHA1())), body)


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("not base64 at all!", "not base64"),
        ("AAA", "not base64"),  # truncated: bad padding
        (base64.b64encode(b"\x00" * 256).decode(), "does not match"),
        (base64.b64encode(b"short").decode(), "does not match"),
    ],
)
def test_a_garbled_signature_is_refused(pki: Pki, signature: str, message: str) -> None:
    verifier, _ = _verifier(pki)
    body = _body()
    with pytest.raises(VerificationError, match=message):
        verifier.verify(_headers(signature), body)


@pytest.mark.parametrize(
    ("drop", "message"),
    [("SignatureCertChainUrl", "missing SignatureCertChainUrl"), ("Signature-256", "missing Signature-256")],
)
def test_a_missing_header_is_refused(pki: Pki, drop: str, message: str) -> None:
    verifier, fetch = _verifier(pki)
    body = _body()
    headers = _signed(pki, body)
    del headers[drop]
    with pytest.raises(VerificationError, match=message):
        verifier.verify(headers, body)
    assert fetch.urls == []


def test_the_deprecated_sha1_signature_header_does_not_stand_in_for_signature_256(pki: Pki) -> None:
    verifier, _ = _verifier(pki)
    body = _body()
    sha1 = _sign(pki.leaf_key, body, hashes.SHA1())
    with pytest.raises(VerificationError, match="missing Signature-256"):
        verifier.verify({"SignatureCertChainUrl": CERT_URL, "Signature": sha1}, body)


def test_an_empty_signature_header_counts_as_missing(pki: Pki) -> None:
    verifier, _ = _verifier(pki)
    body = _body()
    with pytest.raises(VerificationError, match="missing Signature-256"):
        verifier.verify(_headers("  "), body)


# The timestamp


@pytest.mark.parametrize("offset_s", [-150, 150, 0])
def test_a_timestamp_up_to_150_seconds_away_passes(pki: Pki, offset_s: int) -> None:
    verifier, fetch = _verifier(pki)
    body = _body(NOW + timedelta(seconds=offset_s))
    assert verifier.verify(_signed(pki, body), body) is None  # accepted: a refused request raises VerificationError
    assert fetch.urls == [CERT_URL]  # past the timestamp check, on to the certificate


@pytest.mark.parametrize("offset_s", [-151, 151])
def test_a_timestamp_151_seconds_old_or_ahead_is_refused(pki: Pki, offset_s: int) -> None:
    verifier, fetch = _verifier(pki)
    body = _body(NOW + timedelta(seconds=offset_s))
    with pytest.raises(VerificationError, match="more than 150 seconds from now"):
        verifier.verify(_signed(pki, body), body)
    assert fetch.urls == []  # refused before any download


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe\x00", "not JSON"),
        (b"[]", "request.timestamp is missing"),
        (b'{"request": {"type": "LaunchRequest"}}', "request.timestamp is missing"),
        (b'{"request": {"timestamp": 1700000000}}', "request.timestamp is missing"),
        (b'{"request": {"timestamp": "yesterday"}}', "not an ISO 8601"),
    ],
)
def test_a_body_without_a_readable_timestamp_is_refused(pki: Pki, body: bytes, message: str) -> None:
    verifier, _ = _verifier(pki)
    with pytest.raises(VerificationError, match=message):
        verifier.verify(_signed(pki, body), body)  # signed: the body itself is the only fault


def test_max_skew_is_capped_at_alexas_150_seconds(pki: Pki) -> None:
    with pytest.raises(ValueError, match="max_skew_s"):
        RequestVerifier(fetch=CountingFetch(b""), trust_roots=[pki.root], max_skew_s=151)
    with pytest.raises(ValueError, match="trust_roots"):
        RequestVerifier(fetch=CountingFetch(b""), trust_roots=[])


# Downloading and caching the chain


def test_the_chain_is_downloaded_once_per_url(pki: Pki) -> None:
    verifier, fetch = _verifier(pki)
    other_url = "https://s3.amazonaws.com/echo.api/echo-api-cert-14.pem"
    for url in (CERT_URL, CERT_URL, "https://s3.amazonaws.com:443/echo.api/../echo.api/echo-api-cert-13.pem"):
        body = _body()
        verifier.verify(_signed(pki, body, url), body)
    assert fetch.urls == [CERT_URL]
    for _ in range(2):
        body = _body()
        verifier.verify(_signed(pki, body, other_url), body)
    assert fetch.urls == [CERT_URL, other_url]


def test_concurrent_requests_for_a_new_url_download_it_once(pki: Pki) -> None:
    fetch = CountingFetch(pki.chain(), delay_s=0.05)
    verifier = RequestVerifier(fetch=fetch, trust_roots=[pki.root], now=FixedClock(NOW).now)
    body = _body()
    headers = _signed(pki, body)
    errors: list[BaseException] = []

    def verify() -> None:
        try:
            verifier.verify(headers, body)
        except BaseException as error:  # reported below, so a failure in a thread fails the test
            errors.append(error)

    threads = [threading.Thread(target=verify) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fetch.urls == [CERT_URL]


def test_the_chain_is_downloaded_again_once_the_signing_certificate_expires(pki: Pki) -> None:
    clock = FixedClock(NOW)
    leaf = pki.leaf(not_after=NOW + timedelta(hours=1))
    verifier, fetch = _verifier(pki, pki.chain(leaf), clock)
    body = _body(clock.now())
    verifier.verify(_signed(pki, body), body)
    clock.advance(minutes=59)
    body = _body(clock.now())
    verifier.verify(_signed(pki, body), body)
    assert len(fetch.urls) == 1
    fetch.pem = pki.chain()  # Amazon has put the renewed certificate at the same URL
    clock.advance(minutes=2)
    body = _body(clock.now())
    verifier.verify(_signed(pki, body), body)
    assert len(fetch.urls) == 2


def test_a_failed_download_is_refused_and_remembered_for_ten_seconds(pki: Pki) -> None:
    calls: list[str] = []

    def unreachable(url: str) -> bytes:
        calls.append(url)
        raise OSError("connection refused")

    clock = FixedClock(NOW)
    verifier = RequestVerifier(fetch=unreachable, trust_roots=[pki.root], now=clock.now)
    # GIVEN a URL whose download failed
    # WHEN it is named again within ten seconds, THEN it is refused without a download; after them, it is tried again
    for advance_s, downloads in ((0, 1), (9.9, 1), (0.1, 2)):
        clock.advance(seconds=advance_s)
        body = _body(clock.now())
        with pytest.raises(VerificationError, match="could not download") as raised:
            verifier.verify(_signed(pki, body), body)
        assert "connection refused" not in str(raised.value)  # the caller learns which rule failed, nothing more
        assert calls == [CERT_URL] * downloads


def test_a_chain_that_fails_the_checks_is_remembered_as_failed_for_ten_seconds(pki: Pki) -> None:
    clock = FixedClock(NOW)
    verifier, fetch = _verifier(pki, _pem(pki.leaf(self_signed=True)), clock)
    for advance_s, downloads in ((0, 1), (5, 1), (5, 2)):
        clock.advance(seconds=advance_s)
        body = _body(clock.now())
        with pytest.raises(VerificationError, match="does not chain to a trusted root"):
            verifier.verify(_signed(pki, body), body)
        assert len(fetch.urls) == downloads


def test_a_url_that_failed_is_downloaded_again_once_a_fixed_chain_passes(pki: Pki) -> None:
    clock = FixedClock(NOW)
    verifier, fetch = _verifier(pki, _pem(pki.leaf(self_signed=True)), clock)
    body = _body(clock.now())
    with pytest.raises(VerificationError):
        verifier.verify(_signed(pki, body), body)
    fetch.pem = pki.chain()
    clock.advance(seconds=10)
    for _ in range(2):
        body = _body(clock.now())
        verifier.verify(_signed(pki, body), body)
    assert len(fetch.urls) == 2  # the failure is forgotten and the good chain kept


def test_the_failures_remembered_are_bounded_the_oldest_going_first(pki: Pki) -> None:
    from local_stack.verify import _MAX_REMEMBERED_FAILURES

    verifier, fetch = _verifier(pki, b"not a certificate")
    urls = [f"https://s3.amazonaws.com/echo.api/junk-{n}.pem" for n in range(_MAX_REMEMBERED_FAILURES + 1)]
    body = _body()
    for url in [*urls, urls[-1], urls[0]]:
        with pytest.raises(VerificationError, match="not PEM"):
            verifier.verify(_signed(pki, body, url), body)
    # The last URL is still remembered; the first was forgotten to make room for it, and is downloaded again.
    assert fetch.urls == [*urls, urls[0]]


class GatedFetch:
    """Serves one PEM; the download of `gated` waits until `gate` is set, and says when it has begun."""

    def __init__(self, pem: bytes, gated: str) -> None:
        self.pem = pem
        self.gated = gated
        self.gate = threading.Event()
        self.begun = threading.Event()

    def __call__(self, url: str) -> bytes:
        if url == self.gated:
            self.begun.set()
            self.gate.wait()
        return self.pem


def _in_thread(verify: Callable[[], None]) -> tuple[threading.Thread, threading.Event, list[BaseException]]:
    done, errors = threading.Event(), []

    def run() -> None:
        try:
            verify()
        except BaseException as error:  # reported by the test, so a failure in a thread fails it
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done, errors


def test_a_slow_download_does_not_hold_up_requests_naming_another_url(pki: Pki) -> None:
    other_url = "https://s3.amazonaws.com/echo.api/echo-api-cert-14.pem"
    fetch = GatedFetch(pki.chain(), gated=CERT_URL)
    verifier = RequestVerifier(fetch=fetch, trust_roots=[pki.root], now=FixedClock(NOW).now)
    body = _body()
    try:
        # GIVEN a request whose chain's download hangs
        slow, slow_done, slow_errors = _in_thread(lambda: verifier.verify(_signed(pki, body), body))
        assert fetch.begun.wait(PATIENCE_S)
        # WHEN a request names another URL, THEN it is verified while the first download still hangs
        _, done, errors = _in_thread(lambda: verifier.verify(_signed(pki, body, other_url), body))
        assert done.wait(PATIENCE_S), "the second request waited for the first one's download"
        assert errors == [] and not slow_done.is_set()
    finally:
        fetch.gate.set()
    slow.join(PATIENCE_S)
    assert slow_errors == []


# The default download, against a server on loopback (the URL rules, which demand s3.amazonaws.com, are not its job)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/chain.pem")
            self.end_headers()
            return
        payload = b"x" * (64 * 1024 + 1) if self.path == "/huge" else b"PEM"
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture
def loopback_url() -> Iterator[Callable[[str], str]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    # A short poll, so shutdown() returns at once rather than after the default half second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield lambda path: f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_default_download_returns_the_body(loopback_url: Callable[[str], str]) -> None:
    assert fetch_cert_chain(loopback_url("/chain.pem")) == b"PEM"


def test_the_default_download_caps_the_size(loopback_url: Callable[[str], str]) -> None:
    with pytest.raises(ValueError, match="larger than"):
        fetch_cert_chain(loopback_url("/huge"))


def test_the_default_download_does_not_follow_redirects(loopback_url: Callable[[str], str]) -> None:
    with pytest.raises(OSError, match="302"):
        fetch_cert_chain(loopback_url("/redirect"))
