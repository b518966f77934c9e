"""The OpenAPI document: valid 3.1, and describing every route of the app."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.api_auth import api_endpoints
from widget_server.core.errors import ValidationError
from widget_server.web.bodies import Body
from widget_server.web.openapi import BODIES, document


def described() -> dict[str, Any]:
    doc: dict[str, Any] = document()
    return doc


def test_document_is_valid_openapi_3_1() -> None:
    doc = described()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_api_route_is_described_with_its_methods() -> None:
    paths = described()["paths"]
    endpoints = api_endpoints()
    for method, path in endpoints:
        assert path in paths, f"{path} is missing from the OpenAPI document"
        assert method.lower() in paths[path], f"{method} {path} is missing"
    documented = {(m.upper(), path) for path, item in paths.items() for m in item}
    assert documented == set(endpoints)


def test_every_operation_has_problem_answers_and_an_id() -> None:
    ids = set()
    for path, item in described()["paths"].items():
        for method, operation in item.items():
            ids.add(operation["operationId"])
            statuses = set(operation["responses"])
            assert "503" in statuses, f"{method} {path}"
            public = operation.get("security") == []
            assert ("401" in statuses) is not public, f"{method} {path}"
            if "{" in path and not public:
                assert "404" in statuses, f"{method} {path}"
            if "requestBody" in operation:
                assert "422" in statuses, f"{method} {path}"
    assert len(ids) == sum(len(item) for item in described()["paths"].values())


def test_only_the_document_itself_is_public() -> None:
    doc = described()
    assert doc["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    public = [
        path
        for path, item in doc["paths"].items()
        for operation in item.values()
        if operation.get("security") == []
    ]
    assert public == ["/api/v1/openapi.json"]


def test_every_request_body_schema_is_declared() -> None:
    schemas = described()["components"]["schemas"]
    for item in described()["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody")
            if body and "application/json" not in body["content"]:
                # a file as the body (an offer's image): bytes of the types named
                media = body["content"].values()
                assert all(m["schema"] == {"type": "string", "format": "binary"} for m in media)
            elif body:
                name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                assert name in schemas


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.name)
def test_body_schemas_are_closed_like_the_parser(body: Body) -> None:
    schema = body.schema()
    assert schema["additionalProperties"] is False
    with pytest.raises(ValidationError) as info:
        body.parse(b'{"surely_not_a_field": 1}')
    assert info.value.field in ("surely_not_a_field", *schema.get("required", []))
