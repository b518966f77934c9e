"""The block's joint slot over HTTP: asked for or not, JSON and iframe page, counting, ledger."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.conftest import Clock, reopened
from tests.counting_helpers import HOST_PAGE, beacon, exchanged
from tests.test_ledger import assert_same_as_scratch
from tests.test_widget_http import CountingStorage
from widget_server.core.errors import ValidationError
from widget_server.core.models import Event, Offer, OfferParticipant
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network.services import check_placement_options, placement_for
from widget_server.rotation.fairness import exposure
from widget_server.storage import Storage
from widget_server.web.app import create_app

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def app(settings: Settings, storage: Storage, clock: Clock) -> AsyncIterator[Starlette]:
    """The app with its background writers quiet: only the test's own flushes write, so a
    flush running in the background never holds counts the test is about to read."""
    quiet = settings.with_changes(flush_interval=60, ledger_interval=3600)
    application = create_app(quiet, storage=reopened(storage), clock=clock)
    async with application.router.lifespan_context(application):
        yield application


HOSTILE = '<img src=x onerror="alert(1)">Paket</script>'
PACKAGE = ("catering", "brautmoden")  # the members of the offer most tests make


async def make_offer(storage: Storage, slugs: tuple[str, ...], **kw: Any) -> Offer:
    """An active offer of the wedding theme, confirmed by the members ``slugs``."""
    theme = await storage.get_theme("hochzeit")
    ids = [(await storage.get_member(s)).id for s in slugs]
    fields: dict[str, Any] = {
        "id": 0,
        "slug": "hochzeitspaket",
        "theme_id": theme.id,
        "proposer_id": ids[0],
        "title": "Hochzeitspaket",
        "text": "Kleid, Blumen und Torte.",
        "price_text": "zusammen 10 % günstiger",
        "valid_from": date(2027, 1, 1),
        "valid_until": date(2027, 2, 28),
        "participants": tuple(OfferParticipant(i, confirmed=True) for i in ids),
        **kw,
    }
    offer = await storage.create_offer(Offer(**fields))
    assert offer.status == "active"
    return offer


async def make_event(storage: Storage, slugs: tuple[str, ...], **kw: Any) -> Event:
    """A published event of the wedding theme, on 6 March 2027, with ``slugs`` taking part."""
    theme = await storage.get_theme("hochzeit")
    ids = tuple([(await storage.get_member(s)).id for s in slugs])
    start = datetime(2027, 3, 6, 9, tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": 0,
        "slug": "hochzeitsmesse",
        "theme_id": theme.id,
        "title": "Hochzeitsmesse",
        "description": "Alle Partner an einem Ort.",
        "starts_at": start,
        "ends_at": start + timedelta(hours=8),
        "town": "Heide",
        "participants": ids,
        **kw,
    }
    return await storage.create_event(Event(**fields))


async def board_read(app: Starlette) -> None:
    """What the joint reader does every 30 s, now (the test does not wait for it)."""
    runtime = app.state.runtime
    await runtime.joint.load(runtime.storage, runtime.clock())


async def get_block(client: httpx.AsyncClient, token: str, **params: str) -> httpx.Response:
    response = await client.get(f"/w/{token}", params=params)
    assert response.status_code == 200, response.text
    return response


def slot_of(data: dict[str, Any]) -> dict[str, Any] | None:
    found = [p for p in data["partners"] if "kind" in p]
    assert len(found) <= 1
    return found[0] if found else None


@dataclass
class Blocks:
    """What the tests here set up: the network, its app and a client asking for blocks."""

    network: dict[str, int]
    storage: Storage
    app: Starlette
    client: httpx.AsyncClient
    signer: Signer

    def token(self, slug: str = "blumen") -> str:
        """The embed token of the member's placement in the wedding theme."""
        return self.signer.embed_token(self.network[slug])

    async def offer(self, slugs: tuple[str, ...] = PACKAGE, **kw: Any) -> Offer:
        """An offer of ``slugs`` (a package of two partners), read onto the board."""
        offer = await make_offer(self.storage, slugs, **kw)
        await board_read(self.app)
        return offer

    async def event(self, slugs: tuple[str, ...], **kw: Any) -> Event:
        """An event with ``slugs`` taking part, read onto the board."""
        event = await make_event(self.storage, slugs, **kw)
        await board_read(self.app)
        return event

    async def get(self, token: str, **params: str) -> httpx.Response:
        return await get_block(self.client, token, **params)

    async def data(self, slug: str = "blumen", **params: str) -> dict[str, Any]:
        """The JSON block of the member's placement."""
        found: dict[str, Any] = (await self.get(self.token(slug), **params)).json()
        return found

    async def slot(self, token: str, **params: str) -> dict[str, Any] | None:
        return slot_of((await self.get(token, **params)).json())


@pytest.fixture
def blocks(
    network: dict[str, int],
    storage: Storage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
) -> Blocks:
    return Blocks(network, storage, app, client, signer)


