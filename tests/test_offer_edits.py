"""Changing a joint offer (network/offer_edits.py) on both databases: what a change
resets, what it keeps, and that a stale revision changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.images import image
from widget_server.core.errors import ConflictError, NotFoundError, ValidationError
from widget_server.core.models import Member, Offer
from widget_server.network import offer_edits, offers
from widget_server.network.offer_edits import OfferChanges
from widget_server.network.rules import set_rules
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio

TODAY = date(2027, 1, 15)
PROPOSAL = offers.Proposal(
    "hochzeit",
    "Hochzeitspaket",
    "Kleid, Blumen und Torte.",
    "zusammen 10 % günstiger",
    "2027-01-10",
    "2027-02-28",
    ["catering", "blumen"],
)


async def member(storage: Storage, slug: str) -> Member:
    return await storage.get_member(slug)


async def live_offer(storage: Storage) -> Offer:
    """The proposal of brautmoden, confirmed by both others: live on ``TODAY``."""
    offer = await offers.propose(storage, await member(storage, "brautmoden"), PROPOSAL, TODAY)
    for slug in ("catering", "blumen"):
        offer = await offers.confirm(storage, offer.id, await member(storage, slug), True)
    assert offers.state(offer, TODAY) == "live"
    return offer


def confirmations(offer: Offer) -> list[bool]:
    return [p.confirmed for p in offer.participants]


@pytest.mark.parametrize(
    ("changes", "changed"),
    [
        (OfferChanges(text="Nur noch Kleid und Blumen."), ("text",)),
        (OfferChanges(price_text="zusammen 15 % günstiger"), ("price_text",)),
        (OfferChanges(valid_until="2027-03-31"), ("valid_until",)),
        (
            OfferChanges(valid_from="2027-01-12", valid_until="2027-01-31"),
            ("valid_from", "valid_until"),
        ),
        (OfferChanges(participants=["catering", "fotos"]), ("participants",)),
    ],
)
async def test_a_material_change_asks_the_others_again(
    network: dict[str, int], storage: Storage, changes: OfferChanges, changed: tuple[str, ...]
) -> None:
    offer = await live_offer(storage)
    proposer = await member(storage, "brautmoden")
    edit = await offer_edits.edit(storage, offer.id, changes, 0, today=TODAY, editor=proposer)
    assert edit.changed == changed and edit.material
    after = edit.after
    assert after.revision == 1
    assert after.status == "proposed" and offers.state(after, TODAY) == "waiting"
    assert confirmations(after)[0] is True  # the proposer's own stays
    assert confirmations(after)[1:] == [False] * (len(after.participants) - 1)
    assert offer_edits.asked_again(edit, proposer) == list(after.member_ids[1:])
    assert await storage.live_offers(None, TODAY) == []  # off the pages until confirmed
    assert await storage.get_offer(offer.id) == after


async def test_a_new_title_or_image_keeps_every_confirmation(
    network: dict[str, int], storage: Storage
) -> None:
    offer = await live_offer(storage)
    proposer = await member(storage, "brautmoden")
    changes = OfferChanges(title="Das Hochzeitspaket", image=image(40, 30))
    edit = await offer_edits.edit(storage, offer.id, changes, 0, today=TODAY, editor=proposer)
    assert edit.changed == ("title", "image") and not edit.material
    assert edit.after.status == "active" and confirmations(edit.after) == [True, True, True]
    assert edit.after.image is not None and edit.after.image.width == 40
    _, data = await storage.get_offer_image(offer.id)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    removed = await offer_edits.edit(
        storage, offer.id, OfferChanges(remove_image=True), 1, today=TODAY, editor=proposer
    )
    assert removed.changed == ("image",) and removed.after.image is None
    with pytest.raises(NotFoundError):
        await storage.get_offer_image(offer.id)
    assert "image: removed" in removed.describe()


async def test_a_stale_revision_changes_nothing(network: dict[str, int], storage: Storage) -> None:
    offer = await live_offer(storage)
    proposer = await member(storage, "brautmoden")
    await offer_edits.edit(
        storage, offer.id, OfferChanges(title="Neu"), 0, today=TODAY, editor=proposer
    )
    with pytest.raises(ConflictError, match="stale_offer"):
        await offer_edits.edit(
            storage, offer.id, OfferChanges(price_text="gratis"), 0, today=TODAY, editor=proposer
        )
    with pytest.raises(ConflictError, match="stale_offer"):  # nor a confirmation of the old one
        await offers.confirm(storage, offer.id, await member(storage, "catering"), False, 0)
    stored = await storage.get_offer(offer.id)
    assert (stored.title, stored.price_text, stored.revision) == ("Neu", PROPOSAL.price_text, 1)
    assert confirmations(stored) == [True, True, True]
    same = await offer_edits.edit(
        storage, offer.id, OfferChanges(title="Neu"), 1, today=TODAY, editor=proposer
    )
    assert same.changed == () and same.after.revision == 1  # nothing to store


async def test_only_the_proposer_or_a_coordinator_edits(
    network: dict[str, int], storage: Storage
) -> None:
    offer = await live_offer(storage)
    change = OfferChanges(price_text="gratis")
    with pytest.raises(ConflictError, match="proposed"):
        await offer_edits.edit(
            storage, offer.id, change, 0, today=TODAY, editor=await member(storage, "catering")
        )
    with pytest.raises(NotFoundError):  # an outsider cannot even learn that it exists
        await offer_edits.edit(
            storage, offer.id, change, 0, today=TODAY, editor=await member(storage, "fotos")
        )
    edit = await offer_edits.edit(storage, offer.id, change, 0, today=TODAY, editor=None)
    # A coordinator's change asks every participant again, the proposer too.
    assert confirmations(edit.after) == [False, False, False]
    assert offer_edits.asked_again(edit, None) == list(edit.after.member_ids)
    await offers.close(storage, offer.id, "removed")
    with pytest.raises(ConflictError, match="removed"):
        await offer_edits.edit(
            storage, offer.id, OfferChanges(title="x"), 1, today=TODAY, editor=None
        )


async def test_a_members_change_asks_for_approval_again_where_the_theme_wants_it(
    network: dict[str, int], storage: Storage
) -> None:
    await set_rules(storage, "hochzeit", {"portal": {"approve_offers": True}}, "test")
    offer = await offers.propose(storage, await member(storage, "brautmoden"), PROPOSAL, TODAY)
    for slug in ("catering", "blumen"):
        await offers.confirm(storage, offer.id, await member(storage, slug), True)
    offer = await offers.approve(storage, offer.id, "admin:koordination", 0)
    assert offer.status == "active"
    proposer = await member(storage, "brautmoden")
    title_only = await offer_edits.edit(
        storage, offer.id, OfferChanges(title="Neu"), 0, today=TODAY, editor=proposer
    )
    assert title_only.after.approved_at is not None and title_only.after.status == "active"
    edit = await offer_edits.edit(
        storage, offer.id, OfferChanges(text="Anders."), 1, today=TODAY, editor=proposer
    )
    assert (edit.after.approved_at, edit.after.status) == (None, "proposed")
    by_coordinator = await offers.approve(storage, offer.id, "admin:koordination", 2)
    changed = await offer_edits.edit(
        storage, offer.id, OfferChanges(text="Wieder."), 2, today=TODAY, editor=None
    )
    assert changed.after.approved_at == by_coordinator.approved_at  # the coordinators made it


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (OfferChanges(title=" "), "title"),
        (OfferChanges(price_text="x" * 201), "price_text"),
        (OfferChanges(valid_until="2027-01-01"), "valid_until"),
        (OfferChanges(valid_from="01.02.2027"), "valid_from"),
        (OfferChanges(participants=[]), "participants"),
        (OfferChanges(participants=["niemand"]), "participants"),
        (OfferChanges(image=b"<svg onload=alert(1)>"), "image"),
        (OfferChanges(text="a\x00b"), "text"),
    ],
)
async def test_a_bad_change_names_the_field_and_changes_nothing(
    network: dict[str, int], storage: Storage, changes: OfferChanges, field: str
) -> None:
    offer = await live_offer(storage)
    with pytest.raises(ValidationError) as caught:
        await offer_edits.edit(storage, offer.id, changes, 0, today=TODAY, editor=None)
    assert caught.value.field == field
    assert await storage.get_offer(offer.id) == offer


async def test_the_proposer_ends_its_offer_early(network: dict[str, int], storage: Storage) -> None:
    offer = await live_offer(storage)
    with pytest.raises(ConflictError):
        await offer_edits.end(storage, offer.id, await member(storage, "blumen"))
    ended = await offer_edits.end(storage, offer.id, await member(storage, "brautmoden"))
    assert (ended.status, offers.state(ended, TODAY)) == ("removed", "removed")
    assert await storage.live_offers(None, TODAY) == []


async def test_the_audit_text_names_each_change(network: dict[str, int], storage: Storage) -> None:
    offer = await live_offer(storage)
    changes = OfferChanges(
        title="Neu", valid_until="2027-03-31", participants=["catering", "fotos"]
    )
    edit = await offer_edits.edit(storage, offer.id, changes, 0, today=TODAY, editor=None)
    fotos, blumen = await member(storage, "fotos"), await member(storage, "blumen")
    assert edit.describe() == (
        "title: „Hochzeitspaket“ → „Neu“; valid_until: „2027-02-28“ → „2027-03-31“;"
        f" members: +{fotos.id}, -{blumen.id}; confirmations asked for again"
    )
