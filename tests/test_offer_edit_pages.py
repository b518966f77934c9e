"""Changing a joint offer in the portal and the admin, over HTTP; its notice mail."""

from __future__ import annotations

import email
import email.policy
from datetime import date

import httpx
import pytest
from starlette.applications import Starlette
from starlette.datastructures import Secret

from tests.admin_helpers import make_account, post, signed_in
from tests.conftest import SECRET, Clock
from tests.portal_helpers import portal_post
from tests.test_offers_flow import PROPOSAL, Portal, answer, only_offer, portal, propose
from widget_server.core.models import Offer
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.mail import contacts, notices
from widget_server.mail.outbox import Mailer
from widget_server.network import offer_edits, offers
from widget_server.network.offer_edits import OfferChanges
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio
__all__ = ["portal"]  # the fixture, used by name

TODAY = date(2027, 1, 15)


def form(offer: Offer, **changes: object) -> dict[str, object]:
    """The edit form as the page fills it, with ``changes``."""
    data: dict[str, object] = {
        "title": offer.title,
        "price_text": offer.price_text,
        "text": offer.text,
        "valid_from": offer.valid_from.isoformat(),
        "valid_until": offer.valid_until.isoformat(),
        "participants": ["catering", "brautmoden"],
        "revision": str(offer.revision),
    }
    data.update(changes)
    return data


async def live(portal: Portal, storage: Storage) -> tuple[httpx.AsyncClient, Offer]:
    """blumen's offer with catering and brautmoden, confirmed by both: live."""
    blumen = await portal("blumen")
    await propose(blumen)
    offer = await only_offer(storage)
    for slug in ("catering", "brautmoden"):
        await answer(await portal(slug), offer, True)
    offer = await only_offer(storage)
    assert offer.status == "active"
    return blumen, offer


async def test_the_proposer_changes_the_price_and_the_others_confirm_again(
    portal: Portal, storage: Storage, client: httpx.AsyncClient
) -> None:
    blumen, offer = await live(portal, storage)
    listing = await blumen.get("/portal/offers")
    assert f"/portal/offers/{offer.id}/edit" in listing.text
    page = await blumen.get(f"/portal/offers/{offer.id}/edit")
    assert page.status_code == 200 and 'name="revision" value="0"' in page.text
    assert 'value="zusammen 10 % günstiger"' in page.text
    saved = await portal_post(
        blumen, f"/portal/offers/{offer.id}/edit", form(offer, price_text="zusammen 15 %")
    )
    assert saved.status_code == 303 and "done=offer_saved_asked" in saved.headers["location"]
    changed = await only_offer(storage)
    assert (changed.price_text, changed.revision, changed.status) == (
        "zusammen 15 %",
        1,
        "proposed",
    )
    assert [p.confirmed for p in changed.participants] == [True, False, False]
    assert (await client.get(f"/o/{offer.slug}")).status_code == 404
    (entry, *_) = await storage.list_audit_entries(subject=f"offer:{offer.slug}")
    assert (entry.actor, entry.action) == ("member:blumen", "offer.edit")
    assert entry.detail == (
        "price_text: „zusammen 10 % günstiger“ → „zusammen 15 %“; confirmations asked for again"
    )
    # A participant's page from before the change cannot confirm the new version unseen.
    catering = await portal("catering")
    stale = await portal_post(
        catering, f"/portal/offers/{offer.id}/confirm", {"answer": "yes", "revision": "0"}
    )
    assert stale.status_code == 409 and "inzwischen geändert" in stale.text
    for slug in ("catering", "brautmoden"):
        done = await portal_post(
            await portal(slug),
            f"/portal/offers/{offer.id}/confirm",
            {"answer": "yes", "revision": "1"},
        )
        assert done.status_code == 303
    assert (await client.get(f"/o/{offer.slug}")).status_code == 200


async def test_a_new_title_keeps_the_offer_live(portal: Portal, storage: Storage) -> None:
    blumen, offer = await live(portal, storage)
    saved = await portal_post(
        blumen, f"/portal/offers/{offer.id}/edit", form(offer, title="Das Hochzeitspaket")
    )
    assert "done=offer_saved" in saved.headers["location"]
    assert "asked" not in saved.headers["location"]
    changed = await only_offer(storage)
    assert (changed.title, changed.status) == ("Das Hochzeitspaket", "active")


async def test_a_stale_or_bad_form_changes_nothing(portal: Portal, storage: Storage) -> None:
    blumen, offer = await live(portal, storage)
    path = f"/portal/offers/{offer.id}/edit"
    assert (await portal_post(blumen, path, form(offer, title="Eins"))).status_code == 303
    stale = await portal_post(blumen, path, form(offer, title="Zwei"))  # still revision 0
    assert stale.status_code == 409
    assert "inzwischen geändert" in stale.text and 'name="revision" value="1"' in stale.text
    bad = await portal_post(blumen, path, form(offer, valid_until="2027-01-01", revision="1"))
    assert bad.status_code == 422 and 'id="f-valid-until-error"' in bad.text
    assert (await only_offer(storage)).title == "Eins"


