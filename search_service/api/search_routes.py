"""GET and DELETE /search: the results function's HTTP routes. GET reads a search's cached results through its
filters, with an ETag (304 for If-None-Match) and, for `Prefer: wait=N` (RFC 7240), a long poll; DELETE cancels."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.metrics import MetricUnit

from search_service.api.models import (
    MAX_USER_LENGTH,
    RESPONSE_HEADERS,
    AppliedFilters,
    CallbackStatus,
    ErrorBody,
    Offer,
    SearchResults,
    SupplierStatus,
    documented,
    summarise,
)
from search_service.api.models import Alternatives as AlternativesOut
from search_service.domain.cancel import CancelSearch
from search_service.domain.cities import CityCatalog
from search_service.domain.errors import FieldProblem, InvalidRequest
from search_service.domain.filters import MAX_UPGRADE, OfferFilter
from search_service.domain.long_poll import MAX_WAIT_S, LongPoll, granted_wait
from search_service.domain.models import Offer as DomainOffer
from search_service.domain.results import FINAL, Alternatives, GetResults, ResultsView
from search_service.domain.tokens import TOKEN_PATTERN, search_id
from search_service.observability import Telemetry

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

# The design's public names, mapped to the names used inside: User->id, CarSize->size,
# SupplierRating->rating, UpgradeClass->upgrade.
# The token and the user are bearer values: sent as headers they stay out of URLs, so out of API Gateway's X-Ray
# traces, access logs and proxies' logs. The query form is the design's, kept for the clients that use it.
TOKEN_HEADER = "Search-Token"
USER_HEADER = "Search-User"
Token = Annotated[
    str | None,
    Query(
        alias="token",
        pattern=TOKEN_PATTERN.pattern,
        description=f"The token from POST /search; prefer the {TOKEN_HEADER} header",
    ),
]
UserId = Annotated[
    str | None,
    Query(
        alias="User",
        min_length=1,
        max_length=MAX_USER_LENGTH,
        description=f"The user who started the search; prefer the {USER_HEADER} header",
    ),
]
# Headers are strings or absent, never null: "" stands for absent (as None does for the query), so the document does not
# offer a null header, which clients would send as the text "null".
TokenInHeader = Annotated[
    str,
    Header(alias=TOKEN_HEADER, pattern=TOKEN_PATTERN.pattern, description="The token from POST /search"),
]
UserInHeader = Annotated[
    str,
    Header(alias=USER_HEADER, min_length=1, max_length=MAX_USER_LENGTH, description="The user who started the search"),
]
Size = Annotated[
    str | None,
    Query(
        alias="CarSize",
        max_length=40,
        description="A car class: economy, compact, midsize, standard, fullsize, "
        "suv, minivan, premium, luxury (or any)",
    ),
]
SupplierName = Annotated[str | None, Query(alias="Supplier", max_length=40, description="A rental company")]
Rating = Annotated[
    float | None, Query(alias="SupplierRating", ge=0, le=5, description="Minimum supplier rating in stars")
]
Upgrade = Annotated[
    int,
    Query(alias="UpgradeClass", ge=0, le=MAX_UPGRADE, description="Also offer up to this many classes above CarSize"),
]
Limit = Annotated[int, Query(alias="Limit", ge=1, le=MAX_LIMIT, description="At most this many offers")]
Prefer = Annotated[
    str,
    Header(
        alias="Prefer",
        max_length=200,
        description=f"RFC 7240. `wait=N`: hold the answer up to N seconds (at most {MAX_WAIT_S}) until it differs from "
        "the one named by If-None-Match (without it: from the results at arrival), and answer at once when it "
        "does. Preference-Applied says the wait granted. Other preferences are ignored.",
    ),
]
IfNoneMatch = Annotated[
    str,
    Header(
        alias="If-None-Match",
        max_length=1000,
        description="The ETag of the answer the client has: 304 Not Modified, with no body, while it is still the "
        "answer; with Prefer: wait, the answer waits until it is not",
    ),
]


@dataclass(frozen=True)
class Answer:
    view: ResultsView
    body: SearchResults
    etag: str


def search_routes(
    results: GetResults,
    cancel: CancelSearch,
    long_poll: LongPoll,
    catalog: CityCatalog,
    max_age_s: int,
    retry_after_s: int,
    max_wait_s: float,
    telemetry: Telemetry,
) -> Router:
    router = Router()

    def answer(view: ResultsView, offer_filter: OfferFilter, limit: int) -> Answer:
        body = _body(view, offer_filter, limit, catalog, max_age_s)
        return Answer(view, body, entity_tag(body))

    def respond(
        found: Answer, status_code: int | None = None, extra: dict[str, str] | None = None
    ) -> Response[SearchResults | None]:
        view = found.view
        headers = {"ETag": found.etag, **(extra or {})}
        if view.status in ("pending", "partial"):
            headers["Retry-After"] = str(view.retry_after_s(retry_after_s))
        if status_code == 304:
            # No body, and the headers a 200 would have had (RFC 9110 15.4.5): ETag and Retry-After.
            return Response(304, None, None, headers=headers)
        code = status_code or (202 if view.status == "pending" else 200)
        return Response(code, content_types.APPLICATION_JSON, found.body, headers=headers)

    @router.get(
        "/search",
        summary="Get a search's results",
        description="Cheapest first. 202 while no supplier that matters to the filters has answered; "
        "200 with status partial while some still search, complete when all have, failed when none could, "
        "cancelled after DELETE. Every answer has an ETag; If-None-Match with it gets 304 while nothing changed. "
        "`Prefer: wait=N` makes it a long poll: the answer comes as soon as the results differ from what the "
        "client has (a company that matters answers, or the search completes, fails or is cancelled), or after N "
        "seconds.",
        responses={
            200: documented(
                SearchResults,
                "Results: complete, partial (some suppliers still searching; Retry-After set), failed or cancelled",
                "Retry-After",
                "ETag",
                "Preference-Applied",
            ),
            202: documented(
                SearchResults,
                "Pending: poll again after Retry-After seconds",
                "Retry-After",
                "ETag",
                "Preference-Applied",
            ),
            304: {
                "description": "Not Modified: the answer named by If-None-Match is still current (no body)",
                "headers": {name: RESPONSE_HEADERS[name] for name in ("ETag", "Retry-After", "Preference-Applied")},
            },
            400: documented(ErrorBody, "A parameter is missing or invalid; unknown values list what is accepted"),
            404: documented(ErrorBody, "No search for this token and user"),
            410: documented(ErrorBody, "The results are older than the maximum age"),
            503: documented(ErrorBody, "The results store is unavailable", "Retry-After"),
        },
        tags=["search"],
    )
    def get_results(
        token_query: Token = None,
        user_query: UserId = None,
        token_header: TokenInHeader = "",
        user_header: UserInHeader = "",
        size: Size = None,
        supplier: SupplierName = None,
        rating: Rating = None,
        upgrade: Upgrade = 0,
        limit: Limit = DEFAULT_LIMIT,
        prefer: Prefer = "",
        if_none_match: IfNoneMatch = "",
    ) -> Response[SearchResults | None]:  # None: a 304's
        token, id = _bearer(token_header, token_query, user_header, user_query)
        telemetry.correlate(search_id(token, id))
        offer_filter = OfferFilter.parse(size, supplier, rating, upgrade)
        asked = wait_preference(prefer)
        remaining_s = _remaining_s(router)
        granted = granted_wait(asked, max_wait_s, remaining_s) if asked else 0

        def read() -> Answer:
            return answer(results(token, id, offer_filter), offer_filter, limit)

        def has_it(found: Answer) -> bool:
            return bool(if_none_match) and etag_matches(if_none_match, found.etag)

        def changed(first: Answer, now: Answer) -> bool:
            # A final answer never changes, so there is nothing to wait for; otherwise, news for this client.
            if now.view.status in FINAL:
                return True
            return not has_it(now) if if_none_match else now.etag != first.etag

        waited = long_poll(read, changed, granted)
        found = waited.value
        applied = {"Preference-Applied": f"wait={granted}"} if granted else {}
        telemetry.metrics.add_metric(name="OffersReturned", unit=MetricUnit.Count, value=len(found.body.offers))
        telemetry.logger.info(
            "results read",
            extra={"status": found.view.status, "offers": len(found.view.offers), "wait_s": granted,
                   "reads": waited.reads, "not_modified": has_it(found)},
        )  # fmt: skip
        if has_it(found):
            return respond(found, 304, applied)
        return respond(found, None, applied)

    @router.delete(
        "/search",
        summary="Cancel a search",
        description="Stops the search: no company not yet asked is asked, and no answer that comes after is kept. "
        "200 with the results as they stand (unfiltered, status cancelled): a second DELETE answers the same. "
        "409 when the search had already ended (complete or failed): there was nothing to stop, and its results "
        "stay readable. Same token and User as GET, and the same 404 for another user's token.",
        responses={
            200: documented(SearchResults, "Cancelled: the results that had come in by then", "ETag"),
            400: documented(ErrorBody, "The token or User is missing or invalid"),
            404: documented(ErrorBody, "No search for this token and user"),
            409: documented(ErrorBody, "The search had already ended: complete or failed; nothing was cancelled"),
            410: documented(ErrorBody, "The results are older than the maximum age"),
            503: documented(ErrorBody, "The results store is unavailable", "Retry-After"),
        },
        tags=["search"],
    )
    def cancel_search(
        token_query: Token = None,
        user_query: UserId = None,
        token_header: TokenInHeader = "",
        user_header: UserInHeader = "",
    ) -> Response[SearchResults | None]:
        token, id = _bearer(token_header, token_query, user_header, user_query)
        telemetry.correlate(search_id(token, id))
        view = cancel(token, id)
        telemetry.metrics.add_metric(name="SearchCancelled", unit=MetricUnit.Count, value=1)
        telemetry.logger.info("search cancelled", extra={"offers": len(view.offers)})
        return respond(answer(view, OfferFilter(), DEFAULT_LIMIT))

    return router


def _body(
    view: ResultsView, offer_filter: OfferFilter, limit: int, catalog: CityCatalog, max_age_s: int
) -> SearchResults:
    return SearchResults(
        status=view.status,
        message=view.message,
        search=summarise(view.job, catalog, max_age_s),
        filters=AppliedFilters(
            car_size=offer_filter.size,
            supplier=offer_filter.supplier,
            supplier_rating=offer_filter.min_rating,
            upgrade_class=offer_filter.upgrade,
        ),
        offer_count=len(view.offers),
        offers=[Offer.of(offer) for offer in view.offers[:limit]],
        suppliers=[
            SupplierStatus(
                supplier=s.supplier,
                name=s.name,
                state=s.state,
                error=s.error,
                answered_at=s.answered_at,
                expected_in_seconds=s.expected_in_s,
            )
            for s in view.suppliers
        ],
        alternatives=_alternatives(view.alternatives) if view.alternatives else None,
        cancelled_at=view.cancelled_at,
        callback=CallbackStatus.of(view.job.callback, view.deliveries) if view.job.callback else None,
    )


def entity_tag(body: SearchResults) -> str:
    """The answer's ETag: a hash of its JSON, the offers and filters included, without the suppliers'
    `expectedInSeconds`, a countdown that changes with every read while the results do not. So it is a weak tag
    (RFC 9110 8.8.1): two answers with the same tag hold the same results; If-None-Match compares weakly."""
    data = body.model_dump(mode="json", by_alias=True, exclude={"suppliers": {"__all__": {"expected_in_seconds"}}})
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f'W/"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): `*`, or any listed tag with the same opaque value."""
    listed = [tag.strip() for tag in if_none_match.split(",")]
    opaque = etag.removeprefix("W/")
    return "*" in listed or any(tag.removeprefix("W/") == opaque for tag in listed)


