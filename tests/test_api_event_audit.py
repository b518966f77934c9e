"""Every write on events through the REST API is in the audit log, as in the admin and portal."""

from __future__ import annotations

import httpx
import pytest

from tests.api_auth import make_keys
from tests.test_api_events import FAIR
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio


async def test_each_api_write_on_events_is_audited(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    coordinator_key = keys.coordinator["Authorization"].split(" ")[1].split(".")[0]
    # A member proposes, changes its proposal; a coordinator publishes, cancels, restores.
    proposed = (
        await client.post("/api/v1/events", headers=keys.blumen, json={**FAIR, "participants": []})
    ).json()
    path = f"/api/v1/events/{proposed['slug']}"
    renamed = await client.patch(
        path, headers=keys.blumen, json={"title": "Messe <b>2027</b>", "sequence": 0}
    )
    assert renamed.status_code == 200
    unchanged = await client.patch(path, headers=keys.blumen, json={"sequence": 1})
    assert unchanged.status_code == 200  # no change: no entry
    for status, sequence in (("published", 1), ("cancelled", 2), ("published", 3)):
        put = await client.put(
            f"{path}/status",
            headers=keys.coordinator,
            json={"status": status, "sequence": sequence},
        )
        assert put.status_code == 200, put.text
    # A coordinator's own event, then deleted after its cancellation.
    own = (await client.post("/api/v1/events", headers=keys.coordinator, json=FAIR)).json()
    own_path = f"/api/v1/events/{own['slug']}"
    await client.put(
        f"{own_path}/status", headers=keys.coordinator, json={"status": "cancelled", "sequence": 0}
    )
    assert (await client.delete(own_path, headers=keys.coordinator)).status_code == 200
    # A second proposal, withdrawn by its member; a refused write leaves no entry.
    second = (
        await client.post(
            "/api/v1/events",
            headers=keys.blumen,
            json={**FAIR, "title": "Vortrag", "participants": []},
        )
    ).json()
    refused = await client.patch(
        f"/api/v1/events/{second['slug']}", headers=keys.blumen, json={"town": "", "sequence": 0}
    )
    assert refused.status_code == 422
    withdrawn = await client.delete(f"/api/v1/events/{second['slug']}", headers=keys.blumen)
    assert withdrawn.status_code == 200

    entries = [
        (e.actor, e.action, e.subject, e.detail)
        for e in reversed(await storage.list_audit_entries())
        if e.subject.startswith("event:")
    ]
    key = f"key:{coordinator_key}"
    fair, talk, own_subject = (
        f"event:{proposed['slug']}",
        f"event:{second['slug']}",
        f"event:{own['slug']}",
    )
    assert entries == [
        ("member:blumen", "event.propose", fair, "Hochzeitsmesse"),
        ("member:blumen", "event.edit", fair, "Hochzeitsmesse → Messe <b>2027</b>"),
        (key, "event.publish", fair, "Messe <b>2027</b>"),
        (key, "event.cancel", fair, "Messe <b>2027</b>"),
        (key, "event.restore", fair, "Messe <b>2027</b>"),
        (key, "event.create", own_subject, "Hochzeitsmesse"),
        (key, "event.cancel", own_subject, "Hochzeitsmesse"),
        (key, "event.delete", own_subject, "Hochzeitsmesse"),
        ("member:blumen", "event.propose", talk, "Vortrag"),
        ("member:blumen", "event.withdraw", talk, "Vortrag"),
    ]


async def test_a_declined_proposal_is_audited(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {**FAIR, "participants": []}
    proposed = (await client.post("/api/v1/events", headers=keys.blumen, json=body)).json()
    declined = await client.put(
        f"/api/v1/events/{proposed['slug']}/status",
        headers=keys.coordinator,
        json={"status": "declined", "sequence": 0},
    )
    assert declined.status_code == 200
    (entry, *_) = await storage.list_audit_entries(subject=f"event:{proposed['slug']}")
    assert (entry.action, entry.actor.startswith("key:pkr_")) == ("event.decline", True)
