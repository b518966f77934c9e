"""API keys over the REST API: coordinators list, create and revoke them."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.api_auth import bearer, make_keys
from widget_server.storage import SQLiteStorage, Storage

pytestmark = pytest.mark.asyncio


async def test_a_created_key_is_shown_once_and_works(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    created = await client.post(
        "/api/v1/keys", headers=keys.coordinator, json={"scope": "member:catering", "name": "WP"}
    )
    assert created.status_code == 201
    data = created.json()
    assert set(data) == {"key_id", "scope", "name", "created_at", "revoked_at", "key"}
    assert (data["scope"], data["name"], data["revoked_at"]) == ("member:catering", "WP", None)
    assert data["key"].startswith(data["key_id"] + ".")
    own = await client.get("/api/v1/members/catering", headers=bearer(data["key"]))
    assert own.status_code == 200
    listed = await client.get("/api/v1/keys", headers=keys.coordinator)
    rows = listed.json()["data"]
    assert [r["scope"] for r in rows] == [
        "coordinator",
        "member:blumen",
        "member:fotos",
        "member:catering",
    ]
    assert all("key" not in r for r in rows)  # never the secret again


async def test_a_revoked_key_is_refused_from_then_on(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    created = await client.post(
        "/api/v1/keys", headers=keys.coordinator, json={"scope": "coordinator"}
    )
    new_key = created.json()
    assert (await client.get("/api/v1/keys", headers=bearer(new_key["key"]))).status_code == 200
    revoked = await client.delete(f"/api/v1/keys/{new_key['key_id']}", headers=keys.coordinator)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    refused = await client.get("/api/v1/keys", headers=bearer(new_key["key"]))
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthenticated")
    assert refused.headers["www-authenticate"] == 'Bearer realm="partnerkreis"'
    missing = await client.delete("/api/v1/keys/pkr_00000000", headers=keys.coordinator)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "scope"),
        ({"scope": "admin"}, "scope"),
        ({"scope": "member:nope"}, "scope"),
        ({"scope": "coordinator", "name": 5}, "name"),
        ({"scope": "coordinator", "name": "x" * 81}, "name"),
        ({"scope": "coordinator", "secret": "mine"}, "secret"),
    ],
)
async def test_invalid_key_requests_are_refused_naming_the_field(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    body: dict[str, object],
    field: str,
) -> None:
    keys = await make_keys(storage)
    response = await client.post("/api/v1/keys", headers=keys.coordinator, json=body)
    assert (response.status_code, response.json()["field"]) == (422, field)
    assert len(await storage.list_api_keys()) == 3


async def test_member_keys_cannot_see_or_make_keys(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    assert (await client.get("/api/v1/keys", headers=keys.blumen)).status_code == 403
    escalate = await client.post("/api/v1/keys", headers=keys.blumen, json={"scope": "coordinator"})
    assert escalate.status_code == 403
    key_id = (await storage.list_api_keys())[0].key_id
    assert (await client.delete(f"/api/v1/keys/{key_id}", headers=keys.blumen)).status_code == 403
    assert (await storage.get_api_key(key_id)).revoked_at is None


async def test_an_idempotent_key_creation_keeps_no_secret_and_never_replays_it(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    headers = {**keys.coordinator, "Idempotency-Key": "make-a-key-1"}
    first = await client.post("/api/v1/keys", headers=headers, json={"scope": "coordinator"})
    assert first.status_code == 201
    secret = first.json()["key"].partition(".")[2]
    assert secret
    replay = await client.post("/api/v1/keys", headers=headers, json={"scope": "coordinator"})
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")
    assert replay.json()["key_id"] == first.json()["key_id"]  # the same key, not a second one
    assert replay.json()["key"] is None
    for table in ("idempotency_keys", "api_keys"):
        assert secret not in await table_text(storage, table)


async def table_text(storage: Storage, table: str) -> str:
    """Every stored byte of a table, as text, on either backend."""
    if isinstance(storage, SQLiteStorage):
        conn = sqlite3.connect(storage.path)
        try:
            return repr(conn.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
        finally:
            conn.close()
    import asyncpg

    from widget_server.storage.postgres import PostgresStorage

    assert isinstance(storage, PostgresStorage)
    pg = await asyncpg.connect(storage.url)
    try:
        return repr(await pg.fetch(f"SELECT * FROM {table}"))  # noqa: S608
    finally:
        await pg.close()
