"""Verification that a request to the skill's web endpoint was sent by Alexa, as Amazon's rules require.

A skill hosted as a web service, rather than as a Lambda function, must check each request itself
(developer.amazon.com/docs/custom-skills/host-a-custom-skill-as-a-web-service.html):

1. the `SignatureCertChainUrl` header points into s3.amazonaws.com/echo.api/ over https;
2. the PEM chain found there starts with a signing certificate that is valid now, names echo-api.amazon.com
   among its Subject Alternative Names and chains up to a trusted root;
3. the `Signature-256` header is that certificate's RSA PKCS#1 v1.5 SHA-256 signature of the raw body;
4. the body's `request.timestamp` is within 150 seconds of now, so a captured request cannot be replayed later.

ask-sdk-webservice-support implements this too, but its verifier does not import on OpenSSL 3 (its oscrypto
dependency cannot parse the version string), so this module uses `cryptography` alone.
"""

from __future__ import annotations

import base64
import binascii
import email.message
import json
import posixpath
import re
import ssl
import threading
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import verification as x509_verification

__all__ = ["RequestVerifier", "VerificationError", "fetch_cert_chain"]

ALEXA_DOMAIN = "echo-api.amazon.com"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
CERT_URL_PORT = 443
MAX_SKEW_S = 150.0  # Amazon's certification rejects endpoints that accept older requests

_CERT_URL_HEADER = "signaturecertchainurl"
_SIGNATURE_HEADER = "signature-256"  # the SHA-1 `Signature` header is deprecated: never consulted

_FETCH_TIMEOUT_S = 5.0  # the request that needs the chain waits for it, and Alexa gives up after 8 s
_MAX_CHAIN_BYTES = 64 * 1024  # Amazon's chain is about 6 KB; the cap stops a huge download tying up a thread
_MAX_CACHED_CHAINS = 32  # Alexa uses a handful of URLs at a time; the bound keeps junk URLs from growing the cache
# A URL whose chain could not be downloaded or failed the checks is refused without a download for this long: a
# stream of requests naming it costs one download, not one each, and a passing fault at Amazon's end is soon forgotten.
_FAILURE_MEMORY = timedelta(seconds=10)
_MAX_REMEMBERED_FAILURES = 256  # distinct junk URLs are cheap to send: the bound keeps them from growing the memory
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class VerificationError(Exception):
    """The request is not provably from Alexa. The message says which rule failed and is safe to return in a 400."""


