"""The skill's one way to the search API: HTTP with strict timeouts over a kept-alive connection
(skill.http_connection, which says why http.client, imported at the first call), each request signed with SigV4 for
the API's AWS_IAM authorization with the function role's credentials (skill.sigv4, the signer the trip store already
loads): no API key to keep, leak or rotate (docs/deploy.md has the figures that chose it)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from skill.http_connection import KeptAliveConnection, OutOfTime, Unreachable
from skill.sigv4 import Credentials, Request, sign

MAX_LIMIT = 500  # the most offers GET /search returns at once


class SearchUnavailable(Exception):
    """The API is down, slow, or answered something the skill cannot use: apologise and offer a retry."""


class SearchBusy(SearchUnavailable):
    """The API throttled the request (429): POST /search is capped at what the searches' capacity holds. Nothing is
    broken; the same request a moment later likely goes through."""


class NoTimeLeft(Exception):
    """The turn's time ran out before the API answered: the API may be fine, the answer is "still searching"."""


class SearchGone(Exception):
    """The token is unknown or the results expired: start the same search again, transparently."""


class RequestRefused(Exception):
    """The API refused what the skill asked for (a 400): a bug of the skill's, a filter value the API does not know or
    a token from tampered session attributes, which asking again unchanged cannot fix. `fields`: the API's names."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        super().__init__(f"the search API refused {', '.join(fields) or 'the request'}")
        self.fields = fields


# The answers are NamedTuples rather than frozen dataclasses: a dataclass generates its methods with exec(),
# about half a millisecond each at every cold start, a NamedTuple a tenth of that.
class Problem(NamedTuple):
    field: str
    code: str
    message: str
    details: dict[str, Any]


class Rejected(NamedTuple):
    """The API refused the trip (unknown or ambiguous city, past date, ...): ask the user again."""

    problems: tuple[Problem, ...]

    def about(self, name: str) -> Problem | None:
        return next((problem for problem in self.problems if problem.field == name), None)


class Started(NamedTuple):
    token: str
    city: str  # "Portland, OR": the API's name for the city it understood
    pickup_date: date
    return_date: date


class Offer(NamedTuple):
    supplier: str
    supplier_name: str
    car_class: str
    car_class_name: str
    example_model: str
    total_price: float
    daily_rate: float
    days: int
    location_name: str
    quoted_at: datetime | None = None  # when the company gave this price: earlier than the search when reused
    offer_id: str = ""  # the API's offerId: which offer was heard, wherever later answers put it in the list

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Offer:
        return cls(
            supplier=raw["supplier"],
            supplier_name=raw["supplierName"],
            car_class=raw["carClass"],
            car_class_name=raw["carClassName"],
            example_model=raw["exampleModel"],
            total_price=float(raw["totalPrice"]),
            daily_rate=float(raw["dailyRate"]),
            days=int(raw["days"]),
            location_name=raw["location"]["name"],
            quoted_at=datetime.fromisoformat(raw["quotedAt"]) if raw.get("quotedAt") else None,
            offer_id=str(raw.get("offerId") or ""),
        )


class Results(NamedTuple):
    status: str  # pending, partial, complete or failed
    offers: tuple[Offer, ...]
    offer_count: int
    searching: tuple[str, ...]  # names of the companies still searching
    same_size: Offer | None = None  # when nothing matches: what does exist
    same_supplier: Offer | None = None
    cheapest: Offer | None = None
    # The company the results were filtered by failed to answer (the filtered status is then "failed"), while
    # the alternatives may come from companies that did answer.
    company_failed: bool = False
    no_counter: bool = False  # the company asked for has no counter in the city: nothing to wait for from it
    # In how many seconds the first company still searching usually answers (0: overdue); None when nothing is
    # searching or a company searching has no estimate yet, so it might answer any moment.
    next_expected_s: float | None = None

    @property
    def ready(self) -> bool:
        return self.status in ("complete", "failed") or bool(self.offers)


class Transport(Protocol):
    """How a request reaches the API: skill.http_connection.KeptAliveConnection, or a test's scripted API."""

    def request(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str], within_s: float | None = None
    ) -> tuple[int, bytes]: ...