async def test_only_the_proposer_reaches_the_edit_page(portal: Portal, storage: Storage) -> None:
    _, offer = await live(portal, storage)
    for slug in ("catering", "fotos"):  # a participant, an outsider
        other = await portal(slug)
        assert (await other.get(f"/portal/offers/{offer.id}/edit")).status_code == 404
        sent = await portal_post(other, f"/portal/offers/{offer.id}/edit", form(offer))
        assert sent.status_code == 404
        assert (await portal_post(other, f"/portal/offers/{offer.id}/end", {})).status_code == 404
    assert (await only_offer(storage)).status == "active"


async def test_the_proposer_ends_its_offer(
    portal: Portal, storage: Storage, client: httpx.AsyncClient
) -> None:
    blumen, offer = await live(portal, storage)
    ended = await portal_post(blumen, f"/portal/offers/{offer.id}/end", {})
    assert ended.status_code == 303 and "done=offer_ended" in ended.headers["location"]
    assert (await only_offer(storage)).status == "removed"
    assert (await client.get(f"/o/{offer.slug}")).status_code == 404
    (entry, *_) = await storage.list_audit_entries(subject=f"offer:{offer.slug}")
    assert (entry.actor, entry.action) == ("member:blumen", "offer.end")
    assert (await blumen.get(f"/portal/offers/{offer.id}/edit")).status_code == 404


async def test_a_coordinator_changes_an_offer_in_the_admin(
    portal: Portal, storage: Storage, app: Starlette
) -> None:
    _, offer = await live(portal, storage)
    await make_account(storage)
    admin = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    async with admin:
        await signed_in(admin)
        listing = await admin.get("/admin/offers")
        assert f"/admin/offers/{offer.id}/edit" in listing.text
        page = await admin.get(f"/admin/offers/{offer.id}/edit")
        assert page.status_code == 200 and PROPOSAL["title"] in page.text
        path = f"/admin/offers/{offer.id}/edit"
        refused = await admin.post(path, data=form(offer, text="Ohne CSRF."))  # type: ignore[arg-type]
        assert refused.status_code == 403
        data = form(offer, valid_until="2027-03-31", participants=["catering", "fotos"])
        saved = await post(admin, path, data)  # type: ignore[arg-type]
        assert saved.status_code == 303
        changed = await only_offer(storage)
        assert changed.valid_until == date(2027, 3, 31)
        slugs = {m.id: m.slug for m in await storage.list_members()}
        assert [(slugs[p.member_id], p.confirmed) for p in changed.participants] == [
            ("blumen", False),
            ("catering", False),
            ("fotos", False),
        ]
        stale = await post(
            admin, f"/admin/offers/{offer.id}", {"action": "approve", "revision": "0"}
        )
        assert stale.status_code == 409 and "inzwischen geändert" in stale.text
        (entry, *_) = await storage.list_audit_entries(subject=f"offer:{offer.slug}")
        assert (entry.actor, entry.action) == ("admin:koordination", "offer.edit")
        assert "valid_until: „2027-02-28“ → „2027-03-31“" in entry.detail
        removed = await post(admin, f"/admin/offers/{offer.id}", {"action": "remove"})
        assert removed.status_code == 303
        closed = await admin.get(f"/admin/offers/{offer.id}/edit")
        assert closed.status_code == 409


async def test_the_participants_asked_again_get_a_mail(
    network: dict[str, int], storage: Storage, settings: Settings, clock: Clock
) -> None:
    mailer = Mailer(
        settings.with_changes(
            smtp_url=Secret("smtp://127.0.0.1:25"),  # only queued here, never sent
            mail_from="partnerkreis@example.org",
            public_url="https://pk.example",
        ),
        storage,
        Signer([SECRET], clock=clock),
        clock,
    )
    for slug, lang in (("blumen", "de"), ("catering", "en")):
        member = await storage.get_member(slug)
        await contacts.set_contact(storage, member, email=f"{slug}@example.org", language=lang)
    proposal = offers.Proposal(
        "hochzeit", "Paket", "", "10 %", "2027-03-13", "2027-03-15", ["catering"]
    )
    blumen = await storage.get_member("blumen")
    offer = await offers.propose(storage, blumen, proposal, TODAY)
    edit = await offer_edits.edit(
        storage, offer.id, OfferChanges(price_text="<b>15 %</b>"), 0, today=TODAY, editor=blumen
    )
    members = await offers.members_of(storage, edit.after)
    asked = offer_edits.asked_again(edit, blumen)
    assert await notices.offer_changed(mailer, edit.after, members, asked, blumen) == 1
    assert await notices.offer_changed(mailer, edit.after, members, asked, blumen) == 0
    (mail,) = await storage.claim_mails(clock() + 1, 60, 10)
    assert mail.recipient == "catering@example.org"
    message = email.message_from_string(mail.message, policy=email.policy.default)
    assert message["subject"] == "Please confirm the changed offer “Paket”"
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Blumenhaus am Markt has changed the joint offer" in text
    # The days as every page shows them (core/dates.py; CLDR puts thin spaces in ranges).
    assert "Valid: Sat, 13\u2009Mar –\u2009Mon, 15 Mar 2027" in text
