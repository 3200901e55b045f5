"""The committed OpenAPI document is the one the code generates."""

from __future__ import annotations

import json

from search_service.api.openapi import DOCUMENT, document, render


def test_committed_openapi_document_matches_the_code() -> None:
    assert DOCUMENT.read_text() == render(), "docs/openapi.json is out of date: run `make openapi`"


def test_openapi_document_uses_the_design_public_names() -> None:
    get = document()["paths"]["/search"]["get"]
    names = {(parameter["in"], parameter["name"].lower()) for parameter in get["parameters"]}
    queries = {"token", "User", "CarSize", "Supplier", "SupplierRating", "UpgradeClass", "Limit"}
    assert names == {("query", name.lower()) for name in queries} | {
        ("header", "search-token"),
        ("header", "search-user"),
        ("header", "prefer"),  # RFC 7240's wait: a long poll
        ("header", "if-none-match"),
    }
    assert {"200", "202", "304", "400", "404", "410", "503"} <= set(get["responses"])
    assert "content" not in get["responses"]["304"]
    assert {"ETag", "Retry-After", "Preference-Applied"} <= set(get["responses"]["304"]["headers"])


def test_openapi_document_has_the_cancel() -> None:
    delete = document()["paths"]["/search"]["delete"]
    names = {(parameter["in"], parameter["name"].lower()) for parameter in delete["parameters"]}
    assert names == {("query", "token"), ("query", "user"), ("header", "search-token"), ("header", "search-user")}
    assert {"200", "400", "404", "409", "410", "503"} <= set(delete["responses"])


def test_openapi_document_has_every_referenced_schema() -> None:
    doc = document()
    text = json.dumps(doc)
    for name in doc["components"]["schemas"]:
        assert f"#/components/schemas/{name}" in text
    refs = {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}
    assert refs <= set(doc["components"]["schemas"])