class _Download:
    """One download under way: requests naming the same URL wait for it rather than download the chain again."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.chain: list[x509.Certificate] | None = None
        self.failure = "could not verify the signing certificate chain"  # what the waiters raise without a chain


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The chain must come from the URL that passed the checks, not from wherever a redirect points."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: email.message.Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None  # urllib then raises HTTPError for the 3xx


def fetch_cert_chain(url: str) -> bytes:
    """Download a certificate chain: the default `fetch` of `RequestVerifier`. Raises on any failure."""
    context = ssl.create_default_context(cafile=_ca_bundle_path())
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirects())
    with opener.open(url, timeout=_FETCH_TIMEOUT_S) as response:
        data: bytes = response.read(_MAX_CHAIN_BYTES + 1)
    if len(data) > _MAX_CHAIN_BYTES:
        raise ValueError(f"certificate chain larger than {_MAX_CHAIN_BYTES} bytes")
    return data


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RequestVerifier:
    """Checks requests against Amazon's rules; one instance serves all threads of the endpoint.

    `fetch` downloads a chain's PEM bytes (tests inject one; nothing is fetched before a request needs it),
    `trust_roots` anchors the chains (default: certifi's bundle, else the system's), `now` is the clock.
    """

    def __init__(
        self,
        *,
        fetch: Callable[[str], bytes] = fetch_cert_chain,
        trust_roots: Sequence[x509.Certificate] | None = None,
        now: Callable[[], datetime] = _utc_now,
        max_skew_s: float = MAX_SKEW_S,
    ) -> None:
        if not 0 <= max_skew_s <= MAX_SKEW_S:
            raise ValueError(f"max_skew_s must be between 0 and {MAX_SKEW_S:g} seconds, Alexa's maximum")
        roots = list(trust_roots) if trust_roots is not None else _default_trust_roots()
        if not roots:
            raise ValueError("trust_roots is empty: no chain could ever be trusted")
        self._fetch = fetch
        # Loaded here rather than at the first request, so a missing CA bundle stops the stack at start-up.
        self._store = x509_verification.Store(roots)
        self._now = now
        self._max_skew_s = max_skew_s
        # By canonical URL. The lock guards the three and is never held across a download: a request naming one URL
        # never waits for another URL's download, and concurrent requests naming a new URL download it once.
        self._lock = threading.Lock()
        self._chains: dict[str, list[x509.Certificate]] = {}  # chains that passed the checks
        self._failures: dict[str, tuple[datetime, str]] = {}  # until when a URL is refused, and why
        self._downloads: dict[str, _Download] = {}

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Return if `body` and `headers` are a genuine, fresh Alexa request; raise VerificationError if not."""
        lowered = {name.lower(): value for name, value in headers.items()}
        cert_url = lowered.get(_CERT_URL_HEADER, "").strip()
        signature_b64 = lowered.get(_SIGNATURE_HEADER, "").strip()
        if not cert_url:
            raise VerificationError("missing SignatureCertChainUrl header")
        if not signature_b64:
            raise VerificationError("missing Signature-256 header")
        now = self._current_time()
        # The checks that need no download come first, so a malformed request never costs a fetch.
        url = _canonical_cert_url(cert_url)
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except binascii.Error:
            raise VerificationError("Signature-256 header is not base64") from None
        self._check_timestamp(body, now)
        leaf = self._trusted_chain(url, now)[0]
        public_key = leaf.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise VerificationError("signing certificate does not hold an RSA key")
        try:
            public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise VerificationError("Signature-256 does not match the request body") from None

    def _current_time(self) -> datetime:
        now = self._now()
        # A naive clock is taken as UTC rather than failing on the comparison with the certificates' aware dates.
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)

    def _check_timestamp(self, body: bytes, now: datetime) -> None:
        try:
            envelope = json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise VerificationError("request body is not JSON") from None
        request = envelope.get("request") if isinstance(envelope, dict) else None
        stamp = request.get("timestamp") if isinstance(request, dict) else None
        if not isinstance(stamp, str):
            raise VerificationError("request.timestamp is missing")
        try:
            timestamp = datetime.fromisoformat(stamp)
        except ValueError:
            raise VerificationError("request.timestamp is not an ISO 8601 date and time") from None
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)  # Alexa writes UTC with a Z; a bare time can only mean UTC
        # Both directions: a timestamp far in the future would let a captured request be replayed until then.
        if abs((now - timestamp).total_seconds()) > self._max_skew_s:
            raise VerificationError(f"request.timestamp is more than {self._max_skew_s:g} seconds from now")

    def _trusted_chain(self, url: str, now: datetime) -> list[x509.Certificate]:
        with self._lock:
            chain = self._cached(url, now)
            download = self._downloads.get(url) if chain is None else None
            leading = chain is None and download is None
            if leading:
                failed = self._failures.get(url)
                if failed is not None and now < failed[0]:
                    raise VerificationError(failed[1])
                download = self._downloads[url] = _Download()
        if download is not None:
            if leading:
                return self._download_and_check(url, now, download)
            download.done.wait()  # as long as the download takes: at most fetch_cert_chain's timeout
            if download.chain is None:
                raise VerificationError(download.failure)
            chain = download.chain
        assert chain is not None
        # Checking a known chain again costs well under a millisecond and keeps every request judged at its own
        # time (an intermediate that expires before the leaf, or a clock that moved back before a not-before).
        self._check_chain(chain, now)
        return chain

    def _download_and_check(self, url: str, now: datetime, download: _Download) -> list[x509.Certificate]:
        try:
            chain = self._download(url)
            self._check_chain(chain, now)
        except VerificationError as error:
            download.failure = str(error)
            raise
        else:
            download.chain = chain
            return chain
        finally:
            with self._lock:
                if download.chain is not None:
                    self._failures.pop(url, None)
                    _bounded_put(
                        self._chains, url, download.chain, _MAX_CACHED_CHAINS, lambda held: now > _expiry(held)
                    )
                else:
                    failure = (now + _FAILURE_MEMORY, download.failure)
                    _bounded_put(self._failures, url, failure, _MAX_REMEMBERED_FAILURES, lambda held: now >= held[0])
                del self._downloads[url]
            download.done.set()

    def _cached(self, url: str, now: datetime) -> list[x509.Certificate] | None:
        chain = self._chains.get(url)
        if chain is not None and now > _expiry(chain):
            # Amazon replaces an expiring certificate, possibly at the same URL: download it afresh.
            del self._chains[url]
            return None
        return chain

    def _download(self, url: str) -> list[x509.Certificate]:
        try:
            pem = self._fetch(url)
        except Exception as error:  # whatever the failure, the request cannot be verified: a 400, not a 500
            raise VerificationError("could not download the signing certificate chain") from error
        try:
            chain = x509.load_pem_x509_certificates(pem)
        except ValueError as error:
            raise VerificationError("the signing certificate chain is not PEM certificates") from error
        return chain

    def _check_chain(self, chain: list[x509.Certificate], now: datetime) -> None:
        # Amazon's chain lists the signing certificate first, then the certificates leading to a root.
        leaf, intermediates = chain[0], chain[1:]
        # The three documented checks on the signing certificate, each with its own message.
        if now < leaf.not_valid_before_utc:
            raise VerificationError("signing certificate is not valid yet")
        if now > leaf.not_valid_after_utc:
            raise VerificationError("signing certificate has expired")
        try:
            names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            raise VerificationError(f"signing certificate names no {ALEXA_DOMAIN}: it has no SANs") from None
        except ValueError as error:  # a malformed or duplicated extension
            raise VerificationError("signing certificate has malformed extensions") from error
        # Amazon's rule is the exact name among the SANs; the verifier below would also accept *.amazon.com.
        if ALEXA_DOMAIN not in (name.lower() for name in names.get_values_for_type(x509.DNSName)):
            raise VerificationError(f"signing certificate is not issued to {ALEXA_DOMAIN}")
        # The chain of trust, by cryptography's RFC 5280 / CA/Browser Forum path validation. Its server verifier fits:
        # the signing certificate is the web PKI certificate of the host echo-api.amazon.com, from Amazon Trust
        # Services (Amazon RSA 2048 M0x under Amazon Root CA 1, in certifi). The server verifier requires the
        # serverAuth extended key usage on the leaf and on intermediates whenever they list EKUs at all (a leaf
        # without the extension passes). Amazon Trust Services' public certificates list serverAuth (with clientAuth,
        # which public web CAs are phasing out), so this keeps working after that change, where the client verifier,
        # which requires clientAuth, would then reject Alexa's certificate.
        verifier = (
            x509_verification.PolicyBuilder()
            .store(self._store)
            .time(now)
            .build_server_verifier(x509_verification.DNSName(ALEXA_DOMAIN))
        )
        try:
            verifier.verify(leaf, intermediates)
        except x509_verification.VerificationError as error:
            raise VerificationError("signing certificate does not chain to a trusted root") from error


