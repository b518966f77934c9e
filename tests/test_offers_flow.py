"""Joint offers end to end over HTTP: propose, confirm, approve, withdraw, expire; the page."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.datastructures import Secret

from tests.admin_helpers import make_account, post, signed_in
from tests.conftest import SECRET, Clock
from tests.images import image, pixels
from tests.portal_helpers import open_portal, portal_post
from widget_server.core.models import Offer
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.mail import contacts, notices
from widget_server.mail.outbox import Mailer
from widget_server.network import offers
from widget_server.network.rules import set_rules
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio

DAY = 86_400.0
TODAY = date(2027, 1, 15)  # the test clock's day
# The test clock stands at 2027-01-15.
PROPOSAL = {
    "theme": "hochzeit",
    "title": "Hochzeitspaket „Alles aus einer Hand“",
    "price_text": "zusammen 10 % günstiger",
    "text": "Kleid, Blumen und Torte.\n\nAlles abgestimmt.",
    "valid_from": "2027-01-10",
    "valid_until": "2027-02-28",
}

Portal = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest_asyncio.fixture
async def portal(
    network: dict[str, int], app: Starlette, storage: Storage, signer: Signer, clock: Clock
) -> AsyncIterator[Portal]:
    """A member's browser with its portal open: ``await portal("blumen")``."""
    clients: list[httpx.AsyncClient] = []

    async def open_for(slug: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        await open_portal(client, storage, signer, clock, slug)
        return client

    yield open_for
    for client in clients:
        await client.aclose()


async def propose(client: httpx.AsyncClient, **changes: object) -> httpx.Response:
    data: dict[str, object] = {**PROPOSAL, "participants": ["catering", "brautmoden"], **changes}
    return await portal_post(client, "/portal/offers", data)  # type: ignore[arg-type]


async def only_offer(storage: Storage) -> Offer:
    (offer,) = await storage.list_offers()
    return offer


async def answer(client: httpx.AsyncClient, offer: Offer, yes: bool) -> httpx.Response:
    path = f"/portal/offers/{offer.id}/confirm"
    return await portal_post(client, path, {"answer": "yes" if yes else "no"})


async def test_offer_goes_live_when_all_confirmed_and_back_on_withdrawal(
    portal: Portal, storage: Storage, client: httpx.AsyncClient
) -> None:
    blumen = await portal("blumen")
    response = await propose(blumen)
    assert response.status_code == 303, response.text
    offer = await only_offer(storage)
    assert offer.slug == "hochzeitspaket-alles-aus-einer-hand"
    assert (offer.title, offer.price_text, offer.text) == (
        PROPOSAL["title"],
        PROPOSAL["price_text"],
        PROPOSAL["text"],
    )
    assert (offer.valid_from, offer.valid_until) == (date(2027, 1, 10), date(2027, 2, 28))
    members = {m.id: m.slug for m in await storage.list_members()}
    assert [(members[p.member_id], p.confirmed) for p in offer.participants] == [
        ("blumen", True),
        ("catering", False),
        ("brautmoden", False),
    ]
    page = f"/o/{offer.slug}"
    assert (await client.get(page)).status_code == 404  # not confirmed by everyone yet

    catering = await portal("catering")
    home = await catering.get("/portal/")
    assert "1 gemeinsames Angebot wartet auf Ihre Bestätigung." in home.text
    listing = await catering.get("/portal/offers")
    assert PROPOSAL["title"] in listing.text and "Bestätigen" in listing.text
    assert (await answer(catering, offer, True)).status_code == 303
    assert "wartet auf Ihre Bestätigung" not in (await catering.get("/portal/")).text
    assert (await client.get(page)).status_code == 404
    brautmoden = await portal("brautmoden")
    assert (await answer(brautmoden, offer, True)).status_code == 303
    assert (await only_offer(storage)).status == "active"

    shown = await client.get(page)
    assert shown.status_code == 200
    assert shown.headers["content-type"].startswith("text/html")
    for name, site in (
        ("Blumenhaus am Markt", "https://blumen.example/"),
        ("Küstenküche Boie", "https://catering.example/"),
        ("Brautmoden Carstens", "https://brautmoden.example/"),
    ):
        assert name in shown.text
        # Plain links: the page is the cluster's own, not a paid placement.
        assert f'<a class="member-link" href="{site}">' in shown.text
    assert "sponsored" not in shown.text
    # The days in the one format of core/dates.py (CLDR puts thin spaces round the dash).
    assert "zusammen 10 % günstiger" in shown.text
    assert "Gültig: So., 10. Jan.\u2009–\u2009So., 28. Feb. 2027" in shown.text
    english = await client.get(page, params={"lang": "en"})
    assert "Offered together by" in english.text
    assert "Valid: Sun, 10 Jan\u2009–\u2009Sun, 28 Feb 2027" in english.text

    assert (await answer(catering, offer, False)).status_code == 303
    assert (await only_offer(storage)).status == "proposed"
    assert (await client.get(page)).status_code == 404
    actions = [e.action for e in await storage.list_audit_entries(subject=f"offer:{offer.slug}")]
    assert actions == ["offer.withdraw", "offer.confirm", "offer.confirm", "offer.propose"]


async def test_past_offers_drop_out_by_themselves(
    portal: Portal, storage: Storage, client: httpx.AsyncClient, clock: Clock
) -> None:
    blumen = await portal("blumen")
    await propose(blumen, participants=["catering"], valid_until="2027-01-20")
    offer = await only_offer(storage)
    await answer(await portal("catering"), offer, True)
    assert (await client.get(f"/o/{offer.slug}")).status_code == 200
    assert [o.slug for o in await storage.live_offers(None, date(2027, 1, 20))] == [offer.slug]
    clock.advance(6 * DAY)  # 2027-01-21
    gone = await client.get(f"/o/{offer.slug}")
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    again = await portal("blumen")  # the first session has run out meanwhile
    assert "Beendet" in (await again.get("/portal/offers")).text


async def test_coordinator_approval_where_the_theme_asks_for_it(
    portal: Portal, storage: Storage, app: Starlette, client: httpx.AsyncClient
) -> None:
    await set_rules(storage, "hochzeit", {"portal": {"approve_offers": True}}, "test")
    blumen = await portal("blumen")
    await propose(blumen, participants=["catering"])
    offer = await only_offer(storage)
    assert offer.needs_approval
    await answer(await portal("catering"), offer, True)
    assert (await only_offer(storage)).status == "proposed"
    assert "Wartet auf Freischaltung" in (await blumen.get("/portal/offers")).text
    assert (await client.get(f"/o/{offer.slug}")).status_code == 404

    await make_account(storage)
    admin = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    async with admin:
        await signed_in(admin)
        dashboard = await admin.get("/admin/")
        assert "1 gemeinsames Angebot wartet auf Ihre Freischaltung." in dashboard.text
        listing = await admin.get("/admin/offers")
        assert listing.status_code == 200 and PROPOSAL["title"] in listing.text
        # Without the session's CSRF token nothing happens.
        refused = await admin.post(f"/admin/offers/{offer.id}", data={"action": "approve"})
        assert refused.status_code == 403
        assert (await only_offer(storage)).approved_at is None
        done = await post(admin, f"/admin/offers/{offer.id}", {"action": "approve"})
        assert done.status_code == 303
        approved = await only_offer(storage)
        assert (approved.status, approved.approved_by) == ("active", "admin:koordination")
        assert (await client.get(f"/o/{offer.slug}")).status_code == 200
        removed = await post(admin, f"/admin/offers/{offer.id}", {"action": "remove"})
        assert removed.status_code == 303
        assert (await only_offer(storage)).status == "removed"
        assert (await client.get(f"/o/{offer.slug}")).status_code == 404
        again = await post(admin, f"/admin/offers/{offer.id}", {"action": "approve"})
        assert again.status_code == 409
    # A removed offer cannot be confirmed back to life.
    closed = await answer(blumen, offer, True)
    assert closed.status_code == 409
    entries = await storage.list_audit_entries(subject=f"offer:{offer.slug}")
    assert [(e.actor, e.action) for e in entries[:2]] == [
        ("admin:koordination", "offer.remove"),
        ("admin:koordination", "offer.approve"),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"participants": []}, "participants", "mindestens ein weiteres Mitglied"),
        ({"participants": ["niemand"]}, "participants", "ist kein Mitglied"),
        ({"title": "  "}, "title", "darf nicht leer sein"),
        ({"price_text": ""}, "price-text", "darf nicht leer sein"),
        ({"valid_until": "2027-01-01"}, "valid-until", "vor dem ersten Tag"),
        ({"valid_from": "2027-01-10", "valid_until": "2028-06-01"}, "valid-until", "366"),
        ({"valid_from": "morgen"}, "valid-from", "ist kein Datum"),
        ({"title": "x" * 121}, "title", "höchstens 120"),
        ({"theme": "heide"}, "theme", "kein Thema"),
    ],
)
async def test_a_bad_proposal_is_refused_naming_the_field(
    portal: Portal, storage: Storage, changes: dict[str, object], field: str, message: str
) -> None:
    blumen = await portal("blumen")
    response = await propose(blumen, **changes)
    assert response.status_code == 422
    assert f'id="f-{field}-error"' in response.text  # the message sits at its input
    assert message in response.text
    assert await storage.list_offers() == []


