"""Changing a joint offer through the REST API: PATCH with the revision, the image, the end."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio

from tests.api_auth import Keys, bearer, make_keys
from tests.images import image, pixels
from tests.test_offers_api import BODY
from widget_server.network.keys import create_key
from widget_server.network.logos import MAX_BYTES
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def keys(network: dict[str, int], storage: Storage) -> Keys:
    return await make_keys(storage)


async def live(client: httpx.AsyncClient, keys: Keys, storage: Storage) -> dict[str, object]:
    """blumen's offer with catering, confirmed by catering: live."""
    offer = (await client.post("/api/v1/offers", json=BODY, headers=keys.blumen)).json()
    _, catering = await create_key(storage, "member:catering", "cms")
    confirmed = await client.put(
        f"/api/v1/offers/{offer['slug']}/confirmation", headers=bearer(catering)
    )
    assert confirmed.json()["state"] == "live"
    return dict(confirmed.json())


async def test_patch_with_the_revision_and_what_it_resets(
    keys: Keys, client: httpx.AsyncClient, storage: Storage
) -> None:
    offer = await live(client, keys, storage)
    assert offer["revision"] == 0
    path = f"/api/v1/offers/{offer['slug']}"
    titled = await client.patch(
        path, json={"title": "Das Paket", "revision": 0}, headers=keys.blumen
    )
    assert titled.status_code == 200, titled.text
    assert (titled.json()["title"], titled.json()["revision"], titled.json()["state"]) == (
        "Das Paket",
        1,
        "live",  # a new title alone keeps every confirmation
    )
    stale = await client.patch(
        path, json={"price_text": "gratis", "revision": 0}, headers=keys.blumen
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    priced = await client.patch(
        path, json={"price_text": "zusammen 15 %", "revision": 1}, headers=keys.blumen
    )
    body = priced.json()
    assert (body["price_text"], body["revision"], body["state"], body["page_url"]) == (
        "zusammen 15 %",
        2,
        "waiting",
        None,
    )
    assert body["participants"] == [
        {"member": "blumen", "confirmed": True},
        {"member": "catering", "confirmed": False},
    ]
    entries = await storage.list_audit_entries(subject=f"offer:{offer['slug']}")
    assert [(e.actor, e.action) for e in entries[:2]] == [
        ("member:blumen", "offer.edit"),
        ("member:blumen", "offer.edit"),
    ]
    assert entries[0].detail.endswith("confirmations asked for again")
    # A confirmation naming an old revision is refused; the current one goes through.
    _, catering = await create_key(storage, "member:catering", "cms 2")
    old = await client.put(
        f"{path}/confirmation", params={"revision": "1"}, headers=bearer(catering)
    )
    assert old.status_code == 409
    now = await client.put(
        f"{path}/confirmation", params={"revision": "2"}, headers=bearer(catering)
    )
    assert now.json()["state"] == "live"


async def test_who_may_patch(keys: Keys, client: httpx.AsyncClient, storage: Storage) -> None:
    offer = await live(client, keys, storage)
    path = f"/api/v1/offers/{offer['slug']}"
    _, catering = await create_key(storage, "member:catering", "cms")
    change = {"text": "Anders.", "revision": 0}
    assert (await client.patch(path, json=change, headers=bearer(catering))).status_code == 403
    assert (await client.patch(path, json=change, headers=keys.fotos)).status_code == 403
    assert (await client.patch(path, json=change)).status_code == 401
    by_coordinator = await client.patch(path, json=change, headers=keys.coordinator)
    assert by_coordinator.status_code == 200
    assert [p["confirmed"] for p in by_coordinator.json()["participants"]] == [False, False]
    (entry, *_) = await storage.list_audit_entries(subject=f"offer:{offer['slug']}")
    assert entry.actor.startswith("key:pkr_") and entry.action == "offer.edit"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"valid_until": "2027-01-01"}, "valid_until"),
        ({"participants": ["niemand"]}, "participants"),
        ({"theme": "hochzeit"}, "theme"),  # an offer stays in its theme
        ({}, "revision"),
    ],
)
async def test_a_bad_patch_names_the_field(
    keys: Keys, client: httpx.AsyncClient, storage: Storage, change: dict[str, object], field: str
) -> None:
    offer = await live(client, keys, storage)
    body = {"revision": 0, **change} if field != "revision" else change
    answer = await client.patch(f"/api/v1/offers/{offer['slug']}", json=body, headers=keys.blumen)
    assert answer.status_code == 422 and answer.json()["field"] == field
    assert (
        await client.get(f"/api/v1/offers/{offer['slug']}", headers=keys.blumen)
    ).json() == offer


