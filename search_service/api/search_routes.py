"""GET /search: the search Lambda's HTTP route, reading a search's cached results through its filters."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.metrics import MetricUnit

from search_service.api.models import (
    MAX_USER_LENGTH,
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
from search_service.domain.cities import CityCatalog
from search_service.domain.errors import FieldProblem, InvalidRequest
from search_service.domain.filters import MAX_UPGRADE, OfferFilter
from search_service.domain.models import Offer as DomainOffer
from search_service.domain.results import Alternatives, GetResults
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


def search_routes(
    results: GetResults, catalog: CityCatalog, max_age_s: int, retry_after_s: int, telemetry: Telemetry
) -> Router:
    router = Router()

    @router.get(
        "/search",
        summary="Get a search's results",
        description="Cheapest first. 202 while no supplier that matters to the filters has answered; "
        "200 with status partial while some still search, complete when all have, failed when none could.",
        responses={
            200: documented(
                SearchResults,
                "Results: complete, partial (some suppliers still searching; Retry-After set) or failed",
                "Retry-After",
            ),
            202: documented(SearchResults, "Pending: poll again after Retry-After seconds", "Retry-After"),
            400: documented(ErrorBody, "A parameter is missing or invalid; unknown values list what is accepted"),
            404: documented(ErrorBody, "No search for this token and User"),
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
    ) -> Response[SearchResults]:
        token = _either_form("token", TOKEN_HEADER, token_header or None, token_query)
        id = _either_form("User", USER_HEADER, user_header or None, user_query)
        telemetry.correlate(search_id(token, id))
        offer_filter = OfferFilter.parse(size, supplier, rating, upgrade)
        view = results(token, id, offer_filter)
        body = SearchResults(
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
            callback=CallbackStatus.of(view.job.callback, view.deliveries) if view.job.callback else None,
        )
        telemetry.metrics.add_metric(name="OffersReturned", unit=MetricUnit.Count, value=len(body.offers))
        telemetry.logger.info("results read", extra={"status": view.status, "offers": len(view.offers)})
        waiting = view.status in ("pending", "partial")
        headers = {"Retry-After": str(view.retry_after_s(retry_after_s))} if waiting else {}
        status_code = 202 if view.status == "pending" else 200
        return Response(status_code, content_types.APPLICATION_JSON, body, headers=headers)

    return router


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
