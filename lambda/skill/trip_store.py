"""Where the skill keeps a user's last trip between sessions: ask-sdk's persistence adapter, on S3.

    <prefix><sha256 of the Alexa user id>.json    {"version": 1, "savedAt": "...Z", "attributes": {...}}

The prefix is under the results bucket's (results/trips/ in AWS), so the bucket's one-day lifecycle rule deletes a
record a day after its last save, and the skill's role may touch nothing else (docs/persistence.md). The object's
name is a hash of the Alexa user id, never the id; what is in it is skill.last_trip's.

S3 is reached with the standard library (`S3Objects`: skill.http_connection and skill.sigv4), not boto3, which
would cost the first turn of every session about 0.2 s more (docs/persistence.md has the figures).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model import RequestEnvelope

from skill.config import SkillSettings
from skill.http_connection import KeptAliveConnection, Unreachable
from skill.sigv4 import Credentials, Request, encoded_path, lambda_credentials, sign

log = logging.getLogger(__name__)

VERSION = 1
# The bucket's lifecycle rule deletes a record a day or two after its last save (S3 expires objects at the next
# midnight UTC after a day); a record is older than a day only in that gap, and is treated as gone.
MAX_AGE = timedelta(days=1)
MAX_RECORD_BYTES = 16 * 1024  # a record is a few hundred bytes; anything bigger was not written by the skill


class StoreUnavailable(PersistenceException):
    """S3 did not answer, or answered an error: the turn goes on without what is kept."""


class ObjectStore(Protocol):
    """Whole objects by key: what the adapter needs of S3."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, body: bytes) -> None: ...

    def delete(self, key: str) -> None: ...


class S3Objects:
    """GET, PUT and DELETE of small objects in one bucket: each request SigV4-signed, each bounded by a connect and a
    read timeout, over a kept-alive connection.

    In AWS the bucket's virtual-hosted address over HTTPS (its policy refuses anything but TLS); with `endpoint_url`
    (the local stack's embedded S3, moto), path-style at that address."""

    def __init__(
        self,
        bucket: str,
        region: str,
        credentials: Callable[[], Credentials] = lambda_credentials,
        endpoint_url: str | None = None,
        connect_timeout_s: float = 0.5,
        read_timeout_s: float = 1.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if endpoint_url:
            url = urlsplit(endpoint_url.rstrip("/"))
            scheme, host, port, self._root = url.scheme, url.hostname or "", url.port, f"{url.path}/{bucket}"
        else:
            scheme, host, port, self._root = "https", f"{bucket}.s3.{region}.amazonaws.com", None, ""
        self._http = KeptAliveConnection(scheme, host, port, connect_timeout_s, read_timeout_s)
        self._host = host if port is None else f"{host}:{port}"
        self._region = region
        self._credentials = credentials
        self._now = now

    def get(self, key: str) -> bytes | None:
        status, body = self._call("GET", key)
        if status == 200:
            return body
        # A missing key is a 404, or a 403 AccessDenied to a role without s3:ListBucket, which the skill's is: it may
        # read its own records and nothing else, so S3 does not tell it whether a key exists.
        if status in (403, 404):
            return None
        raise StoreUnavailable(f"GET answered {status}")

    def put(self, key: str, body: bytes) -> None:
        status, _ = self._call("PUT", key, body)
        if status != 200:
            raise StoreUnavailable(f"PUT answered {status}")

    def delete(self, key: str) -> None:
        status, _ = self._call("DELETE", key)
        if status not in (200, 204, 404):  # S3 answers 204 whether or not the key existed
            raise StoreUnavailable(f"DELETE answered {status}")

    def _call(self, method: str, key: str, body: bytes | None = None) -> tuple[int, bytes]:
        path = f"{self._root}/{key}"
        payload = hashlib.sha256(body or b"").hexdigest()
        headers = [("x-amz-content-sha256", payload)]
        if body is not None:
            headers.append(("Content-Type", "application/json"))
        request = Request(method, self._host, path, headers=tuple(headers), payload_sha256=payload)
        signed = sign(request, self._credentials(), self._region, "s3", self._now())
        try:
            return self._http.request(method, encoded_path(path), body, signed)
        except Unreachable as error:
            raise StoreUnavailable(str(error)) from error


class S3PersistenceAdapter(AbstractPersistenceAdapter):
    """ask-sdk's persistence adapter: a user's attributes as one JSON object in S3, named by a hash of their Alexa
    user id, with the time it was saved. A record older than MAX_AGE, or one that cannot be read (not JSON, another
    version, too big), counts as none: what is kept is a convenience, never a reason for a turn to fail. A request
    without a user id has no record. S3 errors raise StoreUnavailable."""

    def __init__(
        self,
        objects: ObjectStore,
        prefix: str,
        now: Callable[[], datetime] | None = None,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        self._objects = objects
        self._prefix = prefix
        self._now = now or (lambda: datetime.now(UTC))
        self._max_age = max_age

    def key(self, request_envelope: RequestEnvelope) -> str | None:
        """The record's key: a hash of the user id, which S3 and its logs see instead of the id. Not the pseudonym the
        search API gets (skill.responses.caller): a token kept here is of no use without that, which only the Alexa
        user id gives."""
        user_id = _user_id(request_envelope)
        if not user_id:
            return None
        digest = hashlib.sha256(f"car-search-trip|{user_id}".encode("utf-8", errors="surrogatepass")).hexdigest()
        return f"{self._prefix}{digest}.json"

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        key = self.key(request_envelope)
        raw = self._objects.get(key) if key else None
        if raw is None:
            return {}
        found = _read(raw)
        if found is None:
            log.warning("ignored a kept record that cannot be read")
            return {}
        saved, attributes = found
        return attributes if self._now() - saved <= self._max_age else {}

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        key = self.key(request_envelope)
        if key:
            saved = self._now().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            record = {"version": VERSION, "savedAt": saved, "attributes": attributes}
            self._objects.put(key, json.dumps(record, separators=(",", ":")).encode())

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        key = self.key(request_envelope)
        if key:
            self._objects.delete(key)


def s3_store(
    settings: SkillSettings,
    credentials: Callable[[], Credentials] = lambda_credentials,
    now: Callable[[], datetime] | None = None,
) -> S3PersistenceAdapter | None:
    """The store the settings name; None without a bucket. `now` dates the records (the skill's clock); requests are
    signed with the system clock, which S3 holds within 15 minutes of its own."""
    if not settings.results_bucket:
        return None
    objects = S3Objects(settings.results_bucket, settings.region, credentials, settings.s3_endpoint_url,
                        settings.store_connect_timeout_s, settings.store_read_timeout_s)  # fmt: skip
    return S3PersistenceAdapter(objects, settings.trips_prefix, now)


def _read(raw: bytes) -> tuple[datetime, dict[str, Any]] | None:
    """When the record was saved, and its attributes; None when it is not a record of this version."""
    if len(raw) > MAX_RECORD_BYTES:
        return None
    try:
        record = json.loads(raw)
        saved = datetime.fromisoformat(record["savedAt"])
        attributes = record["attributes"]
        version = record["version"]
    except (ValueError, KeyError, TypeError):  # not JSON, not an object, a field missing or not a date
        return None
    if version != VERSION or saved.tzinfo is None or not isinstance(attributes, dict):
        return None
    return saved, attributes


def _user_id(envelope: RequestEnvelope) -> str | None:
    system = envelope.context.system if envelope.context else None
    user = system.user if system and system.user else (envelope.session.user if envelope.session else None)
    return user.user_id if user and isinstance(user.user_id, str) else None
