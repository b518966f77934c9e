"""Finding a theme's members by name for the event and offer forms of a large theme
(web/endpoints/participants.py): the coordinator's search, the member's (its own
themes only, itself left out), what counts as a match, the limit, hostile text."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.admin_helpers import make_account, signed_in
from tests.conftest import Clock
from tests.portal_helpers import open_portal
from widget_server.core.signing import Signer
from widget_server.network.services import MemberInput, add_member, add_theme
from widget_server.storage import Storage
from widget_server.web.endpoints import participants

pytestmark = pytest.mark.asyncio

HOSTILE = '<img src=x onerror=alert(1)> "Bäckerei" & Söhne'


@pytest_asyncio.fixture
async def more(network: dict[str, int], storage: Storage) -> None:
    """Beside the wedding theme: a hostile name in it, a paused and a removed member,
    and a theme ``markt`` that the portal's member ``blumen`` is not in."""
    await add_theme(storage, slug="markt", name_de="Markt")
    for slug, name, status, themes in (
        ("boese", HOSTILE, "active", ("hochzeit",)),
        ("pause", "Bäckerei im Urlaub", "paused", ("hochzeit",)),
        ("weg", "Bäckerei gibt es nicht mehr", "active", ("hochzeit",)),
        ("markthalle", "Bäckerei Markthalle", "active", ("markt",)),
    ):
        await add_member(
            storage,
            MemberInput(
                slug=slug,
                name=name,
                website=f"https://{slug}.example/",
                town="Heide",
                themes=themes,
                status=status,  # type: ignore[arg-type]
            ),
        )
    gone = await storage.get_member("weg")
    await storage.set_member_status(gone.id, "removed")


@pytest_asyncio.fixture
async def admin(more: None, storage: Storage, client: httpx.AsyncClient) -> httpx.AsyncClient:
    await make_account(storage)  # type: ignore[arg-type]
    await signed_in(client)
    return client


@pytest_asyncio.fixture
async def member(
    more: None, app: Starlette, storage: Storage, signer: Signer, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """``blumen``'s browser with its portal open."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        await open_portal(client, storage, signer, clock, "blumen")
        yield client


async def found(client: httpx.AsyncClient, path: str, **params: str) -> list[str]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    return [m["slug"] for m in response.json()["members"]]


async def test_a_coordinator_finds_a_themes_members_by_name_or_short_name(
    admin: httpx.AsyncClient,
) -> None:
    path = "/admin/themes/hochzeit/participants"
    # Case and umlauts as typed; the removed member is never found, the paused one is
    # (an event may name it) but not for an offer.  A name beginning with the query
    # comes first ("Bäckerei im Urlaub").
    assert await found(admin, path, q="BÄCKEREI") == ["pause", "boese"]
    assert await found(admin, path, q="bäckerei", active="1") == ["boese"]
    assert await found(admin, path, q="blumen") == ["blumen"]  # its short name
    assert await found(admin, path, q="markthalle") == []  # another theme's
    assert await found(admin, path, q="b") == []  # one letter finds nobody
    answer = (await admin.get(path, params={"q": "söhne"})).json()
    assert answer == {
        "members": [{"slug": "boese", "name": HOSTILE, "town": "Heide"}],
        "more": False,
    }
    # None of these names begins with "en": in German order of the names ("Blumenhaus
    # am Markt", "Brautmoden Carstens", "Küstenküche Boie").
    assert await found(admin, path, q="en") == ["blumen", "brautmoden", "catering"]


async def test_the_answer_is_bounded_and_says_when_more_match(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(participants, "FOUND", 2)
    response = await admin.get("/admin/themes/hochzeit/participants", params={"q": "en"})
    body = response.json()
    assert len(body["members"]) == 2 and body["more"] is True
    long = "x" * 10_000  # cut to 100 characters, not refused
    assert (await admin.get("/admin/themes/hochzeit/participants", params={"q": long})).json() == {
        "members": [],
        "more": False,
    }


async def test_an_unknown_theme_is_a_problem(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/admin/themes/nirgends/participants", params={"q": "ab"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unknown-theme"


async def test_a_member_searches_only_its_own_themes_and_never_finds_itself(
    member: httpx.AsyncClient,
) -> None:
    path = "/portal/themes/hochzeit/participants"
    assert await found(member, path, q="bäckerei") == ["pause", "boese"]
    assert await found(member, path, q="blumen") == []  # itself
    assert await found(member, path, q="boie") == ["catering"]  # "Küstenküche Boie"
    outside = await member.get("/portal/themes/markt/participants", params={"q": "bäckerei"})
    assert outside.status_code == 404  # a theme it is not in is as unknown as none


async def test_without_a_session_nobody_is_found(client: httpx.AsyncClient, more: None) -> None:
    admin = await client.get("/admin/themes/hochzeit/participants", params={"q": "bä"})
    portal = await client.get("/portal/themes/hochzeit/participants", params={"q": "bä"})
    for response in (admin, portal):
        assert response.status_code in (302, 303, 401, 403)
        assert "boese" not in response.text


async def test_the_forms_of_a_large_theme_carry_their_search(
    admin: httpx.AsyncClient, member: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search box is in the page, hidden until the script shows it, with the URL of
    the area's own endpoint (offers: active members only)."""
    from widget_server.web.endpoints import event_pages, offer_forms

    monkeypatch.setattr(event_pages, "PICK_ALL", 1)
    monkeypatch.setattr(offer_forms, "PICK_ALL", 1)
    events = (await admin.get("/admin/events/new")).text
    assert 'data-search="http://testserver/admin/themes/hochzeit/participants"' in events
    assert 'id="p-hochzeit-find"' in events and "participants.js" in events
    offers = (await member.get("/portal/offers")).text
    assert 'data-search="http://testserver/portal/themes/hochzeit/participants?active=1"' in offers
    proposing = (await member.get("/portal/events/new")).text
    assert 'data-search="http://testserver/portal/themes/hochzeit/participants"' in proposing
