"""Members and memberships over the REST API, and what a member key may do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.api_auth import make_keys
from tests.conftest import Clock, reopened
from tests.storage_calls import record_calls, whole_table
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network.services import add_theme
from widget_server.storage import SQLiteStorage
from widget_server.web.app import create_app

pytestmark = pytest.mark.asyncio

NEW_MEMBER = {
    "slug": "torten",
    "name": "Tortenatelier Sievers",
    "website": "https://www.torten.example/",
    "category": "confectioner",
    "town": "Heide",
    "postal_code": "25746",
    "description": "Hochzeitstorten",
    "domains": ["torten-shop.example"],
    "themes": ["hochzeit"],
}


@pytest_asyncio.fixture
async def open_client(
    settings: Settings, storage: SQLiteStorage, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that registers members as active (WIDGET_NEW_MEMBERS=active)."""
    app: Starlette = create_app(
        settings.with_changes(new_members="active"),
        storage=reopened(storage),
        clock=clock,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_registration_makes_a_pending_member_by_default(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    response = await client.post("/api/v1/members", headers=keys.coordinator, json=NEW_MEMBER)
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/members/torten"
    member = response.json()
    assert member == {
        "slug": "torten",
        "name": "Tortenatelier Sievers",
        "website": "https://www.torten.example/",
        "domains": ["torten-shop.example", "torten.example", "www.torten.example"],
        "description": "Hochzeitstorten",
        "category": "confectioner",
        "category_label": "Konditorei",
        "town": "Heide",
        "postal_code": "25746",
        "status": "pending",
        "logo_url": None,
        "themes": [{"theme": "hochzeit", "status": "active"}],
    }
    approved = await client.post("/api/v1/members/torten/activate", headers=keys.coordinator)
    assert approved.status_code == 200
    assert approved.json()["status"] == "active"


async def test_registration_makes_an_active_member_when_the_network_says_so(
    network: dict[str, int], storage: SQLiteStorage, open_client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    response = await open_client.post("/api/v1/members", headers=keys.coordinator, json=NEW_MEMBER)
    assert response.status_code == 201
    assert response.json()["status"] == "active"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slug": "Torten"}, "slug"),
        ({"slug": "torten\n"}, "slug"),  # "$" of a regex would let the newline pass
        ({"category": "cakes\n"}, "category"),
        ({"website": "ftp://torten.example"}, "website"),
        ({"website": None}, "website"),
        ({"name": ["Torten"]}, "name"),
        ({"category": "Kuchen & Co"}, "category"),
        ({"postal_code": "<b>"}, "postal_code"),
        ({"themes": ["nope"]}, "themes"),
        ({"themes": "hochzeit"}, "themes"),
        ({"themes": [1]}, "themes[0]"),
        ({"domains": ["not a domain"]}, "domains"),
        ({"status": "active"}, "status"),  # the network decides, not the caller
        ({"id": 7}, "id"),
    ],
)
async def test_invalid_registration_is_refused_naming_the_field(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    changes: dict[str, Any],
    field: str,
) -> None:
    keys = await make_keys(storage)
    body = {**NEW_MEMBER, **changes}
    response = await client.post("/api/v1/members", headers=keys.coordinator, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert len(await storage.list_members()) == 5


async def test_missing_required_fields_and_taken_slugs(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    missing = await client.post(
        "/api/v1/members", headers=keys.coordinator, json={"slug": "x", "name": "X"}
    )
    assert (missing.status_code, missing.json()["field"]) == (422, "website")
    taken = await client.post(
        "/api/v1/members", headers=keys.coordinator, json={**NEW_MEMBER, "slug": "blumen"}
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "conflict")


async def test_list_filters_by_status_and_theme(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    await client.post("/api/v1/members/fotos/pause", headers=keys.coordinator)
    everyone = await client.get("/api/v1/members", headers=keys.coordinator)
    assert [m["slug"] for m in everyone.json()["data"]] == [
        "blumen",
        "brautmoden",
        "catering",
        "fotos",
        "scheune",
    ]
    paused = await client.get("/api/v1/members?status=paused", headers=keys.coordinator)
    assert [m["slug"] for m in paused.json()["data"]] == ["fotos"]
    in_theme = await client.get("/api/v1/members?theme=hochzeit&limit=2", headers=keys.coordinator)
    assert len(in_theme.json()["data"]) == 2
    bad_status = await client.get("/api/v1/members?status=gone", headers=keys.coordinator)
    assert (bad_status.status_code, bad_status.json()["field"]) == (422, "status")
    bad_theme = await client.get("/api/v1/members?theme=nope", headers=keys.coordinator)
    assert (bad_theme.status_code, bad_theme.json()["field"]) == (422, "theme")


async def test_a_page_of_the_list_reads_only_its_members_memberships(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every page read every membership of the network: 1.3-1.8 s a page of 100 at
    # 100,000 members (200,000 memberships), so listing them all took half an hour.
    keys = await make_keys(storage)
    stadt = (await add_theme(storage, slug="stadt", name_de="Stadt")).id
    blumen = (await storage.get_member("blumen")).id
    await storage.set_membership(blumen, stadt, "active")
    before = (await client.get("/api/v1/members", headers=keys.coordinator)).json()["data"]
    whole = record_calls(monkeypatch, storage, ("list_memberships",), whole_table)
    pages, cursor = [], ""
    while True:
        answer = await client.get(f"/api/v1/members?limit=2{cursor}", headers=keys.coordinator)
        pages += answer.json()["data"]
        if answer.json()["next_cursor"] is None:
            break
        cursor = "&cursor=" + answer.json()["next_cursor"]
    assert pages == before and whole == []
    [flowers] = [m for m in pages if m["slug"] == "blumen"]
    assert flowers["themes"] == [
        {"theme": "hochzeit", "status": "active"},
        {"theme": "stadt", "status": "active"},
    ]


async def test_a_member_key_lists_only_itself_on_any_page(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    response = await client.get("/api/v1/members?limit=1", headers=keys.fotos)
    assert [m["slug"] for m in response.json()["data"]] == ["fotos"]
    assert response.json()["next_cursor"] is None
    paused_only = await client.get("/api/v1/members?status=paused", headers=keys.fotos)
    assert paused_only.json()["data"] == []


async def test_a_member_reads_and_changes_its_own_profile_only(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    own = await client.get("/api/v1/members/blumen", headers=keys.blumen)
    assert own.status_code == 200
    assert own.json()["themes"] == [{"theme": "hochzeit", "status": "active"}]
    changed = await client.patch(
        "/api/v1/members/blumen",
        headers=keys.blumen,
        json={"name": "Blumenhaus  Carstens", "website": "https://blumen-heide.example/shop"},
    )
    # The name shows at once (no theme asks for approval); the website waits (docs/api.md).
    assert changed.status_code == 202
    data = changed.json()["member"]
    assert data["name"] == "Blumenhaus Carstens"
    assert data["website"] == "https://blumen.example/"
    assert data["status"] == "active"
    waiting = changed.json()["pending_change"]["changes"]
    assert waiting == {"website": "https://blumen-heide.example/shop"}
    other = await client.patch("/api/v1/members/fotos", headers=keys.blumen, json={"name": "x"})
    assert (other.status_code, other.json()["code"]) == (403, "forbidden")
    refused = await client.patch(
        "/api/v1/members/blumen", headers=keys.blumen, json={"status": "active"}
    )
    assert (refused.status_code, refused.json()["field"]) == (422, "status")


async def test_patching_the_website_keeps_extra_domains_unless_replaced(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    url = "/api/v1/members/blumen"
    with_extra = await client.patch(
        url, headers=keys.coordinator, json={"domains": ["shop.example"]}
    )
    assert "shop.example" in with_extra.json()["domains"]
    moved = await client.patch(
        url, headers=keys.coordinator, json={"website": "https://neu.example"}
    )
    assert moved.json()["domains"] == ["neu.example", "shop.example", "www.neu.example"]
    replaced = await client.patch(url, headers=keys.coordinator, json={"domains": []})
    assert replaced.json()["domains"] == ["neu.example", "www.neu.example"]


async def test_pause_activate_and_remove_follow_the_rules_of_status(
    network: dict[str, int],
    storage: SQLiteStorage,
    client: httpx.AsyncClient,
    signer: Signer,
) -> None:
    keys = await make_keys(storage)
    token = signer.embed_token(network["fotos"])
    paused = await client.post("/api/v1/members/blumen/pause", headers=keys.blumen)
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    # The widget sees the change at once: blumen is shown nowhere.
    for _ in range(5):
        names = [p["name"] for p in (await client.get(f"/w/{token}")).json()["partners"]]
        assert "Blumenhaus am Markt" not in names
    again = await client.post("/api/v1/members/blumen/pause", headers=keys.blumen)
    assert again.status_code == 200
    self_activate = await client.post("/api/v1/members/blumen/activate", headers=keys.blumen)
    assert self_activate.status_code == 403
    active = await client.post("/api/v1/members/blumen/activate", headers=keys.coordinator)
    assert active.json()["status"] == "active"
    removed = await client.delete("/api/v1/members/blumen", headers=keys.coordinator)
    assert (removed.status_code, removed.json()["status"]) == (200, "removed")
    assert (
        await client.delete("/api/v1/members/blumen", headers=keys.coordinator)
    ).status_code == 200
    stuck = await client.post("/api/v1/members/blumen/activate", headers=keys.coordinator)
    assert (stuck.status_code, stuck.json()["code"]) == (409, "conflict")
    gone = await client.get(f"/w/{signer.embed_token(network['blumen'])}")
    assert gone.status_code == 404  # a removed member's blocks stop
    missing = await client.delete("/api/v1/members/nope", headers=keys.coordinator)
    assert missing.status_code == 404


async def test_a_pending_member_cannot_pause_itself(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    await client.post("/api/v1/members", headers=keys.coordinator, json=NEW_MEMBER)
    response = await client.post("/api/v1/members/torten/pause", headers=keys.coordinator)
    assert (response.status_code, response.json()["code"]) == (409, "conflict")


async def test_memberships_members_pause_and_leave_coordinators_also_join(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    await client.post(
        "/api/v1/themes", headers=keys.coordinator, json={"slug": "heide", "name_de": "Heide"}
    )
    url = "/api/v1/members/blumen/memberships"
    listed = await client.get(url, headers=keys.blumen)
    assert listed.json() == {
        "data": [{"theme": "hochzeit", "status": "active"}],
        "next_cursor": None,
    }

    paused = await client.put(f"{url}/hochzeit", headers=keys.blumen, json={"status": "paused"})
    assert paused.json() == {"theme": "hochzeit", "status": "paused"}
    resume = await client.put(f"{url}/hochzeit", headers=keys.blumen, json={"status": "active"})
    assert (resume.status_code, resume.json()["code"]) == (403, "forbidden")
    join = await client.put(f"{url}/heide", headers=keys.blumen, json={"status": "paused"})
    assert join.status_code == 404  # a member cannot put itself into a theme
    joined = await client.put(f"{url}/heide", headers=keys.coordinator, json={"status": "active"})
    assert joined.json() == {"theme": "heide", "status": "active"}
    left = await client.put(f"{url}/heide", headers=keys.blumen, json={"status": "left"})
    assert left.json() == {"theme": "heide", "status": "left"}
    back = await client.put(f"{url}/heide", headers=keys.blumen, json={"status": "paused"})
    assert (back.status_code, back.json()["code"]) == (409, "conflict")

    listed = await client.get(url, headers=keys.coordinator)
    assert listed.json()["data"] == [
        {"theme": "heide", "status": "left"},
        {"theme": "hochzeit", "status": "paused"},
    ]
    bad = await client.put(f"{url}/hochzeit", headers=keys.coordinator, json={"status": "gone"})
    assert (bad.status_code, bad.json()["field"]) == (422, "status")
    nope = await client.put(f"{url}/nope", headers=keys.coordinator, json={"status": "active"})
    assert nope.status_code == 404
    other = await client.get("/api/v1/members/fotos/memberships", headers=keys.blumen)
    assert other.status_code == 403


async def test_a_member_key_never_learns_whether_another_member_exists(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> None:
    keys = await make_keys(storage)
    for slug in ("fotos", "does-not-exist"):
        response = await client.get(f"/api/v1/members/{slug}", headers=keys.blumen)
        assert response.status_code == 403
    assert (
        await client.get("/api/v1/members/does-not-exist", headers=keys.coordinator)
    ).status_code == 404