def _expiry(chain: list[x509.Certificate]) -> datetime:
    return chain[0].not_valid_after_utc


_Value = TypeVar("_Value")


def _bounded_put(
    cache: dict[str, _Value], key: str, value: _Value, limit: int, stale: Callable[[_Value], bool]
) -> None:
    """Adds `key` to `cache`, first making room if it holds `limit` entries: the stale ones go, else the oldest."""
    cache.pop(key, None)  # re-added below, as the newest
    if len(cache) >= limit:
        for old in [name for name, held in cache.items() if stale(held)]:
            del cache[old]
    if len(cache) >= limit:
        del cache[next(iter(cache))]  # dicts keep insertion order: the oldest entry goes
    cache[key] = value


def _canonical_cert_url(url: str) -> str:
    """The URL to download, if `url` follows Amazon's rules for SignatureCertChainUrl; else VerificationError.

    The rules: scheme https and host s3.amazonaws.com (both case-insensitive), port 443 if any, and a path that
    starts with /echo.api/ (case-sensitive) once `..` and `.` segments are resolved. The result is the normalised
    form (no port, no dot segments), so what is downloaded is exactly what was checked and one chain is cached
    once whatever spelling of its URL a request uses.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise VerificationError("SignatureCertChainUrl is not a URL") from None
    if parts.scheme.lower() != "https":
        raise VerificationError("SignatureCertChainUrl must use https")
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise VerificationError(f"SignatureCertChainUrl must be on {CERT_URL_HOST}")
    if parts.username is not None or parts.password is not None:
        raise VerificationError("SignatureCertChainUrl must not carry credentials")
    if port is not None and port != CERT_URL_PORT:
        raise VerificationError(f"SignatureCertChainUrl must use port {CERT_URL_PORT}")
    if parts.query or parts.fragment:
        raise VerificationError("SignatureCertChainUrl must not have a query or fragment")
    path = posixpath.normpath(parts.path) if parts.path else ""
    # Percent-encoded dots or backslashes could climb out of /echo.api/ once a server decodes them.
    decoded = urllib.parse.unquote(parts.path)
    if (
        not path.startswith(CERT_URL_PATH_PREFIX)
        or "\\" in decoded
        or not posixpath.normpath(decoded).startswith(CERT_URL_PATH_PREFIX)
    ):
        raise VerificationError(f"SignatureCertChainUrl path must start with {CERT_URL_PATH_PREFIX}")
    return f"https://{CERT_URL_HOST}{path}"


def _ca_bundle_path() -> str:
    try:
        import certifi  # optional: not a declared dependency, though present wherever requests is
    except ImportError:
        cafile = ssl.get_default_verify_paths().cafile
        if cafile is None:
            raise RuntimeError("no CA bundle: install certifi or the system's ca-certificates") from None
        return cafile
    return certifi.where()


def _default_trust_roots() -> list[x509.Certificate]:
    roots = []
    # One certificate at a time: cryptography warns about (and will later refuse) a root with a non-positive
    # serial number, and one such root must not make the whole bundle unusable.
    for block in _PEM_CERTIFICATE.findall(Path(_ca_bundle_path()).read_bytes()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue  # a root cryptography cannot parse could not anchor a chain anyway
    return roots
