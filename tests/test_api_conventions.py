"""What every endpoint of the REST API shares: errors, request ids, bodies, pages, idempotency."""

from __future__ import annotations

import base64

import httpx
import pytest
from starlette.applications import Starlette

from tests.api_auth import make_keys
from tests.conftest import Clock
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio

NEW = {"slug": "torten", "name": "Torten", "website": "https://torten.example"}


# -- request ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/themes", "/api/v1/nope", "/w/bogus", "/healthz"])
async def test_every_response_carries_a_generated_request_id(
    network: dict[str, int], client: httpx.AsyncClient, path: str
) -> None:
    first = await client.get(path)
    second = await client.get(path)
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("abc-123.XYZ_9", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("has space", False),
        ("caf\u00e9".encode().decode("latin-1"), False),
        ("<script>", False),
    ],
)
async def test_a_sane_request_id_is_echoed_anything_else_replaced(
    network: dict[str, int], client: httpx.AsyncClient, sent: str, echoed: bool
) -> None:
    response = await client.get("/api/v1/themes", headers={"X-Request-Id": sent.encode("latin-1")})
    assert (response.headers["x-request-id"] == sent) is echoed


async def test_an_unexpected_error_is_a_problem_with_the_request_id(
    network: dict[str, int], storage: SQLiteStorage, app: Starlette
) -> None:
    keys = await make_keys(storage)

    async def broken(**kwargs: object) -> None:
        raise RuntimeError("a bug")

    app.state.runtime.storage.list_themes = broken
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get(
            "/api/v1/themes", headers={**keys.coordinator, "X-Request-Id": "trace-1"}
        )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "trace-1"
    assert response.json()["code"] == "internal"
    assert "a bug" not in response.text