class SearchClient:
    def __init__(
        self,
        base_url: str,
        credentials: Callable[[], Credentials] | None = None,
        region: str = "us-east-1",
        connect_timeout_s: float = 1.0,
        read_timeout_s: float = 2.5,
        transport: Transport | None = None,
    ) -> None:
        """`credentials`: sign each request for the API's AWS_IAM authorization (None: unsigned, for tests' APIs)."""
        url = urlsplit(base_url.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"SEARCH_API_URL must be an http(s) URL, not {base_url!r}")
        self._http = transport or KeptAliveConnection(
            url.scheme, url.hostname, url.port, connect_timeout_s, read_timeout_s
        )
        self._host = url.netloc  # as http.client sends it in Host: with the port when there is one
        self._path = url.path or ""
        self._credentials = credentials
        self._region = region
        self._headers = {"Accept": "application/json", "Connection": "keep-alive"}

    def start(
        self,
        city: str,
        pickup: date,
        dropoff: date,
        user: str,
        idempotency_key: str,
        within_s: float | None = None,
    ) -> Started | Rejected:
        """`within_s`, here and in results(): the time the caller has left; NoTimeLeft when it runs out first."""
        body = {"city": city, "pickupDate": pickup.isoformat(), "returnDate": dropoff.isoformat(), "user": user}
        status, payload = self._call("POST", "", body, {"Idempotency-Key": idempotency_key}, within_s)
        if status == 202:
            search = payload["search"]
            return Started(
                token=payload["token"],
                city=search["city"],
                pickup_date=date.fromisoformat(search["pickupDate"]),
                return_date=date.fromisoformat(search["returnDate"]),
            )
        if status == 400:
            return Rejected(tuple(Problem(p["field"], p["code"], p["message"], p.get("details") or {})
                                  for p in payload.get("errors", [])))  # fmt: skip
        if status == 429:
            raise SearchBusy("start answered 429")
        raise SearchUnavailable(f"start answered {status}")

    def results(
        self,
        token: str,
        user: str,
        size: str | None = None,
        supplier: str | None = None,
        limit: int = 5,
        within_s: float | None = None,
    ) -> Results:
        # The API refuses a Limit outside 1-500 with a 400; the offer index it follows comes from session attributes.
        query = {"Limit": str(max(1, min(limit, MAX_LIMIT)))}
        if size and size != "any":
            query["CarSize"] = size
        if supplier and supplier != "any":
            query["Supplier"] = supplier
        # The token and the user are bearer values: in headers they stay out of the URL, so out of traces and logs.
        bearer = {"Search-Token": token, "Search-User": user}
        status, payload = self._call("GET", "?" + urlencode(query), headers=bearer, within_s=within_s)
        if status in (404, 410):
            raise SearchGone(f"results answered {status}")
        if status == 400:
            raise RequestRefused(tuple(str(problem.get("field", "")) for problem in payload.get("errors") or []))
        if status == 429:
            raise SearchBusy("results answered 429")
        if status not in (200, 202):
            raise SearchUnavailable(f"results answered {status}")
        alternatives = payload.get("alternatives") or {}

        def offer(raw: dict[str, Any] | None) -> Offer | None:
            return Offer.parse(raw) if raw else None

        company = (payload.get("filters") or {}).get("supplier")
        expected = [s.get("expectedInSeconds") for s in payload["suppliers"] if s["state"] == "searching"]
        return Results(
            status=payload["status"],
            offers=tuple(Offer.parse(raw) for raw in payload["offers"]),
            offer_count=int(payload["offerCount"]),
            searching=tuple(s["name"] for s in payload["suppliers"] if s["state"] == "searching"),
            same_size=offer(alternatives.get("sameSize")),
            same_supplier=offer(alternatives.get("sameSupplier")),
            cheapest=offer(alternatives.get("cheapest")),
            company_failed=any(s["supplier"] == company and s["state"] == "failed" for s in payload["suppliers"]),
            no_counter=company is not None and company not in payload["search"]["suppliers"],
            next_expected_s=min(expected) if expected and None not in expected else None,
        )

    def _call(
        self,
        method: str,
        target: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        within_s: float | None = None,
    ) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {**self._headers, **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        path = self._path + "/search" + target
        if self._credentials is not None:
            all_headers = self._signed(method, path, all_headers, data)
        # Both calls are safe to repeat, as the connection may: GET reads, and POST carries an Idempotency-Key.
        try:
            status, raw = self._http.request(method, path, data, all_headers, within_s)
        except OutOfTime as error:
            raise NoTimeLeft(str(error)) from error
        except Unreachable as error:
            raise SearchUnavailable(str(error)) from error
        try:
            return status, json.loads(raw) if raw else {}
        except ValueError as error:
            raise SearchUnavailable("the search API answered something that is not JSON") from error

    def _signed(self, method: str, target: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
        """The headers with SigV4's. The API's paths (/<stage>/search) hold no character that percent-encoding
        changes, so the path is the same signed once, as for S3, or twice, as for execute-api. Connection is not
        signed: it is hop-by-hop, and a proxy may change it."""
        assert self._credentials is not None
        path, _, query = target.partition("?")
        signed = tuple((name, value) for name, value in headers.items() if name.lower() != "connection")
        request = Request(method, self._host, path, tuple(parse_qsl(query, keep_blank_values=True)), signed,
                          hashlib.sha256(body or b"").hexdigest())  # fmt: skip
        return {**headers, **sign(request, self._credentials(), self._region, "execute-api", datetime.now(UTC))}