async def test_the_image_is_uploaded_checked_and_served(
    keys: Keys, client: httpx.AsyncClient, storage: Storage
) -> None:
    offer = await live(client, keys, storage)
    path = f"/api/v1/offers/{offer['slug']}/image"
    sent = image(64, 48, "JPEG")
    put = await client.put(
        path,
        params={"revision": "0"},
        content=sent + b"<script>alert(1)</script>",  # trailing bytes: gone after re-encoding
        headers={**keys.blumen, "Content-Type": "image/jpeg"},
    )
    assert put.status_code == 200, put.text
    assert put.json()["state"] == "live"  # an image is no material change
    url = put.json()["image_url"]
    served = await client.get(url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert b"<script>" not in served.content
    assert pixels(served.content)[:2] == ("JPEG", (64, 48))
    assert served.headers["x-content-type-options"] == "nosniff"
    (entry, *_) = await storage.list_audit_entries(subject=f"offer:{offer['slug']}")
    assert (entry.action, entry.detail) == ("offer.image", "image: new")

    for data, status, field in (
        (b"<svg onload=alert(1)></svg>", 422, "image"),
        (b"", 422, "image"),
        (image(8, 8), 422, "image"),  # smaller than a logo may be
        (b"\x89PNG" + b"0" * MAX_BYTES, 413, None),
    ):
        bad = await client.put(path, params={"revision": "1"}, content=data, headers=keys.blumen)
        assert bad.status_code == status
        if field:
            assert bad.json()["field"] == field
    stale = await client.put(
        path, params={"revision": "0"}, content=image(40, 40), headers=keys.blumen
    )
    assert stale.status_code == 409
    wrong = await client.put(
        path, params={"revision": "x"}, content=image(40, 40), headers=keys.blumen
    )
    assert wrong.json()["field"] == "revision"
    _, catering = await create_key(storage, "member:catering", "cms")
    foreign = await client.put(
        path, params={"revision": "1"}, content=image(40, 40), headers=bearer(catering)
    )
    assert foreign.status_code == 403
    removed = await client.delete(path, params={"revision": "1"}, headers=keys.coordinator)
    assert removed.status_code == 200 and removed.json()["image_url"] is None
    assert (await client.get(url)).status_code == 404


async def test_the_proposer_ends_its_offer_with_its_key(
    keys: Keys, client: httpx.AsyncClient, storage: Storage
) -> None:
    offer = await live(client, keys, storage)
    path = f"/api/v1/offers/{offer['slug']}/decision"
    _, catering = await create_key(storage, "member:catering", "cms")
    refused = await client.post(path, json={"decision": "remove"}, headers=bearer(catering))
    assert refused.status_code == 403
    approve = await client.post(path, json={"decision": "approve"}, headers=keys.blumen)
    assert approve.status_code == 403
    ended = await client.post(path, json={"decision": "remove"}, headers=keys.blumen)
    assert (ended.status_code, ended.json()["state"]) == (200, "removed")
    assert (await client.get(f"/o/{offer['slug']}")).status_code == 404
    (entry, *_) = await storage.list_audit_entries(subject=f"offer:{offer['slug']}")
    assert (entry.actor, entry.action) == ("member:blumen", "offer.end")