async def test_without_show_the_block_is_byte_identical(blocks: Blocks) -> None:
    token = blocks.token()
    before = (await blocks.get(token)).content
    await blocks.offer()
    assert (await blocks.get(token)).content == before
    assert (await blocks.get(token, show="partners")).content == before
    page = await blocks.client.get(f"/w/{token}.html")
    assert "Hochzeitspaket" not in page.text


async def test_offer_slot_takes_the_last_place_and_links_through_a_click(blocks: Blocks) -> None:
    await blocks.offer()
    response = await blocks.get(blocks.token(), show="partners,offer")
    assert response.headers["cache-control"].startswith("public, max-age=")
    assert response.headers["etag"]
    data = response.json()
    assert len(data["partners"]) == 3  # the placement's three places, the slot last
    slot = data["partners"][-1]
    assert slot["kind"] == "offer"
    assert slot["name"] == "Hochzeitspaket"
    assert slot["category"] == "Gemeinsames Angebot"
    assert slot["town"] == "bis So., 28. Februar 2027"  # core/dates.py, as on every page
    assert slot["description"].startswith("zusammen 10 % günstiger – Kleid")
    assert slot["rel"] == "sponsored nofollow noopener"
    assert slot["url"].startswith("http://testserver/c/")
    click = await blocks.client.get(urlsplit(slot["url"]).path)
    assert click.status_code == 302
    assert click.headers["location"] == "http://testserver/o/hochzeitspaket"
    english = await blocks.data(show="offer")
    assert english["partners"][-1]["kind"] == "offer"


async def test_unknown_show_value_is_a_problem_naming_it(blocks: Blocks) -> None:
    token = blocks.token()
    for path in (f"/w/{token}", f"/w/{token}.html"):
        response = await blocks.client.get(path, params={"show": "partners,<ads>"})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert "'<ads>'" in response.json()["detail"]
        assert response.headers["access-control-allow-origin"] == "*"


async def test_an_offer_of_the_host_alone_is_not_shown_to_it(blocks: Blocks) -> None:
    await blocks.offer(("blumen",))
    own = await blocks.data(show="offer")
    assert slot_of(own) is None and len(own["partners"]) == 3
    other = await blocks.data("scheune", show="offer")
    assert slot_of(other) is not None


async def test_event_slot_links_to_registration_or_the_theme_page(blocks: Blocks) -> None:
    await blocks.event(("scheune",), registration_url="https://messe.example/anmelden")
    slot = slot_of(await blocks.data(show="event"))
    assert slot is not None and slot["kind"] == "event"
    assert slot["category"] == "Termin"
    assert slot["town"] == "Sa., 6. März 2027, 10:00 Uhr, Heide"  # Berlin time
    click = await blocks.client.get(urlsplit(slot["url"]).path)
    assert click.headers["location"] == "https://messe.example/anmelden"
    en = await blocks.data(show="event", lang="en")
    assert slot_of(en)["category"] == "Event"  # type: ignore[index]


async def test_event_without_registration_links_to_its_theme_page_entry(blocks: Blocks) -> None:
    await blocks.event(())
    slot = slot_of(await blocks.data(show="event"))
    assert slot is not None
    click = await blocks.client.get(urlsplit(slot["url"]).path)
    assert click.headers["location"] == "http://testserver/t/hochzeit#event-hochzeitsmesse"
    page = await blocks.client.get("/t/hochzeit")
    assert 'id="event-hochzeitsmesse"' in page.text


async def test_iframe_page_shows_the_slot_escaped(blocks: Blocks) -> None:
    await blocks.offer(title=HOSTILE)
    page = await blocks.client.get(f"/w/{blocks.token()}.html", params={"show": "offer"})
    assert page.status_code == 200
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Paket&lt;/script&gt;" in page.text
    assert HOSTILE not in page.text
    assert 'class="pk-item pk-offer"' in page.text
    assert "Gemeinsames Angebot" in page.text
    assert page.headers["cache-control"].startswith("public, max-age=")


async def test_a_changed_board_reaches_the_cached_block(blocks: Blocks) -> None:
    token = blocks.token()
    assert await blocks.slot(token, show="offer") is None
    await blocks.offer()
    assert await blocks.slot(token, show="offer") is not None


async def test_the_placement_option_overrides_the_embed(blocks: Blocks) -> None:
    await make_offer(blocks.storage, PACKAGE)
    with_offer = check_placement_options(
        layout=None, max_partners=3, lang=None, scheme=None, show="offer , partners"
    )
    assert with_offer.show == "partners,offer"  # stored in its usual form
    without = check_placement_options(
        layout=None, max_partners=3, lang=None, scheme=None, show="partners"
    )
    _, _, fixed = await placement_for(blocks.storage, "blumen", "hochzeit", with_offer)
    _, _, plain = await placement_for(blocks.storage, "blumen", "hochzeit", without)
    await blocks.app.state.runtime.snapshots.refresh()
    await board_read(blocks.app)
    token = blocks.signer.embed_token(fixed.id)
    assert await blocks.slot(token) is not None
    # The server's value wins, even over a value the server would refuse.
    assert await blocks.slot(token, show="nonsense") is not None
    assert await blocks.slot(blocks.signer.embed_token(plain.id), show="offer") is None


