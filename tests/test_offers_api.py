"""Joint offers in the REST API: scopes, the flow, problems naming the field."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio

from tests.api_auth import Keys, bearer, make_keys
from widget_server.network.keys import create_key
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio

BODY = {
    "theme": "hochzeit",
    "title": "Hochzeitspaket",
    "price_text": "zusammen 10 % günstiger",
    "text": "Kleid und Blumen",
    "valid_from": "2027-01-10",
    "valid_until": "2027-03-31",
    "participants": ["catering"],
}


@pytest_asyncio.fixture
async def keys(network: dict[str, int], storage: Storage) -> Keys:
    return await make_keys(storage)


async def test_member_key_proposes_other_confirms_then_live(
    keys: Keys, client: httpx.AsyncClient, storage: Storage
) -> None:
    created = await client.post("/api/v1/offers", json=BODY, headers=keys.blumen)
    assert created.status_code == 201, created.text
    offer = created.json()
    assert created.headers["location"] == f"/api/v1/offers/{offer['slug']}"
    sent = {k: v for k, v in BODY.items() if k != "participants"}
    assert {k: offer[k] for k in sent} == sent
    assert offer["proposer"] == "blumen"
    assert offer["participants"] == [
        {"member": "blumen", "confirmed": True},
        {"member": "catering", "confirmed": False},
    ]
    assert (offer["status"], offer["state"], offer["page_url"]) == ("proposed", "waiting", None)

    _, catering_key = await create_key(storage, "member:catering", "cms")
    catering = bearer(catering_key)
    path = f"/api/v1/offers/{offer['slug']}"
    confirmed = await client.put(f"{path}/confirmation", headers=catering)
    assert confirmed.status_code == 200
    assert (confirmed.json()["state"], confirmed.json()["page_url"]) == (
        "live",
        f"/o/{offer['slug']}",
    )
    assert (await client.get(f"/o/{offer['slug']}")).status_code == 200
    withdrawn = await client.delete(f"{path}/confirmation", headers=catering)
    assert withdrawn.json()["state"] == "waiting"
    assert (await client.get(f"/o/{offer['slug']}")).status_code == 404
    entries = await storage.list_audit_entries(subject=f"offer:{offer['slug']}")
    assert [(e.actor, e.action) for e in entries] == [
        ("member:catering", "offer.withdraw"),
        ("member:catering", "offer.confirm"),
        ("member:blumen", "offer.propose"),
    ]


async def test_scopes(keys: Keys, client: httpx.AsyncClient) -> None:
    offer = (await client.post("/api/v1/offers", json=BODY, headers=keys.blumen)).json()
    path = f"/api/v1/offers/{offer['slug']}"
    assert (await client.get(path)).status_code == 401
    # Another member's key: refused alike for an offer it takes no part in and for
    # one that does not exist, so it cannot learn which offers exist.
    assert (await client.get(path, headers=keys.fotos)).status_code == 403
    assert (await client.get(f"{path}-x", headers=keys.fotos)).status_code == 403
    assert (await client.put(f"{path}/confirmation", headers=keys.fotos)).status_code == 403
    assert (await client.get(f"{path}-x", headers=keys.coordinator)).status_code == 404
    assert (await client.get("/api/v1/offers", headers=keys.fotos)).json()["data"] == []
    listed = await client.get("/api/v1/offers", headers=keys.blumen)
    assert [o["slug"] for o in listed.json()["data"]] == [offer["slug"]]
    # Decisions are the coordinators'; confirmations the members' own.
    decided = await client.post(
        f"{path}/decision", json={"decision": "approve"}, headers=keys.blumen
    )
    assert decided.status_code == 403
    # A coordinator key confirms on a participant's behalf, naming it.
    unnamed = await client.put(f"{path}/confirmation", headers=keys.coordinator)
    assert unnamed.status_code == 422 and unnamed.json()["field"] == "member"
    for_catering = await client.put(
        f"{path}/confirmation", params={"member": "catering"}, headers=keys.coordinator
    )
    assert for_catering.json()["participants"][1] == {"member": "catering", "confirmed": True}
    outsider = await client.put(
        f"{path}/confirmation", params={"member": "fotos"}, headers=keys.coordinator
    )
    assert outsider.status_code == 404  # fotos takes no part in it
    foreign_member = await client.put(
        f"{path}/confirmation", params={"member": "catering"}, headers=keys.blumen
    )
    assert foreign_member.status_code == 403
    # A member key proposes for its own member only.
    foreign = await client.post(
        "/api/v1/offers", json={**BODY, "proposer": "catering"}, headers=keys.blumen
    )
    assert foreign.status_code == 403


async def test_coordinator_proposes_for_a_member_and_decides(
    keys: Keys, client: httpx.AsyncClient
) -> None:
    missing = await client.post("/api/v1/offers", json=BODY, headers=keys.coordinator)
    assert missing.status_code == 422 and missing.json()["field"] == "proposer"
    body = {**BODY, "proposer": "brautmoden", "participants": ["blumen", "catering"]}
    created = await client.post("/api/v1/offers", json=body, headers=keys.coordinator)
    assert created.status_code == 201
    slug = created.json()["slug"]
    listed = await client.get(
        "/api/v1/offers", params={"status": "proposed"}, headers=keys.coordinator
    )
    assert [o["slug"] for o in listed.json()["data"]] == [slug]
    declined = await client.post(
        f"/api/v1/offers/{slug}/decision", json={"decision": "decline"}, headers=keys.coordinator
    )
    assert (declined.status_code, declined.json()["state"]) == (200, "declined")
    again = await client.post(
        f"/api/v1/offers/{slug}/decision", json={"decision": "approve"}, headers=keys.coordinator
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"participants": []}, "participants"),
        ({"participants": ["fotos", "niemand"]}, "participants"),
        ({"valid_until": "2027-01-01"}, "valid_until"),
        ({"valid_from": "10.01.2027"}, "valid_from"),
        ({"title": "\u0000"}, "title"),
        ({"theme": "nirgends"}, "theme"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field(
    keys: Keys, client: httpx.AsyncClient, storage: Storage, changes: dict[str, object], field: str
) -> None:
    answer = await client.post("/api/v1/offers", json={**BODY, **changes}, headers=keys.blumen)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field
    assert await storage.list_offers() == []
