"""Calling a client's callback URL without becoming a way into the network behind the service (SSRF).

- https only (http and loopback only where the local stack allows them, `UrlPolicy`); no user:password in the URL.
- The host is resolved once, and every address it resolves to must be public: no private, loopback, link-local
  (169.254.169.254, the instance metadata), unique-local (fd00:ec2::254), multicast, reserved, unspecified or
  shared (100.64/10) address, IPv4-mapped or not. The connection then goes to that checked address, with the name
  only in the Host header and TLS's SNI and certificate check: a name that resolves to a public address when it is
  checked and to a private one when it is used (DNS rebinding) cannot redirect the request, as it is not resolved
  again.
- No redirect is followed (http.client follows none): a 3xx is a failed attempt.
- Short timeouts (connect, then each read) and at most BODY_CAP bytes of the answer read: a receiver cannot hold
  the delivery function or fill its memory.

The resolver is injected, so the checks are tested without a network."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from search_service.domain.ports import DeliveryFailed, RefusedAddress

Resolver = Callable[[str, int], list[str]]  # (host, port) -> the addresses, as text
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
BODY_CAP = 64 * 1024
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 5.0
# Named on their own as well as by class: the cloud metadata endpoints are what SSRF goes for first.
METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not global, yet not is_private in every Python


def system_resolver(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except Exception as error:  # gaierror, a name IDNA cannot encode, a NUL in it, an offline process's refusal
        raise DeliveryFailed(f"{host} does not resolve") from error
    return [str(info[4][0]) for info in found]


@dataclass(frozen=True)
class UrlPolicy:
    allow_http: bool = False  # the local stack's receivers are on http
    allow_loopback: bool = False  # ... and on 127.0.0.1


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL, without brackets
    port: int
    path: str  # with the query

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def parse(url: str, policy: UrlPolicy) -> Target:
    """The URL's parts, or RefusedAddress saying what is wrong with it."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedAddress(f"it is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise RefusedAddress("it contains spaces or control characters")
    parts = urlsplit(url)
    schemes = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in schemes:
        raise RefusedAddress(f"it must start with {' or '.join(s + '://' for s in schemes)}")
    if parts.username is not None or parts.password is not None:
        raise RefusedAddress("it must not carry a user name or password")
    if parts.fragment:
        raise RefusedAddress("it must not have a #fragment")
    try:
        port = parts.port
    except ValueError:
        raise RefusedAddress("its port is not a number from 1 to 65535") from None
    host = parts.hostname
    if not host:
        raise RefusedAddress("it names no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def refusal(address: Address, policy: UrlPolicy) -> str | None:
    """Why the service must not connect to `address`; None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return "the cloud metadata service"
    if address.is_loopback:
        return None if policy.allow_loopback else "a loopback address"
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),  # before is_private, which 240.0.0.0/4 also is
        ("is_private", "a private address"),
    )
    for attribute, what in checks:
        if getattr(address, attribute):
            return what
    if isinstance(address, ipaddress.IPv4Address) and address in SHARED:
        return "a shared (carrier-grade NAT) address"
    if not address.is_global:
        return "not a public address"
    return None


def checked_address(target: Target, policy: UrlPolicy, resolver: Resolver) -> str:
    """The address to connect to: the host's own when it is an IP literal, else what it resolves to now, refused
    unless every address it resolves to is allowed."""
    try:
        literal: Address | None = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(found.split("%", 1)[0]) for found in resolver(target.host, target.port)]
        except ValueError:
            raise DeliveryFailed(f"{target.host} resolved to something that is not an address") from None
        if not addresses:
            raise DeliveryFailed(f"{target.host} does not resolve")
    for address in addresses:
        why = refusal(address, policy)
        if why is not None:
            shown = target.host if literal is not None else f"{target.host} ({address})"
            raise RefusedAddress(f"{shown} is {why}")
    return str(addresses[0])


class CheckedUrls:
    """POST /search's check of a callbackUrl (the CallbackUrls port): its form, and the addresses its host resolves
    to now. Delivery checks again, on the address it connects to."""

    def __init__(self, policy: UrlPolicy, resolver: Resolver = system_resolver) -> None:
        self._policy = policy
        self._resolver = resolver

    def check(self, url: str) -> None:
        target = parse(url, self._policy)
        try:
            checked_address(target, self._policy, self._resolver)
        except RefusedAddress:
            raise
        except DeliveryFailed as failed:
            raise RefusedAddress(str(failed)) from None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the name resolves to by then."""

    def __init__(self, address: str, target: Target, connect_s: float, read_s: float) -> None:
        super().__init__(target.host, target.port, timeout=read_s)
        self._address = address
        self._connect_s = connect_s
        self._read_s = read_s

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), timeout=self._connect_s)
        self.sock.settimeout(self._read_s)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """The same, in TLS: SNI and the certificate's check are for the name, the TCP connection for the address."""

    def __init__(self, address: str, target: Target, connect_s: float, read_s: float) -> None:
        super().__init__(address, target, connect_s, read_s)
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        super().connect()
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self.host)


class SafeTransport:
    """The CallbackTransport port: one POST to a checked address, no redirects, bounded in time and size."""

    def __init__(
        self,
        policy: UrlPolicy,
        resolver: Resolver = system_resolver,
        connect_s: float = CONNECT_TIMEOUT_S,
        read_s: float = READ_TIMEOUT_S,
        body_cap: int = BODY_CAP,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._connect_s = connect_s
        self._read_s = read_s
        self._body_cap = body_cap

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        target = parse(url, self._policy)
        address = checked_address(target, self._policy, self._resolver)
        kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        connection = kind(address, target, self._connect_s, self._read_s)
        sent: dict[str, Any] = {
            **headers,
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": "car-search-webhooks/1",
        }
        try:
            connection.request("POST", target.path, body=body, headers=sent)
            response = connection.getresponse()
            response.read(self._body_cap)  # what is left is never read: the connection is closed below
            return response.status
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryFailed(f"the receiver could not be reached ({_reason(error)})") from None
        finally:
            connection.close()


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS: {error.reason or type(error).__name__}"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return type(error).__name__