# -- errors and bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"", "body"),
        (b"{", "body"),
        (b"[1, 2]", "body"),
        (b'"text"', "body"),
        (b"\xff\xfe", "body"),
        (b'{"slug": NaN}', "body"),
        (b'{"slug": ' + b"9" * 5000 + b"}", "body"),
        (b"[" * 10_000 + b"]" * 10_000, "body"),  # too deep
        (b'{"slug": 1e999}', "body"),
        (b'{"unknown": 1}', "unknown"),
    ],
)
async def test_bodies_are_parsed_strictly(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    content: bytes,
    field: str,
) -> None:
    keys = await make_keys(storage)
    response = await client.post(
        "/api/v1/members",
        headers={**keys.coordinator, "Content-Type": "application/json"},
        content=content,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"], problem["status"]) == ("invalid", field, 422)
    assert problem["type"].endswith("/invalid")


async def test_unknown_routes_and_methods_are_problems(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    missing = await client.get("/api/v1/nothing", headers=keys.coordinator)
    assert (missing.status_code, missing.json()["code"]) == (404, "not-found")
    wrong = await client.delete("/api/v1/themes", headers=keys.coordinator)
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method-not-allowed")


async def test_openapi_document_is_public(
    network: dict[str, int], client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")


# -- pagination --------------------------------------------------------------------------------


async def test_walking_the_cursor_visits_every_member_once(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    seen: list[str] = []
    params = {"limit": "2"}
    pages = 0
    while True:
        response = await client.get("/api/v1/members", params=params, headers=keys.coordinator)
        page = response.json()
        assert len(page["data"]) <= 2
        seen += [m["slug"] for m in page["data"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        params = {"limit": "2", "cursor": page["next_cursor"]}
    assert seen == ["blumen", "brautmoden", "catering", "fotos", "scheune"]
    assert pages == 3
    everything = await client.get("/api/v1/members?limit=5", headers=keys.coordinator)
    assert everything.json()["next_cursor"] is None
    default = await client.get("/api/v1/members", headers=keys.coordinator)
    assert len(default.json()["data"]) == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("limit=" + "9" * 5000, "limit"),
        ("cursor=garbage!", "cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b'["themes","a"]').decode(), "cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b'["members",1]').decode(), "cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b"\xff").decode(), "cursor"),
    ],
)
async def test_bad_limits_and_cursors_are_refused(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    query: str,
    field: str,
) -> None:
    keys = await make_keys(storage)
    response = await client.get(f"/api/v1/members?{query}", headers=keys.coordinator)
    assert (response.status_code, response.json()["field"]) == (422, field)


async def test_key_list_pages_by_id(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    first = await client.get("/api/v1/keys?limit=2", headers=keys.coordinator)
    assert len(first.json()["data"]) == 2
    rest = await client.get(
        "/api/v1/keys", params={"cursor": first.json()["next_cursor"]}, headers=keys.coordinator
    )
    assert [k["scope"] for k in rest.json()["data"]] == ["member:fotos"]
    themes_cursor = await client.get(
        "/api/v1/themes", params={"cursor": first.json()["next_cursor"]}, headers=keys.coordinator
    )
    assert themes_cursor.status_code == 422  # a cursor belongs to its list


# -- idempotency -------------------------------------------------------------------------------


async def test_a_repeated_post_replays_the_first_answer(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    headers = {**keys.coordinator, "Idempotency-Key": "register-torten-1"}
    first = await client.post("/api/v1/members", headers=headers, json=NEW)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = await client.post("/api/v1/members", headers=headers, json=NEW)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["content-type"] == "application/json"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert len(await storage.list_members()) == 6  # made once


async def test_the_same_key_for_another_request_is_refused(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    headers = {**keys.coordinator, "Idempotency-Key": "k1"}
    await client.post("/api/v1/members", headers=headers, json=NEW)
    other = await client.post("/api/v1/members", headers=headers, json={**NEW, "slug": "kuchen"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency-key-reused"
    elsewhere = await client.post(
        "/api/v1/themes", headers=headers, json={"slug": "x", "name_de": "X"}
    )
    assert elsewhere.json()["code"] == "idempotency-key-reused"


async def test_error_answers_are_replayed_too(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    headers = {**keys.coordinator, "Idempotency-Key": "k-conflict"}
    taken = {**NEW, "slug": "blumen"}
    first = await client.post("/api/v1/members", headers=headers, json=taken)
    again = await client.post("/api/v1/members", headers=headers, json=taken)
    assert first.status_code == again.status_code == 409
    assert again.content == first.content
    assert again.headers["content-type"] == "application/problem+json"
    assert again.headers["idempotent-replayed"] == "true"


async def test_idempotency_keys_are_kept_per_api_key_and_for_a_day(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient, clock: Clock
) -> None:
    keys = await make_keys(storage)
    url = "/api/v1/members/blumen/placements"
    body = {"theme": "hochzeit", "max_partners": 4}
    mine = await client.post(url, headers={**keys.blumen, "Idempotency-Key": "same"}, json=body)
    assert mine.status_code == 201
    theirs = await client.post(
        url, headers={**keys.coordinator, "Idempotency-Key": "same"}, json=body
    )
    # Another API key does not share the stored answer: it gets its own (the placement exists).
    assert theirs.status_code == 200
    assert "idempotent-replayed" not in theirs.headers
    clock.advance(24 * 3600 + 1)
    expired = await client.post(url, headers={**keys.blumen, "Idempotency-Key": "same"}, json=body)
    assert expired.status_code == 200
    assert "idempotent-replayed" not in expired.headers


async def test_idempotency_key_needs_a_valid_api_key_and_a_sane_value(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    anonymous = await client.post("/api/v1/members", headers={"Idempotency-Key": "k"}, json=NEW)
    assert anonymous.status_code == 401
    too_long = await client.post(
        "/api/v1/members", headers={**keys.coordinator, "Idempotency-Key": "k" * 256}, json=NEW
    )
    assert (too_long.status_code, too_long.json()["field"]) == (422, "Idempotency-Key")
