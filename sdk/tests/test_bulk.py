"""``members.bulk_create`` at the transport: chunks, keys, indexes, and refused chunks."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from partnerkreis import BulkCreateError, BulkResult, InternalServerError
from partnerkreis import _bulk as bulk

from .conftest import FakeAPI, make_async_client, make_client, problem


def answer_rows(request: httpx.Request) -> httpx.Response:
    """The server's answer: every row created."""
    rows = json.loads(request.content)
    created = [{"row": i, "slug": r["slug"]} for i, r in enumerate(rows, start=1)]
    return httpx.Response(200, json={"rows": len(rows), "created": created, "errors": []})


def members(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"slug": f"m{i}", "name": f"M {i}", "website": f"https://m{i}.example/", **extra}
        for i in range(count)
    ]


def test_rows_go_in_chunks_with_one_idempotency_key_each() -> None:
    api = FakeAPI(answer_rows)
    with make_client(api) as client:
        result = client.members.bulk_create(
            members(5, themes=("a", "b"), town=None), chunk_size=2, idempotency_key="run-7"
        )
    assert [r.url.path for r in api.requests] == ["/api/v1/members/bulk"] * 3
    assert [len(api.body(i)) for i in range(3)] == [2, 2, 1]
    assert api.body(0)[0] == {
        "slug": "m0",
        "name": "M 0",
        "website": "https://m0.example/",
        "themes": ["a", "b"],  # tuples as arrays, None left out
    }
    assert [r.headers["idempotency-key"] for r in api.requests] == ["run-7-0", "run-7-1", "run-7-2"]
    assert "skip_invalid" not in str(api.requests[0].url)
    assert api.requests[0].extensions["timeout"]["read"] == bulk.BULK_TIMEOUT
    assert [(c.index, c.slug) for c in result.created] == [(i, f"m{i}") for i in range(5)]
    assert result == BulkResult(result.created, (), 3)


def test_skip_invalid_maps_rows_to_indexes_of_the_whole_list() -> None:
    def with_error(request: httpx.Request) -> httpx.Response:
        rows = json.loads(request.content)
        assert request.url.params["skip_invalid"] == "true"
        created = [{"row": 2, "slug": rows[1]["slug"]}]
        errors = [{"row": 1, "slug": rows[0]["slug"], "field": "website", "message": "bad"}]
        return httpx.Response(200, json={"rows": 2, "created": created, "errors": errors})

    api = FakeAPI(with_error)
    with make_client(api) as client:
        result = client.members.bulk_create(members(4), chunk_size=2, skip_invalid=True)
    assert [(e.index, e.slug, e.field) for e in result.errors] == [
        (0, "m0", "website"),
        (2, "m2", "website"),
    ]
    assert [c.index for c in result.created] == [1, 3]
    assert str(result.errors[1]) == "row 2 (m2): website: bad"


def test_a_refused_chunk_stops_and_names_its_rows() -> None:
    refused = problem(
        422,
        "invalid-rows",
        "1 of 2 rows are invalid; nothing was created",
        field="rows",
        errors=[{"row": 2, "slug": "m3", "field": "slug", "message": "exists already"}],
    )
    api = FakeAPI(answer_rows, refused)
    with make_client(api) as client, pytest.raises(BulkCreateError) as info:
        client.members.bulk_create(members(6), chunk_size=2)
    assert len(api.requests) == 2  # the third chunk was not sent
    error = info.value
    assert (error.status, error.code, error.field) == (422, "invalid-rows", "rows")
    assert [(e.index, e.slug) for e in error.errors] == [(3, "m3")]
    assert error.result.slugs == ("m0", "m1")
    assert error.result.requests == 2


def test_other_errors_are_raised_as_they_are() -> None:
    api = FakeAPI(problem(422, "invalid", "is not valid JSON", field="body"))
    with make_client(api) as client, pytest.raises(Exception) as info:
        client.members.bulk_create(members(1))
    assert not isinstance(info.value, BulkCreateError)
    assert info.value.field == "body"  # type: ignore[attr-defined]
    api = FakeAPI(problem(503, "unavailable"))
    with make_client(api, max_retries=0) as client, pytest.raises(InternalServerError):
        client.members.bulk_create(members(1))


def test_bad_arguments_are_refused_before_sending() -> None:
    api = FakeAPI(answer_rows)
    with make_client(api) as client:
        with pytest.raises(TypeError, match="'status' is not a member field"):
            client.members.bulk_create([{"slug": "x", "status": "active"}])
        with pytest.raises(ValueError, match="chunk_size"):
            client.members.bulk_create(members(1), chunk_size=0)
        assert client.members.bulk_create([]) == BulkResult()
    assert api.requests == []


def test_chunks_stay_below_the_byte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "MAX_CHUNK_BYTES", 400)
    sizes = [len(rows) for _, rows in bulk.chunks(members(10, description="x" * 100), 1000)]
    assert sum(sizes) == 10 and max(sizes) < 10
    for _, rows in bulk.chunks(members(10, description="x" * 100), 1000):
        assert len(json.dumps(rows).encode()) <= 400 or len(rows) == 1


@pytest.mark.asyncio
async def test_the_async_client_mirrors_it() -> None:
    api = FakeAPI(answer_rows)
    async with make_async_client(api) as client:
        result = await client.members.bulk_create(members(3), chunk_size=2, idempotency_key="k")
    assert result.slugs == ("m0", "m1", "m2") and result.requests == 2
    assert [r.headers["idempotency-key"] for r in api.requests] == ["k-0", "k-1"]