_WAIT = re.compile(r"^\s*wait\s*=\s*(?:\"(\d{1,9})\"|(\d{1,9}))\s*(?:;.*)?$", re.IGNORECASE)


def wait_preference(prefer: str) -> int:
    """The seconds of RFC 7240's `wait` preference in a Prefer header; 0 when absent or not a number (a preference
    the server does not understand is ignored, RFC 7240 section 2). The first `wait` counts, as the RFC says."""
    for preference in prefer.split(","):
        name = preference.split("=", 1)[0].split(";", 1)[0].strip().lower()
        if name != "wait":
            continue
        matched = _WAIT.match(preference)
        return int(matched.group(1) or matched.group(2)) if matched else 0
    return 0


def _remaining_s(router: Router) -> float | None:
    """The Lambda's time left, when it has a context that says."""
    context = getattr(router, "lambda_context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000 if callable(remaining) else None


def _bearer(token_header: str, token_query: str | None, user_header: str, user_query: str | None) -> tuple[str, str]:
    token = _either_form("token", TOKEN_HEADER, token_header or None, token_query)
    return token, _either_form("User", USER_HEADER, user_header or None, user_query)


def _alternatives(found: Alternatives) -> AlternativesOut:
    def out(offer: DomainOffer | None) -> Offer | None:
        return Offer.of(offer) if offer is not None else None

    return AlternativesOut(
        same_size=out(found.same_size), same_supplier=out(found.same_supplier), cheapest=out(found.cheapest)
    )


def _either_form(name: str, header: str, in_header: str | None, in_query: str | None) -> str:
    if in_header is not None and in_query is not None and in_header != in_query:
        message = f"The {header} header and the {name} query parameter differ: send one of them."
        raise InvalidRequest([FieldProblem(name, message, "conflicting")])
    value = in_header if in_header is not None else in_query
    if value is None:
        raise InvalidRequest(
            [FieldProblem(name, f"Send the {header} header (or the {name} query parameter).", "required")]
        )
    return value