async def test_a_placement_option_naming_an_unknown_value_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        check_placement_options(layout=None, max_partners=3, lang=None, scheme=None, show="ads")
    assert caught.value.field == "show" and "'ads'" in caught.value.reason


async def test_views_and_clicks_of_the_slot_are_shared_by_its_participants(
    network: dict[str, int],
    storage: Storage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    offer = await make_offer(storage, ("blumen", *PACKAGE))
    await board_read(app)
    ids = {m.slug: m.id for m in await storage.list_members()}
    names = {m.name: m.id for m in await storage.list_members()}
    response = await visitor.get(f"/w/{signer.embed_token(network['blumen'])}?show=offer")
    data = response.json()
    slot = data["partners"][-1]
    assert slot["kind"] == "offer"
    partners = [p for p in data["partners"] if "kind" not in p]
    view = await exchanged(visitor, data["view"])
    await beacon(visitor, view, HOST_PAGE)
    click = await visitor.get(urlsplit(slot["url"]).path)
    assert click.headers["location"] == f"http://testserver/o/{offer.slug}"
    runtime = app.state.runtime
    await runtime.counting.flush(runtime.storage)
    rows = await storage.list_counts()
    host = ids["blumen"]
    receivers = {ids["catering"], ids["brautmoden"]}  # the host takes part: not credited
    position = len(partners) + 1
    viewed = {r.partner_id: r for r in rows if r.kind == "viewed" and r.partner_id in receivers}
    share = exposure(position) / 2
    for member_id in receivers:
        # Counted once for each receiver (it may also hold a partner place of the block).
        row = viewed[member_id]
        as_partner = [i for i, p in enumerate(partners) if names[p["name"]] == member_id]
        expected = share + sum(exposure(i + 1) for i in as_partner)
        assert math.isclose(row.exposure, expected)
    clicked = {r.partner_id: r.count for r in rows if r.kind == "clicked"}
    assert clicked == {member_id: 1 for member_id in receivers}
    assert all(r.host_id == host for r in rows)
    # The ledger's sums: what the host gave is what the others received.
    day = datetime.fromtimestamp(clock(), UTC).date()
    sums = (await storage.day_exposure(day))[offer.theme_id]
    given = sum(g for g, _ in sums.values())
    received = sum(r for _, r in sums.values())
    assert math.isclose(given, received)
    assert math.isclose(
        sums[host][0], sum(exposure(i + 1) for i in range(len(partners))) + 2 * share
    )
    # The ledger job: the published ledger is the one computed from the stored rows.
    holder = runtime.snapshots
    await holder.refresh_ledger()
    await assert_same_as_scratch(holder, storage, clock())
    ledger = dict(holder.current.pools[offer.theme_id].ledger)
    for member_id in receivers:
        assert math.isclose(ledger[member_id][1], viewed[member_id].exposure)
    # A second click of the same visitor is not counted again.
    await visitor.get(urlsplit(slot["url"]).path)
    await runtime.counting.flush(runtime.storage)
    again = {r.partner_id: r.count for r in await storage.list_counts() if r.kind == "clicked"}
    assert again == clicked


async def test_a_slot_block_is_revalidated_with_its_etag(blocks: Blocks) -> None:
    await blocks.offer()
    path = f"/w/{blocks.token()}?show=offer"
    first = await blocks.client.get(path)
    again = await blocks.client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == first.headers["cache-control"]
    plain = await blocks.client.get(
        path.split("?")[0], headers={"If-None-Match": first.headers["etag"]}
    )
    assert plain.status_code == 200  # another body, another tag


async def test_a_block_with_a_slot_never_touches_the_database(
    network: dict[str, int], settings: Settings, storage: Storage, signer: Signer, clock: Clock
) -> None:
    await make_offer(storage, PACKAGE)
    await make_event(storage, ("scheune",))
    counting = CountingStorage(reopened(storage))
    quiet = settings.with_changes(snapshot_interval=3600, ledger_interval=3600, flush_interval=60)
    application = create_app(quiet, storage=counting, clock=clock)  # type: ignore[arg-type]
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            counting.calls.clear()
            kinds = set()
            for _ in range(4):
                for placement_id in network.values():
                    token = signer.embed_token(placement_id)
                    data = (await get_block(c, token, show="partners,offer,event")).json()
                    html = await c.get(f"/w/{token}.html", params={"show": "offer,event"})
                    assert html.status_code == 200
                    slot = slot_of(data)
                    if slot is not None:
                        kinds.add(slot["kind"])
                        assert (await c.get(urlsplit(slot["url"]).path)).status_code == 302
                clock.advance(400)  # the next bucket: the other item's turn
            assert kinds == {"offer", "event"}
            assert counting.calls == []
