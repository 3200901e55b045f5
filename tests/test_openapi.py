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
    }
    assert {"200", "202", "400", "404", "410", "503"} <= set(get["responses"])


def test_openapi_document_has_every_referenced_schema() -> None:
    doc = document()
    text = json.dumps(doc)
    for name in doc["components"]["schemas"]:
        assert f"#/components/schemas/{name}" in text
    refs = {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}
    assert refs <= set(doc["components"]["schemas"])
