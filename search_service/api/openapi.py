"""The API's OpenAPI document, generated from the routes and models. `make openapi` rewrites
docs/openapi.json; a test fails when the committed document differs from the code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from search_service.api.models import Model, SearchCancelledEvent, SearchEndedEvent, SupplierAnsweredEvent
from search_service.api.search_routes import search_routes
from search_service.api.secret_routes import secret_routes
from search_service.api.start_routes import start_routes
from search_service.config import Settings
from search_service.domain.callbacks import (
    EVENT_TYPES,
    SEARCH_CANCELLED,
    SEARCH_COMPLETED,
    SEARCH_FAILED,
    SUPPLIER_ANSWERED,
    SigningSecrets,
)
from search_service.domain.cancel import CancelSearch
from search_service.domain.cities import CityCatalog
from search_service.domain.long_poll import LongPoll
from search_service.domain.results import GetResults
from search_service.domain.start import StartSearch
from search_service.observability import Telemetry

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
DESCRIPTION = (
    "Asynchronous car-rental search. POST /search starts a search and answers 202 with a token at once; "
    "GET /search with that token and the same User returns the offers found so far, filtered and cheapest "
    "first. Searches take 10 s or more because the rental companies' own APIs are slow (all are asked at once); "
    "every company's answer is available as soon as it arrives."
)


def document() -> dict[str, Any]:
    settings = Settings()
    catalog = CityCatalog()
    app = APIGatewayRestResolver(enable_validation=True, response_validation_error_http_code=500)
    # The routes are only described here, never called, so they need no use cases behind them.
    telemetry = Telemetry()
    app.include_router(
        start_routes(cast(StartSearch, None), catalog, settings.result_max_age_s, settings.retry_after_s, telemetry)
    )
    app.include_router(
        search_routes(
            cast(GetResults, None),
            cast(CancelSearch, None),
            cast(LongPoll, None),
            catalog,
            settings.result_max_age_s,
            settings.retry_after_s,
            settings.long_poll_max_s,
            telemetry,
        )
    )
    app.include_router(secret_routes(cast(SigningSecrets, None), telemetry))
    doc = json.loads(app.get_openapi_json_schema(title="Car Search API", version="1.0.0", description=DESCRIPTION))
    # Powertools documents a 422 for request validation on every route; this API answers those with 400.
    for path in doc["paths"].values():
        for operation in path.values():
            if operation["responses"].get("422", {}).get("description") == "Validation Error":
                del operation["responses"]["422"]
            # A 304 has no body (RFC 9110 15.4.5); Powertools gives every response the route's return type.
            operation["responses"].get("304", {}).pop("content", None)
    _add_webhooks(doc)
    _add_security(doc)
    schemas = doc["components"]["schemas"]
    for name in list(schemas):
        rest = {key: value for key, value in doc.items() if key != "components"} | {
            "schemas": {other: schema for other, schema in schemas.items() if other != name}
        }
        if f"#/components/schemas/{name}" not in json.dumps(rest):
            del schemas[name]
    return doc


WEBHOOK_HEADERS = {
    "webhook-id": "The event's id, the same on every attempt: drop an event whose id you have seen",
    "webhook-timestamp": "When this attempt was sent, in Unix seconds: refuse one more than 5 minutes off",
    "webhook-signature": "v1,<base64 HMAC-SHA256 of id.timestamp.body> per signing secret, space-separated (two "
    "during a rotation's grace period)",
}
EVENT_MODELS: dict[str, type[Model]] = {
    SEARCH_COMPLETED: SearchEndedEvent,
    SEARCH_FAILED: SearchEndedEvent,
    SEARCH_CANCELLED: SearchCancelledEvent,
    SUPPLIER_ANSWERED: SupplierAnsweredEvent,
}
EVENT_SUMMARIES = {
    SEARCH_COMPLETED: "The search ended with offers, or with none to offer, from at least one company",
    SEARCH_FAILED: "The search ended with no company reached",
    SEARCH_CANCELLED: "The search was cancelled (DELETE /search): what had answered by then",
    SUPPLIER_ANSWERED: "A rental company answered, or failed to (sent only when callbackEvents asks for it)",
}


def _add_webhooks(doc: dict[str, Any]) -> None:
    """OpenAPI 3.1's `webhooks`: what the service POSTs to a search's callbackUrl (docs/webhooks.md)."""
    schemas = doc["components"]["schemas"]
    webhooks: dict[str, Any] = {}
    for event in EVENT_TYPES:
        model = EVENT_MODELS[event]
        schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        webhooks[event] = {
            "post": {
                "summary": EVENT_SUMMARIES[event],
                "description": "Signed per Standard Webhooks with the user's secret (GET /webhook-secret). Retried "
                "with exponential backoff and jitter until a 2xx, up to 6 attempts over about 10 minutes; GET "
                "/search's `callback` says how it went.",
                "parameters": [
                    {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
                    for name, text in WEBHOOK_HEADERS.items()
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
                },
                "responses": {"2XX": {"description": "Received: no further attempt"}},
            }
        }
    doc["webhooks"] = webhooks


# The REST API's routes take AWS_IAM (infrastructure/template.yaml): each request signed with Signature Version 4 by
# a principal allowed execute-api:Invoke, the skill's role. OpenAPI has no SigV4 scheme; this is API Gateway's own
# extension for one, which its import also reads.
SIGV4 = {
    "type": "apiKey",
    "name": "Authorization",
    "in": "header",
    "description": "AWS Signature Version 4 (service execute-api) by a principal allowed execute-api:Invoke on the "
    "route; the skill's role in this stack.",
    "x-amazon-apigateway-authtype": "awsSigv4",
}
REFUSED_BY_THE_GATEWAY = {
    "description": "Not signed, signed wrongly, or signed by a principal that may not call this route: API Gateway's "
    "answer, before any function runs",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}
        }
    },
}


def _add_security(doc: dict[str, Any]) -> None:
    doc["components"]["securitySchemes"] = {"sigv4": SIGV4}
    doc["security"] = [{"sigv4": []}]
    for path in doc["paths"].values():
        for operation in path.values():
            operation["responses"].setdefault("403", REFUSED_BY_THE_GATEWAY)


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"rewrite {DOCUMENT}")
    args = parser.parse_args()
    if args.write:
        DOCUMENT.parent.mkdir(exist_ok=True)
        DOCUMENT.write_text(render())
        print(f"wrote {DOCUMENT}")
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
