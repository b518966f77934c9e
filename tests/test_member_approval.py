"""Approval means approval (issue 16): what waits in the portal waits through the API too.

A member key proposes; a coordinator approves.  Website, domains, category,
town and postal code always wait, whatever the themes say; a removed member's
key does nothing, and removing a member ends its keys, sessions and links at once.
"""

from __future__ import annotations

import httpx
import pytest

from tests.api_auth import bearer, make_keys
from tests.conftest import Clock
from tests.portal_helpers import link_path, open_portal, portal_post
from widget_server.core.signing import Signer
from widget_server.network import profile_changes
from widget_server.network.keys import create_key
from widget_server.network.portal_links import read_portal_claim
from widget_server.network.rules import set_rules
from widget_server.network.services import change_member_status
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio
MEMBER = "/api/v1/members/blumen"


@pytest.mark.parametrize(
    ("body", "field", "stored"),
    [
        ({"website": "https://phishing.example/"}, "website", "https://phishing.example/"),
        ({"domains": ["phishing.example"]}, "domains", "phishing.example"),
        ({"category": "fotografie"}, "category", "fotografie"),
        ({"town": "Anderswo"}, "town", "Anderswo"),
        ({"postal_code": "99999"}, "postal_code", "99999"),
    ],
)
async def test_a_member_key_only_proposes_what_steers_links_and_rules(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    body: dict[str, object],
    field: str,
    stored: str,
) -> None:
    keys = await make_keys(storage)
    before = await storage.get_member("blumen")
    response = await client.patch(MEMBER, headers=keys.blumen, json=body)
    assert response.status_code == 202, response.text
    assert response.json()["pending_change"]["changes"][field] == body[field]
    assert await storage.get_member("blumen") == before  # nothing shows yet
    change = await profile_changes.pending_change(storage, before)
    assert change is not None and change.changes == {field: stored}
    _, after, _ = await profile_changes.approve(storage, "blumen", change.revision)
    value = after.domains if field == "domains" else getattr(after, field)
    assert stored in value


async def test_partner_links_keep_their_address_until_a_coordinator_approves(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {"website": "https://phishing.example/"}
    assert (await client.patch(MEMBER, headers=keys.blumen, json=body)).status_code == 202
    seen = await client.get(MEMBER, headers=keys.coordinator)
    assert seen.json()["website"] == "https://blumen.example/"
    assert "phishing.example" not in seen.json()["domains"]


async def test_a_coordinator_key_changes_the_website_at_once(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {"website": "https://neu.example/"}
    response = await client.patch(MEMBER, headers=keys.coordinator, json=body)
    assert response.status_code == 200
    assert (await storage.get_member("blumen")).website == "https://neu.example/"


async def test_with_approval_a_member_keys_name_change_waits_like_the_portals(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    await set_rules(storage, "hochzeit", {"portal": {"approve_profile_changes": True}}, "test")
    keys = await make_keys(storage)
    response = await client.patch(MEMBER, headers=keys.blumen, json={"name": "Anders"})
    assert response.status_code == 202
    assert (await storage.get_member("blumen")).name == "Blumenhaus am Markt"


async def test_without_approval_a_member_keys_description_shows_at_once(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    body = {"description": "Frische Blumen"}
    response = await client.patch(MEMBER, headers=keys.blumen, json=body)
    assert response.status_code == 200
    assert (await storage.get_member("blumen")).description == "Frische Blumen"


async def test_a_new_website_waits_in_the_portal_whatever_the_theme_says(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    await open_portal(client, storage, signer, clock)
    before = await storage.get_member("blumen")
    form = {"name": "Blumen Neu", "website": "https://phishing.example/", "description": ""}
    response = await portal_post(client, "/portal/profile", form)
    assert response.status_code == 303
    after = await storage.get_member("blumen")
    assert after.name == "Blumen Neu"  # shows at once: no theme asks for approval
    assert after.website == before.website  # waits for a coordinator
    change = await profile_changes.pending_change(storage, after)
    assert change is not None and dict(change.changes) == {"website": form["website"]}


async def test_a_removed_members_key_can_do_nothing(
    network: dict[str, int], storage: Storage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    await change_member_status(storage, "blumen", "removed")
    # Even a key made after the removal (or one that escaped it) is refused.
    _, late = await create_key(storage, "member:blumen", "late")
    for headers in (keys.blumen, bearer(late)):
        edit = await client.patch(MEMBER, headers=headers, json={"description": "x"})
        code = await client.post(
            f"{MEMBER}/placements", headers=headers, json={"theme": "hochzeit"}
        )
        block = await client.get("/api/v1/blocks/hochzeit/blumen", headers=headers)
        assert {edit.status_code, code.status_code, block.status_code} <= {401, 403}
    assert (await storage.get_member("blumen")).description != "x"


async def test_removing_a_member_ends_its_keys_sessions_and_links_at_once(
    network: dict[str, int],
    storage: Storage,
    client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    key, _ = await create_key(storage, "member:blumen", "cms")
    unused = await link_path(storage, signer, clock, "blumen")
    await open_portal(client, storage, signer, clock)
    member = await storage.get_member("blumen")
    await change_member_status(storage, "blumen", "removed")
    assert (await storage.get_api_key(key.key_id)).revoked_at is not None
    token = unused.rsplit("/", 1)[1]
    claim = read_portal_claim(signer, token, clock())
    assert not await storage.portal_link_active(claim.link_id, member.id, clock())
    # Even were the member taken back, the old link and session would not open its portal.
    await storage.set_member_status(member.id, "active")
    assert (await client.get("/portal/")).status_code == 403
    assert (await client.get(unused)).status_code == 400