async def test_a_large_themes_participants_are_the_chosen_and_those_named_by_slug(
    portal: Portal, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``PICK_ALL`` members the offer form lists as boxes only those taking part and
    takes more by slug (a box per member of a theme of 10,000: a form of 1.5 MB)."""
    from widget_server.web.endpoints import offer_forms

    monkeypatch.setattr(offer_forms, "PICK_ALL", 1)
    blumen = await portal("blumen")
    page = (await blumen.get("/portal/offers")).text
    assert 'name="participants" value="catering"' not in page
    assert 'id="p-hochzeit-more" name="participants" value=""' in page
    assert "Dieses Thema hat" in page
    response = await propose(blumen, participants=["catering, brautmoden", " "])
    assert response.status_code == 303, response.text
    offer = await only_offer(storage)
    members = {m.id: m.slug for m in await storage.list_members()}
    assert [members[p.member_id] for p in offer.participants] == [
        "blumen",
        "catering",
        "brautmoden",
    ]
    edit = (await blumen.get(f"/portal/offers/{offer.id}/edit")).text
    for slug in ("catering", "brautmoden"):  # taking part: listed to untick
        assert f'name="participants" value="{slug}" checked' in edit
    bad = await propose(blumen, title="Zweites Paket", participants=["catering,nobody-here"])
    assert bad.status_code == 422 and "nobody-here" in bad.text


async def test_a_member_outside_the_theme_cannot_be_named(portal: Portal, storage: Storage) -> None:
    fotos = await storage.get_member("fotos")
    theme = await storage.get_theme("hochzeit")
    await storage.set_membership(fotos.id, theme.id, "paused")
    response = await propose(await portal("blumen"), participants=["fotos"])
    assert response.status_code == 422
    assert "kein aktives Mitglied" in response.text


async def test_the_image_is_re_encoded_and_served_by_us(
    portal: Portal, storage: Storage, client: httpx.AsyncClient
) -> None:
    upload = image(120, 80, "JPEG", exif=b"Exif\x00\x00secret-location", comment=b"<script>")
    blumen = await portal("blumen")
    csrf_page = await blumen.get("/portal/offers")
    csrf = re.search(r'name="csrf" value="([^"]+)"', csrf_page.text)
    assert csrf
    data = {**PROPOSAL, "participants": ["catering"], "csrf": csrf.group(1)}
    files = {"image": ("paket.jpg", upload, "image/jpeg")}
    response = await blumen.post("/portal/offers", data=data, files=files)
    assert response.status_code == 303, response.text
    offer = await only_offer(storage)
    assert offer.image is not None
    path = f"/offer-images/{offer.id}-{offer.image.digest[:16]}.jpg"
    served = await client.get(path)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert b"secret-location" not in served.content and b"<script>" not in served.content
    assert pixels(served.content)[1] == (120, 80)
    assert (await client.get(f"/offer-images/{offer.id}-{'0' * 16}.jpg")).status_code == 404
    bad = await blumen.post(
        "/portal/offers",
        data=data,
        files={"image": ("x.png", b"<svg onload=alert(1)>", "image/png")},
    )
    assert bad.status_code == 422 and 'id="f-image"' in bad.text


async def test_members_act_only_on_their_own_offers(portal: Portal, storage: Storage) -> None:
    await propose(await portal("blumen"), participants=["catering"])
    offer = await only_offer(storage)
    fotos = await portal("fotos")
    assert "Hochzeitspaket" not in (await fotos.get("/portal/offers")).text
    assert (await answer(fotos, offer, True)).status_code == 404
    assert (await answer(fotos, replace_id(offer, 2**70), True)).status_code == 404
    assert not (await only_offer(storage)).participants[1].confirmed


def replace_id(offer: Offer, offer_id: int) -> Offer:
    from dataclasses import replace

    return replace(offer, id=offer_id)


async def test_slugs_stay_unique(portal: Portal, storage: Storage) -> None:
    blumen = await portal("blumen")
    await propose(blumen)
    await propose(blumen)
    assert sorted(o.slug for o in await storage.list_offers()) == [
        "hochzeitspaket-alles-aus-einer-hand",
        "hochzeitspaket-alles-aus-einer-hand-2",
    ]


async def test_participants_are_asked_by_mail_once(
    network: dict[str, int], storage: Storage, settings: Settings, clock: Clock
) -> None:
    mail_settings = settings.with_changes(
        smtp_url=Secret("smtp://127.0.0.1:25"),  # only queued here, never sent
        mail_from="partnerkreis@example.org",
        public_url="https://pk.example",
    )
    mailer = Mailer(mail_settings, storage, Signer([SECRET], clock=clock), clock)
    for slug, address in (("blumen", "blumen@example.org"), ("catering", "kueche@example.org")):
        await contacts.set_contact(
            storage, await storage.get_member(slug), email=address, language="en"
        )
    proposal = offers.Proposal(
        "hochzeit",
        'Paket <b>"1"</b>',
        "",
        "10 %",
        "2027-01-15",
        "2027-01-31",
        ["catering", "fotos"],
    )
    offer = await offers.propose(storage, await storage.get_member("blumen"), proposal, TODAY)
    members = await offers.members_of(storage, offer)
    assert await notices.offer_proposed(mailer, offer, members) == 1  # fotos has no address
    assert await notices.offer_proposed(mailer, offer, members) == 0  # queued once
    (mail,) = await storage.claim_mails(clock() + 1, 60, 10)
    assert mail.recipient == "kueche@example.org"
    message = email.message_from_string(mail.message, policy=email.policy.default)
    assert message["subject"] == 'Please confirm the joint offer “Paket <b>"1"</b>”'
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Blumenhaus am Markt has proposed" in text
    assert "https://pk.example/portal/offers" in text
    html = message.get_body(("html",))
    assert html is not None and "Paket &lt;b&gt;" in html.get_content()
